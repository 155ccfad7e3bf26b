"""The event source mappings Lambda would run, as threads: SQS -> ingest, stream -> alert.

Each poller reads its source with the AWS API (through moto's server), shapes the batch exactly as
Lambda does, calls the real handler, and honours its ``batchItemFailures`` answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from newswatch_tools.local.filters import passes
from newswatch_tools.local.functions import LocalFunction
from newswatch_tools.local.runtime import Environment
from newswatch_tools.local.template import REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("newswatch_tools.local")
SHARD_REFRESH_SECONDS = 30.0
# Records per GetRecords call (the API's maximum); the function gets them in BatchSize batches.
READ_LIMIT = 1000


@dataclass
class PollerStats:
    invocations: int = 0
    records: int = 0
    failed_records: int = 0
    handler_errors: int = 0
    filtered_out: int = 0
    sent_to_failure_destination: int = 0
    last_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int | str]:
        with self.lock:
            return {
                "invocations": self.invocations,
                "records": self.records,
                "failed_records": self.failed_records,
                "handler_errors": self.handler_errors,
                "filtered_out": self.filtered_out,
                "sent_to_failure_destination": self.sent_to_failure_destination,
                "last_error": self.last_error,
            }


def _failed_ids(response: Any) -> set[str] | None:
    """The identifiers a handler reported as failed; ``None`` for a malformed answer."""
    if response is None:
        return set()
    if not isinstance(response, Mapping):
        return None
    failures = response.get("batchItemFailures") or []
    try:
        return {str(item["itemIdentifier"]) for item in failures}
    except (KeyError, TypeError):
        return None


class Poller:
    """A named group of daemon threads running ``_run_once`` until :meth:`stop`."""

    name = "poller"

    def __init__(self, function: LocalFunction, environments: Sequence[Environment]) -> None:
        self.function = function
        # One thread per execution environment: each serves one invocation at a time.
        self.environments = list(environments)
        self.stats = PollerStats()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._local = threading.local()

    def start(self) -> None:
        for index, environment in enumerate(self.environments):
            thread = threading.Thread(
                target=self._loop,
                args=(environment,),
                name=f"newswatch-{self.name}-{index}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        for environment in self.environments:
            environment.close()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _loop(self, environment: Environment) -> None:
        self._local.environment = environment
        while not self._stop.is_set():
            try:
                self._run_once()
            except Exception as exc:
                # The emulator refusing a call (e.g. during shutdown) must not kill the poller.
                if not self._stop.is_set():
                    log.warning("%s poller: %s", self.name, exc)
                    self.stats.last_error = repr(exc)
                    self._stop.wait(1.0)

    def _run_once(self) -> None:
        raise NotImplementedError

    def _invoke(self, event: dict[str, Any]) -> tuple[set[str] | None, bool]:
        """Call the handler; return (failed ids or None for "all failed", function error)."""
        self.stats.add(invocations=1)
        environment: Environment = self._local.environment
        try:
            response = environment.invoke(event)
        except Exception as exc:
            log.exception("%s: handler raised", self.function.name)
            self.stats.add(handler_errors=1)
            self.stats.last_error = repr(exc)
            return None, True
        failed = _failed_ids(response)
        if failed is None:
            self.stats.last_error = f"malformed handler response {response!r}"
            return None, True
        return failed, False


class SqsPoller(Poller):
    """Lambda's SQS event source: receive, invoke, delete what succeeded.

    Failed messages are made visible again after ``retry_delay`` seconds (the template's visibility
    timeout is sized for Lambda and would make local retries wait minutes); SQS's own redrive policy
    then moves a message that keeps failing to the dead-letter queue after ``maxReceiveCount``.
    """

    name = "ingest"

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        queue_arn: str,
        function: LocalFunction,
        environments: Sequence[Environment],
        *,
        batch_size: int = 10,
        patterns: Sequence[dict[str, Any]] = (),
        wait_seconds: int = 1,
        retry_delay: int = 1,
    ) -> None:
        super().__init__(function, environments)
        self.sqs = sqs
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.batch_size = max(1, min(batch_size, 10))
        self.patterns = list(patterns)
        self.wait_seconds = wait_seconds
        self.retry_delay = retry_delay
        # moto's ReceiveMessage is not atomic across threads: two concurrent calls can hand out the
        # same message, which real SQS does not do within a visibility timeout. One at a time.
        self._receive_lock = threading.Lock()

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType"),
                }
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": REGION,
        }

    def _run_once(self) -> None:
        with self._receive_lock:
            if self.stopping:
                return
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.batch_size,
                WaitTimeSeconds=self.wait_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        if not received:
            return
        records = [self._record(m) for m in received]
        # Lambda deletes messages its filter drops, without invoking the function.
        selected = [r for r in records if passes(r, self.patterns)]
        self.stats.add(filtered_out=len(records) - len(selected), records=len(selected))
        failed: set[str] = set()
        if selected:
            answer, _ = self._invoke({"Records": selected})
            failed = {r["messageId"] for r in selected} if answer is None else answer
        self.stats.add(failed_records=len(failed))
        done = [r for r in records if r["messageId"] not in failed]
        retry = [r for r in records if r["messageId"] in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)
                ],
            )
        if retry:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": r["receiptHandle"],
                        "VisibilityTimeout": self.retry_delay,
                    }
                    for i, r in enumerate(retry)
                ],
            )


def _lambda_shape(value: Any) -> Any:
    """boto3 parses timestamps and binary values; Lambda's event has epoch seconds and base64."""
    if isinstance(value, dict):
        return {k: _lambda_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lambda_shape(v) for v in value]
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


