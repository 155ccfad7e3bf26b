"""The articles table over DynamoDB: article items, their topic entries and content claims
(:class:`~newswatch.ports.ArticleStore`), with the alert state machine
(:mod:`~newswatch.adapters.dynamodb_alerts`) and the near-duplicate bands
(:mod:`~newswatch.adapters.dynamodb_bands`) on the same table and client. Keys and item layout:
:mod:`newswatch.domain.records`; wire format: :mod:`newswatch.adapters.dynamodb_codec`.

- Article item: written with ``attribute_not_exists(pk)`` so each object version has exactly one
  item however often (and however concurrently) S3 delivers its notification.
- Topic entry items are written in the same transaction, so the archive index is never half
  written.
- The ``content#<sha256>`` item is claimed in the first processed article's transaction, so
  duplicates are decided race-free with consistent reads. ``ByHash`` is the fallback lookup.

Numbers are stored as Decimal (DynamoDB rejects floats); reads return Decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from newswatch.adapters.dynamodb_alerts import DynamoAlertStates
from newswatch.adapters.dynamodb_bands import DynamoNearDuplicateIndex
from newswatch.adapters.dynamodb_codec import error_code, serialize_item
from newswatch.adapters.dynamodb_table import MAX_TRANSACTION_ITEMS
from newswatch.domain.records import (
    CONTENT_SK,
    PROCESSED,
    article_pk,
    article_sk,
    content_item,
    content_pk,
)
from newswatch.ports import PutResult

BY_HASH_INDEX = "ByHash"


class DynamoArticleStore(DynamoAlertStates, DynamoNearDuplicateIndex):
    """ArticleStore, AlertStates and NearDuplicateIndex over one client and table."""

    # -- reads --------------------------------------------------------------------------------

    def get_article(self, bucket: str, key: str, version_id: str | None) -> dict[str, Any] | None:
        return self.get(article_pk(bucket, key), article_sk(version_id))

    def versions(self, bucket: str, key: str) -> list[dict[str, Any]]:
        """Every stored version of one object (article items only), oldest version key first."""
        return list(
            self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :v)",
                ExpressionAttributeValues={
                    ":pk": {"S": article_pk(bucket, key)},
                    ":v": {"S": "v#"},
                },
            )
        )

    def find_original(
        self, content_sha256: str, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None:
        """The first processed article with these bytes, other than ``exclude`` (pk, sk).

        Two consistent reads: the ``content#`` item, then the article it names. Articles stored
        without one are found through ``ByHash`` (eventually consistent; the index may project
        keys only, as template.yaml's does, so each candidate is read in full).
        """
        if not content_sha256:
            return None
        first = self.get(content_pk(content_sha256), CONTENT_SK)
        if first is not None:
            ref = (str(first["article_pk"]), str(first["article_sk"]))
            if ref == exclude:
                return None
            article = self.get(*ref)
            if article is not None and article.get("status") == PROCESSED:
                return article
        for key in self._query(
            IndexName=BY_HASH_INDEX,
            KeyConditionExpression="content_sha256 = :h",
            ExpressionAttributeValues={":h": {"S": content_sha256}},
            ScanIndexForward=True,
        ):
            if (key.get("pk"), key.get("sk")) == exclude:
                continue
            item = key if "status" in key else self.get(str(key["pk"]), str(key["sk"]))
            if item and item.get("type") == "article" and item.get("status") == PROCESSED:
                return item
        return None

    # -- writes -------------------------------------------------------------------------------

    def put_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]] = (),
        *,
        claim_content: bool = False,
    ) -> str:
        """Store an article and its topic entries in one transaction (see :class:`PutResult`).

        ``claim_content``: also write the ``content#<sha256>`` item naming this article as the
        first with these bytes, on condition that no article claimed them before. Two uploads of
        the same bytes under different keys, however close together, then store one original.
        """
        extra = len(topic_items) + (1 if claim_content else 0)
        if extra + 1 > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"at most {MAX_TRANSACTION_ITEMS - 2} topic items per article")
        article_put: dict[str, Any] = {
            "TableName": self.table,
            "Item": serialize_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        if not extra:
            try:
                self.client.put_item(**article_put)
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    return PutResult.EXISTS
                raise
            return PutResult.STORED
        actions: list[Any] = [{"Put": article_put}]
        if claim_content:
            content = content_item(item)
            actions.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": serialize_item(content),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        actions += [
            {"Put": {"TableName": self.table, "Item": serialize_item(t)}} for t in topic_items
        ]
        try:
            self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            reasons = [
                str(r.get("Code", "None")) for r in error.response.get("CancellationReasons", [])
            ]
            if "ConditionalCheckFailed" not in reasons and "ConditionalCheckFailed" not in str(
                error
            ):
                # TransactionConflict, throttling...: transient, the message is retried.
                raise
            if reasons[:1] == ["ConditionalCheckFailed"] or self.get(item["pk"], item["sk"]):
                return PutResult.EXISTS
            return PutResult.CONTENT_TAKEN
        return PutResult.STORED
