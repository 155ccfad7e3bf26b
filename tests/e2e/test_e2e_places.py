"""Alerts by place on the local stack: subscribers with `places` in their filter policy (as
`newswatch subscribe --places` builds it), fed through S3 -> ingest -> stream -> alert -> SNS."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from e2e_stack import REPO_ROOT, LocalStackProcess, wait_for

from newswatch.domain.subscriptions import filter_policy

SUDAN = (REPO_ROOT / "seeds" / "sudan-ceasefire-darfur.txt").read_bytes()
# A ceasefire story about Ukraine worded like no seed (a near-duplicate would not alert again).
UKRAINE = b"""Ukraine and Russia agree a local truce around the Zaporizhzhia plant

Ukrainian and Russian officers agreed on Friday to a ceasefire within 30 kilometres of the \
Zaporizhzhia nuclear power plant, the International Atomic Energy Agency said in Vienna.

The truce lets engineers repair the last power line feeding the plant's cooling pumps, which \
shelling cut twice this month.

Kyiv said the ceasefire would be checked by inspectors based at the site, and Moscow said its \
forces would hold their positions while the work went on.

Residents of Enerhodar, the town next to the plant, said the guns had fallen silent overnight.
"""
SUDAN_MUSEUM = b"""Khartoum museum reopens its doors

The National Museum of Sudan in Khartoum reopened to visitors on Saturday after two years of \
restoration work on its galleries and gardens.

Sudanese archaeologists have catalogued thousands of objects from the kingdoms of Kush and \
Meroe, many of them shown to the public for the first time.

Curators in Khartoum said school groups from across Sudan had already booked visits for the \
coming months, and that a travelling exhibition would tour Port Sudan and Kassala next year.
"""


def _subscribe(stack: LocalStackProcess, name: str, policy: dict[str, Any]) -> str:
    sqs = stack.client("sqs")
    url = str(sqs.create_queue(QueueName=f"{name}-{uuid.uuid4().hex[:6]}")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    stack.client("sns").subscribe(
        TopicArn=stack.state["topic_arn"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"},
    )
    return url


def _received(stack: LocalStackProcess, url: str) -> list[str]:
    sqs = stack.client("sqs")
    bodies = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return bodies
        for message in batch:
            bodies.append(json.loads(message["Body"])["Message"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def delivered(local_stack: LocalStackProcess) -> dict[str, list[str]]:
    queues = {
        "ceasefire-in-sudan": _subscribe(
            local_stack, "ceasefire-sd", filter_policy(["ceasefire"], places=["SD"])
        ),
        "sudan": _subscribe(local_stack, "sudan", filter_policy([], places=["SD"])),
    }
    prefix = f"e2e-places/{uuid.uuid4().hex[:8]}/"
    s3 = local_stack.client("s3")
    keys = {"sudan": "sudan.txt", "ukraine": "ukraine.txt", "museum": "museum.txt"}
    for body, key in ((SUDAN, "sudan.txt"), (UKRAINE, "ukraine.txt"), (SUDAN_MUSEUM, "museum.txt")):
        s3.put_object(Bucket=local_stack.state["bucket"], Key=prefix + key, Body=body)

    def settled() -> bool:
        items = [i for key in keys.values() for i in local_stack.article_items(prefix + key)]
        return len(items) == 3 and all(i.get("alert_state") in ("sent", "none") for i in items)

    wait_for(settled, timeout=180)
    got: dict[str, list[str]] = {name: [] for name in queues}

    def both_sudan_messages_in() -> bool:
        for name, url in queues.items():
            got[name] += _received(local_stack, url)
        return len(got["sudan"]) >= 2

    wait_for(both_sudan_messages_in, timeout=60)
    return {name: [b.replace(prefix, "") for b in bodies] for name, bodies in got.items()}


def test_a_ceasefire_subscriber_in_sudan_gets_the_sudan_article_only(
    delivered: dict[str, list[str]],
) -> None:
    [alert] = [json.loads(m) for m in delivered["ceasefire-in-sudan"]]
    assert alert["key"] == "sudan.txt"
    assert [p["code"] for p in alert["places"]] == ["SD"]
    assert "ceasefire" in [t["label"] for t in alert["topics"]]


def test_a_place_only_subscriber_gets_every_article_about_the_country_once(
    delivered: dict[str, list[str]],
) -> None:
    alerts = [json.loads(m) for m in delivered["sudan"]]
    assert sorted(a["key"] for a in alerts) == ["museum.txt", "sudan.txt"]
    [museum] = [a for a in alerts if a["key"] == "museum.txt"]
    assert museum["topics"] == []  # no topic alerts on it: a place alert
