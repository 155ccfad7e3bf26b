"""The running local stack's address book: ``.newswatch-local.json`` (``NEWSWATCH_LOCAL_STATE``).

``newswatch local up`` writes it; every other command finds the stack through it (see
:mod:`newswatch_tools.cli.connect`): ``endpoint_url``, ``region`` and ``outputs`` (the
template's output keys, so the local stack looks like a deployed one) plus what only the local
stack has (its process id, the demo subscribers and where their inbox is).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from newswatch_tools import environment
from newswatch_tools.local.template import REGION

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def default_state_path() -> Path:
    """Where `newswatch local up` writes the running stack's endpoint and resource names:
    NEWSWATCH_LOCAL_STATE, else ``.newswatch-local.json`` in the checkout (the folder of
    template.yaml), so every command finds the stack from any folder, not only the one it was
    started in."""
    from newswatch_tools.local.spec import ProjectNotFoundError, find_project_root

    explicit = environment.local_state_path()
    if explicit is not None:
        return explicit
    # This checkout's stack first: a command of another checkout's venv, run from inside this
    # one, must not find (or stop) this one's stack. Then the folder's (an installed package).
    for start in (Path(__file__).resolve(), None):
        try:
            return find_project_root(start) / environment.DEFAULT_LOCAL_STATE
        except ProjectNotFoundError:
            continue
    return Path(environment.DEFAULT_LOCAL_STATE)


def inbox_dir_for(state_path: Path) -> Path:
    """Where the demo subscribers' deliveries go: ``.newswatch-local-inbox/`` beside the state."""
    return state_path.parent / f"{state_path.stem}-inbox"


@dataclass(frozen=True)
class LocalState:
    endpoint_url: str
    pid: int
    bucket: str
    table: str
    topic_arn: str
    stream_arn: str
    # Logical ID -> queue URL (IngestQueue, IngestDeadLetterQueue, AlertFailureQueue).
    queues: dict[str, str]
    # Subscriber name -> {"protocol", "topics", "queue_url", "subscription_arn"}.
    subscribers: dict[str, dict[str, Any]]
    inbox_dir: str
    started_at: str
    # The template's Outputs as the local stack resolves them (ArticlesBucketName, ...).
    outputs: dict[str, str] = field(default_factory=dict)
    region: str = REGION
    stack_name: str = "newswatch-local"
    # The stack's process group: its function environments (child processes) are in it.
    pgid: int = 0
    # The template parameters it was started with (`newswatch local up --param`).
    parameters: dict[str, str] = field(default_factory=dict)

    def client_kwargs(self) -> dict[str, str]:
        """Arguments for ``boto3.client(service, **state.client_kwargs())``."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }

    def client(self, service: str) -> Any:
        import boto3

        # The service name is a run-time value, so boto3-stubs' per-service overloads cannot apply.
        make_client: Any = boto3.client
        return make_client(service, **self.client_kwargs())

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        tmp.replace(path)
        return path


def load_state(path: Path | None = None) -> LocalState | None:
    """The state of the running local stack, or None when there is none."""
    path = path or default_state_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    known = LocalState.__dataclass_fields__
    return LocalState(**{k: v for k, v in data.items() if k in known})


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed process nobody has reaped yet (a zombie, e.g. in a container whose init does not
    # reap) still answers signal 0; /proc says it is gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): signal 0 is all there is
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def stray_workers(pgid: int) -> list[int]:
    """Live function environments (multiprocessing children) left in process group ``pgid``.

    Linux only (it reads /proc; elsewhere the children end themselves when their stack dies, see
    newswatch.local.runtime). Only processes whose command line is a multiprocessing child are
    named, so a process group id reused by something else is never touched.
    """
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and brackets.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and b"multiprocessing" in cmdline:
            found.append(pid)
    return sorted(found)
