"""`newswatch local up|down|status|loadtest` and `newswatch demo`: the embedded AWS stack.

The stack (moto's server, the template's resources, pollers driving the real handlers) lives in
:mod:`newswatch_tools.local`; these commands start, inspect and stop it. moto is imported only
when a command runs (it is in the ``local`` extra, not in the Lambda layer).

Why this module is long: the `local` sub-commands (up, down, status, inbox) share the state file,
the stale-stack clean-up and the banner; demo and loadtest live in local_runs.py.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch_tools.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    console,
    escape,
    positive_int,
)
from newswatch_tools.cli.local_runs import (
    LOADTEST_BASE_SECONDS,
    LOADTEST_SECONDS_PER_ARTICLE,
    run_demo,
    run_loadtest,
)

if TYPE_CHECKING:
    from rich.console import Console

    from newswatch_tools.local.state import LocalState

DEFAULT_PORT = 4566
START_TIMEOUT = 120.0


def register(subparsers: Any) -> None:
    local = subparsers.add_parser(
        "local",
        help="run the whole service offline on an embedded AWS emulator (moto)",
        description="The embedded local stack: moto's server with the resources of template.yaml "
        "and pollers that drive the real ingest and alert handlers.",
    )
    commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="start the stack (in the background unless --foreground)",
        description="Start the local stack on 127.0.0.1 and write .newswatch-local.json "
        "(NEWSWATCH_LOCAL_STATE) so other commands find it. Without --foreground it runs in the "
        "background until `newswatch local down`.",
    )
    up.add_argument("--port", type=_port, default=DEFAULT_PORT, help="default %(default)s")
    up.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default %(default)s); 0.0.0.0, or the Docker bridge's "
        "gateway, lets `sam local invoke` containers reach the stack",
    )
    up.add_argument(
        "--foreground", action="store_true", help="run in this terminal until Ctrl-C, with logs"
    )
    up.add_argument(
        "--param",
        action="append",
        default=[],
        type=_parameter,
        metavar="NAME=VALUE",
        help="a template parameter, like sam deploy --parameter-overrides (e.g. "
        "WatchedTopics=ceasefire,aid,sanctions); repeatable",
    )
    up.set_defaults(func=run_up)

    inbox = commands.add_parser(
        "inbox",
        help="every message the local stack delivered, to every subscription",
        description="What each subscription of the running local stack received (email, SMS, "
        "SQS, ... including those made with `newswatch subscribe` or the AWS CLI): subscription "
        "id, protocol, endpoint, topics, subject, the body its protocol gets, and the article key. "
        "Nothing leaves the machine: email and SMS deliveries are only recorded here.",
    )
    inbox.add_argument("--json", action="store_true", help="print a JSON array")
    inbox.add_argument("--endpoint", help="only deliveries to this endpoint (address, number, ARN)")
    inbox.set_defaults(func=run_inbox)

    digest = commands.add_parser(
        "digest",
        help="send the daily digests now, as the DigestFunction's schedule would",
        description="Run the DigestFunction once against the running local stack (the stack has "
        "no scheduler): every topic's digest of what arrived since its last one goes to its "
        "digest subscribers; `newswatch local inbox` shows what each received.",
    )
    digest.add_argument("--json", action="store_true", help="print the function's answer")
    digest.set_defaults(func=run_digest)

    down = commands.add_parser("down", help="stop the stack started by `newswatch local up`")
    down.set_defaults(func=run_down)

    status = commands.add_parser("status", help="endpoint, resources, queue depths, articles")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(func=run_status)

    load = commands.add_parser(
        "loadtest",
        help="upload N varied articles to a fresh stack and count what was stored and alerted",
        description="Start a private stack on a free port, upload N articles (from ../shared/data "
        "when present, else generated), wait until everything settled or --timeout, print one JSON "
        "object and stop.",
    )
    load.add_argument("--count", type=positive_int, default=100, help="default %(default)s")
    load.add_argument(
        "--timeout",
        type=float,
        help="seconds to wait for everything to settle "
        f"(default {LOADTEST_BASE_SECONDS:.0f} + {LOADTEST_SECONDS_PER_ARTICLE} per article)",
    )
    load.add_argument(
        "--workers",
        type=positive_int,
        help="ingest execution environments (processes); default: the template's "
        "MaximumConcurrency, at most one per CPU core",
    )
    source = load.add_mutually_exclusive_group()
    source.add_argument("--data", type=Path, help="evaluation data folder (default ../shared/data)")
    source.add_argument(
        "--generated", action="store_true", help="use generated articles, not the evaluation data"
    )
    load.add_argument(
        "--in-process",
        action="store_true",
        help="run the functions in this process, one invocation at a time, instead of one child "
        "process per execution environment",
    )
    load.add_argument("--log", type=Path, help="write the functions' logs here")
    load.set_defaults(func=run_loadtest)

    demo = subparsers.add_parser(
        "demo",
        help="run the seed articles through the whole service on the embedded stack",
        description="Start the local stack on a free port, upload every file in seeds/, wait until "
        "each is processed, show the articles and which subscriber got which alert, then stop.",
    )
    demo.add_argument("--json", action="store_true", help="print one JSON object")
    demo.add_argument("--seeds", type=Path, help="folder of articles (default: the repo's seeds/)")
    demo.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait (default %(default)s)"
    )
    demo.add_argument("--log", type=Path, help="write the functions' logs here")
    demo.set_defaults(func=run_demo)


def _port(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {raw!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0..65535, got {value}")
    return value


def _parameter(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {raw!r}")
    return name.strip(), value.strip()


def _running_state() -> LocalState | None:
    from newswatch_tools.local.state import load_state, process_alive

    state = load_state()
    if state is not None and process_alive(state.pid):
        return state
    return None


# -- up / down / status ---------------------------------------------------------------------


def run_up(args: argparse.Namespace) -> int:
    from newswatch_tools.local.stack import check_port_free
    from newswatch_tools.local.state import default_state_path

    err = console(stderr=True)
    running = _running_state()
    if running is not None:
        err.print(
            f"The local stack is already running at {running.endpoint_url} (pid {running.pid}); "
            "stop it with `newswatch local down`."
        )
        return EXIT_FAILED
    clean_up_stale(default_state_path(), err)
    if args.port:
        try:
            check_port_free(args.host, args.port)
        except OSError as error:
            err.print(f"[red]error:[/red] {escape(str(error))}")
            return EXIT_USAGE
    parameters = dict(args.param)
    if args.foreground:
        return _run_foreground(args.port, parameters, args.host)
    return _start_background(args.port, parameters, default_state_path(), err, args.host)


def _run_foreground(port: int, parameters: dict[str, str], host: str = "127.0.0.1") -> int:
    from newswatch_tools.local.spec import ProjectNotFoundError
    from newswatch_tools.local.stack import LocalStack, PortUnavailableError
    from newswatch_tools.local.template import TemplateError

    err = console(stderr=True)
    stack = LocalStack(port=port, host=host, parameters=parameters)
    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        state = stack.start()
    except (ProjectNotFoundError, TemplateError, FileNotFoundError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    except OSError as error:
        err.print(f"[red]error:[/red] cannot listen on {host}:{port}: {escape(str(error))}")
        return EXIT_USAGE if isinstance(error, PortUnavailableError) else EXIT_FAILED
    err.print(_banner(state, foreground=True), soft_wrap=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        err.print("Stopping the local stack...")
        stack.stop()
    return EXIT_OK


def _banner(state: LocalState, foreground: bool) -> str:
    endpoint = state.endpoint_url
    subscribers = ", ".join(
        f"{name} ({info['protocol']}: {', '.join(info['topics'])})"
        for name, info in state.subscribers.items()
    )
    return (
        f"[bold]newswatch local stack[/bold] at {endpoint} (pid {state.pid})\n"
        f"  bucket      {state.bucket}\n"
        f"  table       {state.table}\n"
        f"  topic       {state.topic_arn}\n"
        f"  subscribers {subscribers}\n"
        f"  inbox       {state.inbox_dir}/<subscriber>.jsonl\n"
        f"Drop a file:  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        f"aws --endpoint-url {endpoint} --region {state.region} s3 cp my.html s3://{state.bucket}/\n"
        "See it:       newswatch local status\n"
        + (
            "Stop:         Ctrl-C here, or `newswatch local down`"
            if foreground
            else "Stop:         newswatch local down"
        )
    )


def _start_background(
    port: int, parameters: dict[str, str], state_path: Path, err: Console, host: str = "127.0.0.1"
) -> int:
    from newswatch_tools.local.state import load_state, process_alive

    log_path = state_path.with_name(state_path.stem + ".log")
    state_path.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-c",
        "import sys; from newswatch_tools.cli import main; sys.exit(main())",
        "local",
        "up",
        "--foreground",
        "--port",
        str(port),
        "--host",
        host,
        *(f"--param={name}={value}" for name, value in parameters.items()),
    ]
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=os.getcwd()
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        state = load_state(state_path)
        if state is not None and state.pid == child.pid:
            err.print(_banner(state, foreground=False), soft_wrap=True)
            err.print(f"Logs:         {log_path}", soft_wrap=True)
            return EXIT_OK
        if child.poll() is not None or not process_alive(child.pid):
            err.print(f"[red]error:[/red] the local stack did not start; see {log_path}")
            return EXIT_FAILED
        time.sleep(0.2)
    child.terminate()
    err.print(f"[red]error:[/red] the local stack did not start in {START_TIMEOUT:.0f} s")
    return EXIT_FAILED


def clean_up_stale(state_path: Path, err: Console) -> list[int]:
    """After a stack that died without `local down` (``kill -9``, a crash): stop what is left of
    it (function environments in its process group) and remove its state file. The pids it
    stopped; none when the state file names a live stack or there is none."""
    from newswatch_tools.local.state import load_state, process_alive, stray_workers

    state = load_state(state_path)
    if state is None or process_alive(state.pid):
        return []
    stopped = []
    for pid in stray_workers(state.pgid or state.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            stopped.append(pid)
    state_path.unlink(missing_ok=True)
    err.print(
        f"Cleaned up after the local stack that was killed (pid {state.pid}): removed {state_path}"
        + (f" and stopped {len(stopped)} leftover worker process(es)." if stopped else "."),
        soft_wrap=True,
    )
    return stopped


def run_down(args: argparse.Namespace) -> int:
    from newswatch_tools.local.state import default_state_path, load_state, process_alive

    err = console(stderr=True)
    path = default_state_path()
    state = load_state(path)
    if state is None:
        err.print(f"No local stack is running (no state file at {path}).")
        return EXIT_OK
    if not process_alive(state.pid):
        path.unlink(missing_ok=True)
        err.print(f"The local stack (pid {state.pid}) was not running; removed {path}.")
        return EXIT_OK
    os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process_alive(state.pid):
        time.sleep(0.2)
    if process_alive(state.pid):
        err.print(f"[red]error:[/red] pid {state.pid} did not stop within 30 s")
        return EXIT_FAILED
    path.unlink(missing_ok=True)
    err.print(f"Stopped the local stack at {state.endpoint_url}.")
    return EXIT_OK


def stack_status(state: LocalState) -> dict[str, Any]:
    """What a running stack holds: queue depths, articles by status, alerts per subscriber."""
    from newswatch_tools.local.subscribers import read_inbox

    sqs = state.client("sqs")
    dynamodb = state.client("dynamodb")
    queues = {}
    for logical_id, url in state.queues.items():
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        queues[logical_id] = {
            "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        }
    statuses: dict[str, int] = {}
    paginator = dynamodb.get_paginator("scan")
    for page in paginator.paginate(
        TableName=state.table,
        FilterExpression="#t = :article",
        ProjectionExpression="#s",
        ExpressionAttributeNames={"#t": "type", "#s": "status"},
        ExpressionAttributeValues={":article": {"S": "article"}},
    ):
        for item in page.get("Items", []):
            status = item.get("status", {}).get("S", "?")
            statuses[status] = statuses.get(status, 0) + 1
    inbox = read_inbox(Path(state.inbox_dir)) if Path(state.inbox_dir).is_dir() else {}
    return {
        "endpoint_url": state.endpoint_url,
        "pid": state.pid,
        "started_at": state.started_at,
        "bucket": state.bucket,
        "table": state.table,
        "topic_arn": state.topic_arn,
        "queues": queues,
        "articles": statuses,
        "alerts": {name: len(items) for name, items in inbox.items()},
    }


def _readable(body: str) -> str:
    """A JSON body (SQS, Lambda, HTTPS subscribers) indented; a text body as it is."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def run_digest(args: argparse.Namespace) -> int:
    from newswatch_tools.local.stack import run_digest_once
    from newswatch_tools.local.state import default_state_path

    state = _running_state()
    if state is None:
        console(stderr=True).print("No local stack is running: start it with `newswatch local up`.")
        return EXIT_FAILED
    state_path = default_state_path()
    answer = run_digest_once(state, state_path.with_name(state_path.stem + ".log"))
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return EXIT_OK
    sent = answer.get("digests") or [] if isinstance(answer, dict) else []
    if not sent:
        console().print("No digest was due: nothing new since each topic's last digest.")
        return EXIT_OK
    console().print(
        f"Sent {len(sent)} digest(s); `newswatch local inbox` shows what each subscriber received."
    )
    return EXIT_OK


