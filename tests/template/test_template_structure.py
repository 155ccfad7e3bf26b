"""What template.yaml promises, read from the template and from its SAM translation: least-privilege
roles, encryption everywhere, TLS-only access, partial batch failures, the stream filter, the data
model's table, the parameters, the alarms, and handler files that exist."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest
from template_support import REPO, resources_of_type

FUNCTIONS = ("IngestFunction", "IngestMlFunction", "AlertFunction", "DigestFunction")
ZIP_FUNCTIONS = ("IngestFunction", "AlertFunction", "DigestFunction")
BUCKET_NAME_SUB = "${AWS::StackName}-articles-${AWS::AccountId}-${AWS::Region}"
# Actions that have no resource-level permissions, so "*" is the narrowest resource there is.
STAR_ONLY_ACTIONS = {"cloudwatch:PutMetricData"}
# Managed policies SAM attaches: logs, X-Ray, and polling the event sources.
ALLOWED_MANAGED = {
    "AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
}
# The environment of every function (team data model / settings.py).
ENVIRONMENT = {
    "NEWSWATCH_TABLE",
    "NEWSWATCH_TOPIC_ARN",
    "NEWSWATCH_WATCHED_TOPICS",
    "NEWSWATCH_MIN_TOPIC_SCORE",
    "NEWSWATCH_SUMMARY_SENTENCES",
    "NEWSWATCH_MAX_ARTICLE_BYTES",
    "NEWSWATCH_ENGINE",
    "NEWSWATCH_ARTICLE_LINK_EXPIRY_SECONDS",
    "NEWSWATCH_ARTICLE_BASE_URL",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "AWS_ENDPOINT_URL",
}


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        found += policy["PolicyDocument"]["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_of(transformed: dict[str, Any], function: str) -> dict[str, Any]:
    role: dict[str, Any] = transformed["Resources"][f"{function}Role"]
    return role


def actions_on(role: dict[str, Any], fragment: str) -> set[str]:
    """Actions of the statements whose resources mention ``fragment`` (a logical ID or text)."""
    found: set[str] = set()
    for statement in statements(role):
        if fragment in json.dumps(statement.get("Resource")):
            found |= set(as_list(statement["Action"]))
    return found


# -------------------------------------------------------------------------- least privilege


@pytest.mark.tools
@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_star_resource_where_a_name_is_known(transformed: dict[str, Any], function: str) -> None:
    role = role_of(transformed, function)
    for statement in statements(role):
        assert statement["Effect"] == "Allow"
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= STAR_ONLY_ACTIONS, statement
        assert not any(str(a).endswith(":*") or a == "*" for a in as_list(statement["Action"]))
    arns = [
        a if isinstance(a, str) else a["Fn::Sub"] for a in role["Properties"]["ManagedPolicyArns"]
    ]
    managed = {str(arn).rsplit("/", 1)[-1] for arn in arns}
    assert managed <= ALLOWED_MANAGED


@pytest.mark.tools
def test_each_function_gets_only_what_it_uses(transformed: dict[str, Any]) -> None:
    ingest = role_of(transformed, "IngestFunction")
    alert = role_of(transformed, "AlertFunction")
    digest = role_of(transformed, "DigestFunction")
    ml = role_of(transformed, "IngestMlFunction")
    for role in (ingest, ml):
        # The bucket by its !Sub name: a !Ref would make the bucket depend on the function.
        assert {"s3:GetObject", "s3:GetObjectVersion"} <= actions_on(role, BUCKET_NAME_SUB)
        assert {"dynamodb:PutItem", "dynamodb:Query"} <= actions_on(role, "ArticlesTable")
        assert not any(
            a.startswith(("sns:", "kms:")) for s in statements(role) for a in as_list(s["Action"])
        )
    # The alert function signs links to the article it announces: a presigned URL carries the
    # signer's permissions, so it may read objects (and their versions), nothing else of S3.
    # So does the digest, for each article it lists.
    for role in (alert, digest):
        role_s3 = {a for s in statements(role) for a in as_list(s["Action"]) if a.startswith("s3:")}
        assert role_s3 == {"s3:GetObject", "s3:GetObjectVersion"}
        assert role_s3 <= actions_on(role, BUCKET_NAME_SUB + "/*")
    for role in (alert, digest):
        assert "sns:Publish" in actions_on(role, "AlertsTopic")
        assert {"kms:GenerateDataKey", "kms:Decrypt"} <= actions_on(role, "NotificationsKey")
        assert "dynamodb:UpdateItem" in actions_on(role, "ArticlesTable")
    for role in (ingest, ml, alert, digest):
        every = {a for s in statements(role) for a in as_list(s["Action"])}
        assert "dynamodb:DeleteItem" not in every  # nothing deletes articles
    # Failed stream batches and digests go to their queues (SAM adds these grants).
    assert "sqs:SendMessage" in actions_on(alert, "AlertFailureQueue")
    assert "sqs:SendMessage" in actions_on(digest, "DigestDeadLetterQueue")


# -------------------------------------------------------------------------- encryption, TLS


def test_everything_is_encrypted_at_rest(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    bucket = resources["ArticlesBucket"]["Properties"]
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    for logical_id, queue in resources_of_type(template, "AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), logical_id
    assert resources["ArticlesTable"]["Properties"]["SSESpecification"]["SSEEnabled"] is True
    for logical_id, topic in resources_of_type(template, "AWS::SNS::Topic").items():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "NotificationsKey"}, logical_id
    key = resources["NotificationsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    # CloudWatch may use the key, or the alarm topic could not receive alarms: exactly as AWS
    # documents it for alarms publishing to an encrypted topic, with no condition that
    # CloudWatch's KMS call might not meet.
    (grant,) = [
        st
        for st in key["KeyPolicy"]["Statement"]
        if st["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert grant == {
        "Sid": "CloudWatchAlarmsPublishToEncryptedTopic",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
    }


def test_bucket_is_private_and_tls_only(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    block = resources["ArticlesBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    policy = resources["ArticlesBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ArticlesBucket"}
    (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": ["ArticlesBucket", "Arn"]} in deny["Resource"]
    assert {"Fn::Sub": "${ArticlesBucket.Arn}/*"} in deny["Resource"]


def test_every_queue_and_topic_denies_insecure_transport(template: dict[str, Any]) -> None:
    covered: set[str] = set()
    for kind, targets in (("AWS::SQS::QueuePolicy", "Queues"), ("AWS::SNS::TopicPolicy", "Topics")):
        for policy in resources_of_type(template, kind).values():
            props = policy["Properties"]
            denies = [
                s
                for s in props["PolicyDocument"]["Statement"]
                if s["Effect"] == "Deny"
                and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            ]
            if denies:
                covered |= {t["Ref"] for t in props[targets]}
    queues = set(resources_of_type(template, "AWS::SQS::Queue"))
    topics = set(resources_of_type(template, "AWS::SNS::Topic"))
    assert covered == queues | topics
    # The alarm topic's policy must still let CloudWatch publish.
    alarm_policy = template["Resources"]["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]
    assert any(
        s["Effect"] == "Allow" and s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        for s in alarm_policy["Statement"]
    )


def test_queue_accepts_only_this_bucket_in_this_account(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    policy = resources["IngestQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "IngestQueue"}]
    (allow,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == {
        "Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{BUCKET_NAME_SUB}"
    }
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    bucket = resources["ArticlesBucket"]
    assert bucket["Properties"]["BucketName"] == {"Fn::Sub": BUCKET_NAME_SUB}
    assert bucket["DependsOn"] == "IngestQueuePolicy"
    # uploads are ingested, deletions retract (newswatch/usecases/retract.py)
    notifications = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notifications == [
        {"Event": event, "Queue": {"Fn::GetAtt": ["IngestQueue", "Arn"]}}
        for event in ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
    ]
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    # Versioning without a lifecycle keeps every old version (and abandoned upload) forever.
    rules = {r["Id"]: r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireNoncurrentVersions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": {"Ref": "NoncurrentVersionDays"}
    }
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": {"Ref": "IncompleteUploadDays"}
    }
    assert all(r["Status"] == "Enabled" for r in rules.values())


# -------------------------------------------------------------------------- event sources


def test_queue_timeouts_follow_the_functions(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["IngestQueue"]["Properties"]
    timeout = queue["VisibilityTimeout"]["Fn::If"]
    assert timeout[0] == "UseTransformers"
    # AWS's guidance for SQS event sources: at least 6x the function timeout.
    assert timeout[1] == 6 * resources["IngestMlFunction"]["Properties"]["Timeout"]
    assert timeout[2] == 6 * resources["IngestFunction"]["Properties"]["Timeout"]
    # At least 5 receives (AWS's advice for Lambda): a message retried with a timed-out batch is
    # not dead-lettered for another file's fault.
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }


@pytest.mark.tools
def test_both_event_sources_report_partial_batch_failures(transformed: dict[str, Any]) -> None:
    mappings = resources_of_type(transformed, "AWS::Lambda::EventSourceMapping")
    assert set(mappings) == {
        "IngestFunctionArticles",
        "IngestMlFunctionArticles",
        "AlertFunctionProcessed",
    }
    for logical_id, mapping in mappings.items():
        assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], (
            logical_id
        )
    for logical_id in ("IngestFunctionArticles", "IngestMlFunctionArticles"):
        props = mappings[logical_id]["Properties"]
        assert props["EventSourceArn"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
        assert props["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "IngestMaxConcurrency"}}


@pytest.mark.tools
def test_alert_stream_filter_retries_and_failure_destination(transformed: dict[str, Any]) -> None:
    props = transformed["Resources"]["AlertFunctionProcessed"]["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": ["ArticlesTable", "StreamArn"]}
    (pattern,) = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert pattern == {
        "dynamodb": {
            "NewImage": {
                "type": {"S": ["article"]},
                "status": {"S": ["processed"]},
                "alert_state": {"S": ["pending"]},
            }
        },
    }
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 < props["MaximumRetryAttempts"] <= 10
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["AlertFailureQueue", "Arn"]
    }


def test_stream_filter_selects_the_committed_stream_event(template: dict[str, Any]) -> None:
    """The filter, applied as Lambda applies it, passes events/dynamodb-stream-insert.json and drops
    the function's own alert-state updates, a failed article, or a topic entry item."""
    event = json.loads((REPO / "events" / "dynamodb-stream-insert.json").read_text())
    record = event["Records"][0]
    props = template["Resources"]["AlertFunction"]["Properties"]["Events"]["Processed"]
    pattern = json.loads(props["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"])

    def matches(pattern: Any, value: Any) -> bool:
        if isinstance(pattern, dict):
            return isinstance(value, dict) and all(
                k in value and matches(v, value[k]) for k, v in pattern.items()
            )
        return value in pattern

    assert matches(pattern, record)
    image = record["dynamodb"]["NewImage"]
    failed = {**image, "status": {"S": "failed"}}
    topic_item = {**image, "type": {"S": "topic"}}
    sent = {**image, "alert_state": {"S": "sent"}}
    sending = {**image, "alert_state": {"S": "sending"}}
    for other in (failed, topic_item, sent, sending):
        assert not matches(
            pattern, {**record, "dynamodb": {**record["dynamodb"], "NewImage": other}}
        )


