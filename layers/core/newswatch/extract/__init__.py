"""File bytes to a clean :class:`~newswatch.domain.models.Document`.

Supported: plain text, Markdown, HTML, one-article JSON, PDF and Word .docx, each optionally
gzip-compressed. Bad input raises a typed :mod:`newswatch.domain.errors` error with a message a
person can act on. Parsers are imported inside the function for their format: the Lambda handler
imports this package on every cold start, and most articles need none of them.
"""

from __future__ import annotations

from newswatch.domain.errors import (
    CorruptFileError,
    EmptyFileError,
    ExtractionError,
    NewswatchError,
    NoTextError,
    TooLargeError,
    UnsupportedFormatError,
)
from newswatch.domain.models import DEFAULT_MAX_ARTICLE_BYTES, Document
from newswatch.extract._sniff import (
    CONTENT_TYPES,
    EXTENSIONS,
    UNSUPPORTED_EXTENSIONS,
    extension_of,
    is_html_document,
    sniff_magic,
    sniff_text,
)
from newswatch.extract._text import decode_text, finish, split_title, unwrap_paragraphs

__all__ = ["DEFAULT_MAX_BYTES", "SUPPORTED_FORMATS", "detect_format", "extract_document"]

DEFAULT_MAX_BYTES = DEFAULT_MAX_ARTICLE_BYTES
SUPPORTED_FORMATS = ("txt", "md", "html", "json", "pdf", "docx", "gzip")
# An archive inside an archive inside an archive is not an article.
_MAX_GZIP_DEPTH = 2
_TEXT_FORMATS = frozenset({"txt", "md", "html", "json"})


def extract_document(
    data: bytes,
    name: str,
    content_type: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Document:
    """Extract the article in ``data``; ``name`` (file name or S3 key) and ``content_type`` help
    tell the format. Raises an :class:`~newswatch.domain.errors.ExtractionError` subclass."""
    return _extract(data, name, content_type, max_bytes, depth=0)


def _extract(
    data: bytes, name: str, content_type: str | None, max_bytes: int, depth: int
) -> Document:
    label = "the decompressed file" if depth else "the file"
    if not data:
        raise EmptyFileError(f"{label} is empty (0 bytes)")
    if len(data) > max_bytes:
        raise TooLargeError(f"{label} is {len(data)} bytes, over the limit of {max_bytes} bytes")
    media_type, charset = _parse_content_type(content_type)
    fmt = "unknown"
    try:
        fmt = detect_format(data, name, media_type)
        if fmt != "gzip":
            return _parse(fmt, data, max_bytes, charset)
        if depth >= _MAX_GZIP_DEPTH:
            raise UnsupportedFormatError("gzip inside gzip inside gzip is not supported")
        from newswatch.extract._gzip import gunzip

        inner = gunzip(data, max_bytes)
    except NewswatchError:
        raise
    except RecursionError:
        raise CorruptFileError(f"the {fmt} file is nested too deeply to read") from None
    except Exception as exc:
        # A parser bug on odd input must still be a recorded failure, not a crash of the batch.
        raise ExtractionError(
            f"could not read the {fmt} file: {type(exc).__name__}: {exc}"
        ) from exc
    if not inner:
        raise EmptyFileError("the gzip file contains an empty file")
    inner_name = name[:-3] if name.lower().endswith(".gz") else name
    return _extract(inner, inner_name, None, max_bytes, depth + 1)


def _parse(fmt: str, data: bytes, max_bytes: int, charset: str | None) -> Document:
    if fmt == "pdf":
        from newswatch.extract._pdf import extract_pdf

        return extract_pdf(data, max_bytes)
    if fmt == "docx":
        from newswatch.extract._docx import extract_docx

        return extract_docx(data, max_bytes)
    if fmt == "html":
        from newswatch.extract._html import extract_html

        return extract_html(data, charset)
    if fmt == "json":
        from newswatch.extract._json import extract_json

        return extract_json(data)
    text = decode_text(data, hint=charset)
    if not text.strip():
        raise NoTextError("the file contains only whitespace")
    if fmt == "unknown":
        fmt = sniff_text(text)
        if fmt in ("html", "json"):
            return _parse(fmt, data, max_bytes, charset)
    elif is_html_document(text):
        return _parse("html", data, max_bytes, charset)
    if fmt == "md":
        from newswatch.extract._markdown import markdown_to_text

        title, body = markdown_to_text(text)
        body = finish(body, what="Markdown file")
        if title is None:
            title, body = split_title(body)
        return Document(text=body, title=title, format="md")
    body = finish(unwrap_paragraphs(text), what="text file")
    title, body = split_title(body)
    return Document(text=body, title=title, format="txt")


def detect_format(data: bytes, name: str, content_type: str | None = None) -> str:
    """ "txt", "md", "html", "json", "pdf", "docx", "gzip", or "unknown" (decoded and sniffed
    as text later). Raises UnsupportedFormatError naming what the file is when that is known."""
    magic = sniff_magic(data)
    ext = extension_of(name)
    by_name = EXTENSIONS.get(ext)
    by_type = CONTENT_TYPES.get(content_type or "")
    if magic == "gzip":
        return "gzip"
    if magic in ("pdf", "docx"):
        # The bytes know better than a text-ish name; a .docx named .pdf is still a .docx.
        return magic
    if magic is not None and magic != "zip":
        shown = f" named {ext}" if by_name else ""
        raise UnsupportedFormatError(f"unsupported format: {magic}{shown}{_SUPPORTED_HINT}")
    if by_name == "gzip":
        raise CorruptFileError("the file is named .gz but is not gzip data")
    if by_name:
        return by_name
    if magic == "zip":
        return "docx" if by_type == "docx" else _unsupported("ZIP archive")
    if ext in UNSUPPORTED_EXTENSIONS:
        return _unsupported(UNSUPPORTED_EXTENSIONS[ext])
    if by_type:
        return by_type
    if content_type and content_type.startswith(("image/", "audio/", "video/", "font/")):
        return _unsupported(content_type)
    return "unknown"


_SUPPORTED_HINT = " (supported: .txt, .md, .html, .json, .pdf, .docx, optionally .gz)"


def _unsupported(what: str) -> str:
    raise UnsupportedFormatError(f"unsupported format: {what}{_SUPPORTED_HINT}")


def _parse_content_type(content_type: str | None) -> tuple[str | None, str | None]:
    """'text/html; charset=ISO-8859-1' -> ('text/html', 'ISO-8859-1')."""
    if not content_type:
        return None, None
    media, *params = (part.strip() for part in content_type.split(";"))
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return media.lower() or None, charset
