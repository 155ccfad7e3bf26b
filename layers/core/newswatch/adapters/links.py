"""ArticleLinker: the link an alert gives to open the article.

- :class:`PresignedLinker`: an HTTPS presigned S3 GET URL for the exact object version, valid for
  ``NEWSWATCH_ARTICLE_LINK_EXPIRY_SECONDS`` (at most 7 days: SigV4's limit). Signing is local
  (no request to S3); the function's role needs ``s3:GetObject`` for the URL to work. A URL signed
  with temporary credentials (a Lambda role's) stops working when those credentials expire, which
  can be before the expiry it states; ``NEWSWATCH_ARTICLE_BASE_URL`` is the lasting alternative.
- :class:`PublicLinker`: ``NEWSWATCH_ARTICLE_BASE_URL`` + the URL-quoted key, for articles that
  are also published on a site of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from newswatch.domain.alerts import ArticleLink

if TYPE_CHECKING:
    from newswatch.settings import Settings


class PresignedLinker:
    def __init__(
        self,
        s3: Any,
        expires_in: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.s3 = s3
        self.expires_in = expires_in
        self.now = now

    def link(self, bucket: str, key: str, version_id: str | None) -> ArticleLink:
        params = {"Bucket": bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        url = self.s3.generate_presigned_url("get_object", Params=params, ExpiresIn=self.expires_in)
        until = self.now() + timedelta(seconds=self.expires_in)
        return ArticleLink(str(url), until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


class PublicLinker:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/"

    def link(self, bucket: str, key: str, version_id: str | None) -> ArticleLink:
        return ArticleLink(self.base_url + quote(key))


def article_linker(settings: Settings, s3: Callable[[], Any]) -> PresignedLinker | PublicLinker:
    """The linker the settings ask for; ``s3`` makes the client only when it is needed."""
    if settings.article_base_url:
        return PublicLinker(settings.article_base_url)
    return PresignedLinker(s3(), settings.article_link_expiry_seconds)