# -------------------------------------------------------------------------- the table


def test_table_expires_items_that_carry_expires_at(template: dict[str, Any]) -> None:
    table = template["Resources"]["ArticlesTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # The alert use case sets it on the hourly cap's counters.
    alert = REPO / "layers" / "core" / "newswatch" / "usecases" / "alert.py"
    assert "expires_at" in alert.read_text(encoding="utf-8")


@pytest.mark.tools
def test_no_permission_the_code_does_not_use(transformed: dict[str, Any]) -> None:
    for function in FUNCTIONS:
        every = {
            a for s in statements(role_of(transformed, function)) for a in as_list(s["Action"])
        }
        # powertools writes metrics as log lines (EMF); the Lambda code never scans or deletes.
        assert not every & {"cloudwatch:PutMetricData", "dynamodb:Scan", "dynamodb:DeleteItem"}


def test_table_is_the_team_data_model(template: dict[str, Any]) -> None:
    resource = template["Resources"]["ArticlesTable"]
    props = resource["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == {
        "pk": "S",
        "sk": "S",
        "uploaded_at": "S",
        "upload_day": "S",
    }
    indexes = {i["IndexName"]: i["KeySchema"] for i in props["GlobalSecondaryIndexes"]}
    # A topic's entries are keyed by it on the table itself: no index copies them.
    assert indexes == {
        "ByUploadDay": [
            {"AttributeName": "upload_day", "KeyType": "HASH"},
            {"AttributeName": "uploaded_at", "KeyType": "RANGE"},
        ],
    }
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["ProtectTable", True, False]}


