"""The translated template deploys: moto's CloudFormation creates the stack with every resource and
every output, for both summarizer engines, and the resources it creates have the settings the
pipeline relies on. Also: no circular dependency between resources."""

from __future__ import annotations

import graphlib
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newswatch_tools.local.template import references

pytestmark = [
    pytest.mark.tools,
    # moto warns about each resource type it accepts without emulating (see MOTO_UNEMULATED).
    pytest.mark.filterwarnings("ignore:Tried to parse AWS.*not supported by moto:UserWarning"),
]

REGION = "us-east-1"
ACCOUNT = "123456789012"
CODE_BUCKET = "newswatch-test-artifacts"  # as tests/template/sam_translate.py packages CodeUri
IMAGE_URI = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/newswatch-ingest-ml:test"
# Optional subscriptions switched on, so their resources are created too.
SUBSCRIBED = {
    "AlertEmail": "desk@example.org",
    "AlertPhoneNumber": "+447700900123",
    "AlarmEmail": "oncall@example.org",
}
# Outputs the `newswatch --stack NAME` CLI and the README rely on.
STABLE_OUTPUTS = {
    "ArticlesBucketName",
    "IngestQueueUrl",
    "IngestDeadLetterQueueUrl",
    "ArticlesTableName",
    "AlertsTopicArn",
    "IngestFunctionName",
    "AlertFunctionName",
    "DigestFunctionName",
    "AlertFailureQueueUrl",
}


# Resource types moto's CloudFormation accepts without creating anything.
MOTO_UNEMULATED = {
    "AWS::CloudWatch::Alarm",
    "AWS::SNS::Subscription",
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
}


