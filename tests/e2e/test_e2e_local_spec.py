"""The local stack reads its resources from template.yaml, and applies Lambda's event filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from e2e_stack import REPO_ROOT

from newswatch_tools.local.filters import matches, parse_filter_criteria, passes
from newswatch_tools.local.spec import load_spec
from newswatch_tools.local.template import Resolver, TemplateError, load_template, resolve_outputs


def test_the_stack_takes_names_keys_indexes_stream_and_event_sources_from_the_template() -> None:
    spec = load_spec(REPO_ROOT)
    template = load_template(REPO_ROOT / "template.yaml")
    table = template["Resources"]["ArticlesTable"]["Properties"]

    assert spec.table["KeySchema"] == table["KeySchema"]
    assert spec.table["AttributeDefinitions"] == table["AttributeDefinitions"]
    assert {g["IndexName"] for g in spec.table["GlobalSecondaryIndexes"]} == {"ByUploadDay"}
    assert spec.table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    # The bucket name is the template's !Sub with the local stack name and account.
    assert spec.bucket_name == "newswatch-local-articles-123456789012-us-east-1"
    assert spec.bucket_versioning

    ingest_queue = spec.queue("IngestQueue")
    redrive = template["Resources"]["IngestQueue"]["Properties"]["RedrivePolicy"]
    assert ingest_queue.dead_letter_id == "IngestDeadLetterQueue"
    assert ingest_queue.max_receive_count == int(redrive["maxReceiveCount"])

    ingest_events = template["Resources"]["IngestFunction"]["Properties"]["Events"]
    sqs_event = next(e["Properties"] for e in ingest_events.values() if e["Type"] == "SQS")
    assert spec.ingest_source.batch_size == sqs_event["BatchSize"]
    assert spec.ingest_source.report_batch_item_failures
    assert spec.ingest.handler_file == REPO_ROOT / "functions" / "ingest" / "app.py"

    alert_events = template["Resources"]["AlertFunction"]["Properties"]["Events"]
    stream_event = next(e["Properties"] for e in alert_events.values() if e["Type"] == "DynamoDB")
    assert spec.alert_source.batch_size == stream_event["BatchSize"]
    assert list(spec.alert_source.patterns) == parse_filter_criteria(stream_event["FilterCriteria"])
    assert spec.alert_source.on_failure_id == "AlertFailureQueue"
    assert spec.alert.handler_file == REPO_ROOT / "functions" / "alert" / "app.py"


def test_function_environment_resolves_the_template_references_to_local_names() -> None:
    spec = load_spec(REPO_ROOT)
    env = spec.alert.environment
    assert env["NEWSWATCH_TABLE"] == spec.table_name
    assert env["NEWSWATCH_TOPIC_ARN"].endswith(f":{spec.topic_name}")
    assert env["NEWSWATCH_WATCHED_TOPICS"] == ""  # no allow-list: every topic may alert
    assert env["NEWSWATCH_ARTICLE_LINK_EXPIRY_SECONDS"] == "604800"
    assert float(env["NEWSWATCH_MIN_TOPIC_SCORE"]) == pytest.approx(0.3)


def test_a_parameter_override_reaches_the_functions() -> None:
    spec = load_spec(REPO_ROOT, parameters={"WatchedTopics": "sanctions"})
    assert spec.ingest.environment["NEWSWATCH_WATCHED_TOPICS"] == "sanctions"


def test_an_unknown_parameter_is_refused_with_the_known_ones() -> None:
    with pytest.raises(TemplateError, match=r"WatchedTopic.*known: .*WatchedTopics"):
        load_spec(REPO_ROOT, parameters={"WatchedTopic": "sanctions"})


CFN = """
Parameters:
  Topics: {Type: CommaDelimitedList, Default: "a,b"}
  Mode: {Type: String, Default: fast}
Conditions:
  IsFast: !Equals [!Ref Mode, fast]
  IsSlow: !Not [!Condition IsFast]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: !Sub "${AWS::StackName}-alerts"}}
  Layer: {Type: AWS::Serverless::LayerVersion}
Outputs:
  QueueUrl: {Value: !Ref Queue}
  QueueArn: {Value: !GetAtt Queue.Arn}
  LayerArn: {Value: !Ref Layer}
  Joined: {Value: !Join [";", !Ref Topics]}
  Picked: {Value: !If [IsSlow, slow, !Select [1, !Split [",", "x,y,z"]]]}
"""


def test_the_resolver_evaluates_intrinsics_and_skips_outputs_of_resources_not_created(
    tmp_path: Path,
) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(CFN, encoding="utf-8")
    template = load_template(path)
    resolver = Resolver(template, endpoint_url="http://127.0.0.1:1")
    outputs = resolve_outputs(template, resolver, {"Queue", "Topic"})
    assert outputs == {
        "QueueUrl": "http://127.0.0.1:1/123456789012/newswatch-local-Queue",
        "QueueArn": "arn:aws:sqs:us-east-1:123456789012:newswatch-local-Queue",
        "Joined": "a;b",
        "Picked": "y",
    }
    assert resolver.resolve({"Fn::Sub": "${AWS::StackName}-alerts"}) == "newswatch-local-alerts"


ALERT_PATTERN = {
    "dynamodb": {"NewImage": {"type": {"S": ["article"]}, "status": {"S": ["processed"]}}}
}


def record(image: dict[str, str] | None) -> dict[str, object]:
    dynamodb: dict[str, object] = {"Keys": {"pk": {"S": "a"}}}
    if image is not None:
        dynamodb["NewImage"] = {k: {"S": v} for k, v in image.items()}
    return {"eventName": "INSERT" if image else "REMOVE", "dynamodb": dynamodb}


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ({"type": "article", "status": "processed"}, True),
        ({"type": "article", "status": "failed"}, False),
        ({"type": "topic", "status": "processed"}, False),
        ({"type": "article"}, False),
        (None, False),
    ],
)
def test_the_alert_filter_passes_only_processed_article_images(
    image: dict[str, str] | None, expected: bool
) -> None:
    assert passes(record(image), [ALERT_PATTERN]) is expected


def test_filter_operators_follow_lambda_event_filtering() -> None:
    event = {"body": {"n": 5, "name": "ceasefire-talks", "tags": ["a", "b"]}}
    assert matches({"body": {"n": [{"numeric": [">", 1, "<=", 5]}]}}, event)
    assert not matches({"body": {"n": [{"numeric": [">", 5]}]}}, event)
    assert matches({"body": {"name": [{"prefix": "cease"}]}}, event)
    assert matches({"body": {"name": [{"suffix": "talks"}]}}, event)
    assert matches({"body": {"name": [{"anything-but": ["other"]}]}}, event)
    assert not matches({"body": {"name": [{"anything-but": {"prefix": "cease"}}]}}, event)
    assert matches({"body": {"missing": [{"exists": False}]}}, event)
    assert not matches({"body": {"name": [{"exists": False}]}}, event)
    assert matches({"body": {"tags": ["b"]}}, event)
    assert matches({"body": {"name": [{"equals-ignore-case": "CEASEFIRE-TALKS"}]}}, event)
    # A string "5" is not the number 5.
    assert not matches({"body": {"n": ["5"]}}, event)
    assert passes(event, [])


def test_filter_criteria_patterns_are_json_strings() -> None:
    criteria = {"Filters": [{"Pattern": json.dumps(ALERT_PATTERN)}]}
    assert parse_filter_criteria(criteria) == [ALERT_PATTERN]
    assert parse_filter_criteria(None) == []
