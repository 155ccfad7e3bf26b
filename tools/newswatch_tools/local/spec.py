"""What the local stack creates, read from ``template.yaml``.

:func:`load_spec` turns the template's resources into plain values (names, create-call arguments,
event source settings) that :mod:`newswatch_tools.local.stack` applies to moto. Names follow
CloudFormation: an explicit name from the template, otherwise ``<stack>-<LogicalId>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newswatch_tools import environment
from newswatch_tools.local.filters import parse_filter_criteria
from newswatch_tools.local.functions import LocalFunction
from newswatch_tools.local.template import (
    ALERT_FAILURE_QUEUE_ID,
    ALERT_FUNCTION_ID,
    BUCKET_ID,
    DIGEST_FUNCTION_ID,
    DLQ_ID,
    INGEST_FUNCTION_ID,
    QUEUE_ID,
    STACK_NAME,
    TABLE_ID,
    TOPIC_ID,
    Resolver,
    TemplateError,
    events_of,
    function_properties,
    load_template,
    properties,
)

# create_table accepts these of AWS::DynamoDB::Table's properties; the rest (PITR, SSE with a
# customer key, tags) changes nothing an emulator can show.
_TABLE_KEYS = (
    "TableName",
    "KeySchema",
    "AttributeDefinitions",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "ProvisionedThroughput",
    "StreamSpecification",
)
_GSI_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
# SetQueueAttributes names; KMS settings are dropped (moto has no KMS keys behind an alias).
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


class ProjectNotFoundError(FileNotFoundError):
    pass


def find_project_root(start: Path | None = None) -> Path:
    """The checkout holding ``template.yaml`` and ``functions/``: NEWSWATCH_PROJECT_ROOT, else the
    current directory or a parent, else the one this package was installed (editable) from."""
    explicit = environment.project_root()
    if explicit is not None:
        return explicit.resolve()
    candidates = [start or Path.cwd(), Path(__file__).resolve()]
    for candidate in candidates:
        for folder in [candidate, *candidate.parents]:
            if (folder / "template.yaml").is_file() and (folder / "functions").is_dir():
                return folder
    raise ProjectNotFoundError(
        "cannot find the newswatch checkout (template.yaml and functions/): run from the "
        "repository or set NEWSWATCH_PROJECT_ROOT"
    )


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    attributes: Mapping[str, str]
    # The dead-letter queue's logical ID and how many receives before a message moves there.
    dead_letter_id: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class SqsSource:
    """The ingest function's SQS event source mapping."""

    batch_size: int = 10
    max_concurrency: int = 2
    report_batch_item_failures: bool = True
    patterns: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class StreamSource:
    """The alert function's DynamoDB stream event source mapping."""

    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    max_retry_attempts: int = -1
    bisect_on_error: bool = False
    report_batch_item_failures: bool = True
    on_failure_id: str | None = None
    patterns: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class StackSpec:
    root: Path
    stack_name: str
    bucket_name: str
    bucket_versioning: bool
    # S3 event names and key filter rules of the bucket's notifications to the ingest queue.
    bucket_events: tuple[str, ...]
    bucket_filter_rules: tuple[dict[str, str], ...]
    queues: tuple[QueueSpec, ...]
    table: Mapping[str, Any]
    topic_name: str
    ingest: LocalFunction
    alert: LocalFunction
    ingest_source: SqsSource
    alert_source: StreamSource
    resolver: Resolver = field(repr=False)
    # The scheduled digest (optional): the local stack runs it on request, not on a timer.
    digest: LocalFunction | None = None
    template: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def table_name(self) -> str:
        return str(self.table["TableName"])

    def queue(self, logical_id: str) -> QueueSpec:
        return next(q for q in self.queues if q.logical_id == logical_id)


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


