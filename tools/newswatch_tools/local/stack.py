"""The embedded stack: moto's server, the template's resources, the pollers driving the handlers.

    with LocalStack() as stack:          # a free port, state in .newswatch-local.json
        stack.s3.put_object(Bucket=stack.bucket, Key="a.txt", Body=b"...")

Everything runs in this process (moto is imported here, never by the Lambda code). The handlers
see the environment the template gives them, plus ``AWS_ENDPOINT_URL`` pointing at the emulator
and dummy credentials, so no AWS account and no network are needed.

Why this module is long: one object owns the emulator's lifecycle (server, environment, resources,
execution environments, pollers, inbox) and the order they start and stop in; the parts themselves
live in resources.py, pollers.py, runtime.py, subscribers.py and state.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import logging
import os
import socket
import sys
import threading
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from newswatch_tools import environment
from newswatch_tools.local import moto_patches
from newswatch_tools.local.functions import LocalFunction
from newswatch_tools.local.pollers import SqsPoller, StreamPoller, send_json
from newswatch_tools.local.resources import create_resources
from newswatch_tools.local.runtime import Environment, InProcessEnvironment, ProcessEnvironment
from newswatch_tools.local.spec import StackSpec, load_spec
from newswatch_tools.local.state import (
    DUMMY_CREDENTIALS,
    LocalState,
    default_state_path,
    load_state,
)
from newswatch_tools.local.subscribers import DEMO_SUBSCRIBERS, DeliveryLog, Inbox, Subscriber
from newswatch_tools.local.template import (
    ACCOUNT_ID,
    ALERT_FAILURE_QUEUE_ID,
    QUEUE_ID,
    REGION,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

DEFAULT_PORT = 4566


class PortUnavailableError(OSError):
    """The stack's port is taken (or not ours to take); the message says which and what to do."""


def check_port_free(host: str, port: int) -> None:
    """Fail clearly: moto's server thread would die on a busy port and leave start() waiting."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortUnavailableError(f"{host}:{port} is in use; choose --port") from None
            raise PortUnavailableError(
                f"cannot listen on {host}:{port} ({error.strerror}); choose --port"
            ) from None


def function_environment(function: LocalFunction, endpoint_url: str) -> dict[str, str]:
    """The environment variables a function runs with on the local stack at ``endpoint_url``."""
    env = {
        "POWERTOOLS_METRICS_NAMESPACE": "newswatch",
        "POWERTOOLS_SERVICE_NAME": function.name,
        **function.environment,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
    }
    return env | DUMMY_CREDENTIALS


def scheduled_event(function: LocalFunction) -> dict[str, Any]:
    """The event a function's EventBridge schedule sends (the digest's daily run)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{function.name}-schedule"],
        "detail": {},
    }


def run_digest_once(state: LocalState, log_path: Path | None = None) -> Any:
    """Run the DigestFunction once against a running stack (``newswatch local digest``), in a
    child process of its own with the environment the stack gives it."""
    spec = load_spec(parameters=state.parameters, endpoint_url=state.endpoint_url)
    if spec.digest is None:
        raise RuntimeError("template.yaml has no DigestFunction")
    environment = ProcessEnvironment(
        spec.digest, function_environment(spec.digest, state.endpoint_url), log_path
    )
    try:
        return environment.invoke(scheduled_event(spec.digest))
    finally:
        environment.close()


