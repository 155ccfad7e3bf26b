"""Reading one article object from S3 (:class:`~newswatch.ports.ArticleSource`).

Two kinds of failure matter to the caller: the object is gone (:class:`ObjectNotFoundError`,
recorded as ``skipped``: retrying cannot bring it back) and everything else (throttling, 5xx,
network), which is re-raised unchanged so the queue retries the message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from newswatch.ports import ObjectHead, ObjectNotFoundError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

# HEAD has no body, so a missing object is reported by status code only.
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NoSuchVersion", "NotFound", "NoSuchBucket"})


def _is_not_found(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _NOT_FOUND_CODES or status == 404


class S3ArticleSource:
    """ArticleSource over an S3 client (created by the caller, once per execution environment)."""

    def __init__(self, client: S3Client) -> None:
        self.client = client

    def head(self, bucket: str, key: str, version_id: str | None) -> ObjectHead:
        try:
            if version_id and version_id != "null":
                response = self.client.head_object(Bucket=bucket, Key=key, VersionId=version_id)
            else:
                response = self.client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if _is_not_found(error):
                raise ObjectNotFoundError(bucket, key, version_id) from error
            raise
        return ObjectHead(
            size=int(response.get("ContentLength", 0)),
            # Unversioned buckets answer "null" or nothing; the table uses "null" for both.
            version_id=response.get("VersionId") or version_id,
            content_type=response.get("ContentType"),
        )

    def fetch(
        self, bucket: str, key: str, version_id: str | None, max_bytes: int
    ) -> tuple[ObjectHead, bytes]:
        """The object's head and bytes in one GetObject (ingest's one S3 request): at most
        ``max_bytes + 1`` bytes are read; the head's size is the whole object's (Content-Range)."""
        try:
            if version_id and version_id != "null":
                response = self.client.get_object(
                    Bucket=bucket, Key=key, VersionId=version_id, Range=f"bytes=0-{max_bytes}"
                )
            else:
                response = self.client.get_object(
                    Bucket=bucket, Key=key, Range=f"bytes=0-{max_bytes}"
                )
        except ClientError as error:
            if _is_not_found(error):
                raise ObjectNotFoundError(bucket, key, version_id) from error
            if str(error.response.get("Error", {}).get("Code")) == "InvalidRange":
                # S3 answers a range on an empty object with 416: the object is empty.
                return ObjectHead(size=0, version_id=version_id, content_type=None), b""
            raise
        body = response["Body"]
        try:
            data = body.read()
        finally:
            body.close()
        total = str(response.get("ContentRange") or "").rpartition("/")[2]
        return (
            ObjectHead(
                size=int(total) if total.isdigit() else len(data),
                version_id=response.get("VersionId") or version_id,
                content_type=response.get("ContentType"),
            ),
            data,
        )

    def read(self, bucket: str, key: str, version_id: str | None, max_bytes: int) -> bytes:
        """The object's bytes; at most ``max_bytes + 1`` are read so a lying size cannot blow
        memory (the extra byte lets the caller see the object is too large)."""
        return self.fetch(bucket, key, version_id, max_bytes)[1]
