"""What several commands share: their exit codes, the argparse types of their options, the rich
console they print through (rich is imported when a command prints, not at start-up) and the
reading of places as users type them."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def score(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def parse_places(values: Iterable[str]) -> list[str]:
    """ISO alpha-2 codes for codes or country names as typed (repeated or comma-separated);
    ValueError naming each one that is no country."""
    from newswatch.domain.places import load_gazetteer

    gazetteer = load_gazetteer()
    codes: list[str] = []
    unknown: list[str] = []
    for value in (v.strip() for raw in values for v in raw.split(",")):
        if not value:
            continue
        code = gazetteer.resolve(value)
        if code is None:
            unknown.append(value)
        elif not gazetteer.taggable(code):
            raise ValueError(
                f"no article is ever tagged {gazetteer.name(code)} ({code}): its names count as "
                "an area, like Africa, not as a country"
            )
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise ValueError(
            f"unknown place(s): {', '.join(unknown)}; give ISO 3166-1 alpha-2 codes (SD, UA, "
            "PS) or country names (Sudan, Ukraine)"
        )
    return codes


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def progress_printer(console: Console) -> Callable[[str], None]:
    return lambda message: console.print(escape(message), soft_wrap=True)
