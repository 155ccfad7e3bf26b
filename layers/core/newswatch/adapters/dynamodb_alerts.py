"""The alert state machine on the article item, and the hourly cap's counters, over DynamoDB
(:class:`~newswatch.ports.AlertStates`; the states are described in
:mod:`newswatch.domain.records`). Every transition is one conditional UpdateItem."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from newswatch.adapters.dynamodb_codec import is_condition_failure
from newswatch.adapters.dynamodb_table import DynamoTable, item_key
from newswatch.domain.records import alert_cap_key
from newswatch.ports import AlertClaim


class DynamoAlertStates(DynamoTable):
    def claim_alert(self, pk: str, sk: str, token: str, now: int, lease_until: int) -> str:
        """Take the right to publish this article's alert (see :class:`AlertClaim`)."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=item_key(pk, sk),
                UpdateExpression="SET alert_state = :sending, alert_claim = :token, "
                "alert_lease_until = :lease",
                # A retracted article (deleted from the bucket) is never alerted.
                ConditionExpression="attribute_exists(pk) AND #status = :processed AND "
                "(alert_state IN (:pending, :retry) "
                "OR (alert_state = :sending AND alert_lease_until < :now))",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":processed": {"S": "processed"},
                    ":sending": {"S": "sending"},
                    ":pending": {"S": "pending"},
                    ":retry": {"S": "retry"},
                    ":token": {"S": token},
                    ":lease": {"N": str(lease_until)},
                    ":now": {"N": str(now)},
                },
            )
        except ClientError as error:
            if not is_condition_failure(error):
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
                # (Absent rather than empty: every byte of the item is in each write of it.)
                **(
                    {"alert_held_topics": {"L": [{"S": t} for t in held_topics]}}
                    if held_topics
                    else {}
                ),
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
            Key=item_key(pk, sk),
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

    def release_alert(self, pk: str, sk: str, token: str) -> bool:
        """``sending -> retry`` after a failed publish: the retry need not wait for the lease.

        Not back to ``pending``: the stream filter passes pending images, so a publish that keeps
        failing would re-enter the stream with every release. The stream's own retries of the
        original record claim ``retry`` like ``pending``; once they are spent, a backfill does."""
        return self._update_if(
            Key=item_key(pk, sk),
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
            Key=item_key(pk, sk),
            UpdateExpression="SET alert_state = :none, alert_checked_at = :at",
            ConditionExpression="alert_state = :pending",
            ExpressionAttributeValues={
                ":none": {"S": "none"},
                ":pending": {"S": "pending"},
                ":at": {"S": decided_at},
            },
        )

    # -- hourly alert cap ---------------------------------------------------------------------

    def take_alert_quota(self, topic: str, hour: str, limit: int, expires_at: int) -> bool:
        """Count one instant alert for ``topic`` in ``hour``; False if ``limit`` is reached."""
        return self._update_if(
            Key=item_key(*alert_cap_key(topic, hour)),
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
            Key=item_key(*alert_cap_key(topic, hour)),
            UpdateExpression="ADD sent :minus_one",
            ConditionExpression="sent > :zero",
            ExpressionAttributeValues={":minus_one": {"N": "-1"}, ":zero": {"N": "0"}},
        )