def test_no_circular_dependency(transformed: dict[str, Any]) -> None:
    resources = transformed["Resources"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        depends = resource.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else depends
        refs = references(resource.get("Properties", {})) | set(depends)
        graph[logical_id] = {r for r in refs if r in resources}
    order = list(graph_order(graph))
    assert set(order) == set(resources)
    # The bucket's notification needs the queue policy first, and the policy names the bucket by
    # !Sub (not !Ref), which is what keeps this graph acyclic.
    assert order.index("IngestQueuePolicy") < order.index("ArticlesBucket")


def graph_order(graph: dict[str, set[str]]) -> Iterator[str]:
    yield from graphlib.TopologicalSorter(graph).static_order()  # raises CycleError on a cycle


def _condition_true(template: dict[str, Any], name: str, params: dict[str, str]) -> bool:
    """Evaluate the template's conditions (Equals / Not / Condition over parameters)."""

    def value(arg: Any) -> str:
        if isinstance(arg, dict) and "Ref" in arg:
            default = template["Parameters"][arg["Ref"]].get("Default", "")
            return str(params.get(arg["Ref"], default))
        return str(arg)

    def truth(expression: dict[str, Any]) -> bool:
        ((key, arg),) = expression.items()
        if key == "Fn::Equals":
            return value(arg[0]) == value(arg[1])
        if key == "Fn::Not":
            return not truth(arg[0])
        if key == "Condition":
            return truth(template["Conditions"][arg])
        raise AssertionError(f"condition function {key} not understood by this test")

    return truth(template["Conditions"][name])


def _code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _deploy(transformed: dict[str, Any], stack_name: str, params: dict[str, str]) -> dict[str, Any]:
    """Create the stack in moto; return its description, resources and the clients to look."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=CODE_BUCKET)
    for logical_id in transformed["Resources"]:
        s3.put_object(Bucket=CODE_BUCKET, Key=f"{logical_id}.zip", Body=_code_zip())
    cfn = boto3.client("cloudformation", region_name=REGION)
    cfn.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(transformed),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    summaries = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    return {
        "stack": stack,
        "outputs": {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])},
        "resources": summaries,
        "physical": {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries},
    }


def _expected_resources(transformed: dict[str, Any], params: dict[str, str]) -> set[str]:
    return {
        logical_id
        for logical_id, resource in transformed["Resources"].items()
        if "Condition" not in resource
        or _condition_true(transformed, resource["Condition"], params)
    }


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def _check_created(
    deployed: dict[str, Any], transformed: dict[str, Any], params: dict[str, str]
) -> tuple[set[str], set[str]]:
    assert deployed["stack"]["StackStatus"] == "CREATE_COMPLETE"
    expected = _expected_resources(transformed, params)
    summaries = deployed["resources"]
    assert all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in summaries)
    # Every resource moto emulates is created under its logical ID, and no other; the rest (alarms,
    # subscriptions, bucket and queue policies, and resources whose condition is false) moto
    # accepts and lists without a logical ID. cfn-lint and the structure tests cover those.
    named = {r["LogicalResourceId"] for r in summaries if r["LogicalResourceId"]}
    emulated = {
        logical_id
        for logical_id in expected
        if transformed["Resources"][logical_id]["Type"] not in MOTO_UNEMULATED
    }
    assert named == emulated
    assert len(summaries) == len(transformed["Resources"])
    assert set(deployed["outputs"]) == set(transformed["Outputs"])
    assert all(deployed["outputs"][key] for key in STABLE_OUTPUTS)
    return expected, named


def test_stack_creates_every_resource_and_output(
    aws: None, transformed: dict[str, Any], template: dict[str, Any]
) -> None:
    expected, named = _check_created(
        _deploy(transformed, "newswatch-test", SUBSCRIBED), transformed, SUBSCRIBED
    )
    assert "IngestFunction" in expected and "IngestMlFunction" not in expected
    assert {"AlertEmailSubscription", "AlertSmsSubscription", "AlarmEmailSubscription"} <= expected
    assert {
        "ArticlesBucket",
        "IngestQueue",
        "IngestDeadLetterQueue",
        "AlertFailureQueue",
        "ArticlesTable",
        "AlertsTopic",
        "IngestFunction",
        "AlertFunction",
        "DigestFunction",
    } <= named


def test_optional_subscriptions_are_left_out_when_not_set(
    aws: None, transformed: dict[str, Any]
) -> None:
    expected, _ = _check_created(_deploy(transformed, "newswatch-bare", {}), transformed, {})
    assert not expected & {"AlertEmailSubscription", "AlertSmsSubscription"}
    assert "AlarmEmailSubscription" not in expected


def test_outputs_name_the_created_resources(aws: None, transformed: dict[str, Any]) -> None:
    deployed = _deploy(transformed, "newswatch-test", SUBSCRIBED)
    outputs, physical = deployed["outputs"], deployed["physical"]
    assert set(outputs) >= STABLE_OUTPUTS
    assert outputs["ArticlesBucketName"] == f"newswatch-test-articles-{ACCOUNT}-{REGION}"
    assert outputs["IngestFunctionName"] == physical["IngestFunction"]
    assert outputs["AlertFunctionName"] == physical["AlertFunction"]
    assert outputs["DigestFunctionName"] == physical["DigestFunction"]
    assert outputs["SummarizerEngine"] == "extractive"

    s3 = boto3.client("s3", region_name=REGION)
    bucket = outputs["ArticlesBucketName"]
    # (moto's CloudFormation applies a bucket's encryption but not its versioning or
    # notifications; test_template_structure.py checks those properties.)
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.get_queue_attributes(QueueUrl=outputs["IngestQueueUrl"], AttributeNames=["All"])
    attributes = queue["Attributes"]
    assert attributes["VisibilityTimeout"] == "360"  # 6 x the ingest function's 60 s
    redrive = json.loads(attributes["RedrivePolicy"])
    dlq = sqs.get_queue_attributes(
        QueueUrl=outputs["IngestDeadLetterQueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    assert redrive == {"deadLetterTargetArn": dlq, "maxReceiveCount": 5}
    for url in (outputs["IngestDeadLetterQueueUrl"], outputs["AlertFailureQueueUrl"]):
        assert sqs.get_queue_attributes(QueueUrl=url)["ResponseMetadata"]["HTTPStatusCode"] == 200

    table = boto3.client("dynamodb", region_name=REGION).describe_table(
        TableName=outputs["ArticlesTableName"]
    )["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "pk": "HASH",
        "sk": "RANGE",
    }
    indexes = {
        i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
        for i in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {"ByUploadDay": ["upload_day", "uploaded_at"]}
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"

    topic = boto3.client("sns", region_name=REGION).get_topic_attributes(
        TopicArn=outputs["AlertsTopicArn"]
    )
    assert topic["Attributes"]["KmsMasterKeyId"]

    lam = boto3.client("lambda", region_name=REGION)
    for key in ("IngestFunctionName", "AlertFunctionName", "DigestFunctionName"):
        # (moto keeps a function's runtime and environment, not its architecture or tracing.)
        config = lam.get_function_configuration(FunctionName=outputs[key])
        assert config["Runtime"] == "python3.12"
        assert config["Environment"]["Variables"]["NEWSWATCH_TABLE"] == outputs["ArticlesTableName"]
    mappings = lam.list_event_source_mappings(FunctionName=outputs["IngestFunctionName"])
    (ingest_source,) = mappings["EventSourceMappings"]
    assert ingest_source["EventSourceArn"] == attributes["QueueArn"]
    assert ingest_source["BatchSize"] == 10


def test_transformers_engine_switches_the_ingest_function(
    aws: None, transformed: dict[str, Any]
) -> None:
    params = {"SummarizerEngine": "transformers", "IngestMlImageUri": IMAGE_URI}
    deployed = _deploy(transformed, "newswatch-ml", params)
    expected, named = _check_created(deployed, transformed, params)
    assert "IngestMlFunction" in named and "IngestFunction" not in expected
    assert "IngestFunctionArticles" not in expected  # the zip function's queue mapping
    outputs = deployed["outputs"]
    assert outputs["IngestFunctionName"] == deployed["physical"]["IngestMlFunction"]
    assert outputs["SummarizerEngine"] == "transformers"
    sqs = boto3.client("sqs", region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=outputs["IngestQueueUrl"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "1800"  # 6 x the image function's 300 s
    lam = boto3.client("lambda", region_name=REGION)
    # (moto creates every function as a zip; the structure tests check PackageType Image.)
    (source,) = lam.list_event_source_mappings(FunctionName=outputs["IngestFunctionName"])[
        "EventSourceMappings"
    ]
    assert source["EventSourceArn"] == attributes["QueueArn"]
