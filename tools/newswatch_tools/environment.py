"""Every environment variable the tools read or set, in one place (the runtime's own settings are
read by ``newswatch.settings`` alone).

Read: where the checkout is (``NEWSWATCH_PROJECT_ROOT``), where `newswatch local up` keeps the
running stack's state (``NEWSWATCH_LOCAL_STATE``), where the evaluation data is
(``NEWSWATCH_SHARED_DATA``), and the AWS region. Set: the dummy credentials the local emulator
accepts, and the template's environment for the functions the local stack runs, as Lambda sets it
for a function (in this process, restored afterwards, or in a function's own child process).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = "NEWSWATCH_PROJECT_ROOT"
LOCAL_STATE = "NEWSWATCH_LOCAL_STATE"
SHARED_DATA = "NEWSWATCH_SHARED_DATA"
DEFAULT_LOCAL_STATE = ".newswatch-local.json"


def _path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


def project_root() -> Path | None:
    """The checkout named by NEWSWATCH_PROJECT_ROOT, if set."""
    return _path(PROJECT_ROOT)


def local_state_path() -> Path | None:
    """The local stack's state file named by NEWSWATCH_LOCAL_STATE, if set."""
    return _path(LOCAL_STATE)


def shared_data() -> Path | None:
    """The evaluation data named by NEWSWATCH_SHARED_DATA, if set."""
    return _path(SHARED_DATA)


def aws_region() -> str | None:
    """The region the AWS SDK would use from the environment, if any."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def use_dummy_credentials() -> None:
    """The emulator accepts any credentials; dummies let a machine without AWS config use it."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")


def set_variables(values: Mapping[str, str]) -> dict[str, str | None]:
    """Set ``values``; returns what they replaced, for :func:`restore_variables`."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    return saved


def restore_variables(saved: Mapping[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
