"""What every adapter of the ArticlesTable shares: the client, the table name, consistent reads of
one item, paged queries and conditional updates that report a failed condition as False."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newswatch.adapters.dynamodb_codec import deserialize_item, is_condition_failure

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# TransactWriteItems takes at most this many actions.
MAX_TRANSACTION_ITEMS = 100


def item_key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


class DynamoTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        if not table_name:
            raise ValueError("NEWSWATCH_TABLE is not set")
        self.client = client
        self.table = table_name

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table, Key=item_key(pk, sk), ConsistentRead=True
        )
        item = response.get("Item")
        return deserialize_item(item) if item else None

    def pointers(self, pk: str) -> list[dict[str, Any]]:
        """Every item of one partition, consistently read (one Query, paged)."""
        return list(
            self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
                ConsistentRead=True,
            )
        )

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

    def _update_if(self, **update: Any) -> bool:
        """One conditional UpdateItem on the table; False if its condition did not hold."""
        try:
            self.client.update_item(TableName=self.table, **update)
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True
