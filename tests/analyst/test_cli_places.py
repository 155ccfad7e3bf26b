"""`newswatch articles --place`: codes or names, a clear error for anything else."""

from __future__ import annotations

import pytest

from newswatch_tools.cli import main
from newswatch_tools.cli.common import parse_places


def test_places_are_codes_or_names_repeated_or_comma_separated() -> None:
    assert parse_places(["SD,ss", "Ukraine", " sd "]) == ["SD", "SS", "UA"]
    assert parse_places(["United Kingdom", "UK"]) == ["GB"]
    with pytest.raises(ValueError, match=r"unknown place\(s\): Narnia, XX"):
        parse_places(["Narnia", "SD", "XX"])
    # A country no article is ever tagged with: a subscription to it would never fire.
    with pytest.raises(ValueError, match=r"no article is ever tagged Antarctica \(AQ\)"):
        parse_places(["Antarctica"])
    assert parse_places(["Congo", "Kosovo"]) == ["CD", "XK"]


def test_unknown_place_is_a_usage_error(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["articles", "--place", "Atlantis"]) == 2
    assert "unknown place(s): Atlantis" in capsys.readouterr().err


def test_articles_about_a_place_with_none_stored(
    archive_stack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["articles", "--place", "Sudan", "--since", "2026-01-01", "--json"]) == 0
    assert capsys.readouterr().out == ""
