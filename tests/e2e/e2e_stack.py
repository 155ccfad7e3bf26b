"""Helpers of the end-to-end tests: the local stack as a child process, and the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0
CLI = [sys.executable, "-c", "import sys; from newswatch_tools.cli import main; sys.exit(main())"]


def run_cli(*args: str, timeout: float, env: dict[str, str] | None = None) -> Any:
    """Run `newswatch ARGS` in a child process from the repository root."""
    return subprocess.run(
        [*CLI, *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class LocalStackProcess:
    """The running stack: its state file and clients for it."""

    def __init__(self, state_path: Path, process: subprocess.Popen[bytes]) -> None:
        self.state_path = state_path
        self.process = process
        self.state: dict[str, Any] = json.loads(state_path.read_text(encoding="utf-8"))

    def client(self, service: str) -> Any:
        import boto3

        make_client: Any = boto3.client
        return make_client(
            service,
            endpoint_url=self.state["endpoint_url"],
            region_name=self.state["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def inbox(self) -> dict[str, list[dict[str, Any]]]:
        folder = Path(self.state["inbox_dir"])
        found: dict[str, list[dict[str, Any]]] = {}
        for name in self.state["subscribers"]:
            path = folder / f"{name}.jsonl"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            found[name] = [json.loads(line) for line in lines if line.strip()]
        return found

    def article_items(self, key: str) -> list[dict[str, Any]]:
        from newswatch.adapters.dynamodb_codec import deserialize_item
        from newswatch.domain.records import article_pk

        bucket = self.state["bucket"]
        response = self.client("dynamodb").query(
            TableName=self.state["table"],
            KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
            ExpressionAttributeValues={
                ":pk": {"S": article_pk(bucket, key)},
                ":v": {"S": "v#"},
            },
        )
        return [deserialize_item(item) for item in response.get("Items", [])]


@contextlib.contextmanager
def local_stack_process(folder: Path) -> Iterator[LocalStackProcess]:
    """`newswatch local up --foreground` on a free port, its state and log in ``folder``."""
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


def wait_for(condition: Callable[[], Any], timeout: float = 90.0, interval: float = 0.25) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout:.0f} s")
        time.sleep(interval)
