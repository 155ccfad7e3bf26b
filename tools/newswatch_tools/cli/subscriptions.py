"""`newswatch subscribe | subscriptions | unsubscribe`: manage who gets which alerts."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from newswatch.domain.errors import NewswatchError
from newswatch_tools.cli.common import parse_places
from newswatch_tools.cli.connect import StackNotFoundError, add_connection_args, connect


def register(subparsers: Any) -> None:
    sub = subparsers.add_parser(
        "subscribe",
        help="subscribe an email address or phone number to topics",
        description="Create an SNS subscription whose filter policy selects the chosen topics, "
        "each judged on its own score when --min-score is given. The subscriber receives one "
        "message per article, naming its topics. Email subscribers must click the link in the "
        "confirmation mail AWS sends.",
    )
    who = sub.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="email address")
    who.add_argument("--sms", help="phone number in E.164 form, e.g. +447700900123")
    sub.add_argument("--topics", help="comma-separated topics, e.g. ceasefire,aid")
    sub.add_argument(
        "--places",
        help="comma-separated countries (ISO codes or names), e.g. SD,SS or Sudan: only articles "
        "about them; with --topics both must match, alone any topic",
    )
    sub.add_argument(
        "--min-score",
        type=float,
        help="only articles that score at least S on one of these topics (rounded up to 0.05)",
    )
    what = sub.add_mutually_exclusive_group()
    what.add_argument("--digest", action="store_true", help="daily digests only")
    what.add_argument("--both", action="store_true", help="instant alerts and daily digests")
    sub.add_argument("--taxonomy", type=Path, help="the deployment's taxonomy, if not the default")
    sub.add_argument(
        "--replace",
        action="store_true",
        help="change what this address already receives (SNS keeps one subscription per address)",
    )
    add_connection_args(sub)
    sub.set_defaults(func=run_subscribe)

    listing = subparsers.add_parser("subscriptions", help="list subscriptions and their topics")
    listing.add_argument("--json", action="store_true", help="one JSON object per subscription")
    add_connection_args(listing)
    listing.set_defaults(func=run_list)

    unsub = subparsers.add_parser("unsubscribe", help="remove a subscription by its id (ARN)")
    unsub.add_argument("subscription_id")
    add_connection_args(unsub)
    unsub.set_defaults(func=run_unsubscribe)


def _fail(message: str) -> int:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False)
    return 2


def run_subscribe(args: argparse.Namespace) -> int:
    from newswatch.domain import subscriptions as subs
    from newswatch.domain.taxonomy import load_taxonomy

    try:
        subscriber = (
            subs.email_subscriber(args.email) if args.email else subs.sms_subscriber(args.sms)
        )
        if not args.topics and not args.places:
            return _fail("give --topics, --places or both")
        if args.min_score is not None and not args.topics:
            return _fail("--min-score applies to topics: give --topics too")
        known = [topic.label for topic in load_taxonomy(args.taxonomy).topics]
        topics = subs.validate_topics(args.topics.split(","), known) if args.topics else []
        places = parse_places([args.places or ""])
        kinds = ("digest",) if args.digest else ("alert", "digest") if args.both else ("alert",)
        policy = subs.filter_policy(topics, args.min_score, kinds, places=places)
        conn = connect(args)
    except (NewswatchError, StackNotFoundError, ValueError) as error:
        return _fail(str(error))
    allowed = conn.outputs.get("AlertTopicsAllowed", "*")
    mute = [t for t in topics if allowed != "*" and t not in allowed.split(",")]
    if "alert" in kinds and mute:
        return _fail(
            f"{', '.join(mute)} cannot raise alerts on this stack: its WatchedTopics allow-list "
            f"is {allowed}. Subscribe to those topics, take --digest, or deploy with "
            "WatchedTopics empty so that every topic alerts."
        )
    min_score = None if args.min_score is None else subs.min_score_level(args.min_score)
    from botocore.exceptions import ClientError

    sns, topic_arn = conn.client("sns"), conn.output("AlertsTopicArn")
    existing = [
        row
        for row in list_subscriptions(sns, topic_arn)
        # Mail systems treat addresses case-blind: DESK@example.org is desk@example.org.
        if (row["protocol"], row["endpoint"].lower())
        == (subscriber.protocol, subscriber.endpoint.lower())
    ]
    try:
        if existing and not args.replace:
            # SNS keeps one subscription per address and topic: a second `subscribe` would
            # silently replace what the first chose (moto) or be refused (AWS).
            return _fail(_already_subscribed(existing[0]))
        if existing and not existing[0]["id"].startswith("arn:"):
            return _fail(
                f"{subscriber.endpoint} has not confirmed its subscription yet: confirm it, "
                "then change it with --replace"
            )
        if existing:
            subscription_arn = existing[0]["id"]
            sns.set_subscription_attributes(
                SubscriptionArn=subscription_arn,
                AttributeName="FilterPolicy",
                AttributeValue=json.dumps(policy),
            )
        else:
            subscription_arn = sns.subscribe(
                TopicArn=topic_arn,
                Protocol=subscriber.protocol,
                Endpoint=subscriber.endpoint,
                Attributes={
                    "FilterPolicy": json.dumps(policy),
                    "FilterPolicyScope": "MessageAttributes",
                },
                ReturnSubscriptionArn=True,
            )["SubscriptionArn"]
    except ClientError as error:
        # A quota (200 filter policies a topic by default), a refused endpoint...: SNS's words.
        return _fail(f"SNS refused the subscription: {error.response['Error'].get('Message')}")
    print(
        json.dumps(
            {
                "id": subscription_arn,
                "protocol": subscriber.protocol,
                "endpoint": subscriber.endpoint,
                "topics": topics,
                "places": places,
                "min_score": min_score,
                "kinds": list(kinds),
            }
        )
    )
    if existing:
        print(f"Replaced what {subscriber.endpoint} receives (it was: {_receives(existing[0])}).")
    if min_score is not None and min_score != args.min_score:
        print(f"--min-score {args.min_score} is taken as {min_score:.2f} (filters use 0.05 steps).")
    if conn.local and not existing:
        print(
            "Local stack: nothing leaves this machine; `newswatch local inbox` shows what this "
            "subscriber receives."
        )
    elif subscriber.protocol == "email" and not existing:
        print(
            f"AWS has sent a confirmation link to {subscriber.endpoint}; nothing is delivered "
            "until it is clicked."
        )
    return 0


def _receives(row: dict[str, Any]) -> str:
    described = dict(_described(row))
    return "; ".join(
        f"{name} {described[name]}" for name in ("topics", "places", "min score", "receives")
    )


def _already_subscribed(row: dict[str, Any]) -> str:
    return (
        f"{row['endpoint']} is already subscribed ({_receives(row)}; id {short_id(row['id'])}). "
        "SNS keeps one subscription per address: give everything it should receive in one "
        "`newswatch subscribe` and add --replace to change it (or `newswatch unsubscribe` it "
        "first)."
    )


def list_subscriptions(sns: Any, topic_arn: str) -> list[dict[str, Any]]:
    from newswatch.domain.subscriptions import describe_policy, policy_places

    rows: list[dict[str, Any]] = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for item in page["Subscriptions"]:
            arn = item["SubscriptionArn"]
            row: dict[str, Any] = {
                "id": arn,
                "protocol": item["Protocol"],
                "endpoint": item["Endpoint"],
                "confirmed": arn != "PendingConfirmation",
                "topics": [],
                "places": [],
                "min_score": None,
                "kinds": [],
            }
            if row["confirmed"]:
                attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
                row["confirmed"] = attributes.get("PendingConfirmation", "false") != "true"
                policy = json.loads(attributes.get("FilterPolicy") or "{}")
                row["topics"], row["min_score"], kinds = describe_policy(policy)
                # A place subscriber's digests are the per-country kinds: all are "digest".
                row["kinds"] = list(dict.fromkeys(k if k == "alert" else "digest" for k in kinds))
                row["places"] = policy_places(policy)
            rows.append(row)
    return rows


def run_list(args: argparse.Namespace) -> int:
    try:
        conn = connect(args)
    except StackNotFoundError as error:
        return _fail(str(error))
    rows = list_subscriptions(conn.client("sns"), conn.output("AlertsTopicArn"))
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    from rich.console import Console

    console = Console()
    if console.width >= WIDE_TABLE_COLUMNS:
        console.print(_subscriptions_table(rows))
        return 0
    # A narrow terminal: one block per subscription. The id is printed whole on a line of its
    # own (soft wrap: the terminal may wrap it, but no character is cut or replaced by "…"), so
    # what `unsubscribe` needs can always be copied.
    for row in rows:
        console.print(short_id(row["id"]), style="bold", soft_wrap=True, highlight=False)
        for name, value in _described(row):
            console.print(f"  {name:<10} {value}", soft_wrap=True, highlight=False)
    return 0


# Below this many columns the table would have to cut the ids short.
WIDE_TABLE_COLUMNS = 110


def short_id(arn: str) -> str:
    """The id `subscriptions` prints and `unsubscribe` accepts: the ARN's last part."""
    return arn.rsplit(":", 1)[-1]


