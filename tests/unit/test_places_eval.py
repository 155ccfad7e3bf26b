"""`newswatch eval places`: per-country and micro P/R/F1, unjudged codes, the fixed split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newswatch_tools.cli import main
from newswatch_tools.evaluation_places import score_places, split_half


def test_micro_and_per_country_counts_leave_unjudged_codes_out() -> None:
    gold = [
        (frozenset({"SD"}), frozenset()),
        (frozenset({"UA"}), frozenset({"RU"})),
        (frozenset(), frozenset()),
    ]
    predicted = [{"SD", "FR"}, {"RU"}, {"GB"}]
    scores = score_places(gold, predicted).as_json()
    assert scores["micro"] == {"p": 0.3333, "r": 0.5, "f1": 0.4, "tp": 1, "fp": 2, "fn": 1}
    assert set(scores["countries"]) == {"SD", "FR", "UA", "GB"}  # RU is unjudged: no entry
    assert scores["countries"]["SD"]["f1"] == 1.0
    assert scores["countries"]["UA"] == {
        "p": 0.0, "r": 0.0, "f1": 0.0, "support": 1, "tp": 0, "fp": 0, "fn": 1
    }  # fmt: skip
    assert scores["countries"]["FR"]["fp"] == 1


def test_split_half_is_fixed_disjoint_and_covers_every_row() -> None:
    rows = [
        {"id": f"r{i}", "text": "t", "countries": [["SD", "UA", "GB"][i % 3]]} for i in range(40)
    ]
    fit, untouched = split_half(rows)
    assert split_half(list(reversed(rows))) == (fit, untouched)
    assert {r["id"] for r in fit}.isdisjoint(r["id"] for r in untouched)
    assert len(fit) + len(untouched) == 40
    for code in ("SD", "UA", "GB"):  # each country falls about evenly into both halves
        assert (
            abs(
                sum(code in r["countries"] for r in fit)
                - sum(code in r["countries"] for r in untouched)
            )
            <= 1
        )


def test_cli_eval_places_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {
            "text": "Sudan's army and the RSF agreed a ceasefire in Khartoum. Fighting in Sudan "
            "had displaced millions. Sudanese civilians returned home.",
            "countries": ["SD"],
        },
        {
            "text": "Ukraine said Russian drones hit Kyiv overnight. Ukrainian air defences "
            "shot most of them down. Ukraine asked for more missiles.",
            "countries": ["UA"],
            "unjudged_countries": ["RU"],
        },
    ]
    path = tmp_path / "places.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    assert main(["eval", "places", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["micro"] == {"p": 1.0, "r": 1.0, "f1": 1.0, "tp": 2, "fp": 0, "fn": 0}
    assert set(out["countries"]) == {"SD", "UA"}


def test_cli_eval_places_bad_row_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "x", "countries": "SD"}) + "\n")
    assert main(["eval", "places", str(path)]) == 2
    assert "countries must be a list" in capsys.readouterr().err
