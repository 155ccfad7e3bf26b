"""The local stack's rough edges: a busy port, a stack killed with SIGKILL, a one-word article, and
the stream-record fixture that `sam local invoke AlertFunction -e` sends."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_stack import REPO_ROOT, LocalStackProcess, run_cli, wait_for
from rich.console import Console

from newswatch_tools.cli.local import clean_up_stale
from newswatch_tools.local.spec import load_spec
from newswatch_tools.local.state import process_alive, stray_workers

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")


def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps stderr at the terminal's width


def _state_env(tmp_path: Path) -> dict[str, str]:
    return {"NEWSWATCH_LOCAL_STATE": str(tmp_path / "state.json"), "COLUMNS": "200"}


@pytest.mark.parametrize("foreground", [False, True])
def test_a_busy_port_is_named_in_the_error(tmp_path: Path, foreground: bool) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["local", "up", "--port", str(port)] + (["--foreground"] if foreground else [])

        result = run_cli(*args, timeout=60, env=_state_env(tmp_path))

    assert result.returncode == 2, result.stderr
    assert f"127.0.0.1:{port} is in use; choose --port" in _flat(result.stderr)
    assert not (tmp_path / "state.json").exists()


def test_kill_9_of_the_stack_leaves_no_worker_and_the_next_up_starts_clean(
    tmp_path: Path,
) -> None:
    env = _state_env(tmp_path)
    started = run_cli("local", "up", "--port", "0", timeout=180, env=env)
    assert started.returncode == 0, started.stderr
    state = json.loads((tmp_path / "state.json").read_text())
    workers = stray_workers(state["pgid"])
    assert len(workers) >= 2  # ingest and alert environments (and multiprocessing's tracker)

    os.kill(state["pid"], signal.SIGKILL)

    wait_for(lambda: not any(process_alive(pid) for pid in workers), timeout=30)
    again = run_cli("local", "up", "--port", "0", timeout=180, env=env)
    try:
        assert again.returncode == 0, again.stderr
        assert "Cleaned up after the local stack that was killed" in _flat(again.stderr)
        assert json.loads((tmp_path / "state.json").read_text())["pid"] != state["pid"]
    finally:
        run_cli("local", "down", timeout=60, env=env)


def test_local_up_stops_workers_a_dead_stack_left_in_its_process_group(tmp_path: Path) -> None:
    # A "stack" (a session leader) that started a multiprocessing-like child and then died.
    leader = subprocess.run(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; child = subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(120)', '--multiprocessing-fork'], "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(child.pid)",
        ],
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    orphan = int(leader.stdout.strip())
    leader_pid = os.getpgid(orphan)
    assert process_alive(orphan) and not process_alive(leader_pid)
    state_path = tmp_path / "state.json"
    state_path.write_text(
        json.dumps(
            {
                "endpoint_url": "http://127.0.0.1:1",
                "pid": leader_pid,
                "pgid": leader_pid,
                "bucket": "b",
                "table": "t",
                "topic_arn": "arn",
                "stream_arn": "arn",
                "queues": {},
                "subscribers": {},
                "inbox_dir": str(tmp_path),
                "started_at": "2026-12-03T00:00:00+00:00",
            }
        )
    )

    stopped = clean_up_stale(state_path, Console(stderr=True))

    assert stopped == [orphan]
    wait_for(lambda: not process_alive(orphan), timeout=10)
    assert not state_path.exists()


def test_a_one_word_article_is_flagged_too_short_as_offline(
    local_stack: LocalStackProcess, tmp_path: Path
) -> None:
    path = tmp_path / "one-word.txt"
    path.write_bytes(b"Ceasefire\n")
    offline = run_cli("summarize", str(path), "--json", timeout=120)
    assert offline.returncode == 0, offline.stderr
    offline_record = json.loads(offline.stdout.splitlines()[-1])

    local_stack.client("s3").put_object(
        Bucket=local_stack.state["bucket"], Key="e2e/one-word.txt", Body=path.read_bytes()
    )
    [item] = wait_for(lambda: local_stack.article_items("e2e/one-word.txt"))

    assert item["status"] == "processed"
    assert "too_short" in item["flags"]
    assert item["flags"] == offline_record["flags"]
    assert item["headline"] == offline_record["headline"] == "Ceasefire"


def test_the_stream_insert_fixture_publishes_as_sam_local_invoke_runs_it(
    local_stack: LocalStackProcess,
) -> None:
    event = json.loads((REPO_ROOT / "events" / "dynamodb-stream-insert.json").read_text())
    image = event["Records"][0]["dynamodb"]["NewImage"]
    # As events/README.md says: the item is in the table, left by a publish that failed before
    # (alert_state retry, which the stack's own stream filter does not pass).
    dynamodb = local_stack.client("dynamodb")
    dynamodb.put_item(
        TableName=local_stack.state["table"], Item={**image, "alert_state": {"S": "retry"}}
    )
    endpoint = local_stack.state["endpoint_url"]
    spec = load_spec(REPO_ROOT, endpoint_url=endpoint)
    sam_env = json.loads((REPO_ROOT / "events" / "env.json").read_text())
    env: dict[str, Any] = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **{k: v for k, v in spec.alert.environment.items() if v},
        **sam_env["Parameters"],
        "AWS_ENDPOINT_URL": endpoint,  # env.json names the host as a container sees it
    }
    invoke = (
        "import json, sys; from newswatch_tools.local.functions import LocalFunction; "
        "from pathlib import Path; "
        "handler = LocalFunction('AlertFunction', Path('functions/alert/app.py')).load(); "
        "print(json.dumps(handler(json.load(open(sys.argv[1])), None)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", invoke, str(REPO_ROOT / "events" / "dynamodb-stream-insert.json")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"batchItemFailures": []}
    stored = dynamodb.get_item(
        TableName=local_stack.state["table"], Key={"pk": image["pk"], "sk": image["sk"]}
    )["Item"]
    assert stored["alert_state"]["S"] == "sent"
    assert stored["alert_message_id"]["S"]
