"""What an article costs on AWS, measured: the real handlers on moto with a recorder on boto3.

N articles from ../shared/data (the load test's mix: four data files, four formats) are uploaded
to a moto bucket and run through the real Lambda handlers of ``functions/``: IngestFunction (one
SQS message per invocation, as at low volume: the event source mapping has no batching window),
AlertFunction (one invocation per stream record its FilterCriteria pass) and one DigestFunction
run at the end. A recorder hooked on botocore's events counts every request the handlers make,
by service and API, and works out DynamoDB's units from the real items:

- writes: the larger of the item before and after (ceil(size / 1 KB)), a failed condition still
  pays, a transaction pays twice; each global secondary index pays for the entry it puts or
  deletes (two when an index key changes), with the index's projection;
- reads: ceil(size / 4 KB), half for eventually consistent reads, per item for GetItem and
  BatchGetItem, over the summed sizes for Query and Scan, at least one unit per key or request;
- item sizes follow DynamoDB's rules (attribute names + values, 3 bytes per list or map plus one
  per element, numbers one byte per two digits plus one).

They are priced with bench/prices.toml (list prices, with their date and source): a bill per
million articles by service (the default path: ingest, and the alert when one is due), the fixed
monthly costs (KMS key and its data-key requests, alarms, custom metrics, idle polling, the daily
digest) and a worked example for 10,000 articles a day. Lambda time is the handler's measured
compute on this machine (time inside moto taken out) plus an assumed latency per AWS request.

    .venv/bin/python bench/cost.py [--count 36] [--json] [--out bench/out]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import os
import sys
import time
import tomllib
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

REPO = Path(__file__).resolve().parents[1]
PRICES = REPO / "bench" / "prices.toml"
EVENTS = REPO / "events"
# ../shared/data next to the repository (or next to the folder of worktrees holding it).
DEFAULT_DATA = next(
    (up / "shared" / "data" for up in REPO.parents if (up / "shared" / "data").is_dir()),
    REPO.parent / "shared" / "data",
)
DEFAULT_OUT = REPO / "bench" / "out"
ACCOUNT = "123456789012"
REGION = "us-east-1"
# Bytes DynamoDB adds to every stored item and index entry (storage only).
STORAGE_OVERHEAD = 100
# A Lambda invocation's own log lines (START, END, REPORT): about this many bytes.
# How long SNS reuses a data key of the topic's KMS key (the SNS developer guide: up to 5 minutes).
KMS_DATA_KEY_REUSE_SECONDS = 300
PLATFORM_LOG_BYTES = 300
DAYS_PER_MONTH = 30

# -- DynamoDB item sizes and units ------------------------------------------------------------


def number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0").rstrip("0") or "0"
    return 1 + math.ceil(len(digits) / 2)


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's wire form ({"S": ...}, {"M": ...}, ...)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode("utf-8"))
    if kind == "N":
        return number_size(str(data))
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in data)
    if kind == "NS":
        return sum(number_size(n) for n in data)
    if kind == "BS":
        return sum(len(b) for b in data)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + value_size(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + value_size(v) for name, v in item.items())


def write_units(*items: Mapping[str, Any] | None) -> int:
    """Units of one item write: the larger of its before and after images, per started KB."""
    return max(1, math.ceil(max(item_size(i) for i in items) / 1024))


def read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projection: str
    non_key: tuple[str, ...] = ()

    def entry(self, item: Mapping[str, Any] | None, table_keys: tuple[str, ...]) -> dict[str, Any]:
        """The item's entry in this index ({} when the item is not in it: a sparse index)."""
        if not item or any(k not in item for k in self.keys):
            return {}
        if self.projection == "ALL":
            return dict(item)
        names = set(self.keys) | set(table_keys) | set(self.non_key)
        return {k: v for k, v in item.items() if k in names}

    def write_units(
        self, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, table_keys: Any
    ) -> int:
        old, new = self.entry(before, table_keys), self.entry(after, table_keys)
        if not old and not new:
            return 0
        if not old or not new:
            return write_units(old or new)
        if any(old[k] != new[k] for k in self.keys):
            return write_units(old) + write_units(new)  # delete the old entry, put the new one
        return 0 if old == new else write_units(old, new)