# -------------------------------------------------------------------------- parameters


def test_parameters_and_their_defaults(template: dict[str, Any]) -> None:
    params = template["Parameters"]
    defaults = {name: spec.get("Default") for name, spec in params.items()}
    assert defaults["WatchedTopics"] == ""  # no allow-list: every topic may alert
    assert params["WatchedTopics"]["Type"] == "CommaDelimitedList"
    assert int(defaults["ArticleLinkExpirySeconds"]) == 604800  # SigV4's maximum
    assert int(params["ArticleLinkExpirySeconds"]["MaxValue"]) == 604800
    assert defaults["ArticleBaseUrl"] == ""
    # `newswatch subscribe` reads this output to refuse a topic that cannot alert.
    assert template["Outputs"]["AlertTopicsAllowed"]["Value"] == {
        "Fn::If": ["HasWatchedTopics", {"Fn::Join": [",", {"Ref": "WatchedTopics"}]}, "*"]
    }
    assert re.fullmatch(params["ArticleBaseUrl"]["AllowedPattern"], "https://news.example.org/a")
    assert not re.fullmatch(params["ArticleBaseUrl"]["AllowedPattern"], "news.example.org")
    assert float(defaults["MinTopicScore"]) == 0.3
    assert defaults["AlertEmail"] == "" and defaults["AlertPhoneNumber"] == ""
    assert defaults["SummarizerEngine"] == "extractive"
    assert params["SummarizerEngine"]["AllowedValues"] == ["extractive", "transformers"]
    assert defaults["DigestSchedule"] == "rate(1 day)"
    assert int(defaults["MaxAlertsPerTopicPerHour"]) == 0
    for name in ("EmailTopics", "SmsTopics", "SummarySentences", "MaxArticleBytes", "LogLevel"):
        assert name in params
    # The optional inputs are validated before anything is created.
    assert re.fullmatch(params["AlertPhoneNumber"]["AllowedPattern"], "+447700900123")
    assert not re.fullmatch(params["AlertPhoneNumber"]["AllowedPattern"], "07700 900123")
    assert re.fullmatch(params["AlertEmail"]["AllowedPattern"], "desk@example.org")
    assert not re.fullmatch(params["AlertEmail"]["AllowedPattern"], "desk@")