_FIELDS = ("protocol", "endpoint", "topics", "places", "min score", "receives", "confirmed")


def _described(row: dict[str, Any]) -> list[tuple[str, str]]:
    values = (
        row["protocol"],
        row["endpoint"],
        ", ".join(row["topics"]) or "(all)",
        ", ".join(row.get("places") or ()) or "(all)",
        "-" if row["min_score"] is None else f"{row['min_score']:.2f}",
        " + ".join(row["kinds"]),
        "yes" if row["confirmed"] else "pending",
    )
    return list(zip(_FIELDS, values, strict=True))


def _subscriptions_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table()
    # The id never wraps or shrinks; the other columns fold when space is short.
    widest = max((len(short_id(row["id"])) for row in rows), default=2)
    table.add_column("id", no_wrap=True, min_width=widest)
    for name in _FIELDS:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(short_id(row["id"]), *(value for _, value in _described(row)))
    return table


def run_unsubscribe(args: argparse.Namespace) -> int:
    try:
        conn = connect(args)
    except StackNotFoundError as error:
        return _fail(str(error))
    sns = conn.client("sns")
    topic_arn = conn.output("AlertsTopicArn")
    ids = {row["id"] for row in list_subscriptions(sns, topic_arn)}
    target = args.subscription_id
    if target not in ids:
        # Accept the short id the table prints (the ARN's last part).
        matches = [arn for arn in ids if short_id(arn) == target]
        if len(matches) != 1:
            return _fail(f"no subscription {target!r} on this stack; see `newswatch subscriptions`")
        target = matches[0]
    sns.unsubscribe(SubscriptionArn=target)
    print(json.dumps({"unsubscribed": target}))
    return 0
