"""ArticleStore over DynamoDB: the ArticlesTable data model (see the team notes / README).

- Article item: ``pk = article#<bucket>/<key>``, ``sk = v#<version or null>``; written with
  ``attribute_not_exists(pk)`` so each object version has exactly one item however often (and
  however concurrently) S3 delivers its notification.
- Topic entry items share the article's ``pk`` (``sk = topic#<label>#v#<version>``) and are written
  in the same transaction, so the archive index is never half written. Place entries do the same
  for each country the article is about (``sk = place#<code>#v#<version>``, ``topic =
  place#<code>``), so ``ByTopic`` answers "articles about Sudan" with one Query too.
- A ``content#<sha256>`` item (``sk = first``) names the first processed article with those bytes;
  it is claimed in that article's transaction, so duplicates are decided race-free with consistent
  reads. ``ByHash`` (content_sha256, uploaded_at) is the fallback lookup.
- The alert state goes ``pending -> sending -> sent`` (or ``-> held`` by the hourly cap, or
  ``pending -> none`` when no watched topic matched, or ``sending -> retry`` after a failed publish,
  which the next attempt claims like ``pending``) by conditional updates; ``sending`` carries a
  claim token and a lease so a crashed claimer can be taken over.
- ``ref#<reference>`` / ``ref`` items point from an alert's short reference
  (:mod:`newswatch.domain.reference`) to the article it names (``article_pk``, ``article_sk``);
  the alert function writes one before each publish, so `newswatch show nw-...` finds the article.
- ``alertcap#<topic>`` / ``hour#<UTC hour>`` items count instant alerts for the hourly cap.
- ``nearband#<band>#<hex>`` / ``band`` items list the processed articles whose MinHash signature
  hashed to that band (:mod:`newswatch.domain.neardup`): one attribute ``m#<article ref>`` per
  member (fingerprint, topic labels, upload time) and a ``member_count``. A new article's near-
  duplicate check is one BatchGetItem of its 16 band keys; it registers itself after its article
  item is written, with one conditional UpdateItem per band (idempotent, capped at
  :data:`MAX_BAND_MEMBERS`). Band items have no status, topic or hash, so no index or stream
  filter selects them.

Numbers are stored as Decimal (DynamoDB rejects floats); reads return Decimals.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

BY_TOPIC_INDEX = "ByTopic"
# Attributes that are index keys: DynamoDB rejects an empty or NULL value for them.
_INDEX_KEYS = frozenset({"uploaded_at", "topic", "upload_day"})
MAX_TRANSACTION_ITEMS = 100
MAX_BATCH_WRITE = 25
NEAR_BAND_SK = "band"
# Members per band item: about 450 bytes each with a typical key, so ~90 KB, far below 400 KB.
# A full band takes no new members; the article is still found through its other bands.
MAX_BAND_MEMBERS = 200
# BatchGetItem may return part of the keys under load; we ask again this many times, then raise.
BATCH_GET_ATTEMPTS = 5

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def article_pk(bucket: str, key: str) -> str:
    return f"article#{bucket}/{key}"


def article_sk(version_id: str | None) -> str:
    return f"v#{version_id or 'null'}"


def topic_sk(label: str, version_id: str | None) -> str:
    return f"topic#{label}#v#{version_id or 'null'}"


def reference_pk(reference: str) -> str:
    return f"ref#{reference}"


REFERENCE_SK = "ref"


def place_sk(code: str, version_id: str | None) -> str:
    return f"place#{code}#v#{version_id or 'null'}"


def place_index_key(code: str) -> str:
    """The ``topic`` attribute of a place entry: ``place#SD``, which no topic label can be."""
    return f"place#{code}"


