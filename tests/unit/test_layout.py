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
TOOL_NAMES = {"cli", "local", "bench", "evaluation", "report", "html_report", "loadtest", "redrive"}


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
    for name in ("cli/__init__.py", "local/stack.py", "evaluation.py", "html_report.py"):
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


@pytest.mark.parametrize(
    "path", _modules(RUNTIME / "usecases"), ids=lambda p: str(p.relative_to(RUNTIME))
)
def test_use_cases_import_only_the_domain_the_ports_and_each_other(path: Path) -> None:
    allowed = ("newswatch.domain", "newswatch.ports", "newswatch.usecases")
    outside = {m for m in _ours(path) if not m.startswith(allowed)}
    assert outside == set()
    assert not {m for m in _imports(path) if m.split(".")[0] in {"boto3", "botocore"}}


def test_ports_import_only_the_domain() -> None:
    outside = {m for m in _ours(RUNTIME / "ports.py") if not m.startswith("newswatch.domain")}
    assert outside == set()


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_handlers_import_only_the_composition_root_the_use_cases_and_powertools(
    path: Path,
) -> None:
    allowed = ("newswatch.composition", "newswatch.usecases")
    ours = {m for m in _ours(path) if not m.startswith(allowed)}
    assert ours == set()
    others = {m.split(".")[0] for m in _imports(path) if not m.startswith("newswatch")}
    assert others <= {"__future__", "collections", "json", "typing", "aws_lambda_powertools"}


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.parent.name)
def test_handlers_are_short(path: Path) -> None:
    # "About 90 lines": decorators, parse, one use-case call, metrics and logs.
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 100


@pytest.mark.parametrize("path", [*_modules(RUNTIME), *HANDLERS], ids=str)
def test_only_settings_reads_the_environment(path: Path) -> None:
    if path == RUNTIME / "settings.py":
        return
    assert "os.environ" not in path.read_text(encoding="utf-8")
    assert "getenv" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", _modules(TOOLS), ids=str)
def test_the_tools_read_the_environment_in_one_module(path: Path) -> None:
    if path == TOOLS / "environment.py":
        return
    assert "os.environ" not in path.read_text(encoding="utf-8")
    assert "getenv" not in path.read_text(encoding="utf-8")


def test_modules_over_about_400_lines_say_why_at_the_top() -> None:
    long = []
    for path in [*_modules(RUNTIME), *_modules(TOOLS), *HANDLERS]:
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 420 and "Why this module is long" not in text[:3000]:
            long.append(str(path.relative_to(REPO)))
    assert long == []


@pytest.mark.parametrize("path", _modules(TOOLS / "local"), ids=lambda p: str(p.relative_to(TOOLS)))
def test_the_local_stack_never_imports_the_command_line(path: Path) -> None:
    assert not {m for m in _ours(path) if m.startswith("newswatch_tools.cli")}
