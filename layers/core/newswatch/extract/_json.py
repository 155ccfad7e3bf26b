"""One article as a JSON object (the shape news APIs and scrapers produce)."""

from __future__ import annotations

import json
from typing import Any

from newswatch.domain.errors import CorruptFileError, NotAnArticleError, NoTextError
from newswatch.domain.models import Document
from newswatch.extract._text import (
    clean_title,
    decode_text,
    finish,
    place_title,
)

TEXT_FIELDS = ("text", "body", "content", "article", "articlebody", "full_text", "fulltext")
TITLE_FIELDS = ("title", "headline", "name")
URL_FIELDS = ("url", "link", "uri")
SOURCE_FIELDS = ("source", "publisher", "site_name", "sitename", "outlet")
DATE_FIELDS = ("published", "published_at", "publishedat", "datepublished", "date", "pubdate")


def extract_json(data: bytes) -> Document:
    raw = decode_text(data)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CorruptFileError(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise CorruptFileError("invalid JSON: nested too deeply") from None
    if isinstance(value, list):
        raise NotAnArticleError(
            f"JSON is a list of {len(value)} item{'s' * (len(value) != 1)}, not one article object "
            "(upload one article per file)"
        )
    if not isinstance(value, dict):
        raise NotAnArticleError(
            f"JSON is a {type(value).__name__}, not an article object with a text field"
        )
    fields = {str(k).lower(): v for k, v in value.items()}
    body = _first(fields, TEXT_FIELDS)
    if body is None:
        keys = ", ".join(sorted(str(k) for k in value)[:12]) or "none"
        raise NotAnArticleError(
            "JSON object has no article text: expected one of the fields "
            f"text, body, content or article (found: {keys})"
        )
    text = _text_of(body)
    if text is None:
        raise NotAnArticleError(
            f"JSON article text must be a string or a list of paragraphs, got {type(body).__name__}"
        )
    if _looks_like_html(text):
        text = html_to_text(text)
    title = clean_title(_scalar(_first(fields, TITLE_FIELDS)))
    if not text.strip():
        raise NoTextError("the JSON article's text field is empty")
    text = finish(text, what="JSON article")
    title, text = place_title(text, title)
    return Document(
        text=text,
        title=title,
        format="json",
        url=_scalar(_first(fields, URL_FIELDS)),
        source=_scalar(_first(fields, SOURCE_FIELDS)),
        published=_scalar(_first(fields, DATE_FIELDS)),
    )


def _first(fields: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = fields.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _text_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(p, str) for p in value):
        return "\n".join(value)
    if isinstance(value, dict):
        # {"article": {"text": ...}} and similar one-level wrappers.
        inner = _first({str(k).lower(): v for k, v in value.items()}, TEXT_FIELDS)
        return _text_of(inner) if inner is not None and not isinstance(inner, dict) else None
    return None


def _scalar(value: Any) -> str | None:
    """ "source": "Reuters" or "source": {"name": "Reuters", "id": ...}."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("title")
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = " ".join(str(value).split())
        return text or None
    return None


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lower()
    return "</p>" in head or "<br" in head or "</div>" in head


def html_to_text(fragment: str) -> str:
    """An HTML fragment inside a JSON field: tags out, block elements become line breaks."""
    from html.parser import HTMLParser

    blocks = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}
    skip = {"script", "style", "noscript", "template"}

    class _Parser(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skipping = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in skip:
                self.skipping += 1
            elif tag in blocks:
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in skip:
                self.skipping = max(0, self.skipping - 1)
            elif tag in blocks:
                self.parts.append("\n")

        def handle_data(self, data: str) -> None:
            if not self.skipping:
                self.parts.append(data)

    parser = _Parser()
    parser.feed(fragment)
    parser.close()
    return "".join(parser.parts)