def test_subscriptions_exist_only_when_set_and_filter_on_topics(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    conditions = template["Conditions"]
    for logical_id, parameter, topics in (
        ("AlertEmailSubscription", "AlertEmail", "EmailTopics"),
        ("AlertSmsSubscription", "AlertPhoneNumber", "SmsTopics"),
    ):
        subscription = resources[logical_id]
        condition = conditions[subscription["Condition"]]
        assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}
        props = subscription["Properties"]
        assert props["TopicArn"] == {"Ref": "AlertsTopic"}
        assert props["Endpoint"] == {"Ref": parameter}
        assert props["FilterPolicyScope"] == "MessageAttributes"
        assert props["FilterPolicy"]["topics"] == {"Ref": topics}
        assert "kind" in props["FilterPolicy"]  # alerts, digests or both


# -------------------------------------------------------------------------- functions


def test_functions_environment_tracing_and_engine_switch(template: dict[str, Any]) -> None:
    globals_ = template["Globals"]["Function"]
    assert globals_["Tracing"] == {"Ref": "Tracing"}
    assert template["Parameters"]["Tracing"]["Default"] == "Active"
    assert set(globals_["Environment"]["Variables"]) >= ENVIRONMENT
    arch = globals_["Architectures"]
    assert arch == [{"Ref": "Architecture"}]
    assert template["Parameters"]["Architecture"]["Default"] == "arm64"
    layer = template["Resources"]["CoreLayer"]
    assert layer["Properties"]["CompatibleArchitectures"] == arch
    # layers/core/Makefile builds it (for LAYER_ARCH, arm64 unless set).
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert layer["Properties"]["ContentUri"] == "layers/core/"
    resources = template["Resources"]
    for name in ZIP_FUNCTIONS:
        props = resources[name]["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Layers"] == [{"Ref": "CoreLayer"}]
    for name in FUNCTIONS:
        # Each function logs to its own group with a retention (Lambda's default never expires).
        group = resources[name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert resources[group].get("Condition") == resources[name].get("Condition")
    assert resources["IngestFunction"]["Condition"] == "UseExtractive"
    ml = resources["IngestMlFunction"]
    assert ml["Condition"] == "UseTransformers"
    assert ml["Properties"]["PackageType"] == "Image"
    assert ml["Metadata"]["Dockerfile"] == "functions/ingest-ml/Dockerfile"
    assert template["Conditions"]["UseExtractive"] == {
        "Fn::Not": [{"Condition": "UseTransformers"}]
    }
    assert template["Outputs"]["IngestFunctionName"]["Value"] == {
        "Fn::If": ["UseTransformers", {"Ref": "IngestMlFunction"}, {"Ref": "IngestFunction"}]
    }


@pytest.mark.parametrize("function", ZIP_FUNCTIONS)
def test_handler_file_defines_the_handler(template: dict[str, Any], function: str) -> None:
    props = template["Resources"][function]["Properties"]
    module, _, name = props["Handler"].rpartition(".")
    path = REPO / props["CodeUri"] / f"{module}.py"
    if not path.exists():
        pytest.skip(f"{path.relative_to(REPO)} is not written yet")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert name in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_template_environment_is_read_by_the_code(template: dict[str, Any]) -> None:
    """Every NEWSWATCH_* variable the template sets is read somewhere (no typo, no dead setting)."""
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in (REPO / "layers" / "core" / "newswatch", REPO / "functions")
        for p in folder.rglob("*.py")
    )
    names = set(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        env = (resource.get("Properties") or {}).get("Environment") or {}
        names |= set(env.get("Variables") or {})
    unread = sorted(n for n in names if n.startswith("NEWSWATCH_") and f'"{n}"' not in sources)
    assert unread == []


# -------------------------------------------------------------------------- alarms


def test_alarms_cover_queues_functions_and_alert_publishing(template: dict[str, Any]) -> None:
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    watched = set()
    for logical_id, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert props["TreatMissingData"] == "notBreaching", logical_id
        (dimension,) = props["Dimensions"]
        target = dimension["Value"]
        ref = (
            None
            if isinstance(target, str)
            else target.get("Ref", target.get("Fn::GetAtt", [""])[0])
        )
        namespace = props["Namespace"]
        namespace = namespace if isinstance(namespace, str) else namespace["Ref"]
        watched.add((namespace, props["MetricName"], ref))
    for queue in ("IngestDeadLetterQueue", "AlertFailureQueue", "DigestDeadLetterQueue"):
        assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue) in watched
    for function in FUNCTIONS:
        assert ("AWS/Lambda", "Errors", function) in watched
        assert ("AWS/Lambda", "Throttles", function) in watched
    assert ("AWS::StackName", "AlertPublishFailed", "AWS::StackName") in watched
    publish = alarms["AlertPublishFailedAlarm"]["Properties"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    service = variables["POWERTOOLS_SERVICE_NAME"]
    # Namespace and service are the stack's name: two stacks in one account stay apart.
    assert service == variables["POWERTOOLS_METRICS_NAMESPACE"] == {"Ref": "AWS::StackName"}
    assert publish["Namespace"] == {"Ref": "AWS::StackName"}
    # powertools Metrics adds the service dimension: the alarm must name the same one.
    assert publish["Dimensions"] == [{"Name": "service", "Value": service}]
    alert_app = REPO / "functions" / "alert" / "app.py"
    if alert_app.exists():
        assert '"AlertPublishFailed"' in alert_app.read_text(encoding="utf-8")
    runbook = (REPO / "docs" / "runbook.md").read_text(encoding="utf-8")
    for logical_id in alarms:
        assert logical_id in runbook, f"docs/runbook.md does not explain {logical_id}"


# -------------------------------------------------------------------------- samconfig.toml


def test_samconfig_makes_build_and_guided_deploy_enough(template: dict[str, Any]) -> None:
    import shlex
    import tomllib

    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    assert config["version"] == 0.1
    for env in ("default", "transformers"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        assert deploy["resolve_s3"] is True and deploy["confirm_changeset"] is True
        assert deploy["resolve_image_repos"] is True
        # The stack name becomes part of the bucket name: lowercase only.
        assert re.fullmatch(
            r"[a-z][a-z0-9-]{0,40}", config[env]["global"]["parameters"]["stack_name"]
        )
        overrides = dict(item.split("=", 1) for item in shlex.split(deploy["parameter_overrides"]))
        assert set(overrides) <= set(template["Parameters"])
        for name, value in overrides.items():
            spec = template["Parameters"][name]
            if "AllowedValues" in spec:
                assert value in spec["AllowedValues"], name
            if spec.get("AllowedPattern"):
                assert re.fullmatch(spec["AllowedPattern"], value), name
        assert overrides["SummarizerEngine"] == (
            "extractive" if env == "default" else "transformers"
        )
    # Without Docker `sam build` must still work: the image function is built only on request.
    assert config["default"]["build"]["parameters"]["exclude"] == ["IngestMlFunction"]
    assert "exclude" not in config["transformers"]["build"]["parameters"]


# DynamoDB client methods -> IAM actions (TransactWriteItems is authorised per inner operation).
DYNAMODB_ACTIONS = {
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "update_item": "dynamodb:UpdateItem",
    "delete_item": "dynamodb:DeleteItem",
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "batch_get_item": "dynamodb:BatchGetItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "transact_get_items": "dynamodb:GetItem",
}
TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@pytest.mark.tools
def test_table_policies_allow_every_call_the_lambda_code_makes(transformed: dict[str, Any]) -> None:
    """moto does not enforce IAM, so a new DynamoDB call (a delete, a transaction condition check)
    would only fail once deployed: the calls in the code the handlers import must be granted."""
    package = REPO / "layers" / "core" / "newswatch"
    files = [*(REPO / "functions").rglob("*.py"), *package.rglob("*.py")]
    lambda_code = [
        p
        for p in files
        if not {"cli", "local"} & set(p.relative_to(REPO).parts)
        and p.name not in {"redrive.py", "backfill.py"}
    ]
    used: set[str] = set()
    for path in lambda_code:
        text = path.read_text(encoding="utf-8")
        for method in re.findall(r"\.(\w+)\(", text):
            if method in DYNAMODB_ACTIONS:
                used.add(DYNAMODB_ACTIONS[method])
        if ".transact_write_items(" in text:
            used |= {a for key, a in TRANSACT_ACTIONS.items() if f'"{key}"' in text}
    assert "dynamodb:PutItem" in used  # the scan found the store
    for function in FUNCTIONS:
        granted = actions_on(role_of(transformed, function), "ArticlesTable")
        assert used <= granted, (function, sorted(used - granted))
