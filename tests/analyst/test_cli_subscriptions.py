"""The subscription commands against moto's SNS, and what their filter policies let through."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newswatch.adapters.sns import message_attributes
from newswatch.domain.alerts import AlertMessage
from newswatch.domain.subscriptions import filter_policy
from newswatch_tools.cli import main

REGION = "us-east-1"


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    state = tmp_path / "local.json"
    monkeypatch.setenv("NEWSWATCH_LOCAL_STATE", str(state))
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
        # endpoint_url None: moto intercepts the default AWS endpoints in-process.
        state.write_text(
            json.dumps(
                {"endpoint_url": None, "region": REGION, "outputs": {"AlertsTopicArn": topic_arn}}
            )
        )
        yield {"sns": sns, "topic_arn": topic_arn}


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_subscribe_list_unsubscribe(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "subscribe",
                "--sms",
                "+447700900123",
                "--topics",
                "aid,ceasefire",
                "--min-score",
                "0.4",
            ]
        )
        == 0
    )
    created = _json_lines(capsys.readouterr().out)[0]
    assert created["topics"] == ["aid", "ceasefire"]

    attributes = stack["sns"].get_subscription_attributes(SubscriptionArn=created["id"])[
        "Attributes"
    ]
    assert json.loads(attributes["FilterPolicy"]) == filter_policy(["aid", "ceasefire"], 0.4)
    assert attributes["FilterPolicyScope"] == "MessageAttributes"

    assert main(["subscriptions", "--json"]) == 0
    (listed,) = _json_lines(capsys.readouterr().out)
    assert listed["endpoint"] == "+447700900123"
    assert listed["topics"] == ["aid", "ceasefire"]
    assert listed["min_score"] == 0.4
    assert listed["kinds"] == ["alert"]

    assert main(["unsubscribe", created["id"].rsplit(":", 1)[-1]]) == 0
    capsys.readouterr()
    assert main(["subscriptions", "--json"]) == 0
    assert _json_lines(capsys.readouterr().out) == []


def test_bad_input_gets_a_clear_error(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["subscribe", "--email", "not-an-address", "--topics", "aid"]) == 2
    assert "not an email address" in capsys.readouterr().err
    assert main(["subscribe", "--email", "a@example.org", "--topics", "truce"]) == 2
    err = capsys.readouterr().err
    assert "unknown topic(s) truce" in err and "ceasefire" in err
    assert main(["unsubscribe", "nope"]) == 2
    assert "no subscription" in capsys.readouterr().err
    # Rounded up to the next 0.05 step, 0.97 would wait for a score of 1.00: it never fires.
    command = ["subscribe", "--sms", "+447700900123", "--topics", "aid", "--min-score", "0.97"]
    assert main(command) == 2
    assert "give at most 0.95" in capsys.readouterr().err
    # A filter SNS would refuse as too complex (more than 150 combinations of values).
    many = ["--topics", "aid,ceasefire,sanctions,displacement,casualties,attacks,military,rescue"]
    places = ["--places", "SD,SS,TD,ET,ER,SO,ML,NE,BF,NG", "--both"]
    assert main(["subscribe", "--email", "a@example.org", *many, *places]) == 2
    assert "8 topic(s) x 10 place(s) x 2 kind(s) make 160" in capsys.readouterr().err
    assert main(["subscriptions", "--json"]) == 0
    assert _json_lines(capsys.readouterr().out) == []


def _queue_subscriber(stack: dict[str, Any], name: str, policy: dict[str, Any]) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    stack["sns"].subscribe(
        TopicArn=stack["topic_arn"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(policy), "FilterPolicyScope": "MessageAttributes"},
    )
    return str(url)


def _publish(
    stack: dict[str, Any], kind: str, topics: list[str], score: float, **scores: float
) -> None:
    """Publish with the attributes the alert function sets: every topic at ``score``, unless
    ``scores`` gives it its own."""
    topic_scores = tuple((topic, scores.get(topic, score)) for topic in topics)
    message = AlertMessage(
        subject="s",
        default="d",
        email="e",
        sms="s",
        topics=tuple(topics),
        language="en",
        top_topic=topics[0],
        score=max(s for _, s in topic_scores),
        kind=kind,
        topic_scores=topic_scores,
    )
    stack["sns"].publish(
        TopicArn=stack["topic_arn"],
        Message=f"{kind} {topics}",
        MessageAttributes=message_attributes(message),
    )


def _received(url: str) -> list[str]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return sorted(json.loads(m["Body"])["Message"] for m in messages)


def test_filter_policies_select_topics_scores_and_digests(stack: dict[str, Any]) -> None:
    instant = _queue_subscriber(stack, "instant", filter_policy(["aid"], 0.5))
    digests = _queue_subscriber(stack, "digests", filter_policy(["aid"], None, ("digest",)))
    both = _queue_subscriber(
        stack, "both", filter_policy(["aid", "ceasefire"], None, ("alert", "digest"))
    )

    _publish(stack, "alert", ["aid", "displacement"], 0.8)
    _publish(stack, "alert", ["aid"], 0.3)  # below the instant subscriber's min score
    _publish(stack, "alert", ["sanctions"], 0.9)  # nobody watches sanctions
    _publish(stack, "digest", ["ceasefire"], 0.7)

    assert _received(instant) == ["alert ['aid', 'displacement']"]
    assert _received(digests) == []
    assert _received(both) == [
        "alert ['aid', 'displacement']",
        "alert ['aid']",
        "digest ['ceasefire']",
    ]


def test_a_min_score_judges_each_subscribed_topic_on_its_own_score(stack: dict[str, Any]) -> None:
    sanctions = _queue_subscriber(stack, "sanctions", filter_policy(["sanctions"], 0.5))
    several = _queue_subscriber(
        stack, "several", filter_policy(["sanctions", "aid", "displacement"], 0.5)
    )

    # The article's best topic (ceasefire 0.99) does not carry a weak sanctions score.
    _publish(stack, "alert", ["ceasefire", "sanctions"], 0.99, sanctions=0.45)
    _publish(stack, "alert", ["ceasefire", "sanctions"], 0.99, sanctions=0.5)
    # Two subscribed topics in one article: one delivery, not one per topic.
    _publish(stack, "alert", ["aid", "displacement"], 0.8)
    _publish(stack, "digest", ["sanctions"], 0.7)  # alerts only

    assert _received(sanctions) == ["alert ['ceasefire', 'sanctions']"]
    assert _received(several) == [
        "alert ['aid', 'displacement']",
        "alert ['ceasefire', 'sanctions']",
    ]


def test_subscribe_refuses_a_topic_the_stack_cannot_alert_on(
    stack: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "local.json"
    data = json.loads(state.read_text())
    data["outputs"]["AlertTopicsAllowed"] = "ceasefire,aid"
    state.write_text(json.dumps(data))

    assert main(["subscribe", "--sms", "+447700900123", "--topics", "sanctions,aid"]) == 2
    err = capsys.readouterr().err
    assert "sanctions cannot raise alerts on this stack" in err
    assert "ceasefire,aid" in err
    assert stack["sns"].list_subscriptions()["Subscriptions"] == []
    # Digests cover every topic, so a digest subscription is fine.
    assert main(["subscribe", "--sms", "+447700900123", "--topics", "sanctions", "--digest"]) == 0
    capsys.readouterr()

    data["outputs"]["AlertTopicsAllowed"] = "*"
    state.write_text(json.dumps(data))
    assert main(["subscribe", "--email", "a@example.org", "--topics", "sanctions"]) == 0
    out = capsys.readouterr().out
    assert "Local stack: nothing leaves this machine" in out
    assert "confirmation" not in out


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_the_ids_subscriptions_prints_are_accepted_by_unsubscribe_at_any_width(
    stack: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    columns: str,
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    made = []
    for email, topics in [("a.long.address@newsroom.example.org", "aid"), ("b@x.org", "aid")]:
        assert main(["subscribe", "--email", email, "--topics", topics]) == 0
        made.append(_json_lines(capsys.readouterr().out)[0]["id"].rsplit(":", 1)[-1])

    assert main(["subscriptions"]) == 0
    out = capsys.readouterr().out
    # Every id appears whole on one line of the output, whatever the width.
    for short in made:
        assert any(short in line for line in out.splitlines()), (short, out)
    assert "…" not in out

    for short in made:
        assert main(["unsubscribe", short]) == 0
    capsys.readouterr()
    assert main(["subscriptions", "--json"]) == 0
    assert _json_lines(capsys.readouterr().out) == []


def test_subscribe_by_place_validates_and_lists_the_places(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["subscribe", "--email", "desk@example.org", "--places", "SD,Narnia"]) == 2
    assert "unknown place(s): Narnia" in capsys.readouterr().err
    assert main(["subscribe", "--email", "desk@example.org"]) == 2
    assert "give --topics, --places or both" in capsys.readouterr().err

    args = ["subscribe", "--email", "desk@example.org", "--topics", "ceasefire"]
    assert main([*args, "--places", "Sudan,ss"]) == 0
    created = _json_lines(capsys.readouterr().out)[0]
    assert created["topics"] == ["ceasefire"] and created["places"] == ["SD", "SS"]
    attributes = stack["sns"].get_subscription_attributes(SubscriptionArn=created["id"])
    policy = json.loads(attributes["Attributes"]["FilterPolicy"])
    assert policy == filter_policy(["ceasefire"], places=["SD", "SS"])

    assert main(["subscribe", "--sms", "+447700900123", "--places", "UA", "--digest"]) == 0
    capsys.readouterr()
    assert main(["subscriptions", "--json"]) == 0
    rows = {r["endpoint"]: r for r in _json_lines(capsys.readouterr().out)}
    assert rows["+447700900123"]["places"] == ["UA"]
    assert rows["+447700900123"]["topics"] == [] and rows["+447700900123"]["kinds"] == ["digest"]


def test_sns_refusing_a_subscription_is_an_error_not_a_traceback(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Such as the topic's quota of 200 filter policies."""
    import botocore.client
    from botocore.exceptions import ClientError

    real = botocore.client.BaseClient._make_api_call

    def refuse(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "Subscribe":
            error = {"Error": {"Code": "FilterPolicyLimitExceeded", "Message": "Too many"}}
            raise ClientError(error, operation)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse)
    assert main(["subscribe", "--email", "a@example.org", "--topics", "aid"]) == 2
    assert "SNS refused the subscription: Too many" in capsys.readouterr().err