class LocalStack:
    def __init__(
        self,
        root: Path | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        state_path: Path | None = None,
        subscribers: tuple[Subscriber, ...] = DEMO_SUBSCRIBERS,
        ingest_workers: int | None = None,
        parameters: Mapping[str, str] | None = None,
        write_state: bool = True,
        processes: bool = True,
        log_path: Path | None = None,
    ) -> None:
        self.root = root
        self.port = port
        self.host = host
        self.state_path = state_path or default_state_path()
        self.subscribers = subscribers
        self.ingest_workers = ingest_workers
        self.parameters = dict(parameters or {})
        self.write_state = write_state
        # Each execution environment a child process (like Lambda), or all in this process.
        self.processes = processes
        # Where child processes write the functions' logs (default: inherit this stdout).
        self.log_path = log_path
        self._server: Any = None
        # In this process, one invocation at a time across the functions: powertools keeps
        # per-invocation state (BatchProcessor, the Metrics set) in module and class globals,
        # which Lambda never shares between concurrent invocations but threads would.
        self._invoke_lock = threading.Lock()
        self._digest: Environment | None = None
        self._switch_interval: float | None = None
        self._saved_env: dict[str, str | None] = {}
        self.spec: StackSpec | None = None
        self.state: LocalState | None = None
        self.ingest_poller: SqsPoller | None = None
        self.alert_poller: StreamPoller | None = None
        self.inbox: Inbox | None = None
        # Every SNS delivery to any subscription (email and SMS included): `newswatch local inbox`.
        self.deliveries: DeliveryLog | None = None
        self._remove_delivery_sink: Any = None
        self._inbox_stop = threading.Event()
        self._inbox_threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        # Listening on every address (for containers): this process connects over loopback.
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> LocalState:
        from moto.server import ThreadedMotoServer

        if self.port:
            check_port_free(self.host, self.port)
        # One line per HTTP request from werkzeug would drown the handlers' own logs.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # powertools warns on every invocation that publishes no metric (e.g. s3:TestEvent).
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self._set_env(DUMMY_CREDENTIALS | {"AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION})
        moto_patches.apply()
        # The handlers, the pollers and moto's request threads share one interpreter; a shorter
        # switch interval keeps a CPU-bound handler from stalling every HTTP round trip.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, 0.001))
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        try:
            self.spec = load_spec(self.root, self.parameters, endpoint_url=self.endpoint_url)
            self.state = dataclasses.replace(
                create_resources(
                    self.client, self.spec, self.subscribers, self.endpoint_url, self.state_path
                ),
                parameters=dict(self.parameters),
            )
            self._start_pollers(self.spec, self.state)
        except BaseException:
            self.stop()
            raise
        if self.write_state:
            self.state.write(self.state_path)
        return self.state

    def stop(self) -> None:
        for poller in (self.ingest_poller, self.alert_poller):
            if poller is not None:
                poller.stop()
        if self._digest is not None:
            self._digest.close()
            self._digest = None
        self._inbox_stop.set()
        if self._remove_delivery_sink is not None:
            self._remove_delivery_sink()
            self._remove_delivery_sink = None
        for thread in self._inbox_threads:
            thread.join(10)
        self._inbox_threads = []
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.write_state and self.state is not None:
            current = load_state(self.state_path)
            # Another stack may have taken the state file over since; leave its file alone.
            if current is not None and current.endpoint_url == self.state.endpoint_url:
                self.state_path.unlink(missing_ok=True)
        self._restore_env()
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def _set_env(self, values: Mapping[str, str]) -> None:
        for name, value in environment.set_variables(values).items():
            self._saved_env.setdefault(name, value)

    def _restore_env(self) -> None:
        environment.restore_variables(self._saved_env)
        self._saved_env.clear()

    # -- clients -----------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    @property
    def s3(self) -> S3Client:
        client: S3Client = self.client("s3")
        return client

    @property
    def sqs(self) -> SQSClient:
        client: SQSClient = self.client("sqs")
        return client

    @property
    def dynamodb(self) -> DynamoDBClient:
        client: DynamoDBClient = self.client("dynamodb")
        return client

    @property
    def bucket(self) -> str:
        assert self.state is not None, "start() the stack first"
        return self.state.bucket

    @property
    def table(self) -> str:
        assert self.state is not None, "start() the stack first"
        return self.state.table

    # -- resources ---------------------------------------------------------------------------

    # -- functions and pollers -----------------------------------------------------------------

    def function_environment(self, function: LocalFunction) -> dict[str, str]:
        return function_environment(function, self.endpoint_url)

    def _environments(self, function: LocalFunction, count: int) -> list[Environment]:
        """``count`` execution environments of ``function``, started (cold) now."""
        env = self.function_environment(function)
        if not self.processes:
            # A handler may read its settings when imported, so import it with its own environment.
            self._set_env(env)
            handler = function.load()
            return [InProcessEnvironment(function, handler, self._invoke_lock)] * count
        started = [ProcessEnvironment(function, env, self.log_path) for _ in range(count)]
        errors: list[BaseException] = []

        def warm(environment: ProcessEnvironment) -> None:
            try:
                environment.warm()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=warm, args=(e,)) for e in started]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            for environment in started:
                environment.close()
            raise RuntimeError(
                f"{function.name}: cannot import {function.handler_file} ({errors[0]!r}); "
                "its traceback is in the functions' log"
            )
        return list(started)

    def _start_pollers(self, spec: StackSpec, state: LocalState) -> None:
        concurrency = self.ingest_workers or spec.ingest_source.max_concurrency
        if self.processes:
            # More environments than cores only add memory: the work is CPU-bound here.
            concurrency = self.ingest_workers or min(concurrency, os.cpu_count() or 1)
        ingest = self._environments(spec.ingest, concurrency)
        # From here on: how many ingest environments actually run.
        self.ingest_workers = concurrency
        alert = self._environments(spec.alert, 1)[0]
        sqs: SQSClient = self.client("sqs")
        streams: DynamoDBStreamsClient = self.client("dynamodbstreams")
        on_failure = None
        failure_id = spec.alert_source.on_failure_id or ALERT_FAILURE_QUEUE_ID
        if failure_id in state.queues:
            on_failure = send_json(sqs, state.queues[failure_id])

        self.ingest_poller = SqsPoller(
            sqs,
            state.queues[QUEUE_ID],
            spec.resolver.arn(QUEUE_ID),
            spec.ingest,
            ingest,
            batch_size=spec.ingest_source.batch_size,
            patterns=spec.ingest_source.patterns,
        )
        self.alert_poller = StreamPoller(
            streams,
            state.stream_arn,
            spec.alert,
            alert,
            batch_size=spec.alert_source.batch_size,
            patterns=spec.alert_source.patterns,
            max_retry_attempts=spec.alert_source.max_retry_attempts,
            bisect_on_error=spec.alert_source.bisect_on_error,
            on_failure=on_failure,
            starting_position=spec.alert_source.starting_position,
        )
        self.deliveries = DeliveryLog(
            state.topic_arn, Path(state.inbox_dir) if self.write_state else None
        )
        self._remove_delivery_sink = moto_patches.patch_sns_deliveries(self.deliveries)
        self.inbox = Inbox(
            sqs,
            state.topic_arn,
            state.bucket,
            {name: info["queue_url"] for name, info in state.subscribers.items()},
            self.subscribers,
            folder=Path(state.inbox_dir) if self.write_state else None,
        )
        self.ingest_poller.start()
        self.alert_poller.start()
        for name in state.subscribers:
            thread = threading.Thread(
                target=self._drain_inbox, args=(name,), name=f"newswatch-inbox-{name}", daemon=True
            )
            thread.start()
            self._inbox_threads.append(thread)

    def _drain_inbox(self, name: str) -> None:
        assert self.inbox is not None
        while not self._inbox_stop.is_set():
            try:
                self.inbox.poll(name, wait_seconds=1)
            except Exception:
                # Refused calls while the server shuts down; anything else shows in status().
                self._inbox_stop.wait(1.0)

    def invoke_digest(self) -> Any:
        """Run the DigestFunction once, with the event its EventBridge schedule would send."""
        assert self.spec is not None, "start() the stack first"
        function = self.spec.digest
        if function is None:
            raise RuntimeError("template.yaml has no DigestFunction")
        if self._digest is None:
            self._digest = self._environments(function, 1)[0]
        return self._digest.invoke(scheduled_event(function))

    # -- observation -------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        assert self.state is not None
        sqs: SQSClient = self.client("sqs")
        depths = {}
        for logical_id, url in self.state.queues.items():
            attributes = sqs.get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            depths[logical_id] = {
                "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
                "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            }
        return {
            "endpoint_url": self.endpoint_url,
            "queues": depths,
            "ingest": self.ingest_poller.stats.as_dict() if self.ingest_poller else {},
            "alert": self.alert_poller.stats.as_dict() if self.alert_poller else {},
            "inbox": {k: len(v) for k, v in (self.inbox.snapshot() if self.inbox else {}).items()},
        }

    def queue_backlog(self) -> int:
        """Messages waiting or in flight on the ingest queue."""
        assert self.state is not None
        sqs: SQSClient = self.client("sqs")
        attributes = sqs.get_queue_attributes(
            QueueUrl=self.state.queues[QUEUE_ID],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def items(self, fields: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Every article item in the table (plain Python values), or only ``fields`` of each."""
        from newswatch.adapters.dynamodb_codec import deserialize_item

        dynamodb: DynamoDBClient = self.client("dynamodb")
        found: list[dict[str, Any]] = []
        names = {"#t": "type"} | {f"#f{i}": name for i, name in enumerate(fields)}
        scan: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": "#t = :article",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {":article": {"S": "article"}},
        }
        if fields:
            # With the keys: an article's bucket, key and version id are read from them.
            scan["ProjectionExpression"] = ", ".join(
                ["pk", "sk", *(f"#f{i}" for i in range(len(fields)))]
            )
        paginator = dynamodb.get_paginator("scan")
        for page in paginator.paginate(**scan):
            for item in page.get("Items", []):
                found.append(deserialize_item(item))
        return found
