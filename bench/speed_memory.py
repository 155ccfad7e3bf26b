"""Speed, peak memory: the peak RSS of a fresh process that imports the ingest handler and runs
one SQS-shaped ingest of the seed article against a moto server (in this process, so the
emulator's memory is not counted), next to a fresh interpreter that only imports boto3."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

from speed_env import REPO, lambda_env, run_child
from speed_stats import median

SEED = REPO / "seeds" / "jeddah-ceasefire-talks.txt"

_MEMORY_HANDLER = """
import importlib, json, sys
sys.path.insert(0, {folder!r})
app = importlib.import_module("app")
response = app.lambda_handler(json.loads({event!r}))
{peak}
print(json.dumps({{"maxrss_kb": peak_kb(), "response": response}}))
"""
# Peak RSS of this process image. Linux keeps ru_maxrss across execve, so a child started from a
# big parent would report the parent's peak; VmHWM belongs to the new address space.
_PEAK_KB = """
def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
_MEMORY_BOTO3 = f"""
import json
import boto3
{_PEAK_KB}
print(json.dumps({{"maxrss_kb": peak_kb()}}))
"""
_MEMORY_BOTO3_CLIENTS = f"""
import json
import boto3
boto3.client("s3"), boto3.client("dynamodb")
{_PEAK_KB}
print(json.dumps({{"maxrss_kb": peak_kb()}}))
"""


def sqs_event(bucket: str, key: str, version_id: str | None, size: int) -> dict[str, Any]:
    """events/sqs-s3-put.json with its S3 notification pointed at the given object."""
    event: dict[str, Any] = json.loads((REPO / "events" / "sqs-s3-put.json").read_text())
    record = event["Records"][0]
    notification = json.loads(record["body"])
    s3 = notification["Records"][0]["s3"]
    s3["bucket"]["name"] = bucket
    s3["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
    s3["object"]["key"] = key
    s3["object"]["size"] = size
    if version_id:
        s3["object"]["versionId"] = version_id
    notification["Records"][0]["eventTime"] = datetime.now().astimezone().isoformat()
    record["body"] = json.dumps(notification)
    event["Records"] = [record]
    return event


def bench_memory(runs: int) -> dict[str, Any]:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from newswatch_tools.local.spec import load_spec

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    try:
        env = lambda_env({"AWS_ENDPOINT_URL": endpoint})
        spec = load_spec(REPO)
        # Names of our own: moto's backends are per process, and the e2e section's local stack
        # later creates the template's names in this same process.
        bucket = "newswatch-bench-articles"

        def client(name: str) -> Any:
            return boto3.client(
                name,  # type: ignore[call-overload]
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        s3 = client("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        env["NEWSWATCH_TOPIC_ARN"] = client("sns").create_topic(Name="newswatch-bench-alerts")[
            "TopicArn"
        ]
        body = SEED.read_bytes()
        handler_kb: list[int] = []
        responses: list[Any] = []
        stored: list[str | None] = []
        for index in range(runs):
            # A table per run: in a shared one the same seed would be a duplicate the second
            # time, a shorter path than the full analysis measured here.
            table = f"newswatch-bench-memory-{index}"
            client("dynamodb").create_table(**dict(spec.table, TableName=table))
            key = f"bench/{index}-{SEED.name}"
            version = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain")
            event = sqs_event(bucket, key, version.get("VersionId"), len(body))
            code = _MEMORY_HANDLER.format(
                folder=str(REPO / "functions" / "ingest"), event=json.dumps(event), peak=_PEAK_KB
            )
            result, _ = run_child(code, {**env, "NEWSWATCH_TABLE": table})
            handler_kb.append(int(result["maxrss_kb"]))
            responses.append(result["response"])
            stored += [
                item.get("status", {}).get("S")
                for item in client("dynamodb").scan(TableName=table)["Items"]
                if item.get("type", {}).get("S") == "article"
            ]
    finally:
        # Leave moto's in-process state empty for the sections that follow.
        import urllib.request

        reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(reset, timeout=10).close()
        server.stop()
    boto3_kb = [int(run_child(_MEMORY_BOTO3, env)[0]["maxrss_kb"]) for _ in range(runs)]
    clients_kb = [int(run_child(_MEMORY_BOTO3_CLIENTS, env)[0]["maxrss_kb"]) for _ in range(runs)]
    handler_mb = median(handler_kb) / 1024
    boto3_mb = median(boto3_kb) / 1024
    return {
        "seed": SEED.name,
        "runs": runs,
        "handler_invocation_mb": round(handler_mb, 1),
        "boto3_import_mb": round(boto3_mb, 1),
        "boto3_two_clients_mb": round(median(clients_kb) / 1024, 1),
        "ratio": round(handler_mb / boto3_mb, 2),
        "handler_maxrss_kb": handler_kb,
        "stored_statuses": stored,
        "batch_item_failures": [r.get("batchItemFailures") for r in responses],
    }