def test_a_second_subscribe_for_one_address_is_refused_unless_it_replaces(
    stack: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # SNS keeps one subscription per address and topic: a second `subscribe` would silently
    # replace the first (moto) or be refused by SNS (AWS). Either way the first choice was lost.
    first = ["subscribe", "--email", "desk@example.org", "--topics", "displacement", "--digest"]
    assert main(first) == 0
    created = _json_lines(capsys.readouterr().out)[0]
    second = ["subscribe", "--email", "desk@example.org", "--topics", "aid", "--both"]
    assert main(second) == 2
    capsys.readouterr()
    assert main(["subscribe", "--email", "DESK@Example.org", "--topics", "aid"]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert "desk@example.org is already subscribed" in error
    assert "topics displacement" in error and "--replace" in error
    assert main(["subscriptions", "--json"]) == 0
    (kept,) = _json_lines(capsys.readouterr().out)
    assert (kept["topics"], kept["kinds"]) == (["displacement"], ["digest"])

    combined = ["subscribe", "--email", "desk@example.org", "--topics", "displacement,aid"]
    assert main([*combined, "--both", "--replace"]) == 0
    out = capsys.readouterr().out
    assert _json_lines(out)[0]["id"] == created["id"]
    assert "Replaced what desk@example.org receives" in out
    assert main(["subscriptions", "--json"]) == 0
    (changed,) = _json_lines(capsys.readouterr().out)
    assert (sorted(changed["topics"]), changed["kinds"]) == (
        ["aid", "displacement"],
        ["alert", "digest"],
    )
    # another address is another subscription
    assert main(["subscribe", "--sms", "+447700900555", "--topics", "aid"]) == 0
