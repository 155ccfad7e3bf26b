"""The topic taxonomy: labels, IPTC codes and the phrase patterns the pattern tagger matches.

The default taxonomy ships as package data (``newswatch/taxonomy.yaml``); a user's own YAML file
with the same shape replaces it. Every file is validated when it is loaded, so a typo surfaces as a
:class:`~newswatch.domain.errors.TaxonomyError` naming the topic and field instead of as a silently
missing tag later. Patterns are compiled once here: the tagger only runs them.

File shape::

    topics:
      - label: ceasefire                 # [a-z][a-z0-9_]*, unique
        description: One line.
        iptc: medtop:20000073            # optional, closest IPTC Media Topic
        threshold: 0.35                  # optional, overrides the tagger's min_score
        alert_threshold: 0.6             # optional, lowest score that alerts subscribers
        strict_salience: true            # optional, see below
        background_in: [protests]        # optional, see below
        patterns: ["cease-?fires?", ...] # strong phrases: one mention can carry a short text
        weak_patterns: ["guns fell silent"]  # optional, context cues (0.4 of a phrase)
        exclude: ["hearing aids?"]       # optional, text whose matches do not count
        examples: ["Both sides agreed to a truce."]  # optional, for a semantic tagger

Patterns are Python regular expressions, matched case-insensitively between word boundaries, on
text whose whitespace is collapsed to single spaces.

``strict_salience`` is for a topic whose words are common in stories about something else (a
soldier's wedding, a derby "battle", a crime story's gunmen): in a long article it must be both in
the headline or lead and fill a paragraph, where other topics need either (see the tagger).

``background_in`` names topics whose events this one is often only the occasion of: in a sentence
that plainly reports one of them ("protesters marched against the election result", "police beat
opposition members ahead of the vote"), this topic's mentions count as background, as a negated
one does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from newswatch.domain.errors import TaxonomyError

DEFAULT_RESOURCE = "taxonomy.yaml"

_LABEL_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_IPTC_RE = re.compile(r"^medtop:\d{8}$")
_REQUIRED = ("label", "description", "patterns")
_OPTIONAL = (
    "iptc",
    "threshold",
    "alert_threshold",
    "strict_salience",
    "background_in",
    "weak_patterns",
    "exclude",
    "examples",
)


@dataclass(frozen=True)
class Topic:
    label: str
    description: str
    patterns: tuple[str, ...]
    iptc: str | None = None
    threshold: float | None = None
    alert_threshold: float | None = None
    strict_salience: bool = False
    background_in: tuple[str, ...] = ()
    weak_patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()

    @property
    def strong_re(self) -> re.Pattern[str]:
        return compile_patterns(self.patterns)

    @property
    def exclude_re(self) -> re.Pattern[str] | None:
        return compile_patterns(self.exclude) if self.exclude else None


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    source: str = DEFAULT_RESOURCE

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(t.label for t in self.topics)

    def get(self, label: str) -> Topic | None:
        return next((t for t in self.topics if t.label == label), None)


@lru_cache(maxsize=512)
def compile_patterns(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation per pattern list, so a sentence is scanned once per list, not per phrase."""
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.IGNORECASE)


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Load and validate a taxonomy file; ``None`` gives the packaged default (cached)."""
    if path is None:
        return _default_taxonomy()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TaxonomyError(f"taxonomy file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy file {path}: {exc}") from exc
    return parse_taxonomy(text, source=str(path))


@lru_cache(maxsize=1)
def _default_taxonomy() -> Taxonomy:
    from importlib.resources import files

    text = files("newswatch").joinpath(DEFAULT_RESOURCE).read_text(encoding="utf-8")
    return parse_taxonomy(text, source=f"newswatch/{DEFAULT_RESOURCE}")


def read_alert_thresholds(path: Path | str | None = None) -> tuple[tuple[str, float | None], ...]:
    """(label, alert_threshold) of every topic, without compiling any pattern: what the alert
    function needs, at half the cost of :func:`load_taxonomy` on its first record. The ingest
    function validates the whole file with the same labels."""
    if path is None and _default_taxonomy.cache_info().currsize:
        return tuple((t.label, t.alert_threshold) for t in _default_taxonomy().topics)
    if path is None:
        from importlib.resources import files

        text, source = files("newswatch").joinpath(DEFAULT_RESOURCE).read_text("utf-8"), "default"
    else:
        try:
            text, source = Path(path).read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise TaxonomyError(f"cannot read taxonomy file {path}: {exc}") from exc
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{source}: not valid YAML: {exc}") from exc
    raw_topics = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(raw_topics, list) or not raw_topics:
        raise TaxonomyError(f"{source}: 'topics' must be a non-empty list")
    found = []
    for index, raw in enumerate(raw_topics, start=1):
        where = f"{source}: topic #{index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("label"), str):
            raise TaxonomyError(f"{where}: expected a mapping with a label")
        found.append((str(raw["label"]), _score(raw, "alert_threshold", where)))
    return tuple(found)


def parse_taxonomy(text: str, source: str = "<string>") -> Taxonomy:
    """Validate YAML text into a :class:`Taxonomy`, compiling every pattern once."""
    import yaml

    # libyaml's loader, when PyYAML was built with it, parses the default file ten times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or "topics" not in data:
        raise TaxonomyError(f"{source}: expected a mapping with a 'topics' list at the top level")
    raw_topics = data["topics"]
    if not isinstance(raw_topics, list) or not raw_topics:
        raise TaxonomyError(f"{source}: 'topics' must be a non-empty list")
    topics: list[Topic] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_topics, start=1):
        topic = _parse_topic(raw, f"{source}: topic #{index}")
        if topic.label in seen:
            raise TaxonomyError(f"{source}: duplicate topic label {topic.label!r}")
        seen.add(topic.label)
        topics.append(topic)
    for topic in topics:
        unknown = sorted(set(topic.background_in) - seen)
        if unknown or topic.label in topic.background_in:
            raise TaxonomyError(
                f"{source}: topic {topic.label!r}: background_in must name other topics of the "
                f"file, got {', '.join(unknown) or topic.label}"
            )
    return Taxonomy(topics=tuple(topics), source=source)


def _parse_topic(raw: Any, where: str) -> Topic:
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: expected a mapping, got {type(raw).__name__}")
    label = raw.get("label")
    if isinstance(label, str):
        where = f"{where} ({label!r})"
    missing = [key for key in _REQUIRED if raw.get(key) in (None, "", [])]
    if missing:
        raise TaxonomyError(f"{where}: missing required field(s): {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise TaxonomyError(f"{where}: unknown field(s): {', '.join(map(str, unknown))}")
    if not isinstance(label, str) or not _LABEL_RE.match(label):
        raise TaxonomyError(
            f"{where}: label must be lowercase letters, digits and underscores, got {label!r}"
        )
    description = raw["description"]
    if not isinstance(description, str):
        raise TaxonomyError(f"{where}: description must be a string")
    iptc = raw.get("iptc")
    if iptc is not None and (not isinstance(iptc, str) or not _IPTC_RE.match(iptc)):
        raise TaxonomyError(f"{where}: iptc must look like 'medtop:20000073', got {iptc!r}")
    threshold = _score(raw, "threshold", where)
    alert_threshold = _score(raw, "alert_threshold", where)
    strict_salience = raw.get("strict_salience", False)
    if not isinstance(strict_salience, bool):
        raise TaxonomyError(f"{where}: strict_salience must be true or false")
    topic = Topic(
        label=label,
        description=description.strip(),
        iptc=iptc,
        threshold=threshold,
        alert_threshold=alert_threshold,
        strict_salience=strict_salience,
        background_in=_strings(raw, "background_in", where),
        patterns=_patterns(raw, "patterns", where),
        weak_patterns=_patterns(raw, "weak_patterns", where),
        exclude=_patterns(raw, "exclude", where),
        examples=_strings(raw, "examples", where),
    )
    return topic


def _score(raw: dict[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TaxonomyError(f"{where}: {key} must be a number, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise TaxonomyError(f"{where}: {key} must be between 0 and 1, got {value}")
    return float(value)


def _strings(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TaxonomyError(f"{where}: {key} must be a list of strings, got {type(value).__name__}")
    for number, item in enumerate(value, start=1):
        if not isinstance(item, str) or not item.strip():
            raise TaxonomyError(
                f"{where}: {key} item {number} must be a non-empty string, got {item!r}"
                " (quote patterns that YAML reads as another type)"
            )
    return tuple(v.strip() for v in value)


def _patterns(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    patterns = _strings(raw, key, where)
    if not patterns:
        return patterns
    # The combined alternation is what the tagger runs; compiling it is the common, fast check.
    # Only when it fails is each pattern compiled alone, to name the culprit.
    try:
        combined = compile_patterns(patterns)
    except re.error:
        combined = None
    if combined is not None and not _matches_empty(combined):
        return patterns
    for pattern in patterns:
        try:
            compiled = re.compile(r"\b(?:" + pattern + r")\b", re.IGNORECASE)
        except re.error as exc:
            raise TaxonomyError(
                f"{where}: bad regular expression in {key}: {pattern!r}: {exc}"
            ) from exc
        if _matches_empty(compiled):
            raise TaxonomyError(f"{where}: pattern in {key} matches empty text: {pattern!r}")
    raise TaxonomyError(
        f"{where}: the {key} cannot be combined into one expression "
        "(inline flags or group references are not supported)"
    )


def _matches_empty(compiled: re.Pattern[str]) -> bool:
    return any(
        (m := compiled.match(probe)) is not None and m.end() == 0 for probe in ("a", "", " ")
    )
