"""Regenerate the event payloads in events/ (see events/README.md).

    .venv/bin/python events/generate.py

Each payload starts from ``sam local generate-event`` (the exact command is printed as it runs) and
is then adjusted to describe the seed article in the local stack's names, read from template.yaml
so the files follow the template. The stream record's NewImage is the item the real ingest handler
stores for the seed on moto, not a hand-written one.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "events"
SEED = REPO / "seeds" / "jeddah-ceasefire-talks.txt"
SEED_KEY = "seeds/jeddah-ceasefire-talks.txt"
# When the seed "was uploaded": the S3 notification's eventTime (the talks were on 11 March 2025).
EVENT_TIME = "2025-03-11T19:42:07.512Z"
LOCAL_PORT = 4566


def sam() -> str:
    found = shutil.which("sam") or str(REPO / ".tools" / "bin" / "sam")
    if not Path(found).exists():
        sys.exit("sam not found: run `make tools` (it installs .tools/bin/sam)")
    return found


def generate(*args: str) -> dict[str, Any]:
    command = [sam(), "local", "generate-event", *args]
    print("$", shlex.join(["sam", *command[1:]]))
    # No telemetry and no update check: this script must not reach the network.
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    data: dict[str, Any] = json.loads(out)
    return data


def write(name: str, data: dict[str, Any]) -> None:
    (EVENTS / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print("  ->", f"events/{name}")


def s3_put(bucket: str) -> dict[str, Any]:
    event = generate("s3", "put", "--region", "us-east-1", "--bucket", bucket, "--key", SEED_KEY)
    data = SEED.read_bytes()
    record = event["Records"][0]
    # What S3 sends today for a PUT into this bucket: schema 2.1, the real size and ETag (MD5 for
    # a single-part upload). No versionId: `sam local invoke` then reads the latest version, which
    # works against a freshly uploaded seed without knowing the id moto gave it.
    record["eventVersion"] = "2.1"
    record["eventTime"] = EVENT_TIME
    record["s3"]["configurationId"] = "IngestQueueNotification"
    obj = record["s3"]["object"]
    obj["size"] = len(data)
    obj["eTag"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    obj["sequencer"] = "0067D09D8F7A1B2C3D"
    return event


def sqs_message(queue_name: str, body: dict[str, Any], message_id: str) -> dict[str, Any]:
    # generate-event pastes --body into its JSON unescaped, so a JSON body goes in afterwards.
    event = generate(
        "sqs", "receive-message", "--region", "us-east-1", "--queue-name", queue_name,
        "--body", "BODY",
    )  # fmt: skip
    text = json.dumps(body, separators=(",", ":"))
    record = event["Records"][0]
    record["messageId"] = message_id
    record["body"] = text
    record["md5OfBody"] = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
    return event


def s3_test_event(bucket: str) -> dict[str, Any]:
    # S3 sends this once when the notification configuration is saved (not a generate-event type).
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2025-03-11T19:30:00.000Z",
        "Bucket": bucket,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    }


# The other delivery shapes have no `generate-event` template; each starts from the example in the
# AWS documentation page named above it and changes only names, ids and times to the seed's.
# S3 -> SNS -> SQS: https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html
# and the envelope of https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html
UPLOADS_TOPIC = "arn:aws:sns:us-east-1:123456789012:newswatch-local-uploads"


def sns_envelope(message: dict[str, Any], message_id: str) -> dict[str, Any]:
    """What an SQS subscriber without raw message delivery receives: SNS's JSON envelope, the
    S3 notification as a string in ``Message`` (S3 sets the subject "Amazon S3 Notification")."""
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": UPLOADS_TOPIC,
        "Subject": "Amazon S3 Notification",
        "Message": json.dumps(message, separators=(",", ":")),
        "Timestamp": "2025-03-11T19:42:07.611Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2e"
        "gU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+"
        "gLPoBc1Q=",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/"
        "SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
        f"{UPLOADS_TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
    }


def sns_lambda_event(message: dict[str, Any]) -> dict[str, Any]:
    """SNS invoking the function directly (`sam local generate-event sns notification`)."""
    event = generate("sns", "notification", "--region", "us-east-1", "--message", "BODY")
    record = event["Records"][0]
    envelope = sns_envelope(message, "95df01b4-ee98-5cb9-9903-4c221d41eb5e")
    # The Lambda record spells two of the envelope's fields differently; S3 sets no attributes.
    record["Sns"].update(
        {k: v for k, v in envelope.items() if k not in ("SigningCertURL", "UnsubscribeURL")}
    )
    record["Sns"]["SigningCertUrl"] = envelope["SigningCertURL"]
    record["Sns"]["UnsubscribeUrl"] = envelope["UnsubscribeURL"]
    record["Sns"]["MessageAttributes"] = {}
    record["Sns"]["TopicArn"] = UPLOADS_TOPIC
    record["EventSubscriptionArn"] = f"{UPLOADS_TOPIC}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55"
    return event


# https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html ("Object created")
def eventbridge_object_created(put: dict[str, Any]) -> dict[str, Any]:
    record = put["Records"][0]
    obj = record["s3"]["object"]
    bucket = record["s3"]["bucket"]["name"]
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": EVENT_TIME.replace(".512Z", "Z"),  # EventBridge times have whole seconds
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": obj["key"],
                "size": obj["size"],
                "etag": obj["eTag"],
                "sequencer": obj["sequencer"],
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": "123456789012",
            "source-ip-address": "1.2.3.4",
            "reason": "PutObject",
        },
    }


# Not a notification at all: a JSON body someone sent to the queue by hand. It must come back as
# a batch item failure (retried, then dead-lettered), never be acknowledged.
NOT_A_NOTIFICATION = {"bucket": "newswatch-local-articles-123456789012", "key": SEED_KEY}


def stored_item(s3_event: dict[str, Any]) -> dict[str, Any]:
    """The article item the real ingest handler stores for the seed, in DynamoDB JSON (moto)."""
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import boto3
    from moto import mock_aws

    from newswatch_tools.local.spec import load_spec

    spec = load_spec(REPO)
    bucket = s3_event["Records"][0]["s3"]["bucket"]["name"]
    from moto.moto_api._internal import mock_random

    with mock_aws():
        # A fixed seed: the version id moto gives the seed (a UUID, as on the local stack) is the
        # same on every run, so regenerating changes only what the code changed.
        mock_random.seed(20250311)
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=bucket)
        # Versioned, as template.yaml's bucket is: the item is keyed on the object's version.
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        version = s3.put_object(Bucket=bucket, Key=SEED_KEY, Body=SEED.read_bytes())["VersionId"]
        s3_event = json.loads(json.dumps(s3_event))
        # The notification of a versioned bucket names the version it is about.
        s3_event["Records"][0]["s3"]["object"]["versionId"] = version
        ddb = boto3.client("dynamodb")
        ddb.create_table(**spec.table)
        os.environ.update({k: v for k, v in spec.ingest.environment.items() if v})
        module_spec = importlib.util.spec_from_file_location("ingest_app", spec.ingest.handler_file)
        assert module_spec is not None and module_spec.loader is not None
        app = importlib.util.module_from_spec(module_spec)
        sys.modules["ingest_app"] = app  # dataclasses look their module up while it loads
        module_spec.loader.exec_module(app)
        print("  (running functions/ingest/app.py on moto for the stored item)")
        app.lambda_handler(s3_event)
        items = ddb.scan(TableName=spec.table_name)["Items"]
        (article,) = [i for i in items if i["type"]["S"] == "article"]
        # Binary values travel base64-encoded in a stream record's JSON (the packed fields).
        return {
            name: {"B": base64.b64encode(value["B"]).decode("ascii")} if "B" in value else value
            for name, value in article.items()
        }


def stream_insert(table: str, item: dict[str, Any]) -> dict[str, Any]:
    event = generate("dynamodb", "update", "--region", "us-east-1", "--table", table)
    record = event["Records"][0]
    created = datetime.fromisoformat(item["processed_at"]["S"].replace("Z", "+00:00"))
    record.update(eventID=uuid.uuid5(uuid.NAMESPACE_URL, item["pk"]["S"]).hex, eventName="INSERT")
    record["dynamodb"] = {
        "ApproximateCreationDateTime": int(created.timestamp()),
        "Keys": {"pk": item["pk"], "sk": item["sk"]},
        "NewImage": item,
        "SequenceNumber": "4421584500000000017450439091",
        "SizeBytes": len(json.dumps(item)),
        "StreamViewType": "NEW_IMAGE",
    }
    record["eventSourceARN"] = (
        f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2025-03-11T19:00:00.000"
    )
    event["Records"] = [record]
    return event


def scheduled(rule: str) -> dict[str, Any]:
    event = generate("cloudwatch", "scheduled-event", "--region", "us-east-1", "--rule", rule)
    event["time"] = "2025-03-12T00:00:00Z"
    event["id"] = "cdc73f9d-aea9-11e3-9d5a-835b769c0d9c"
    return event


def env_files(spec: Any) -> None:
    common = {
        "NEWSWATCH_TABLE": spec.table_name,
        "NEWSWATCH_TOPIC_ARN": spec.resolver.arn("AlertsTopic"),
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
    }
    # The container reaches the host as host.docker.internal: Docker Desktop names it so, and on
    # Linux `sam local invoke --add-host host.docker.internal:host-gateway` does (the local stack
    # then listens on an address the bridge reaches: `newswatch local up --host 0.0.0.0`).
    write(
        "env.json",
        {"Parameters": {**common, "AWS_ENDPOINT_URL": f"http://host.docker.internal:{LOCAL_PORT}"}},
    )


def main() -> int:
    sys.path.insert(0, str(REPO / "layers" / "core"))
    from newswatch_tools.local.spec import load_spec

    spec = load_spec(REPO)
    queue = spec.queue("IngestQueue").name
    put = s3_put(spec.bucket_name)
    write("s3-put.json", put)
    write("sqs-s3-put.json", sqs_message(queue, put, "2e1424d4-f796-459a-8184-9c92662be6da"))
    write(
        "s3-test-event.json",
        sqs_message(queue, s3_test_event(spec.bucket_name), "c7b7e8a2-0f5e-4b8c-9a57-1f1d3f0e6b11"),
    )
    write(
        "sqs-sns-s3-put.json",
        sqs_message(queue, sns_envelope(put, "8f5b4c2e-3a0d-5e4f-9b1a-6c7d8e9f0a1b"),
                    "0f1d2c3b-4a59-4867-9a8b-7c6d5e4f3a2b"),
    )  # fmt: skip
    raw = sqs_message(queue, put, "5b6a7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d")
    # Raw message delivery: the body is the S3 notification itself, sent by SNS.
    raw["Records"][0]["attributes"]["SenderId"] = "AIDAIT2UOQQY3AUEKVGXU"
    write("sqs-sns-raw-s3-put.json", raw)
    write("sns-s3-put.json", sns_lambda_event(put))
    bridge = eventbridge_object_created(put)
    write("eventbridge-s3-object-created.json", bridge)
    write(
        "sqs-eventbridge-s3-object-created.json",
        sqs_message(queue, bridge, "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"),
    )
    write(
        "sqs-not-a-notification.json",
        sqs_message(queue, NOT_A_NOTIFICATION, "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"),
    )
    write("dynamodb-stream-insert.json", stream_insert(spec.table_name, stored_item(put)))
    write("scheduled-digest.json", scheduled(f"{spec.stack_name}-DigestFunctionDigest"))
    env_files(spec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
