"""Where each topic's last digest ended (:class:`~newswatch.ports.DigestMarks`): ``digest#<topic>``
items in the articles table; the stream filter ignores them."""

from __future__ import annotations

from newswatch.adapters.dynamodb_table import DynamoTable, item_key
from newswatch.domain.records import digest_key


class DynamoDigestMarks(DynamoTable):
    def last_until(self, topic: str) -> str | None:
        item = self.get(*digest_key(topic))
        return str(item["until"]) if item else None

    def advance(self, topic: str, previous: str | None, until: str) -> bool:
        condition = "attribute_not_exists(pk)" if previous is None else "#until = :previous"
        values = {":until": {"S": until}, ":type": {"S": "digest"}}
        if previous is not None:
            values[":previous"] = {"S": previous}
        return self._update_if(
            Key=item_key(*digest_key(topic)),
            UpdateExpression="SET #until = :until, #type = :type",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#until": "until", "#type": "type"},
            ExpressionAttributeValues=values,
        )