def to_dynamo(value: Any) -> Any:
    """Plain Python -> what TypeSerializer accepts: floats become Decimals, tuples lists."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        # DynamoDB has no NaN or infinity; such a value is left out rather than fail the write.
        return Decimal(str(round(value, 6))) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [v for v in (to_dynamo(v) for v in value) if v is not None]
    return value


def serialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    clean = {
        k: v
        for k, v in to_dynamo(item).items()
        if v is not None and not (k in _INDEX_KEYS and v == "")
    }
    return {k: _serializer.serialize(v) for k, v in clean.items()}


def deserialize_item(image: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in image.items()}


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def content_pk(content_sha256: str) -> str:
    return f"content#{content_sha256}"


def new_band_item(band_key: str, member: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """A band item listing its first member (put whole: no other article has written it)."""
    return {
        "pk": band_key,
        "sk": NEAR_BAND_SK,
        "type": "nearband",
        member: value,
        "member_count": 1,
    }


class NearDuplicateLookupError(Exception):
    """DynamoDB kept returning unprocessed band keys: transient, the message is retried."""


class PutResult:
    STORED = "stored"
    EXISTS = "exists"  # this object version is already stored
    CONTENT_TAKEN = "content_taken"  # another article claimed these bytes first


class AlertClaim:
    CLAIMED = "claimed"
    DONE = "done"  # already sent, or decided that no alert is needed
    BUSY = "busy"  # another invocation holds a live claim
    MISSING = "missing"


class DynamoArticleStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        if not table_name:
            raise ValueError("NEWSWATCH_TABLE is not set")
        self.client = client
        self.table = table_name

    # -- reads --------------------------------------------------------------------------------

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return deserialize_item(item) if item else None

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
        return self.original_named_by(self.get(content_pk(content_sha256), "first"), exclude)

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
        return article if article is not None and article.get("status") == "processed" else None

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            page_args = dict(kwargs, TableName=self.table)
            if start:
                page_args["ExclusiveStartKey"] = start
            response = self.client.query(**page_args)
            for item in response.get("Items", []):
                yield deserialize_item(item)
            start = response.get("LastEvaluatedKey")
            if not start:
                return

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
            if _error_code(error) == "ConditionalCheckFailedException":
                return PutResult.EXISTS
            raise
        self.put_entries([*topic_items, *new_items])
        return PutResult.STORED

    def _claim_content(self, article: Mapping[str, Any]) -> bool:
        """Name ``article`` as the first with its bytes; False if another article was first."""
        return self._update_if(
            Key={"pk": {"S": content_pk(str(article["content_sha256"]))}, "sk": {"S": "first"}},
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

    def put_entries(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Put whole items with BatchWriteItem (25 a request), retrying unprocessed ones."""
        requests = [{"PutRequest": {"Item": serialize_item(i)}} for i in items]
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

    def claim_alert(self, pk: str, sk: str, token: str, now: int, lease_until: int) -> str:
        """Take the right to publish this article's alert (see :class:`AlertClaim`)."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": pk}, "sk": {"S": sk}},
                UpdateExpression="SET alert_state = :sending, alert_claim = :token, "
                "alert_lease_until = :lease",
                ConditionExpression="attribute_exists(pk) AND (alert_state IN (:pending, :retry) "
                "OR (alert_state = :sending AND alert_lease_until < :now))",
                ExpressionAttributeValues={
                    ":sending": {"S": "sending"},
                    ":pending": {"S": "pending"},
                    ":retry": {"S": "retry"},
                    ":token": {"S": token},
                    ":lease": {"N": str(lease_until)},
                    ":now": {"N": str(now)},
                },
            )
        except ClientError as error:
            if _error_code(error) != "ConditionalCheckFailedException":
                raise
            current = self.get(pk, sk)
            if current is None:
                return AlertClaim.MISSING
            if current.get("alert_state") == "sending":
                return AlertClaim.BUSY
            return AlertClaim.DONE
        return AlertClaim.CLAIMED

    def mark_alerted(
        self,
        pk: str,
        sk: str,
        *,
        token: str,
        topics: Sequence[str],
        message_id: str,
        alerted_at: str,
        held_topics: Sequence[str] = (),
    ) -> bool:
        """``sending -> sent``, only while we still hold the claim; False if we lost it."""
        return self._finish_claim(
            pk,
            sk,
            token,
            "sent",
            {
                "alerted_at": {"S": alerted_at},
                "alert_topics": {"L": [{"S": t} for t in topics]},
                "alert_message_id": {"S": message_id},
                "alert_held_topics": {"L": [{"S": t} for t in held_topics]},
            },
        )

    def mark_held(
        self, pk: str, sk: str, *, token: str, held_topics: Sequence[str], decided_at: str
    ) -> bool:
        """``sending -> held``: the hourly cap held back every matched topic (digest only)."""
        return self._finish_claim(
            pk,
            sk,
            token,
            "held",
            {
                "alert_checked_at": {"S": decided_at},
                "alert_held_topics": {"L": [{"S": t} for t in held_topics]},
            },
        )

    def _finish_claim(
        self, pk: str, sk: str, token: str, state: str, fields: Mapping[str, Any]
    ) -> bool:
        names = sorted(fields)
        sets = ", ".join(f"{name} = :{name}" for name in names)
        values = {f":{name}": fields[name] for name in names}
        return self._update_if(
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression=f"SET alert_state = :state, {sets} "
            "REMOVE alert_claim, alert_lease_until",
            ConditionExpression="alert_state = :sending AND alert_claim = :token",
            ExpressionAttributeValues={
                ":state": {"S": state},
                ":sending": {"S": "sending"},
                ":token": {"S": token},
                **values,
            },
        )

    # -- hourly alert cap ---------------------------------------------------------------------

    @staticmethod
    def _cap_key(topic: str, hour: str) -> dict[str, Any]:
        return {"pk": {"S": f"alertcap#{topic}"}, "sk": {"S": f"hour#{hour}"}}

    def take_alert_quota(self, topic: str, hour: str, limit: int, expires_at: int) -> bool:
        """Count one instant alert for ``topic`` in ``hour``; False if ``limit`` is reached."""
        return self._update_if(
            Key=self._cap_key(topic, hour),
            UpdateExpression="ADD sent :one SET #type = :type, expires_at = :exp",
            ConditionExpression="attribute_not_exists(sent) OR sent < :limit",
            ExpressionAttributeNames={"#type": "type"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":type": {"S": "alertcap"},
                ":exp": {"N": str(expires_at)},
            },
        )

    def return_alert_quota(self, topic: str, hour: str) -> None:
        """Give back a count taken for an alert that was not published after all."""
        self.client.update_item(
            TableName=self.table,
            Key=self._cap_key(topic, hour),
            UpdateExpression="ADD sent :minus_one",
            ConditionExpression="sent > :zero",
            ExpressionAttributeValues={":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
        )

    def release_alert(self, pk: str, sk: str, token: str) -> bool:
        """``sending -> retry`` after a failed publish: the retry need not wait for the lease.

        Not back to ``pending``: the stream filter passes pending images, so a publish that keeps
        failing would re-enter the stream with every release. The stream's own retries of the
        original record claim ``retry`` like ``pending``; once they are spent, a backfill does."""
        return self._update_if(
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression="SET alert_state = :retry REMOVE alert_claim, alert_lease_until",
            ConditionExpression="alert_state = :sending AND alert_claim = :token",
            ExpressionAttributeValues={
                ":retry": {"S": "retry"},
                ":sending": {"S": "sending"},
                ":token": {"S": token},
            },
        )

    def mark_no_alert(self, pk: str, sk: str, decided_at: str) -> bool:
        """``pending -> none``: the article matched no watched topic."""
        return self._update_if(
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            UpdateExpression="SET alert_state = :none, alert_checked_at = :at",
            ConditionExpression="alert_state = :pending",
            ExpressionAttributeValues={
                ":none": {"S": "none"},
                ":pending": {"S": "pending"},
                ":at": {"S": decided_at},
            },
        )

    def put_reference(self, reference: str, pk: str, sk: str) -> None:
        """The pointer from an alert's reference to its article (idempotent: the same item)."""
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": reference_pk(reference)},
                "sk": {"S": REFERENCE_SK},
                "type": {"S": "reference"},
                "article_pk": {"S": pk},
                "article_sk": {"S": sk},
            },
        )

    def _update_if(self, **update: Any) -> bool:
        """One conditional UpdateItem on the table; False if its condition did not hold."""
        try:
            self.client.update_item(TableName=self.table, **update)
        except ClientError as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- near-duplicate bands -----------------------------------------------------------------

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
        content = (content_pk(content_sha256), "first")
        bands = [(k, NEAR_BAND_SK) for k in dict.fromkeys(band_keys)]
        found = self._batch_get([article, content, *bands])
        own = next((i for i in found if (i["pk"], i["sk"]) == article), None)
        first = next((i for i in found if (i["pk"], i["sk"]) == content), None)
        return own, first, [i for i in found if i is not own and i is not first]

    def _batch_get(self, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        keys = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in pairs]
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
        serialized = _serializer.serialize(to_dynamo(dict(value)))
        for key in dict.fromkeys(band_keys):
            try:
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": {"S": key}, "sk": {"S": NEAR_BAND_SK}},
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
                if _error_code(error) == "ConditionalCheckFailedException":
                    continue
                raise
            added += 1
        return added
