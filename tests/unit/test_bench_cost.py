"""bench/cost.py's DynamoDB arithmetic: item sizes, write and read units, index entries."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
from bench_modules import load_bench

from newswatch.domain.neardup import BANDS

cost = load_bench("cost")
REPO = Path(__file__).resolve().parents[2]


def test_item_size_follows_dynamodbs_rules() -> None:
    # Names count, strings are UTF-8 bytes, numbers one byte per two significant digits plus one.
    assert cost.item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert cost.item_size({"n": {"N": "12345"}}) == 1 + 1 + 3
    assert cost.item_size({"n": {"N": "0.5000"}}) == 1 + 1 + 1
    assert cost.item_size({"é": {"S": "€"}}) == 2 + 3
    assert cost.item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 2 + 2
    # A list or map: 3 bytes, plus one per element, plus the elements (and a map's key names).
    assert cost.item_size({"l": {"L": [{"S": "ab"}, {"N": "7"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert cost.item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert cost.item_size(None) == 0


def test_write_units_take_the_larger_image_per_started_kilobyte() -> None:
    small = {"pk": {"S": "x" * 100}}
    large = {"pk": {"S": "x" * 2000}}
    assert cost.write_units(small) == 1
    assert cost.write_units(None) == 1  # a failed condition on a missing item still pays
    assert cost.write_units(small, large) == 2  # an update pays for the larger of the two
    assert cost.read_units(5000, consistent=True) == 2
    assert cost.read_units(5000, consistent=False) == 1
    assert cost.read_units(0, consistent=True) == 1


def test_index_writes_follow_the_projection_and_the_key() -> None:
    keys = ("pk", "sk")
    by_topic = cost.Index("ByTopic", ("topic", "uploaded_at"), "ALL")
    keys_only = cost.Index("ByX", ("x",), "KEYS_ONLY")
    item = {"pk": {"S": "a"}, "sk": {"S": "b"}, "topic": {"S": "aid"}, "uploaded_at": {"S": "t"}}
    changed = dict(item, note={"S": "n"})
    moved = dict(item, topic={"S": "war"})
    assert by_topic.write_units(None, item, keys) == 1  # a new entry
    assert by_topic.write_units({"pk": {"S": "a"}}, {"pk": {"S": "a"}}, keys) == 0  # sparse
    assert by_topic.write_units(item, changed, keys) == 1  # ALL projects every attribute
    assert by_topic.write_units(item, moved, keys) == 2  # a key change: delete and put
    assert by_topic.write_units(item, None, keys) == 1  # deleted
    with_x = dict(item, x={"S": "1"})
    assert keys_only.write_units(with_x, dict(with_x, note={"S": "n"}), keys) == 0
    assert keys_only.entry(with_x, keys) == {"pk": {"S": "a"}, "sk": {"S": "b"}, "x": {"S": "1"}}


def test_kms_requests_follow_aws_s_formula_for_encrypted_topics() -> None:
    """The SNS developer guide's example: one publisher, January (31 days), 17,856 requests."""
    assert round(cost.kms_requests_per_month(1) * 31 / cost.DAYS_PER_MONTH) == 17_856
    assert cost.kms_requests_per_month(2) == 2 * cost.kms_requests_per_month(1)


def test_embedded_metrics_are_counted_once_per_name_and_dimensions() -> None:
    line = (
        '{"_aws": {"CloudWatchMetrics": [{"Namespace": "newswatch", "Dimensions": [["service"]], '
        '"Metrics": [{"Name": "ArticlesProcessed"}, {"Name": "AlertsPublished"}]}]}, '
        '"service": "newswatch", "ArticlesProcessed": [1]}'
    )
    found = cost.emf_metrics(f"{line}\nnot json\n{line}\n")
    assert found == {
        ("newswatch", "ArticlesProcessed", "service=newswatch"),
        ("newswatch", "AlertsPublished", "service=newswatch"),
    }


def test_the_default_path_stays_within_its_request_and_write_budget(tmp_path: Path) -> None:
    """The repository's seed articles through the real handlers on moto, counted by the
    recorder: 5 requests to ingest an article, at most 4 more when it alerts."""
    seeds = sorted((REPO / "seeds").glob("*.txt")) + sorted((REPO / "seeds").glob("*.md"))
    rows = [json.dumps({"text": path.read_text(encoding="utf-8")}) for path in seeds]
    (tmp_path / "summarization-dev.jsonl").write_text("\n".join(rows) + "\n")
    saved = dict(os.environ)
    try:
        result = cost.bill(cost.run(len(rows), tmp_path))
    finally:
        os.environ.clear()
        os.environ.update(saved)
        boto3.DEFAULT_SESSION = None
    assert result["source"] == "shared-data"
    assert result["statuses"] == {"processed": len(rows)}
    ingest = result["requests_by_function"]["ingest"]
    alert = result["requests_by_function"]["alert"]
    assert ingest["invocations"] == len(rows) and alert["invocations"] >= 1
    assert ingest["requests_per_invocation"] == 5
    assert set(ingest["by_api"]) == {
        "s3:GetObject",
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:BatchWriteItem",
    }
    # The alert: claim and mark (conditional updates) and one publish.
    assert alert["requests_per_invocation"] <= 4
    assert alert["by_api"]["sns:Publish"] == alert["invocations"]
    assert result["requests_per_article"] <= 5 + 4
    # One unit for the content claim and one per band item, none of it transactional.
    by_item = result["write_units_per_article_by_item"]
    assert by_item["content"] == 1.0
    assert by_item["nearband"] == float(BANDS)
    assert abs(result["write_units_per_article"] - sum(by_item.values())) < 0.05
    assert result["usd_per_million_articles"] > 0
    # The daily digest and SNS's data keys are monthly costs, not a share of every article.
    assert not [line for line in result["bill_per_million_articles"] if "KMS" in line]
    fixed = result["fixed_usd_per_month"]
    assert any(line.startswith("DigestFunction") for line in fixed)
    assert any(line.startswith("KMS requests") for line in fixed)
