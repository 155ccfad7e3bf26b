"""Where each topic's digests stand (:class:`~newswatch.ports.DigestMarks`): ``digest#<topic>``
items in the articles table, holding the end of the last period sent (``until``) and, while a run
sends the next, its claim (``claim_token``, ``claim_until``, ``lease_until``). The stream filter
ignores them."""

from __future__ import annotations

from typing import Any

from newswatch.adapters.dynamodb_table import DynamoTable, item_key
from newswatch.domain.records import digest_key


class DynamoDigestMarks(DynamoTable):
    def last_until(self, topic: str) -> str | None:
        item = self.get(*digest_key(topic))
        # A first period that is claimed but not yet sent has no `until` yet.
        return str(item["until"]) if item and "until" in item else None

    def claim(
        self,
        topic: str,
        previous: str | None,
        until: str,
        *,
        token: str,
        now: int,
        lease_until: int,
    ) -> bool:
        """Take the period (previous, until] unless it moved on or a live claim holds it."""
        moved = "attribute_not_exists(#until)" if previous is None else "#until = :previous"
        values: dict[str, Any] = {
            ":type": {"S": "digest"},
            ":token": {"S": token},
            ":claim_until": {"S": until},
            ":lease": {"N": str(lease_until)},
            ":now": {"N": str(now)},
        }
        if previous is not None:
            values[":previous"] = {"S": previous}
        return self._update_if(
            Key=item_key(*digest_key(topic)),
            UpdateExpression="SET #type = :type, claim_token = :token, "
            "claim_until = :claim_until, lease_until = :lease",
            ConditionExpression=f"{moved} AND "
            "(attribute_not_exists(claim_token) OR lease_until < :now)",
            ExpressionAttributeNames={"#until": "until", "#type": "type"},
            ExpressionAttributeValues=values,
        )

    def commit(self, topic: str, token: str, until: str) -> bool:
        """Mark the claimed period sent; False if the claim was lost (its lease ran out)."""
        return self._update_if(
            Key=item_key(*digest_key(topic)),
            UpdateExpression="SET #until = :until REMOVE claim_token, claim_until, lease_until",
            ConditionExpression="claim_token = :token",
            ExpressionAttributeNames={"#until": "until"},
            ExpressionAttributeValues={":until": {"S": until}, ":token": {"S": token}},
        )

    def release(self, topic: str, token: str) -> None:
        """Give the period back after a failed publish, so the next run need not wait."""
        self._update_if(
            Key=item_key(*digest_key(topic)),
            UpdateExpression="REMOVE claim_token, claim_until, lease_until",
            ConditionExpression="claim_token = :token",
            ExpressionAttributeValues={":token": {"S": token}},
        )
