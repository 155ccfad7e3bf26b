"""Web pages: trafilatura finds the article and drops menus, scripts, comments and footers."""

from __future__ import annotations

import re
from typing import Any

from newswatch.domain.errors import NoTextError
from newswatch.domain.models import Document
from newswatch.extract._text import (
    clean_title,
    decode_text,
    finish,
    place_title,
    require_prose,
)

# Page furniture removed before extraction: without an article, trafilatura falls back to
# whatever text is left, and a menu must not come out as an article.
PRUNE_XPATH = [
    "//nav",
    "//footer",
    "//aside",
    "//body/header",
    "//form",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='complementary']",
]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def extract_html(data: bytes, charset: str | None = None) -> Document:
    match = _META_CHARSET.search(data[:4096])
    page = decode_text(data, hint=charset or (match.group(1).decode("ascii") if match else None))
    if not page.strip():
        raise NoTextError("the HTML page is empty")
    import trafilatura

    result = trafilatura.bare_extraction(
        page,
        include_comments=False,
        include_tables=True,
        include_images=False,
        with_metadata=True,
        prune_xpath=PRUNE_XPATH,
    )
    fields: dict[str, Any] = {}
    if isinstance(result, dict):
        fields = result
    elif result is not None:
        fields = result.as_dict()
    text = fields.get("text") or ""
    if not isinstance(text, str) or not text.strip():
        raise NoTextError("no article text found in the HTML page (menus and scripts only)")
    title = clean_title(fields.get("title"))
    text = finish(text, what="HTML page")
    require_prose(text, what="HTML page")
    title, text = place_title(text, title)
    return Document(
        text=text,
        title=title,
        format="html",
        url=clean_title(fields.get("url")),
        source=clean_title(fields.get("sitename")),
        published=clean_title(fields.get("date")),
    )
