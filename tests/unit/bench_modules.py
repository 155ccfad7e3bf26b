"""The bench/ scripts as modules, for the tests of their helpers (bench/ is not a package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"


def load_bench(name: str) -> ModuleType:
    # A script run as `python bench/x.py` imports its siblings (speed.py: speed_stats, ...) by
    # name from its own folder; loaded here, it finds them at the end of the path.
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
