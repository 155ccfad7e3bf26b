"""The near-duplicate band items over DynamoDB (:class:`~newswatch.ports.NearDuplicateIndex`).

A new article's duplicate and near-duplicate checks are one BatchGetItem (its ``content#`` item
and its band keys); after its article item is written, it is put whole into the bands it is the
first in and joins the others with one conditional UpdateItem each (idempotent, capped at
:data:`MAX_BAND_MEMBERS`). Band items have no status, topic or hash, so no index or stream filter
selects them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from newswatch.adapters.dynamodb_codec import (
    deserialize_item,
    is_condition_failure,
    serialize_value,
)
from newswatch.adapters.dynamodb_table import DynamoTable, item_key
from newswatch.domain.records import MAX_BAND_MEMBERS, NEAR_BAND_SK, PROCESSED, content_key

# BatchGetItem may return part of the keys under load; we ask again this many times, then raise.
BATCH_GET_ATTEMPTS = 5


class NearDuplicateLookupError(Exception):
    """DynamoDB kept returning unprocessed band keys: transient, the message is retried."""


class DynamoNearDuplicateIndex(DynamoTable):
    def near_band_items(self, band_keys: Sequence[str]) -> list[dict[str, Any]]:
        """The band items that exist for these keys: one BatchGetItem (UnprocessedKeys retried).

        Consistent reads, so an article registered a moment ago is seen.
        """
        return self._batch_get([(key, NEAR_BAND_SK) for key in dict.fromkeys(band_keys)])

    def near_lookup(
        self, article: tuple[str, str], content_sha256: str, band_keys: Sequence[str]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[dict[str, Any]]]:
        """The article's own item (a redelivery), the ``content#`` item of its bytes and the band
        items that exist, in one consistent BatchGetItem: the "already stored", duplicate and
        near-duplicate checks in one read."""
        content = content_key(content_sha256)
        bands = [(k, NEAR_BAND_SK) for k in dict.fromkeys(band_keys)]
        found = self._batch_get([article, content, *bands])
        own = next((i for i in found if (i["pk"], i["sk"]) == article), None)
        first = next((i for i in found if (i["pk"], i["sk"]) == content), None)
        return own, first, [i for i in found if i is not own and i is not first]

    def original_named_by(
        self, first: Mapping[str, Any] | None, exclude: tuple[str, str] | None = None
    ) -> dict[str, Any] | None:
        """The processed article a ``content#`` item names (one read), unless it is ``exclude``."""
        if first is None:
            return None
        ref = (str(first["article_pk"]), str(first["article_sk"]))
        if ref == exclude:
            return None
        article = self.get(*ref)
        return article if article is not None and article.get("status") == PROCESSED else None

    def _batch_get(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        keys = [item_key(pk, sk) for pk, sk in pairs]
        if not keys:
            return []
        items: list[dict[str, Any]] = []
        request: Any = {self.table: {"Keys": keys, "ConsistentRead": True}}
        for attempt in range(BATCH_GET_ATTEMPTS):
            if attempt:
                time.sleep(0.05 * 2**attempt)
            response = self.client.batch_get_item(RequestItems=request)
            items += [
                deserialize_item(i) for i in response.get("Responses", {}).get(self.table, [])
            ]
            request = response.get("UnprocessedKeys") or {}
            if not request.get(self.table, {}).get("Keys"):
                return items
        raise NearDuplicateLookupError(
            f"{len(request[self.table]['Keys'])} band keys still unprocessed after "
            f"{BATCH_GET_ATTEMPTS} BatchGetItem calls"
        )

    def register_near_member(
        self, band_keys: Sequence[str], member: str, value: Mapping[str, Any]
    ) -> int:
        """List an article in each of its band items; returns how many bands took it.

        ``member`` is the attribute name (``m#<article ref>``). The condition makes a redelivery
        a no-op (the member is already there) and keeps a full band from growing.
        """
        added = 0
        serialized = serialize_value(dict(value))
        for key in dict.fromkeys(band_keys):
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key=item_key(key, NEAR_BAND_SK),
                    UpdateExpression="SET #m = :member, #type = :nearband ADD member_count :one",
                    ConditionExpression="attribute_not_exists(#m) AND "
                    "(attribute_not_exists(member_count) OR member_count < :cap)",
                    ExpressionAttributeNames={"#m": member, "#type": "type"},
                    ExpressionAttributeValues={
                        ":member": serialized,
                        ":nearband": {"S": "nearband"},
                        ":one": {"N": "1"},
                        ":cap": {"N": str(MAX_BAND_MEMBERS)},
                    },
                )
            except ClientError as error:
                if is_condition_failure(error):
                    continue
                raise
            added += 1
        return added
