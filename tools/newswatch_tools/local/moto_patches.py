"""Three places where moto (5.x) differs from AWS in a way the local flow would notice, four of
its costs that a load test pays per request or per queued message, and one window onto what SNS
delivered.

Each is patched in this process only (the local stack runs moto's server in-process):

- S3 event records lack ``versionId`` and ``sequencer``; the ingest handler keys its items by
  object version, so the records get them, as S3 sends them for a versioned bucket. And a delete
  in a versioned bucket (``aws s3 rm``: a delete marker) notifies nothing, where S3 sends
  ``ObjectRemoved:DeleteMarkerCreated``, which retracts the key's articles, and deleting one of a
  key's several versions notifies nothing either (moto sends ``ObjectRemoved:Delete`` only for
  the last): both are sent, as S3 sends them.
- ``TransactWriteItems`` deep-copies every table it touches (once per action) to roll back a
  cancelled transaction, then swaps the copy in. That costs time linear in the table size per
  transaction (quadratic over a load test) and, worse, replaces the table's stream shard, so a
  stream reader's iterator silently stops seeing new records after any cancelled transaction.
  The replacement checks every condition first and writes only if all pass, like DynamoDB; an
  error while writing undoes the actions already applied, item by item, in the same table.
- DynamoDB operations are not atomic across moto's request threads (see
  :func:`patch_dynamodb_locking`).
- Costs that grow with the load and that a local run of thousands of articles would feel
  (:func:`patch_load_costs`): a stream read (``GetRecords``) goes through moto's generic response
  serializer, about 30 ms for a page of article images (the same JSON written directly takes well
  under 1 ms); each message an SQS receive hands out recomputes every queue attribute, with
  three passes over all the queue's messages, only to read the retention period: quadratic in
  the backlog; every receive and queue-depth read asks each queued message whether it is
  visible and not delayed, and each answer builds two datetimes to tell the time (now the
  clock's seconds, the same value); and every request finds its service by listing moto's
  package folder and testing each entry for a directory (now once per host, under the server's
  lock). With 1,000 articles the last two were about a sixth of the server's busy samples
  (py-spy, RELIABILITY.md section 5).
- moto accepts email and SMS subscriptions but delivers nothing to them, so what such a
  subscriber would have received is invisible. :func:`patch_sns_deliveries` hands every delivery
  that passed a subscription's filter policy (any protocol) to a sink: the local stack's inbox.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PATCHED = "_newswatch_patched"


def patch_s3_notifications() -> None:
    from moto.s3 import notifications

    if getattr(notifications, _PATCHED, False):
        return
    original = notifications._get_s3_event

    def get_s3_event(
        event_name: str, bucket: Any, key: Any, notification_id: str
    ) -> dict[str, list[dict[str, Any]]]:
        event = original(event_name, bucket, key, notification_id)
        obj = event["Records"][0]["s3"]["object"]
        if bucket.is_versioned and key.version_id and key.version_id != "null":
            obj["versionId"] = key.version_id
        obj["sequencer"] = f"{time.time_ns():018X}"
        return event

    notifications._get_s3_event = get_s3_event
    setattr(notifications, _PATCHED, True)
    _patch_delete_marker_notifications()


def _patch_delete_marker_notifications() -> None:
    from types import SimpleNamespace

    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    original = S3Backend.delete_object

    def delete_object(
        self: Any,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
    ) -> tuple[bool, dict[str, Any]]:
        deleted, meta = original(self, bucket_name, key_name, version_id, bypass)
        bucket = self.get_bucket(bucket_name)
        event = None
        if deleted and meta.get("delete-marker") == "true" and version_id is None:
            event = "s3:ObjectRemoved:DeleteMarkerCreated"
        elif deleted and version_id is not None and key_name in bucket.keys:
            # One version of several deleted for good: moto notifies only when the last goes.
            event = "s3:ObjectRemoved:Delete"
        if event is not None:
            # What S3's record describes: the key and the version (or marker), no bytes.
            gone = SimpleNamespace(
                name=key_name, etag="", size=0, version_id=meta.get("version-id")
            )
            notifications.send_event(self.account_id, event, bucket, gone)  # type: ignore[arg-type]
        return deleted, meta

    S3Backend.delete_object = delete_object  # type: ignore[method-assign]


def _key_of(backend: Any, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


Action = tuple[str, dict[str, Any], dict[str, Any]]


def _check(backend: Any, transact_items: list[dict[str, Any]]) -> list[Action]:
    """Validate every action against the current items, writing nothing."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    actions: list[Action] = []
    seen: set[tuple[str, str]] = set()
    errors: list[tuple[Any, Any, Any]] = []
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException()
        op_type, op = next(iter(entry.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        key = _key_of(backend, op_type, op)
        identity = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        actions.append((op_type, op, key))
        current = backend.get_item(op["TableName"], key)
        condition = op.get("ConditionExpression")
        if condition is not None:
            check = get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            )
            if not check.expr(current):
                old = None
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old = current.to_json()["Attributes"]
                errors.append(("ConditionalCheckFailed", "The conditional request failed", old))
                continue
        errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    return actions


def _apply(backend: Any, actions: list[Action]) -> None:
    """Write the checked actions; on an error, undo those already written and re-raise."""
    undo: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    try:
        for op_type, op, key in actions:
            if op_type == "ConditionCheck":
                continue
            table_name = op["TableName"]
            before = backend.get_item(table_name, key)
            undo.append((table_name, key, before.to_json()["Attributes"] if before else None))
            if op_type == "Put":
                backend.put_item(table_name, op["Item"])
            elif op_type == "Delete":
                backend.delete_item(table_name, key)
            else:
                backend.update_item(
                    table_name,
                    key,
                    update_expression=op["UpdateExpression"],
                    expression_attribute_names=op.get("ExpressionAttributeNames"),
                    expression_attribute_values=op.get("ExpressionAttributeValues"),
                )
    except Exception:
        for table_name, key, before in reversed(undo):
            if before is None:
                backend.delete_item(table_name, key)
            else:
                backend.put_item(table_name, before)
        raise


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto's DynamoDBBackend.transact_write_items without the table copies (see module doc)."""
    from moto.dynamodb.exceptions import MockValidationException, TransactionCanceledException

    actions = _check(self, transact_items)
    try:
        _apply(self, actions)
    except MockValidationException:
        raise
    except Exception as error:
        raise TransactionCanceledException(
            [(type(error).__name__, str(error), None)] * len(transact_items)
        ) from error


def patch_dynamodb_transactions() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, _PATCHED, False):
        return
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    setattr(DynamoDBBackend, _PATCHED, True)


