"""`newswatch eval summaries|topics` on small fixtures whose scores are worked out by hand."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from newswatch_tools.cli import main
from newswatch_tools.evaluation import (
    EvaluationError,
    read_jsonl,
    rouge,
    score_topics,
    select_half,
    split_half,
    with_texts,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eval"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert main([*argv, "--json"]) == 0
    result: dict[str, object] = json.loads(capsys.readouterr().out)
    return result


def test_eval_summaries_scores_engine_and_lead3(capsys: pytest.CaptureFixture[str]) -> None:
    # Each reference is the article's first sentence and a one-sentence summary picks it (100).
    # Lead-3 adds the two other sentences. rouge-score lower-cases, and Porter-stems tokens longer
    # than 3 characters. Row 1: reference "storm flood the river town" (5 tokens, 4 bigrams), Lead-3
    # 10 tokens / 9 bigrams: R1 = 2*(5/10*1)/(5/10+1) = 2/3, R2 = 2*(4/9)/(4/9+1) = 8/13,
    # Lsum = R1 (one reference sentence, found whole). Row 2: 6 of 10 tokens, 5 of 9 bigrams:
    # R1 = 2*(0.6)/(1.6) = 3/4, R2 = 2*(5/9)/(14/9) = 5/7, Lsum = 3/4.
    result = run_json(
        capsys, "eval", "summaries", str(FIXTURES / "summaries.jsonl"), "--sentences", "1"
    )
    assert result["rows"] == 2
    assert result["engine"] == {"rouge1": 100.0, "rouge2": 100.0, "rougeLsum": 100.0}
    r1 = round(100 * (2 / 3 + 3 / 4) / 2, 2)
    r2 = round(100 * (8 / 13 + 5 / 7) / 2, 2)
    assert result["lead3"] == {"rouge1": r1, "rouge2": r2, "rougeLsum": r1}


def test_eval_summaries_default_length_on_short_articles_is_the_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Three-sentence articles are "too short" for a three-sentence summary: engine == Lead-3.
    result = run_json(capsys, "eval", "summaries", str(FIXTURES / "summaries.jsonl"))
    assert result["engine"] == result["lead3"]


def test_eval_summaries_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "summaries", str(FIXTURES / "summaries.jsonl"), "--ratio", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "Lead-3" in out
    assert "ROUGE-Lsum" in out


def test_eval_topics_per_topic_and_macro(capsys: pytest.CaptureFixture[str]) -> None:
    # floods: rows 1 and 3 found, row 6 (no flood word) missed -> tp 2, fp 0, fn 1: P 1, R 2/3,
    # F1 0.8. fires: row 2 found, row 3 predicted but not gold -> tp 1, fp 1: P 0.5, R 1, F1 2/3.
    # quakes: the taxonomy has no such topic -> 0. Macro over the 3 gold labels: (0.8+2/3+0)/3.
    result = run_json(
        capsys,
        "eval",
        "topics",
        str(FIXTURES / "topics.jsonl"),
        "--taxonomy",
        str(FIXTURES / "taxonomy.yaml"),
    )
    assert result["rows"] == 6
    # No alert_threshold in the taxonomy: a topic alerts from the minimum score (0.3).
    assert result["topics"] == {
        "fires": {
            "p": 0.5,
            "r": 1.0,
            "f1": round(2 / 3, 4),
            "support": 1,
            "tp": 1,
            "fp": 1,
            "alert_threshold": 0.3,
        },
        "floods": {
            "p": 1.0,
            "r": round(2 / 3, 4),
            "f1": 0.8,
            "support": 3,
            "tp": 2,
            "fp": 0,
            "alert_threshold": 0.3,
        },
        "quakes": {"p": 0.0, "r": 0.0, "f1": 0.0, "support": 1, "tp": 0, "fp": 0},
    }
    assert result["macro_f1"] == round((0.8 + 2 / 3) / 3, 4)
    # micro: tp 3, fp 1, fn 1 + 0 + 1 = 2 -> P 3/4, R 3/5, F1 2/3
    assert result["micro"] == {
        "p": 0.75,
        "r": 0.6,
        "f1": round(2 / 3, 4),
        "tp": 3,
        "fp": 1,
        "fn": 2,
    }


ARTICLES = [
    # judged on every topic: floods found (tp), fires found but not gold (fp)
    {"id": "a1", "text": "The floods and fires hit the town.", "project_topics": ["floods"]},
    # fires not judged here (the annotators disagreed): its tag counts neither way
    {
        "id": "a2",
        "text": "A wildfire burned for days.",
        "project_topics": [],
        "judged_topics": ["floods"],
    },
    # floods judged and gold, never found (fn); fires judged, neither gold nor found
    {
        "id": "a3",
        "text": "Heavy rain fell on the valley.",
        "project_topics": ["floods"],
        "judged_topics": ["floods", "fires"],
    },
]


def write_rows(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_eval_topics_honours_judged_topics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write_rows(tmp_path / "articles.jsonl", ARTICLES)
    result = run_json(
        capsys, "eval", "topics", str(rows), "--taxonomy", str(FIXTURES / "taxonomy.yaml")
    )
    topics = result["topics"]
    assert isinstance(topics, dict)
    assert (topics["floods"]["tp"], topics["floods"]["fp"], topics["floods"]["support"]) == (
        1,
        0,
        2,
    )
    # fires: one false alert (a1); a2's fires tag is not judged and does not count
    assert (topics["fires"]["tp"], topics["fires"]["fp"], topics["fires"]["support"]) == (0, 1, 0)
    assert result["micro"] == {"p": 0.5, "r": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}
    # macro over the topics with gold rows only (fires has none)
    assert result["macro_f1"] == round(2 * 1 * 0.5 / 1.5, 4)


def test_eval_topics_takes_texts_from_a_second_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # labels kept apart from articles that may not be copied: joined by id at run time
    labels = [{k: v for k, v in row.items() if k != "text"} for row in ARTICLES]
    label_file = write_rows(tmp_path / "labels.jsonl", labels)
    texts = write_rows(
        tmp_path / "texts.jsonl", [{"id": r["id"], "text": r["text"]} for r in reversed(ARTICLES)]
    )
    taxonomy = ["--taxonomy", str(FIXTURES / "taxonomy.yaml")]
    joined = run_json(capsys, "eval", "topics", str(label_file), "--texts", str(texts), *taxonomy)
    whole = run_json(
        capsys, "eval", "topics", str(write_rows(tmp_path / "a.jsonl", ARTICLES)), *taxonomy
    )
    assert joined == whole
    assert joined["micro"] == {"p": 0.5, "r": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1}


def test_a_label_row_without_its_text_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = write_rows(tmp_path / "labels.jsonl", [{"id": "gone", "project_topics": []}])
    texts = write_rows(tmp_path / "texts.jsonl", [{"id": "a1", "text": "Floods."}])
    assert main(["eval", "topics", str(labels), "--texts", str(texts)]) == 2
    assert "no text for id 'gone'" in capsys.readouterr().err
    with pytest.raises(EvaluationError, match="no text for id"):
        with_texts([{"id": "gone", "project_topics": []}], [])


def test_eval_topics_counts_only_tags_that_would_alert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # fires alerts only from 0.99: its tag on a1 is stored but would not alert
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(
        (FIXTURES / "taxonomy.yaml").read_text(encoding="utf-8") + "    alert_threshold: 0.99\n",
        encoding="utf-8",
    )
    rows = write_rows(tmp_path / "articles.jsonl", ARTICLES)
    result = run_json(capsys, "eval", "topics", str(rows), "--taxonomy", str(taxonomy))
    topics = result["topics"]
    assert isinstance(topics, dict)
    assert "fires" not in topics  # no gold row and no alert: nothing to score
    assert result["micro"] == {"p": 1.0, "r": 0.5, "f1": round(2 / 3, 4), "tp": 1, "fp": 0, "fn": 1}
    # the P/R curve still shows what lower thresholds would give
    curve = result["curves"]
    assert isinstance(curve, dict)
    floods = curve["floods"]
    assert [point["threshold"] for point in floods] == sorted(p["threshold"] for p in floods)
    assert floods[0]["r"] == 0.5
    assert floods[-1]["threshold"] == 0.95
    # micro over every judged topic at one threshold: the fires tag on a1 is a false alert there
    low = result["micro_curve"][0]  # type: ignore[index]
    assert (low["tp"], low["fp"], low["r"]) == (1, 1, 0.5)


def test_split_half_is_fixed_disjoint_and_balanced() -> None:
    rows = [
        {"id": f"r{i}", "text": f"t{i}", "project_topics": ["a"] if i % 5 == 0 else []}
        for i in range(40)
    ]
    fit, untouched = split_half(rows)
    assert split_half(rows) == (fit, untouched)
    assert len(fit) == len(untouched) == 20
    assert {r["id"] for r in fit}.isdisjoint(r["id"] for r in untouched)
    # the 8 rows with topic "a" are dealt out evenly
    assert sum(1 for r in fit if r["project_topics"]) == 4
    assert select_half(rows, "untouched") == untouched
    assert select_half(rows, None) == rows
    # another seed, another split
    assert split_half(rows, seed="other")[0] != fit


def test_eval_half_option_measures_one_half(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["eval", "topics", str(FIXTURES / "topics.jsonl")]
    argv += ["--taxonomy", str(FIXTURES / "taxonomy.yaml")]
    fit = run_json(capsys, *argv, "--half", "fit")
    untouched = run_json(capsys, *argv, "--half", "untouched")
    assert fit["rows"] == untouched["rows"] == 3


def test_eval_topics_table(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["eval", "topics", str(FIXTURES / "topics.jsonl")]
    assert main([*argv, "--taxonomy", str(FIXTURES / "taxonomy.yaml")]) == 0
    out = capsys.readouterr().out
    assert "floods" in out
    assert "micro" in out
    assert "macro" in out


def test_score_topics_counts() -> None:
    scores = score_topics(
        gold=[{"a"}, {"a", "b"}, set(), {"b"}],
        predicted=[{"a"}, {"a"}, {"a", "c"}, {"b"}],
    )
    assert list(scores.topics) == ["a", "b"]  # "c" is never gold: not scored
    a, b = scores.topics["a"], scores.topics["b"]
    assert (a.tp, a.fp, a.fn) == (2, 1, 0)
    assert (b.tp, b.fp, b.fn) == (1, 0, 1)
    assert a.precision == pytest.approx(2 / 3)
    assert b.recall == pytest.approx(1 / 2)
    assert scores.macro_f1 == pytest.approx((0.8 + 2 / 3) / 2)


def test_rouge_identical_and_disjoint() -> None:
    assert rouge(["The cat sat."], [["The cat sat."]]) == {
        "rouge1": 100.0,
        "rouge2": 100.0,
        "rougeLsum": 100.0,
    }
    assert rouge(["Red apples."], [["Blue sky."]])["rouge1"] == 0.0


def test_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "summary": "y"}\n\n{not json}\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match=r"bad.jsonl:3: not valid JSON"):
        read_jsonl(bad, ("text", "summary"))
    bad.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match="missing field"):
        read_jsonl(bad, ("text", "summary"))


def test_cli_reports_a_bad_file_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "rows.jsonl"
    bad.write_text('{"text": "An article."}\n', encoding="utf-8")
    assert main(["eval", "topics", str(bad)]) == 2
    assert "missing field(s) project_topics" in capsys.readouterr().err
    assert main(["eval", "summaries", str(tmp_path / "absent.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_missing_rouge_score_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rouge_score", None)
    with pytest.raises(EvaluationError, match=r"newswatch\[eval\]"):
        rouge(["a"], [["a"]])
