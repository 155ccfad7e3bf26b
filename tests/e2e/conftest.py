"""The local stack for end-to-end tests: `newswatch local up --foreground` in a child process.

A child process, not a thread of the test session: the integration tests use moto's in-process
``mock_aws``, which patches botocore and resets moto's global backends, and would otherwise
intercept or wipe the stack the end-to-end tests talk to.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("moto.server", reason="the local stack needs the `local` extra (moto)")

from e2e_stack import CLI, REPO_ROOT, START_TIMEOUT, LocalStackProcess


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    folder = tmp_path_factory.mktemp("local-stack")
    state_path = folder / "state.json"
    log_path = folder / "stack.log"
    env = {**os.environ, "NEWSWATCH_LOCAL_STATE": str(state_path)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CLI, "local", "up", "--foreground", "--port", "0"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not state_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the local stack did not start:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)
        yield LocalStackProcess(state_path, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