# -- the recorder -----------------------------------------------------------------------------


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0
    aws_seconds: float = 0.0
    sns_chunks: int = 0
    # Write units (table + indexes) by the written item's `type` (article, topic, nearband...).
    writes_by_type: Counter[str] = field(default_factory=Counter)


class Recorder:
    """Counts the requests of every boto3 client of the default session, per phase."""

    def __init__(self, table: str, key_names: tuple[str, ...], indexes: tuple[Index, ...]):
        self.table = table
        self.key_names = key_names
        self.indexes = indexes
        self.phase: str | None = None
        self.tallies: dict[str, Tally] = defaultdict(Tally)

    def install(self, session: Any) -> None:
        session.events.register("before-parameter-build", self._before)
        session.events.register("after-call", self._after)

    # moto's backend, read directly: these reads are the recorder's, not the handler's.
    def _backend(self) -> Any:
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[ACCOUNT][REGION]

    def _image(self, key: Mapping[str, Any]) -> dict[str, Any] | None:
        item = self._backend().get_item(self.table, dict(key))
        return item.to_json()["Attributes"] if item else None

    def _key(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in self.key_names}

    def _writes(self, operation: str, params: Mapping[str, Any]) -> list[tuple[dict, bool]]:
        """(key, transactional) of each item a write request touches."""
        if operation == "PutItem":
            return [(self._key(params["Item"]), False)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [(dict(params["Key"]), False)]
        if operation == "BatchWriteItem":
            keys = []
            for request in params["RequestItems"].get(self.table, []):
                if "PutRequest" in request:
                    keys.append((self._key(request["PutRequest"]["Item"]), False))
                else:
                    keys.append((dict(request["DeleteRequest"]["Key"]), False))
            return keys
        if operation == "TransactWriteItems":
            keys = []
            for action in params["TransactItems"]:
                ((kind, body),) = action.items()
                key = self._key(body["Item"]) if kind == "Put" else dict(body["Key"])
                keys.append((key, True))
            return keys
        return []

    def _before(self, params: Mapping[str, Any], model: Any, context: dict, **_: Any) -> None:
        if self.phase is None:
            return
        service = model.service_model.service_name
        context["cost"] = {
            "phase": self.phase,
            "service": service,
            "started": time.thread_time(),
            "params": copy.deepcopy(dict(params)),
        }
        if service == "dynamodb":
            writes = self._writes(model.name, params)
            context["cost"]["before"] = [(k, t, self._image(k)) for k, t in writes]

    def _after(self, parsed: Mapping[str, Any], model: Any, context: dict, **_: Any) -> None:
        call = context.pop("cost", None)
        if call is None:
            return
        tally = self.tallies[call["phase"]]
        tally.aws_seconds += time.thread_time() - call["started"]
        operation = model.name
        tally.requests[f"{call['service']}:{operation}"] += 1
        params = call["params"]
        if call["service"] == "sns" and operation == "Publish":
            size = len(json.dumps(params.get("Message", ""))) + len(
                json.dumps(params.get("MessageAttributes", {}))
            )
            tally.sns_chunks += max(1, math.ceil(size / 65536))
        if call["service"] != "dynamodb":
            return
        for key, transactional, before in call.get("before", []):
            after = self._image(key)
            units = write_units(before, after) * (2 if transactional else 1)
            index_units = sum(
                index.write_units(before, after, self.key_names) for index in self.indexes
            )
            tally.write_units += units
            tally.index_write_units += index_units
            kind = str((after or before or {}).get("type", {}).get("S", "other"))
            if operation == "UpdateItem" and kind == "article":
                kind = "article update (alert state)"
            tally.writes_by_type[kind] += units + index_units
        tally.read_units += self._reads(operation, params, parsed)

    def _reads(self, operation: str, params: Mapping[str, Any], parsed: Mapping[str, Any]) -> float:
        if operation == "GetItem":
            item = self._image(params["Key"])
            return read_units(item_size(item), bool(params.get("ConsistentRead")))
        if operation == "BatchGetItem":
            units = 0.0
            for request in params["RequestItems"].values():
                consistent = bool(request.get("ConsistentRead"))
                for key in request["Keys"]:
                    units += read_units(item_size(self._image(key)), consistent)
            return units
        if operation in ("Query", "Scan"):
            items = parsed.get("Items", [])
            index = next((i for i in self.indexes if i.name == params.get("IndexName")), None)
            if index is not None:
                sizes = [
                    item_size(index.entry(self._image(self._key(i)), self.key_names)) for i in items
                ]
            else:
                sizes = [item_size(self._image(self._key(i))) for i in items]
            consistent = bool(params.get("ConsistentRead")) and index is None
            return read_units(sum(sizes), consistent)
        return 0.0

    def storage(self) -> tuple[int, int]:
        """(items, bytes) stored in the table and its indexes, overhead included."""
        table = self._backend().get_table(self.table)
        count = size = 0
        for item in table.all_items():
            image = item.to_json()["Attributes"]
            count += 1
            size += item_size(image) + STORAGE_OVERHEAD
            for index in self.indexes:
                entry = index.entry(image, self.key_names)
                if entry:
                    size += item_size(entry) + STORAGE_OVERHEAD
        return count, size


def indexes_of(table_spec: Mapping[str, Any]) -> tuple[Index, ...]:
    found = []
    for index in table_spec.get("GlobalSecondaryIndexes", []):
        projection = index.get("Projection", {})
        found.append(
            Index(
                name=index["IndexName"],
                keys=tuple(k["AttributeName"] for k in index["KeySchema"]),
                projection=projection.get("ProjectionType", "ALL"),
                non_key=tuple(projection.get("NonKeyAttributes", ())),
            )
        )
    return tuple(found)


# -- running the handlers ---------------------------------------------------------------------


def _event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def sqs_event(bucket: str, key: str, version_id: str | None, size: int) -> dict[str, Any]:
    """The IngestFunction's event for one upload: the S3 notification inside an SQS record."""
    notification = _event("s3-put.json")
    record = notification["Records"][0]
    record["eventTime"] = (
        datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    record["awsRegion"] = REGION
    record["s3"]["bucket"]["name"] = bucket
    record["s3"]["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    obj = record["s3"]["object"]
    obj.update(key=quote_plus(key, safe="/"), size=size)
    obj.pop("versionId", None)
    if version_id:
        obj["versionId"] = version_id
    event = _event("sqs-s3-put.json")
    message = event["Records"][0]
    message["messageId"] = str(uuid.uuid4())
    message["body"] = json.dumps(notification)
    return event


@dataclass
class Invocations:
    count: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)  # wall time inside the handler
    billed_ms: Counter[str] = field(default_factory=Counter)  # modelled, see bill()
    log_bytes: Counter[str] = field(default_factory=Counter)
    metrics: set[tuple[str, str, str]] = field(default_factory=set)


def emf_metrics(output: str) -> set[tuple[str, str, str]]:
    """(namespace, metric, dimensions) of the CloudWatch embedded-metric lines in the output."""
    found = set()
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimensions in directive.get("Dimensions", [[]]):
                dims = ",".join(f"{d}={blob.get(d)}" for d in dimensions)
                for metric in directive.get("Metrics", []):
                    found.add((directive.get("Namespace", ""), metric["Name"], dims))
    return found


class Tap(io.StringIO):
    """Stands in for stdout for the whole run: the handlers' loggers bind the stream they find at
    import, and their log lines and embedded metrics are what CloudWatch Logs would ingest."""

    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


@contextlib.contextmanager
def invocation(
    recorder: Recorder, calls: Invocations, phase: str, latency: Mapping[str, float], tap: Tap
) -> Iterator[None]:
    before = copy.deepcopy(recorder.tallies[phase])
    recorder.phase = phase
    tap.take()
    # Thread CPU time: moto runs in this thread too, and its share is taken out below; the
    # machine's other load does not count.
    started = time.thread_time()
    yield
    compute = time.thread_time() - started
    recorder.phase = None
    after = recorder.tallies[phase]
    aws = after.aws_seconds - before.aws_seconds
    waiting_ms = sum(
        latency.get(api.split(":")[0], 10.0) * n
        for api, n in (after.requests - before.requests).items()
    )
    output = tap.take()
    calls.count[phase] += 1
    calls.seconds[phase] += compute
    calls.billed_ms[phase] += math.ceil(max(0.0, compute - aws) * 1000 + waiting_ms)
    calls.log_bytes[phase] += len(output.encode("utf-8")) + PLATFORM_LOG_BYTES
    calls.metrics |= emf_metrics(output)


def _environment(spec: Any) -> None:
    """The functions' environment from the template, with moto's fake credentials."""
    os.environ.update(spec.ingest.environment)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        POWERTOOLS_TRACE_DISABLED="true",
    )
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)


