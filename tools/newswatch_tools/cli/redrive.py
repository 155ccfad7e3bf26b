"""`newswatch redrive`: replay the ingest dead-letter queue into the ingest queue (or list it)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from newswatch_tools import environment
from newswatch_tools.cli.connect import (
    DEFAULT_REGION,
    Connection,
    StackNotFoundError,
    add_connection_args,
    connect,
)

DEFAULT_MAX = 100


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "redrive",
        help="move messages from the ingest dead-letter queue back to the ingest queue",
        description=(
            "Replay messages that kept failing (after fixing their cause). Each message is sent "
            "to the ingest queue, then deleted from the dead-letter queue. Use --dry-run first "
            "to see which objects they are about."
        ),
    )
    parser.add_argument(
        "--queue-url", help="the dead-letter queue (default: the stack's IngestDeadLetterQueueUrl)"
    )
    parser.add_argument(
        "--to-queue-url",
        help="where to send them (default: the stack's IngestQueueUrl, or the queue whose "
        "redrive policy names the dead-letter queue)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list messages, move nothing")
    parser.add_argument(
        "--max", type=int, default=DEFAULT_MAX, help=f"at most N messages (default {DEFAULT_MAX})"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--wait-seconds",
        type=int,
        default=1,
        help="long-poll per receive; the run ends at the first empty receive (default 1)",
    )
    add_connection_args(parser)
    parser.set_defaults(func=run)


def _error(message: str) -> int:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return 2


def _connection(args: argparse.Namespace) -> Connection:
    try:
        return connect(args)
    except StackNotFoundError:
        if not args.queue_url:
            raise
    # An explicit queue URL needs no stack: just a client for the right endpoint and region.
    region = args.region or environment.aws_region() or DEFAULT_REGION
    return Connection(region, args.endpoint_url)


def _queues(args: argparse.Namespace, conn: Connection, sqs: Any) -> tuple[str, str]:
    from newswatch_tools.redrive import source_queue_url

    source: str = args.queue_url or conn.output("IngestDeadLetterQueueUrl")
    target: str | None = args.to_queue_url
    if target is None and (
        not args.queue_url or source == conn.outputs.get("IngestDeadLetterQueueUrl")
    ):
        target = conn.outputs.get("IngestQueueUrl")
    if target is None:
        target = source_queue_url(sqs, source)
    if target is None:
        raise StackNotFoundError(
            f"cannot tell which queue {source} is the dead-letter queue of: pass --to-queue-url"
        )
    return source, target


def run(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from newswatch_tools.redrive import Redriver, queue_depth

    if args.max < 1:
        return _error("--max must be at least 1")
    try:
        conn = _connection(args)
        sqs = conn.client("sqs")
        source, target = _queues(args, conn, sqs)
        redriver = Redriver(sqs, source, target, wait_seconds=max(0, args.wait_seconds))
        if args.dry_run:
            listed = redriver.peek(args.max)
            summary: dict[str, Any] = {
                "dry_run": True,
                "from": source,
                "to": target,
                "messages": [
                    {
                        "message_id": m.message_id,
                        "objects": list(m.objects),
                        "receives": m.receive_count,
                    }
                    for m in listed
                ],
            }
        else:
            result = redriver.move(args.max)
            summary = {
                "dry_run": False,
                "from": source,
                "to": target,
                "moved": [
                    {"message_id": m.message_id, "objects": list(m.objects)} for m in result.moved
                ],
                "failed": [
                    {"message_id": m.message_id, "objects": list(m.objects), "reason": reason}
                    for m, reason in result.failed
                ],
                "not_deleted": [
                    {"message_id": m.message_id, "objects": list(m.objects)}
                    for m in result.not_deleted
                ],
            }
        summary["left_in_dead_letter_queue"] = queue_depth(sqs, source)
    except StackNotFoundError as exc:
        return _error(str(exc))
    except (BotoCoreError, ClientError) as exc:
        return _error(f"AWS call failed: {exc}")
    _print(summary, as_json=args.json)
    failed = summary.get("failed") or summary.get("not_deleted")
    return 1 if failed else 0


def _print(summary: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    if summary["dry_run"]:
        messages = summary["messages"]
        print(f"dry run: {len(messages)} message(s) in {summary['from']} (nothing moved)")
        for m in messages:
            print(f"  {m['message_id']}  receives={m['receives']}  {', '.join(m['objects'])}")
    else:
        print(f"moved {len(summary['moved'])} message(s) from {summary['from']} to {summary['to']}")
        for m in summary["moved"]:
            print(f"  moved   {m['message_id']}  {', '.join(m['objects'])}")
        for m in summary["failed"]:
            print(f"  FAILED  {m['message_id']}  {', '.join(m['objects'])}: {m['reason']}")
        for m in summary["not_deleted"]:
            print(f"  COPIED  {m['message_id']}  {', '.join(m['objects'])} (also still in the DLQ)")
    print(f"dead-letter queue now holds about {summary['left_in_dead_letter_queue']} message(s)")
