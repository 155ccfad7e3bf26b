"""The one write only `newswatch backfill` makes: replacing a stored article and its topic entries.

It lives apart from :mod:`newswatch.adapters.dynamodb` because no Lambda function does it, so the
functions' IAM policies need not allow the DeleteItem it uses (tests/template checks the grants
against the code the handlers import)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from newswatch.adapters.dynamodb import DynamoArticleStore
from newswatch.adapters.dynamodb_codec import serialize_item
from newswatch.adapters.dynamodb_table import MAX_TRANSACTION_ITEMS


class DynamoBackfillStore(DynamoArticleStore):
    def replace_article(
        self,
        item: Mapping[str, Any],
        topic_items: Sequence[Mapping[str, Any]],
        old_entry_keys: Sequence[tuple[str, str]],
    ) -> None:
        """Overwrite a stored article and swap its topic entries, in one transaction (backfill).

        The article must exist (a backfill never creates the first record of an object); topic
        entries it no longer has are deleted, so the archive index never lists stale topics.
        """
        new_keys = {(t["pk"], t["sk"]) for t in topic_items}
        stale = [key for key in old_entry_keys if key not in new_keys]
        if 1 + len(topic_items) + len(stale) > MAX_TRANSACTION_ITEMS:
            raise ValueError("too many topic entries for one transaction")
        actions: list[Any] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": serialize_item(item),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        actions += [
            {
                "Delete": {
                    "TableName": self.table,
                    "Key": serialize_item({"pk": pk, "sk": sk}),
                }
            }
            for pk, sk in stale
        ]
        actions += [
            {"Put": {"TableName": self.table, "Item": serialize_item(t)}} for t in topic_items
        ]
        self.client.transact_write_items(TransactItems=actions)
