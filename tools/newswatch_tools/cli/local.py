"""`newswatch local up|down|status|loadtest` and `newswatch demo`: the embedded AWS stack.

The stack (moto's server, the template's resources, pollers driving the real handlers) lives in
:mod:`newswatch_tools.local`; these commands start, inspect and stop it. moto is imported only
when a command runs (it is in the ``local`` extra, not in the Lambda layer).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newswatch_tools.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, positive_int

if TYPE_CHECKING:
    from rich.console import Console

    from newswatch_tools.local.runs import DemoResult
    from newswatch_tools.local.state import LocalState

DEFAULT_PORT = 4566
START_TIMEOUT = 120.0
# The load test's default bound: generous for one machine running every function (measured about
# 0.2-0.8 s per article on 2 busy cores).
LOADTEST_BASE_SECONDS = 120.0
LOADTEST_SECONDS_PER_ARTICLE = 1.5


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


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _progress(console: Console) -> Callable[[str], None]:
    return lambda message: console.print(escape(message), soft_wrap=True)


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

    err = _console(stderr=True)
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

    err = _console(stderr=True)
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

    err = _console(stderr=True)
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


def run_inbox(args: argparse.Namespace) -> int:
    from newswatch_tools.local.subscribers import read_deliveries

    state = _running_state()
    if state is None:
        _console(stderr=True).print(
            "No local stack is running: start it with `newswatch local up`."
        )
        return EXIT_FAILED
    deliveries = read_deliveries(Path(state.inbox_dir))
    if args.endpoint:
        deliveries = [d for d in deliveries if d["endpoint"] == args.endpoint]
    if args.json:
        print(json.dumps(deliveries, indent=2, ensure_ascii=False))
        return EXIT_OK
    out = _console()
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
    err = _console(stderr=True)
    state = _running_state()
    if state is None:
        err.print("No local stack is running: start it with `newswatch local up`.")
        return EXIT_FAILED
    status = stack_status(state)
    if args.json:
        print(json.dumps(status, indent=2))
        return EXIT_OK
    out = _console()
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


# -- demo and loadtest: a private stack in this process ---------------------------------------


@contextlib.contextmanager
def _functions_log(path: Path | None, prefix: str) -> Iterator[Path]:
    """Send the functions' stdout (powertools JSON logs and EMF metrics) to a file, so this
    command's own output stays readable (and parseable with --json)."""
    if path is None:
        handle, name = tempfile.mkstemp(prefix=f"newswatch-{prefix}-", suffix=".log")
        os.close(handle)
        path = Path(name)
    path.write_text("", encoding="utf-8")
    # Append mode: the functions' child processes append to the same file.
    with path.open("a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        yield path


def run_demo(args: argparse.Namespace) -> int:
    from newswatch_tools.local.runs import run_demo as demo
    from newswatch_tools.local.runs import seed_files
    from newswatch_tools.local.spec import ProjectNotFoundError, find_project_root
    from newswatch_tools.local.template import TemplateError

    err = _console(stderr=True)
    try:
        root = find_project_root()
        folder = args.seeds or root / "seeds"
        seeds = seed_files(folder)
    except (ProjectNotFoundError, FileNotFoundError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    if not seeds:
        err.print(f"[red]error:[/red] no files in {folder}")
        return EXIT_USAGE
    try:
        with _functions_log(args.log, "demo") as log_path:
            result = demo(
                seeds, timeout=args.timeout, progress=_progress(err), root=root, log_path=log_path
            )
    except TemplateError as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_demo(result)
    err.print(f"Functions' logs: {log_path}", soft_wrap=True)
    if not result.complete:
        err.print(
            f"[red]Not everything settled within {args.timeout:.0f} s[/red]"
            + (f": no record for {', '.join(result.missing)}" if result.missing else "")
        )
        return EXIT_FAILED
    return EXIT_OK


def _print_demo(result: DemoResult) -> None:
    from rich.table import Table
    from rich.text import Text

    out = _console()
    articles = Table(title=f"Articles ({len(result.articles)}, {result.seconds:.1f} s)")
    for column in ("key", "title", "status", "top topics", "summary"):
        articles.add_column(column, overflow="fold")
    for article in result.articles:
        top = ", ".join(f"{t['label']} {t['score']:.2f}" for t in article["scores"][:3])
        summary = article["summary"] or article["error"] or ""
        articles.add_row(
            Text(article["key"]),
            Text(article["headline"] or article["title"] or ""),
            Text(str(article["status"])),
            Text(top or "-"),
            Text(summary[:140] + ("..." if len(summary) > 140 else "")),
        )
    out.print(articles)

    alerts = Table(title="Alerts received by the demo subscribers")
    for column in ("subscriber", "filter", "article", "topics", "subject"):
        alerts.add_column(column, overflow="fold")
    for subscriber in result.subscribers:
        received = result.alerts.get(subscriber["name"], [])
        label = f"{subscriber['name']} ({subscriber['protocol']})"
        policy = "topics: " + ", ".join(subscriber["topics"])
        if not received:
            alerts.add_row(Text(label), Text(policy), "(nothing)", "", "")
        for alert in received:
            alerts.add_row(
                Text(label),
                Text(policy),
                Text(str(alert["key"])),
                Text(", ".join(alert["topics"])),
                Text(alert["subject"] or ""),
            )
    out.print(alerts)
    if any(result.digests.values()):
        digests = Table(title="Digests (the DigestFunction run once, as its schedule would)")
        for column in ("subscriber", "topics", "subject"):
            digests.add_column(column, overflow="fold")
        for name, found in result.digests.items():
            for digest in found:
                digests.add_row(
                    Text(name), Text(", ".join(digest["topics"])), Text(digest["subject"] or "")
                )
        out.print(digests)
    for subscriber in result.subscribers:
        for alert in result.alerts.get(subscriber["name"], []):
            if alert["protocol"] == "sms":
                out.print(
                    f"SMS to {escape(subscriber['name'])} ({len(alert['body'] or '')} chars): "
                    f"{escape(alert['body'] or '')}",
                    soft_wrap=True,
                )


def run_loadtest(args: argparse.Namespace) -> int:
    from newswatch_tools.local.loadtest import run_loadtest as loadtest
    from newswatch_tools.local.spec import ProjectNotFoundError
    from newswatch_tools.local.template import TemplateError

    err = _console(stderr=True)
    try:
        with _functions_log(args.log, "loadtest") as log_path:
            timeout = (
                args.timeout or LOADTEST_BASE_SECONDS + LOADTEST_SECONDS_PER_ARTICLE * args.count
            )
            result = loadtest(
                args.count,
                timeout=timeout,
                data_dir=args.data,
                generated=args.generated,
                log_path=log_path,
                progress=_progress(err),
                ingest_workers=args.workers,
                processes=not args.in_process,
            )
    except (ProjectNotFoundError, TemplateError) as error:
        err.print(f"[red]error:[/red] {escape(str(error))}")
        return EXIT_USAGE
    print(json.dumps(result))
    err.print(f"Functions' logs: {log_path}", soft_wrap=True)
    ok = (
        result["settled"]
        and result["lost"] == 0
        and result["duplicates_alerted"] == 0
        and result["alerts_received"] == result["alerts_expected"]
    )
    return EXIT_OK if ok else EXIT_FAILED