# The DynamoDB operations the functions and the CLI use; they never wait, so a lock is cheap.
_LOCKED_DYNAMODB_METHODS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)


def patch_dynamodb_locking() -> None:
    """One DynamoDB operation at a time in the emulator.

    moto's server handles each request in its own thread, and its tables are plain dicts: a query
    iterating a table while another request inserts fails ("dictionary changed size during
    iteration"), and two conditional writes of one key can both pass their check. DynamoDB makes
    each item operation (and each transaction) atomic; one lock over the backend gives that.
    """
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, _PATCHED + "_locking", False):
        return
    lock = threading.RLock()
    for name in _LOCKED_DYNAMODB_METHODS:
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, functools.wraps(original)(locked))
    setattr(DynamoDBBackend, _PATCHED + "_locking", True)


@dataclass(frozen=True)
class SnsDelivery:
    subscription: Any  # moto's Subscription
    body: str  # what the subscription's protocol receives
    default: str  # the message's default body (the JSON alert)
    message_id: str
    subject: str | None
    attributes: dict[str, Any]  # {"name": {"Type": ..., "Value": ...}}


DeliverySink = Callable[[SnsDelivery], None]
_delivery_sinks: list[DeliverySink] = []


def patch_sns_deliveries(sink: DeliverySink) -> Callable[[], None]:
    """Call ``sink`` for each SNS delivery; returns a function that removes the sink."""
    from moto.sns.models import Subscription

    _delivery_sinks.append(sink)
    if not getattr(Subscription, _PATCHED, False):
        original = Subscription.publish

        @functools.wraps(original)
        def publish(self: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
            original(self, message, message_id, *args, **kwargs)
            subject = kwargs.get("subject", args[0] if args else None)
            attributes = kwargs.get("message_attributes", args[1] if len(args) > 1 else None)
            structure = kwargs.get("message_structure", args[4] if len(args) > 4 else None)
            matcher = self._filter_policy_matcher
            if matcher is not None and not matcher.matches(attributes, message):
                return
            body = default = message
            if structure == "json":
                bodies = json.loads(message)
                default = str(bodies.get("default", ""))
                body = str(bodies.get(self.protocol) or default)
            for deliver in list(_delivery_sinks):
                deliver(
                    SnsDelivery(self, body, default, message_id, subject, dict(attributes or {}))
                )

        Subscription.publish = publish  # type: ignore[method-assign]
        setattr(Subscription, _PATCHED, True)

    def remove() -> None:
        if sink in _delivery_sinks:
            _delivery_sinks.remove(sink)

    return remove


def _stream_json(value: Any) -> Any:
    # The JSON protocol's timestamps are epoch seconds and its binary values base64; moto's
    # records hold datetimes and bytes.
    if hasattr(value, "timestamp"):
        return value.timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def patch_load_costs() -> None:
    """GetRecords answered with its JSON written directly; SQS's retention check reads the one
    attribute it needs; SQS tells the time from the clock; each host's service is looked up once
    (see the module doc)."""
    from moto.core.utils import unix_time, unix_time_millis
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.sqs import models as sqs_models
    from moto.sqs.models import SQSBackend

    if getattr(DynamoDBStreamsHandler, _PATCHED, False):
        return

    def get_records(self: Any) -> str:
        limit = self._get_param("Limit")
        page = self.backend.get_records(self._get_param("ShardIterator"), limit or 1000)
        return json.dumps(page, default=_stream_json)

    def is_message_valid_based_on_retention_period(
        self: Any, queue_name: str, message: Any
    ) -> bool:
        retention_period = self.get_queue(queue_name).message_retention_period
        return bool(int(retention_period) + message.sent_timestamp / 1000 > unix_time())

    def clock_millis(dt: Any = None) -> float:
        # moto's unix_time_millis(): now as datetimes, minus the epoch as a datetime.
        return time.time() * 1000.0 if dt is None else float(unix_time_millis(dt))

    find_backend = DomainDispatcherApplication.get_backend_for_host
    backends: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in backends:
            backends[host] = find_backend(self, host)
        return backends[host]

    sqs_models.unix_time_millis = clock_millis  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]
    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign,assignment]
    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )
    setattr(DynamoDBStreamsHandler, _PATCHED, True)


def apply() -> None:
    patch_s3_notifications()
    patch_load_costs()
    patch_dynamodb_transactions()
    patch_dynamodb_locking()
