"""The layout is the architecture: what Lambda runs (``layers/core/newswatch``) apart from the tools
(``tools/newswatch_tools``), and the arrows between the runtime's parts, checked on the source.

The import rules read every ``import`` statement (module level and inside functions) with ``ast``,
so a lazy import breaks a rule as surely as a top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYER = REPO / "layers" / "core"
RUNTIME = LAYER / "newswatch"
TOOLS = REPO / "tools" / "newswatch_tools"
HANDLERS = sorted((REPO / "functions").glob("*/app.py"))

# Developer tooling that must never be deployed to every function.
TOOL_NAMES = {"cli", "local", "bench", "evaluation", "report", "loadtest", "redrive"}


def _layer_files() -> list[Path]:
    """What `sam build` copies from the layer's ContentUri (build leftovers aside)."""
    return [
        p.relative_to(LAYER)
        for p in LAYER.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and not any(part.endswith(".egg-info") for part in p.parts)
    ]


def _imports(path: Path) -> Iterator[str]:
    """Every module an import statement of this file names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}: relative import; name the module in full")
            assert node.module is not None
            yield node.module
            # `from newswatch import settings` imports newswatch.settings.
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _ours(path: Path) -> set[str]:
    return {name for name in _imports(path) if name.split(".")[0].startswith("newswatch")}


def _modules(package: Path) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_layer_holds_the_runtime_package_and_its_requirements_only() -> None:
    files = _layer_files()
    assert Path("requirements.txt") in files
    assert Path("newswatch/__init__.py") in files
    # The Makefile is how `sam build` builds it (BuildMethod: makefile); it is not shipped.
    assert {p.parts[0] for p in files} == {"requirements.txt", "newswatch", "Makefile"}


def test_the_layer_ships_no_tool_code() -> None:
    shipped = [p for p in _layer_files() if {Path(part).stem for part in p.parts} & TOOL_NAMES]
    assert shipped == []
    # ...and the tools are where the `newswatch` command finds them.
    for name in ("cli/__init__.py", "local/stack.py", "evaluation.py", "report.py"):
        assert (TOOLS / name).is_file(), name


@pytest.mark.parametrize("path", _modules(RUNTIME), ids=lambda p: str(p.relative_to(RUNTIME)))
def test_the_runtime_never_imports_the_tools(path: Path) -> None:
    imported = set(_imports(path))
    assert not {m for m in imported if m.split(".")[0] == "newswatch_tools"}
    # Nor what only the tools install (the layer's requirements leave them out).
    assert not {m for m in imported if m.split(".")[0] in {"moto", "rich"}}


@pytest.mark.parametrize(
    "path", _modules(RUNTIME / "domain"), ids=lambda p: str(p.relative_to(RUNTIME))
)
def test_the_domain_imports_only_the_domain(path: Path) -> None:
    outside = {m for m in _ours(path) if not m.startswith("newswatch.domain")}
    assert outside == set()
    assert not {m for m in _imports(path) if m.split(".")[0] in {"boto3", "botocore"}}
