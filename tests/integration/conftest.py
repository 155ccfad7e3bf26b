"""Fixtures: fake AWS credentials and powertools settings, and the moto stack of awsstack.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from awsstack import REGION, TABLE, Stack, create_stack
from moto import mock_aws

from newswatch_tools.local import moto_patches


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "newswatch",
        "POWERTOOLS_METRICS_NAMESPACE": "newswatch",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "NEWSWATCH_TABLE": TABLE,
        "NEWSWATCH_WATCHED_TOPICS": "ceasefire,aid",
        "NEWSWATCH_MIN_TOPIC_SCORE": "0.3",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    # moto's tables are plain dicts: two threads' conditional writes of one key can both pass
    # their check. DynamoDB makes each operation atomic; so does this lock (as on the local stack).
    moto_patches.patch_dynamodb_locking()
    with mock_aws():
        created = create_stack()
        monkeypatch.setenv("NEWSWATCH_TOPIC_ARN", created.topic_arn)
        yield created
