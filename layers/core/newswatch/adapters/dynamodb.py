"""The articles table over DynamoDB: article items, their index entries and content claims
(:class:`~newswatch.ports.ArticleStore`), with the alert state machine
(:mod:`~newswatch.adapters.dynamodb_alerts`) and the near-duplicate bands
(:mod:`~newswatch.adapters.dynamodb_bands`) on the same table and client. Keys and item layout:
:mod:`newswatch.domain.records`; wire format: :mod:`newswatch.adapters.dynamodb_codec`.

- Article item: written with ``attribute_not_exists(pk)`` so each object version has exactly one
  item however often (and however concurrently) S3 delivers its notification.
- The ``content#<sha256>`` item is claimed (a conditional update) before the first processed
  article with those bytes is stored, so duplicates are decided race-free with consistent reads.
- Topic and place entries, and band items the article is the first in, follow in one
  BatchWriteItem; a crash before it is repaired by the message's retry (:meth:`put_entries`).

Numbers are stored as Decimal (DynamoDB rejects floats); reads return Decimals.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from newswatch.adapters.dynamodb_alerts import DynamoAlertStates
from newswatch.adapters.dynamodb_bands import (
    BATCH_GET_ATTEMPTS,
    DynamoNearDuplicateIndex,
    NearDuplicateLookupError,
)
from newswatch.adapters.dynamodb_codec import is_condition_failure, serialize_item
from newswatch.adapters.dynamodb_table import item_key
from newswatch.domain.records import RETRACTED, article_pk, article_sk, content_key
from newswatch.ports import PutResult

# BatchWriteItem takes at most 25 items a request.
MAX_BATCH_WRITE = 25


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

        Two consistent reads: the ``content#`` item, then the article it names. (No index is
        queried: every processed article claims its ``content#`` item before it is stored.)
        """
        if not content_sha256:
            return None
        return self.original_named_by(self.get(*content_key(content_sha256)), exclude)

    # -- writes -------------------------------------------------------------------------------

    def put_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]] = (),
        *,
        claim_content: bool = False,
        new_items: Sequence[Mapping[str, Any]] = (),
    ) -> str:
        """Store an article, then its topic entries (see :class:`PutResult`).

        ``claim_content``: first write the ``content#<sha256>`` item naming this article as the
        first with these bytes, on condition that no other article claimed them. Two uploads of
        the same bytes under different keys, however close together, then store one original.

        Each write is the cheapest that keeps its guarantee: the claim and the article are
        conditional PutItems (a transaction would cost twice the write units); the topic entries
        and ``new_items`` (items no other article writes, such as band items this article is
        the first in) go in one BatchWriteItem once the article is stored. A crash before that
        batch leaves a stored article without entries; the message's retry finds the article and
        writes them again (:meth:`put_entries`), as puts of the same items are idempotent.
        """
        if claim_content and not self._claim_content(item):
            if self.get(str(item["pk"]), str(item["sk"])):
                return PutResult.EXISTS
            return PutResult.CONTENT_TAKEN
        try:
            self.client.put_item(
                TableName=self.table,
                Item=serialize_item(item),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return PutResult.EXISTS
            raise
        self.put_entries([*topic_items, *new_items])
        return PutResult.STORED

    def _claim_content(self, article: Mapping[str, Any]) -> bool:
        """Name ``article`` as the first with its bytes; False if another article was first."""
        return self._update_if(
            Key=item_key(*content_key(str(article["content_sha256"]))),
            UpdateExpression="SET #type = :type, article_pk = :apk, article_sk = :ask, "
            "uploaded_at = :at",
            # The same article may claim again: a retry after a crash between claim and put.
            ConditionExpression="attribute_not_exists(pk) OR "
            "(article_pk = :apk AND article_sk = :ask)",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={
                ":type": {"S": "content"},
                ":apk": {"S": str(article["pk"])},
                ":ask": {"S": str(article["sk"])},
                ":at": {"S": str(article.get("uploaded_at") or "")},
            },
        )

    def retract_article(self, pk: str, sk: str, retracted_at: str) -> bool:
        """Mark a stored article ``retracted`` (its earlier status kept as ``retracted_from``)."""
        return self._update_if(
            Key=item_key(pk, sk),
            UpdateExpression="SET retracted_from = #status, #status = :retracted, "
            "retracted_at = :at",
            ConditionExpression="attribute_exists(pk) AND #status <> :retracted",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":retracted": {"S": RETRACTED},
                ":at": {"S": retracted_at},
            },
        )

    def delete_items(self, keys: Sequence[tuple[str, str]]) -> None:
        """Delete items with BatchWriteItem (25 a request); deleting an absent item is no error."""
        self._batch_write([{"DeleteRequest": {"Key": item_key(pk, sk)}} for pk, sk in keys])

    def release_content(self, claim: tuple[str, str], pk: str, sk: str) -> bool:
        """Delete the content claim ``claim`` if it names the article (pk, sk).

        A read, then an unconditional delete (BatchWriteItem: no DeleteItem grant): a claim that
        names an article is never taken over by another, so nothing can change it in between.
        """
        item = self.get(*claim)
        if item is None or (item.get("article_pk"), item.get("article_sk")) != (pk, sk):
            return False
        self.delete_items([claim])
        return True

    def put_entries(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Put whole items with BatchWriteItem (25 a request), retrying unprocessed ones."""
        self._batch_write([{"PutRequest": {"Item": serialize_item(i)}} for i in items])

    def _batch_write(self, requests: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(requests), MAX_BATCH_WRITE):
            pending: Any = {self.table: requests[start : start + MAX_BATCH_WRITE]}
            for attempt in range(BATCH_GET_ATTEMPTS):
                if attempt:
                    time.sleep(0.05 * 2**attempt)
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not pending:
                    break
            else:
                raise NearDuplicateLookupError(
                    f"{len(pending[self.table])} items still unprocessed after "
                    f"{BATCH_GET_ATTEMPTS} BatchWriteItem calls"
                )
