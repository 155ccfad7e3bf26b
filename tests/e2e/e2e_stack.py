"""Helpers of the end-to-end tests: the local stack as a child process, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0
CLI = [sys.executable, "-c", "import sys; from newswatch.cli import main; sys.exit(main())"]


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
        from boto3.dynamodb.types import TypeDeserializer

        deserializer = TypeDeserializer()
        bucket = self.state["bucket"]
        response = self.client("dynamodb").query(
            TableName=self.state["table"],
            KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
            ExpressionAttributeValues={
                ":pk": {"S": f"article#{bucket}/{key}"},
                ":v": {"S": "v#"},
            },
        )
        return [
            {name: deserializer.deserialize(value) for name, value in item.items()}
            for item in response.get("Items", [])
        ]


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
