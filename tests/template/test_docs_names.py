"""The commands and transcripts in the docs name the bucket and topic the local stack creates.

The bucket's name follows the template (its region was added by issue 15), and the README's
sessions are meant to be pasted: a stale name there fails with NoSuchBucket for whoever tries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newswatch_tools.local.spec import load_spec

pytestmark = pytest.mark.tools

REPO = Path(__file__).resolve().parents[2]
DOCS = (REPO / "README.md", REPO / "RELIABILITY.md", REPO / "events" / "README.md")
SPEC = load_spec(REPO)
ACCOUNT = "123456789012"  # moto's default account, the local stack's


def mentions(pattern: str) -> set[str]:
    return {m for doc in DOCS if doc.exists() for m in re.findall(pattern, doc.read_text())}


def test_the_docs_name_the_local_bucket() -> None:
    named = mentions(r"newswatch-local-articles[\w.-]*")
    assert named, "the docs show no local bucket: this test checks nothing"
    assert named == {SPEC.bucket_name}


def test_the_docs_name_the_local_topic() -> None:
    named = mentions(r"arn:aws:sns:[\w-]+:\d+:newswatch-local-[A-Za-z]+Topic")
    assert named, "the docs show no local topic ARN: this test checks nothing"
    assert named == {f"arn:aws:sns:us-east-1:{ACCOUNT}:{SPEC.topic_name}"}