def _queue_spec(template: Mapping[str, Any], resolver: Resolver, logical_id: str) -> QueueSpec:
    props = resolver.resolve(properties(template, logical_id))
    name = str(props.get("QueueName") or resolver.physical_name(logical_id))
    resolver.names[logical_id] = name
    attributes = {k: str(props[k]) for k in _QUEUE_ATTRIBUTES if k in props}
    redrive = props.get("RedrivePolicy") or {}
    dead_letter_id = None
    if redrive:
        target = str(redrive.get("deadLetterTargetArn", ""))
        dead_letter_id = next(
            (
                rid
                for rid in template["Resources"]
                if target.endswith(f":{resolver.physical_name(rid)}")
            ),
            DLQ_ID,
        )
    return QueueSpec(
        logical_id=logical_id,
        name=name,
        attributes=attributes,
        dead_letter_id=dead_letter_id,
        max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
    )


def _table_spec(template: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    props = resolver.resolve(properties(template, TABLE_ID))
    table = {k: props[k] for k in _TABLE_KEYS if k in props}
    table.setdefault("TableName", resolver.physical_name(TABLE_ID))
    table["TableName"] = str(table["TableName"])
    resolver.names[TABLE_ID] = table["TableName"]
    table.setdefault("BillingMode", "PAY_PER_REQUEST")
    if "GlobalSecondaryIndexes" in table:
        table["GlobalSecondaryIndexes"] = [
            {k: gsi[k] for k in _GSI_KEYS if k in gsi} for gsi in table["GlobalSecondaryIndexes"]
        ]
    stream = table.get("StreamSpecification")
    if stream:
        table["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return table


def _function(
    template: Mapping[str, Any], resolver: Resolver, root: Path, logical_id: str, fallback: str
) -> LocalFunction:
    props = function_properties(template, logical_id)
    code_uri = str(props.get("CodeUri") or fallback).rstrip("/")
    handler = str(props.get("Handler") or "app.lambda_handler")
    module, _, attribute = handler.rpartition(".")
    env = resolver.resolve(props["Environment"]["Variables"])
    return LocalFunction(
        name=str(props.get("FunctionName") or resolver.physical_name(logical_id)),
        handler_file=root / code_uri / (module.replace(".", "/") + ".py"),
        handler_name=attribute,
        memory_mb=int(props.get("MemorySize") or 128),
        timeout_seconds=float(props.get("Timeout") or 3),
        environment={k: str(v) for k, v in env.items() if v is not None},
    )


def _logical_id_of(value: Any) -> str | None:
    """The resource an event's ``Queue`` / ``Stream`` / ``Destination`` property points at."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
        if "Ref" in value:
            return str(value["Ref"])
    return None


def load_spec(
    root: Path | None = None,
    parameters: Mapping[str, str] | None = None,
    endpoint_url: str | None = None,
) -> StackSpec:
    """The local stack's resources as template.yaml declares them (with ``parameters``)."""
    root = root or find_project_root()
    template = load_template(root / "template.yaml")
    unknown = sorted(set(parameters or {}) - set(template.get("Parameters") or {}))
    if unknown:
        known = ", ".join(sorted(template.get("Parameters") or {}))
        raise TemplateError(f"unknown template parameter(s) {', '.join(unknown)}; known: {known}")
    resolver = Resolver(template, stack_name=STACK_NAME, parameters=dict(parameters or {}))
    if endpoint_url:
        resolver.endpoint_url = endpoint_url

    queues = tuple(
        _queue_spec(template, resolver, logical_id)
        for logical_id in (DLQ_ID, QUEUE_ID, ALERT_FAILURE_QUEUE_ID)
        if logical_id in template["Resources"]
    )
    table = _table_spec(template, resolver)
    topic_props = resolver.resolve(properties(template, TOPIC_ID))
    topic_name = str(topic_props.get("TopicName") or resolver.physical_name(TOPIC_ID))
    resolver.names[TOPIC_ID] = topic_name
    bucket = _bucket_spec(template, resolver)
    digest = None
    if DIGEST_FUNCTION_ID in template["Resources"]:
        digest = _function(template, resolver, root, DIGEST_FUNCTION_ID, "functions/digest")
    return StackSpec(
        root=root,
        stack_name=STACK_NAME,
        bucket_name=bucket.name,
        bucket_versioning=bucket.versioning,
        bucket_events=bucket.events,
        bucket_filter_rules=bucket.filter_rules,
        queues=queues,
        table=table,
        topic_name=topic_name,
        ingest=_function(template, resolver, root, INGEST_FUNCTION_ID, "functions/ingest"),
        alert=_function(template, resolver, root, ALERT_FUNCTION_ID, "functions/alert"),
        ingest_source=_sqs_source(template, resolver),
        alert_source=_stream_source(template, resolver),
        resolver=resolver,
        template=template,
        digest=digest,
    )


@dataclass(frozen=True)
class _Bucket:
    name: str
    versioning: bool
    events: tuple[str, ...]
    filter_rules: tuple[dict[str, str], ...]


def _bucket_spec(template: Mapping[str, Any], resolver: Resolver) -> _Bucket:
    """The articles bucket and its notifications to the ingest queue."""
    bucket_props = resolver.resolve(properties(template, BUCKET_ID))
    bucket_name = str(bucket_props.get("BucketName") or resolver.physical_name(BUCKET_ID))
    resolver.names[BUCKET_ID] = bucket_name
    versioning = (bucket_props.get("VersioningConfiguration") or {}).get("Status") == "Enabled"
    notifications = (bucket_props.get("NotificationConfiguration") or {}).get(
        "QueueConfigurations"
    ) or []
    queue_arn = resolver.arn(QUEUE_ID)
    to_ingest = [n for n in notifications if n.get("Queue") == queue_arn]
    if notifications and not to_ingest:
        raise TemplateError(f"{BUCKET_ID} does not notify {QUEUE_ID}")
    events = tuple(str(n["Event"]) for n in to_ingest) or ("s3:ObjectCreated:*",)
    rules: list[dict[str, str]] = []
    for notification in to_ingest:
        for rule in ((notification.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []:
            rules.append({"Name": str(rule["Name"]).lower(), "Value": str(rule["Value"])})
    return _Bucket(bucket_name, versioning, events, tuple(rules))


def _sqs_source(template: Mapping[str, Any], resolver: Resolver) -> SqsSource:
    """The ingest function's event source mapping on the ingest queue."""
    ingest_props = function_properties(template, INGEST_FUNCTION_ID)
    sqs_events = [
        e for e in events_of(ingest_props, "SQS") if _logical_id_of(e.get("Queue")) == QUEUE_ID
    ]
    if not sqs_events:
        raise TemplateError(f"{INGEST_FUNCTION_ID} has no SQS event on {QUEUE_ID}")
    sqs = resolver.resolve(sqs_events[0])
    return SqsSource(
        batch_size=int(sqs.get("BatchSize") or 10),
        max_concurrency=int((sqs.get("ScalingConfig") or {}).get("MaximumConcurrency") or 2),
        report_batch_item_failures="ReportBatchItemFailures"
        in (sqs.get("FunctionResponseTypes") or []),
        patterns=tuple(parse_filter_criteria(sqs.get("FilterCriteria"))),
    )


def _stream_source(template: Mapping[str, Any], resolver: Resolver) -> StreamSource:
    """The alert function's event source mapping on the table's stream."""
    alert_props = function_properties(template, ALERT_FUNCTION_ID)
    stream_events = [
        e for e in events_of(alert_props, "DynamoDB") if _logical_id_of(e.get("Stream")) == TABLE_ID
    ]
    if not stream_events:
        raise TemplateError(f"{ALERT_FUNCTION_ID} has no DynamoDB event on {TABLE_ID}")
    raw_stream = stream_events[0]
    on_failure = ((raw_stream.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
        "Destination"
    )
    stream = resolver.resolve({k: v for k, v in raw_stream.items() if k != "Stream"})
    retries = stream.get("MaximumRetryAttempts")
    return StreamSource(
        batch_size=int(stream.get("BatchSize") or 100),
        starting_position=str(stream.get("StartingPosition") or "TRIM_HORIZON"),
        max_retry_attempts=int(retries) if retries is not None else -1,
        bisect_on_error=_bool(stream.get("BisectBatchOnFunctionError", False)),
        report_batch_item_failures="ReportBatchItemFailures"
        in (stream.get("FunctionResponseTypes") or []),
        on_failure_id=_logical_id_of(on_failure),
        patterns=tuple(parse_filter_criteria(stream.get("FilterCriteria"))),
    )
