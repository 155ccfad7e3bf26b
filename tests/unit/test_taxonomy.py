"""The taxonomy file: the packaged default is complete and valid, a user's file replaces it, and
every kind of mistake in a file is reported as a TaxonomyError that names the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newswatch.domain.errors import TaxonomyError
from newswatch.domain.taxonomy import load_taxonomy, parse_taxonomy

REQUIRED_TOPICS = {
    "ceasefire",
    "negotiations",
    "aid",
    "military_aid",
    "sanctions",
    "displacement",
    "casualties",
    "attacks",
    "elections",
    "humanitarian_access",
    "prisoners",
    "protests",
}
IPTC_FILE = Path(__file__).resolve().parents[3] / "shared" / "data" / "iptc-mediatopics.json"

MINIMAL = """
topics:
  - label: floods
    description: River and flash floods.
    patterns: ["floods?", "flooding"]
"""


def test_default_taxonomy_has_the_required_topics_with_descriptions_and_examples() -> None:
    taxonomy = load_taxonomy()
    assert set(taxonomy.labels) >= REQUIRED_TOPICS
    for topic in taxonomy.topics:
        assert topic.description and topic.patterns and topic.examples, topic.label
        assert topic.iptc is None or topic.iptc.startswith("medtop:")


def test_default_taxonomy_is_loaded_once() -> None:
    assert load_taxonomy() is load_taxonomy()


def test_examples_are_matched_by_their_own_topic_patterns() -> None:
    for topic in load_taxonomy().topics:
        for example in topic.examples:
            assert topic.strong_re.search(example), (topic.label, example)


@pytest.mark.skipif(not IPTC_FILE.exists(), reason="shared evaluation data not present")
def test_iptc_codes_exist_and_are_current() -> None:
    concepts = {c["qcode"]: c for c in json.loads(IPTC_FILE.read_text())["topics"]}
    for topic in load_taxonomy().topics:
        if topic.iptc is not None:
            assert topic.iptc in concepts, topic.label
            assert concepts[topic.iptc]["retired"] is None, topic.label


def test_custom_file_replaces_the_default(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.labels == ("floods",)
    assert taxonomy.source == str(path)
    assert taxonomy.topics[0].strong_re.search("Severe FLOODING hit the valley")


def test_optional_fields_are_read(tmp_path: Path) -> None:
    text = MINIMAL + (
        "    iptc: medtop:20000151\n    threshold: 0.5\n    alert_threshold: 0.7\n"
        "    strict_salience: true\n    weak_patterns: [rain]\n"
        "    exclude: ['flood of (?:emails|letters)']\n    examples: [The river burst its banks.]\n"
    )
    topic = parse_taxonomy(text).topics[0]
    assert topic.iptc == "medtop:20000151"
    assert topic.threshold == 0.5
    assert topic.alert_threshold == 0.7
    assert parse_taxonomy(MINIMAL).topics[0].alert_threshold is None
    assert topic.strict_salience is True
    assert parse_taxonomy(MINIMAL).topics[0].strict_salience is False
    assert parse_taxonomy(MINIMAL).topics[0].background_in == ()
    assert topic.weak_patterns == ("rain",)
    assert topic.exclude_re is not None and topic.exclude_re.search("a flood of emails")
    assert topic.examples == ("The river burst its banks.",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("topics: [", "not valid YAML"),
        ("- just a list", "'topics' list"),
        ("topics: []", "non-empty list"),
        ("topics:\n  - just a string", "expected a mapping"),
        (
            "topics:\n  - label: a\n    patterns: [x]",
            "topic #1 ('a'): missing required field(s): description",
        ),
        ("topics:\n  - label: a\n    description: d", "missing required field(s): patterns"),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: ['(unclosed']",
            "bad regular expression in patterns: '(unclosed'",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: ['x?']",
            "matches empty text",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n"
            "  - label: a\n    description: e\n    patterns: [y]",
            "duplicate topic label 'a'",
        ),
        ("topics:\n  - label: Bad Label\n    description: d\n    patterns: [x]", "lowercase"),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n    patern: [y]",
            "unknown field(s): patern",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n    iptc: 20000073",
            "iptc must look like",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n    threshold: 2",
            "between 0 and 1",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n    threshold: high",
            "threshold must be a number",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n    alert_threshold: -1",
            "alert_threshold must be between 0 and 1",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n    strict_salience: 1",
            "strict_salience must be true or false",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n"
            "    background_in: [protest]",
            "topic 'a': background_in must name other topics of the file, got protest",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: [x]\n    background_in: [a]",
            "background_in must name other topics of the file, got a",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns:\n      - a (?: b)\n",
            "patterns item 1 must be a non-empty string",
        ),
        (
            "topics:\n  - label: a\n    description: d\n    patterns: x",
            "patterns must be a list",
        ),
    ],
)
def test_bad_files_raise_a_clear_taxonomy_error(text: str, message: str) -> None:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text, source="bad.yaml")
    assert message in caught.value.message
    assert caught.value.message.startswith("bad.yaml")
    assert caught.value.code == "bad_taxonomy"


def test_missing_file_is_a_taxonomy_error(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")


def test_alert_thresholds_are_read_without_compiling_patterns(tmp_path: Path) -> None:
    from newswatch.domain.taxonomy import read_alert_thresholds

    default = read_alert_thresholds()
    assert [label for label, _ in default] == list(load_taxonomy().labels)
    path = tmp_path / "t.yaml"
    path.write_text(
        "topics:\n"
        "  - {label: a, description: A., patterns: ['(unclosed'], alert_threshold: 0.7}\n"
        "  - {label: b, description: B., patterns: [b]}\n",
        encoding="utf-8",
    )
    assert read_alert_thresholds(path) == (("a", 0.7), ("b", None))
    path.write_text("topics:\n  - {label: a, alert_threshold: 2}\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="alert_threshold must be between 0 and 1"):
        read_alert_thresholds(path)
    path.write_text(
        "topics:\n  - {label: a, description: A., patterns: [a], alert_threshold: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(TaxonomyError, match="alert_threshold must be a number"):
        load_taxonomy(path)