def run_inbox(args: argparse.Namespace) -> int:
    from newswatch_tools.local.subscribers import read_deliveries

    state = _running_state()
    if state is None:
        console(stderr=True).print("No local stack is running: start it with `newswatch local up`.")
        return EXIT_FAILED
    deliveries = read_deliveries(Path(state.inbox_dir))
    if args.endpoint:
        deliveries = [d for d in deliveries if d["endpoint"] == args.endpoint]
    if args.json:
        print(json.dumps(deliveries, indent=2, ensure_ascii=False))
        return EXIT_OK
    out = console()
    if not deliveries:
        out.print("No deliveries yet: subscribe (`newswatch subscribe`) and upload an article.")
        return EXIT_OK
    for number, entry in enumerate(deliveries, start=1):
        scope = ", ".join(entry["topics"]) or "(everything)"
        if entry.get("min_score") is not None:
            scope += f" from {entry['min_score']:.2f}"
        places = f"  places {', '.join(entry['places'])}" if entry.get("places") else ""
        out.print(
            f"[bold]#{number} {escape(entry['protocol'])} {escape(entry['endpoint'])}[/bold]  "
            f"subscription {escape(entry['subscription_id'].rsplit(':', 1)[-1])}  "
            f"topics {escape(scope)}{escape(places)}"
        )
        if entry.get("key"):
            out.print(f"  article  {escape(entry['key'])} ({escape(str(entry.get('reference')))})")
        if entry.get("subject") and entry["protocol"] != "sms":
            out.print(f"  subject  {escape(entry['subject'])}")
        out.print("  " + escape(_readable(entry["body"])).replace("\n", "\n  ") + "\n")
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    err = console(stderr=True)
    state = _running_state()
    if state is None:
        err.print("No local stack is running: start it with `newswatch local up`.")
        return EXIT_FAILED
    status = stack_status(state)
    if args.json:
        print(json.dumps(status, indent=2))
        return EXIT_OK
    out = console()
    out.print(f"[bold]newswatch local stack[/bold] at {status['endpoint_url']} (pid {state.pid})")
    out.print(f"  bucket    {status['bucket']}")
    out.print(f"  table     {status['table']}")
    articles = ", ".join(f"{k} {v}" for k, v in sorted(status["articles"].items())) or "none yet"
    out.print(f"  articles  {articles}")
    for name, depth in status["queues"].items():
        out.print(f"  queue     {name}: {depth['visible']} waiting, {depth['in_flight']} in flight")
    for name, count in status["alerts"].items():
        out.print(f"  inbox     {name}: {count} message(s)")
    return EXIT_OK
