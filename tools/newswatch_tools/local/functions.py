"""Load the real Lambda handlers from ``functions/`` and call them as Lambda would."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from newswatch.adapters.lambda_context import LocalContext
from newswatch_tools.local.template import ACCOUNT_ID, REGION

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class LocalFunction:
    """One function of the template: its handler and what Lambda would give it."""

    name: str
    handler_file: Path
    handler_name: str = "lambda_handler"
    memory_mb: int = 512
    timeout_seconds: float = 30.0
    environment: Mapping[str, str] = field(default_factory=dict)

    def load(self) -> Handler:
        """Import the handler file under a private module name (both handlers are ``app.py``),
        with a fresh composition root, as a new execution environment would have."""
        from newswatch import composition

        composition.reset()
        if not self.handler_file.is_file():
            raise FileNotFoundError(f"handler {self.handler_file} not found")
        module_name = f"newswatch_local_{self.name.lower()}"
        spec = importlib.util.spec_from_file_location(module_name, self.handler_file)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {self.handler_file}")
        module: ModuleType = importlib.util.module_from_spec(spec)
        code_dir = str(self.handler_file.parent)
        # Lambda puts the code directory on the path, so a handler may import its sibling files.
        sys.path.insert(0, code_dir)
        try:
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(code_dir)
        handler: Handler = getattr(module, self.handler_name)
        return handler

    def context(self) -> LocalContext:
        return LocalContext(
            function_name=self.name,
            memory_limit_in_mb=self.memory_mb,
            invoked_function_arn=self.arn,
            log_group_name=f"/aws/lambda/{self.name}",
            timeout_seconds=self.timeout_seconds,
        )

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"