class StreamReader:
    """The table's stream records as the alert function's event source mapping reads them."""

    def __init__(self, stream_arn: str) -> None:
        import boto3
        from botocore.config import Config

        # botocore routes stream ARNs to <account>.streams-ddb endpoints, which moto does not serve.
        self.client = boto3.client(
            "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
        )
        self.arn = stream_arn
        self.iterators: dict[str, str] = {}

    def records(self) -> list[dict[str, Any]]:
        shards = self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        records = []
        for shard in shards:
            shard_id = shard["ShardId"]
            iterator = (
                self.iterators.get(shard_id)
                or self.client.get_shard_iterator(
                    StreamArn=self.arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            response = self.client.get_records(ShardIterator=iterator)
            self.iterators[shard_id] = response["NextShardIterator"]
            records += [
                dict(raw, eventSource="aws:dynamodb", eventSourceARN=self.arn)
                for raw in response["Records"]
            ]
        return records


def _create(spec: Any) -> str:
    """The template's bucket, table and topic on moto; returns the table's stream ARN."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=spec.bucket_name)
    s3.put_bucket_versioning(Bucket=spec.bucket_name, VersioningConfiguration={"Status": "Enabled"})
    boto3.client("sns").create_topic(
        Name=spec.ingest.environment["NEWSWATCH_TOPIC_ARN"].rsplit(":", 1)[-1]
    )
    table = boto3.client("dynamodb").create_table(**dict(spec.table, TableName=spec.table_name))
    return str(table["TableDescription"]["LatestStreamArn"])


def run(count: int, data_dir: Path) -> dict[str, Any]:
    """Upload ``count`` articles and run them through the three handlers; the raw tallies."""
    import boto3
    from moto import mock_aws

    from newswatch_tools.local.filters import passes
    from newswatch_tools.local.loadtest import build_uploads
    from newswatch_tools.local.spec import load_spec

    spec = load_spec(REPO)
    prices = tomllib.loads(PRICES.read_text())
    latency = prices["latency_ms"]
    uploads, source = build_uploads(count, data_dir)
    _environment(spec)
    key_names = tuple(k["AttributeName"] for k in spec.table["KeySchema"])
    recorder = Recorder(spec.table_name, key_names, indexes_of(spec.table))
    calls = Invocations()
    tap = Tap()
    with contextlib.redirect_stdout(tap), mock_aws():
        boto3.setup_default_session(region_name=REGION)
        recorder.install(boto3.DEFAULT_SESSION)
        stream = StreamReader(_create(spec))
        s3 = boto3.client("s3")
        ingest, alert = spec.ingest.load(), spec.alert.load()
        for upload in uploads:
            extra = {"ContentType": upload.content_type} if upload.content_type else {}
            put = s3.put_object(Bucket=spec.bucket_name, Key=upload.key, Body=upload.body, **extra)
            event = sqs_event(spec.bucket_name, upload.key, put.get("VersionId"), len(upload.body))
            with invocation(recorder, calls, "ingest", latency, tap):
                response = ingest(event, spec.ingest.context())
            if response.get("batchItemFailures"):
                raise RuntimeError(f"ingest failed for {upload.key}: {response}")
            for record in stream.records():
                if passes(record, spec.alert_source.patterns):
                    with invocation(recorder, calls, "alert", latency, tap):
                        alert({"Records": [record]}, spec.alert.context())
        if spec.digest is not None:
            digest = spec.digest.load()
            with invocation(recorder, calls, "digest", latency, tap):
                digest({}, spec.digest.context())
        items, stored_bytes = recorder.storage()
        statuses = Counter(
            str(i.get("status", {}).get("S"))
            for i in boto3.client("dynamodb").scan(TableName=spec.table_name)["Items"]
            if i.get("type", {}).get("S") == "article"
        )
    return {
        "source": source,
        "articles": len(uploads),
        "upload_bytes": sum(len(u.body) for u in uploads),
        "statuses": dict(statuses),
        "tallies": recorder.tallies,
        "calls": calls,
        "items": items,
        "stored_bytes": stored_bytes,
        "spec": spec,
        "prices": prices,
    }


# -- the bill ---------------------------------------------------------------------------------

# The default path: what every article goes through (the digest is a daily run, billed apart).
DEFAULT_PATH = ("ingest", "alert")


def _per(value: float, articles: int) -> float:
    return value / articles if articles else 0.0


def _service_costs(
    raw: Mapping[str, Any], phases: tuple[str, ...], memory: Mapping[str, int]
) -> dict[str, float]:
    """Dollars, by service, of what the handlers of ``phases`` did in this run."""
    p = raw["prices"]
    tallies: Mapping[str, Tally] = raw["tallies"]
    calls: Invocations = raw["calls"]
    mine = [tallies[phase] for phase in phases]
    requests = sum((t.requests for t in mine), Counter())
    invocations = sum(calls.count[phase] for phase in phases)
    gb_seconds = sum(calls.billed_ms[ph] / 1000 * memory[ph] / 1024 for ph in phases)
    s3_get = sum(v for k, v in requests.items() if k.startswith("s3:") and "Put" not in k)
    return {
        "DynamoDB writes": sum(t.write_units + t.index_write_units for t in mine)
        * p["dynamodb"]["write_request_unit"],
        "DynamoDB reads": sum(t.read_units for t in mine) * p["dynamodb"]["read_request_unit"],
        "Lambda compute": gb_seconds * p["lambda"]["gb_second"],
        "Lambda requests": invocations * p["lambda"]["request"],
        "S3 GET (ingest)": s3_get * p["s3"]["get_request"],
        "SNS publish": sum(t.sns_chunks for t in mine) * p["sns"]["publish_request"],
        "X-Ray traces (every invocation sampled)": invocations * p["xray"]["trace_recorded"],
        "CloudWatch Logs ingestion": sum(calls.log_bytes[ph] for ph in phases)
        / 1e9
        * p["cloudwatch"]["logs_ingested_gb"],
    }


def kms_requests_per_month(publishers: int) -> float:
    """KMS requests an encrypted SNS topic makes, by AWS's own formula (SNS developer guide,
    "Estimating AWS KMS costs"): R = B / D * (2 * P), with B the billing period, D the data key
    reuse period (up to 5 minutes) and P the principals that publish to it. A data key serves
    every publish of a principal for 5 minutes, so KMS is a monthly cost, not one per alert."""
    return DAYS_PER_MONTH * 86_400 / KMS_DATA_KEY_REUSE_SECONDS * 2 * publishers


def bill(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Per-article figures and a per-million bill by service, from the tallies of :func:`run`.

    The bill per million articles is the default path (ingest, and the alert when a watched topic
    matches): what every article costs. The DigestFunction runs once a day whatever the volume and
    publishes one digest per topic and place with articles, so it is a fixed cost, priced as 30
    runs like the one measured here (its reads grow with the day's entries, by about 0.1 read unit
    an article at 5,000 articles: `bench/digest.py`).
    """
    prices = raw["prices"]
    spec = raw["spec"]
    n = raw["articles"]
    tallies: Mapping[str, Tally] = raw["tallies"]
    calls: Invocations = raw["calls"]
    path_requests = sum(sum(tallies[p].requests.values()) for p in DEFAULT_PATH)
    memory = {
        "ingest": spec.ingest.memory_mb,
        "alert": spec.alert.memory_mb,
        "digest": spec.digest.memory_mb if spec.digest else 256,
    }
    s3_put = sum(
        v for t in tallies.values() for k, v in t.requests.items() if k.startswith("s3:Put")
    )
    # S3 -> SQS SendMessage per article; the event source mapping's ReceiveMessage and
    # DeleteMessageBatch per ingest invocation (not calls our code makes, but billed to us).
    sqs_requests = n + 2 * calls.count["ingest"]
    p = prices
    million = 1e6 / n
    lines = _service_costs(raw, DEFAULT_PATH, memory)
    lines["SQS requests"] = sqs_requests * p["sqs"]["request"]
    lines["S3 PUT (the upload itself)"] = (n + s3_put) * p["s3"]["put_request"]
    bill_per_million = {name: round(cost * million, 2) for name, cost in lines.items()}
    stored_per_article = _per(raw["stored_bytes"], n)
    upload_per_article = _per(raw["upload_bytes"], n)
    storage_month = {
        "DynamoDB storage": stored_per_article * 1e6 / 1e9 * p["dynamodb"]["storage_gb_month"],
        "DynamoDB point-in-time recovery": stored_per_article
        * 1e6
        / 1e9
        * p["dynamodb"]["pitr_gb_month"],
        "S3 storage (the articles)": upload_per_article * 1e6 / 1e9 * p["s3"]["storage_gb_month"],
    }
    template = spec.template.get("Resources", {})
    alarms = sum(1 for r in template.values() if r.get("Type") == "AWS::CloudWatch::Alarm")
    keys = sum(1 for r in template.values() if r.get("Type") == "AWS::KMS::Key")
    metrics = len(calls.metrics)
    # Five long polls of 20 s each by the SQS event source mapping when the queue is idle.
    idle_polls = 5 * 3 * 60 * 24 * DAYS_PER_MONTH
    # The functions that publish to the alerts topic: each is one principal to KMS.
    publishers = 1 + (spec.digest is not None)
    digest_run = sum(_service_costs(raw, ("digest",), memory).values()) if spec.digest else 0.0
    digests = tallies["digest"].requests["sns:Publish"]
    fixed_month = {
        f"KMS key ({keys})": keys * p["kms"]["key_month"],
        f"KMS requests (SNS data keys of {publishers} publishing functions)": (
            kms_requests_per_month(publishers) * p["kms"]["request"]
        ),
        f"CloudWatch alarms ({alarms})": alarms * p["cloudwatch"]["alarm_month"],
        f"custom metrics ({metrics} seen in this run)": metrics * p["cloudwatch"]["metric_month"],
        "SQS idle long polling (5 pollers)": idle_polls * p["sqs"]["request"],
        f"DigestFunction (a run a day like this one: {digests} digests)": (
            DAYS_PER_MONTH * digest_run
        ),
    }
    usd_per_million = round(sum(bill_per_million.values()), 2)
    per_day = 10_000
    month_articles = per_day * DAYS_PER_MONTH
    example = {
        "articles_per_day": per_day,
        "variable_usd_per_month": round(usd_per_million * month_articles / 1e6, 2),
        "fixed_usd_per_month": round(sum(fixed_month.values()), 2),
        "storage_added_usd_per_month": round(sum(storage_month.values()) * month_articles / 1e6, 3),
    }
    example["total_first_month_usd"] = round(
        example["variable_usd_per_month"]
        + example["fixed_usd_per_month"]
        + example["storage_added_usd_per_month"],
        2,
    )
    return {
        "articles": n,
        "source": raw["source"],
        "statuses": raw["statuses"],
        "write_units_per_article": round(
            _per(
                sum(tallies[ph].write_units + tallies[ph].index_write_units for ph in DEFAULT_PATH),
                n,
            ),
            2,
        ),
        "table_write_units_per_article": round(
            _per(sum(tallies[ph].write_units for ph in DEFAULT_PATH), n), 2
        ),
        "index_write_units_per_article": round(
            _per(sum(tallies[ph].index_write_units for ph in DEFAULT_PATH), n), 2
        ),
        "write_units_per_article_by_item": {
            kind: round(_per(units, n), 2)
            for kind, units in sorted(
                sum((tallies[ph].writes_by_type for ph in DEFAULT_PATH), Counter()).items()
            )
        },
        "read_units_per_article": round(
            _per(sum(tallies[ph].read_units for ph in DEFAULT_PATH), n), 2
        ),
        "requests_per_article": round(_per(path_requests, n), 2),
        "requests_by_function": {
            phase: {
                "invocations": calls.count[phase],
                "requests_per_invocation": round(
                    _per(sum(tallies[phase].requests.values()), calls.count[phase]), 2
                ),
                "by_api": dict(sorted(tallies[phase].requests.items())),
                "write_units": round(
                    tallies[phase].write_units + tallies[phase].index_write_units, 1
                ),
                "read_units": round(tallies[phase].read_units, 1),
                "billed_ms_per_invocation": round(
                    _per(calls.billed_ms[phase], calls.count[phase]), 1
                ),
            }
            for phase in sorted(calls.count)
        },
        "digest_write_units_per_article": round(
            _per(tallies["digest"].write_units + tallies["digest"].index_write_units, n), 3
        ),
        "digest_read_units_per_article": round(_per(tallies["digest"].read_units, n), 3),
        "stored_bytes_per_article": round(stored_per_article),
        "usd_per_million_articles": usd_per_million,
        "bill_per_million_articles": bill_per_million,
        "storage_usd_per_million_articles_per_month": {
            k: round(v, 2) for k, v in storage_month.items()
        },
        "fixed_usd_per_month": {k: round(v, 2) for k, v in fixed_month.items()},
        "example_10000_per_day": example,
        "prices": {"date": p["date"], "region": p["region"], "file": "bench/prices.toml"},
    }


def markdown(result: Mapping[str, Any]) -> str:
    n = result["articles"]
    lines = [
        f"{n} articles ({result['source']}; statuses {result['statuses']}); list prices of "
        f"{result['prices']['date']}, {result['prices']['region']} (`bench/prices.toml`).",
        "",
        "| per article, default path (ingest + alert) | value |",
        "|---|---:|",
        f"| AWS requests made by the handlers | {result['requests_per_article']} |",
        f"| DynamoDB write units (table + indexes) | {result['write_units_per_article']} "
        f"({result['table_write_units_per_article']} + "
        f"{result['index_write_units_per_article']}) |",
        f"| DynamoDB read units | {result['read_units_per_article']} |",
        *(
            f"| write units on {kind} items | {units} |"
            for kind, units in result["write_units_per_article_by_item"].items()
        ),
        f"| bytes stored in DynamoDB (items, index entries, overhead) | "
        f"{result['stored_bytes_per_article']} |",
        "",
        "| function | invocations | requests / invocation | write units | read units "
        "| billed ms / invocation | requests by API |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for phase, row in result["requests_by_function"].items():
        apis = ", ".join(f"{k} {v}" for k, v in row["by_api"].items())
        lines.append(
            f"| {phase} | {row['invocations']} | {row['requests_per_invocation']} | "
            f"{row['write_units']} | {row['read_units']} | {row['billed_ms_per_invocation']} "
            f"| {apis} |"
        )
    lines += ["", "Bill per million articles:", "", "| service | USD |", "|---|---:|"]
    for name, usd in result["bill_per_million_articles"].items():
        lines.append(f"| {name} | {usd:.2f} |")
    lines.append(f"| **total** | **{result['usd_per_million_articles']:.2f}** |")
    lines += [
        "",
        "Deliveries are extra: email $2.00 per 100,000, SMS from about $0.0058 each (US).",
        "",
        "| storage, per million articles kept, per month | USD |",
        "|---|---:|",
    ]
    for name, usd in result["storage_usd_per_million_articles_per_month"].items():
        lines.append(f"| {name} | {usd:.2f} |")
    lines += ["", "| fixed, per month | USD |", "|---|---:|"]
    for name, usd in result["fixed_usd_per_month"].items():
        lines.append(f"| {name} | {usd:.2f} |")
    example = result["example_10000_per_day"]
    lines += [
        "",
        f"Worked example, {example['articles_per_day']:,} articles a day (300,000 a month): "
        f"${example['variable_usd_per_month']:.2f} of requests and compute + "
        f"${example['fixed_usd_per_month']:.2f} fixed + "
        f"${example['storage_added_usd_per_month']:.3f} for the month's new storage = "
        f"**${example['total_first_month_usd']:.2f} for the first month**, before deliveries "
        "(storage then grows by the same amount each month the articles are kept).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=36, help="articles to run (default 36)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = bill(run(args.count, args.data_dir))
    result["seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cost.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "cost.md").write_text(markdown(result))
    if args.json:
        print(json.dumps(result))
    else:
        print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