class StreamPoller(Poller):
    """Lambda's DynamoDB stream event source: ordered batches per shard, filtered, retried from the
    first failed record, optionally bisected on a function error, and sent to the on-failure
    destination once ``max_retry_attempts`` is exhausted (``-1``: retry until stopped)."""

    name = "alert"

    def __init__(
        self,
        streams: DynamoDBStreamsClient,
        stream_arn: str,
        function: LocalFunction,
        environment: Environment,
        *,
        batch_size: int = 100,
        patterns: Sequence[dict[str, Any]] = (),
        max_retry_attempts: int = -1,
        bisect_on_error: bool = False,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
        starting_position: str = "TRIM_HORIZON",
        idle_seconds: float = 0.2,
    ) -> None:
        # One shard, one invocation at a time, in order (ParallelizationFactor 1).
        super().__init__(function, [environment])
        self.streams = streams
        self.stream_arn = stream_arn
        self.batch_size = max(1, min(batch_size, 1000))
        self.patterns = list(patterns)
        self.max_retry_attempts = max_retry_attempts
        self.bisect_on_error = bisect_on_error
        self.on_failure = on_failure
        self.starting_position = starting_position
        self.idle_seconds = idle_seconds
        self._iterators: dict[str, str] = {}
        self._described = 0.0
        # True once a read of every shard found nothing new: the function has seen the stream.
        self.caught_up = False

    def _shards(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _run_once(self) -> None:
        # New shards are rare (a table's stream rolls them over every few hours): look now and then.
        if time.monotonic() - self._described > SHARD_REFRESH_SECONDS:
            self._described = time.monotonic()
            self._add_shards()
        self._read_shards()

    def _add_shards(self) -> None:
        for shard_id in self._shards():
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard_id,
                    ShardIteratorType=self.starting_position,  # type: ignore[arg-type]
                )["ShardIterator"]

    def _read_shards(self) -> None:
        got_any = False
        for shard_id, iterator in list(self._iterators.items()):
            page = self.streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
            records = [
                {**_lambda_shape(r), "eventSourceARN": self.stream_arn}
                for r in page.get("Records", [])
            ]
            if records:
                got_any = True
                # Lambda filters before batching: BatchSize counts the records that passed.
                selected = [r for r in records if passes(r, self.patterns)]
                self.stats.add(filtered_out=len(records) - len(selected))
                for start in range(0, len(selected), self.batch_size):
                    self._deliver(shard_id, selected[start : start + self.batch_size])
            if page.get("NextShardIterator"):
                self._iterators[shard_id] = page["NextShardIterator"]
        self.caught_up = not got_any
        if not got_any:
            self._stop.wait(self.idle_seconds)

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        pending = records
        attempt = 0
        while pending and not self.stopping:
            attempt += 1
            self.stats.add(records=len(pending))
            failed, function_error = self._invoke({"Records": pending})
            if failed is not None and not failed:
                return
            first = 0
            if failed:
                numbers = [r["dynamodb"]["SequenceNumber"] for r in pending]
                known = [numbers.index(s) for s in failed if s in numbers]
                first = min(known) if known else 0
            pending = pending[first:]
            self.stats.add(failed_records=len(pending))
            if function_error and self.bisect_on_error and len(pending) > 1:
                middle = len(pending) // 2
                self._deliver(shard_id, pending[:middle])
                self._deliver(shard_id, pending[middle:])
                return
            if 0 <= self.max_retry_attempts < attempt:
                self._give_up(shard_id, pending, attempt)
                return
            self._stop.wait(min(0.5 * attempt, 5.0))

    def _give_up(self, shard_id: str, records: list[dict[str, Any]], attempts: int) -> None:
        """Send Lambda's on-failure record (batch info, not the records) to the destination."""
        self.stats.add(sent_to_failure_destination=len(records))
        if self.on_failure is None:
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
        self.on_failure(
            {
                "requestContext": {
                    "requestId": str(uuid.uuid4()),
                    "functionArn": self.function.arn,
                    "condition": "RetryAttemptsExhausted",
                    "approximateInvokeCount": attempts,
                },
                "responseContext": {
                    "statusCode": 200,
                    "executedVersion": "$LATEST",
                    "functionError": "Unhandled",
                },
                "version": "1.0",
                "timestamp": dt.datetime.now(dt.UTC).isoformat(),
                "DDBStreamBatchInfo": {
                    "shardId": shard_id,
                    "startSequenceNumber": first["SequenceNumber"],
                    "endSequenceNumber": last["SequenceNumber"],
                    "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                    "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                    "batchSize": len(records),
                    "streamArn": self.stream_arn,
                },
            }
        )


def send_json(sqs: SQSClient, queue_url: str) -> Callable[[dict[str, Any]], None]:
    def send(payload: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(payload, default=str))

    return send
