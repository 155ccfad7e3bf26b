"""PDF text with pypdf: pages joined, wrapped lines rebuilt into paragraphs."""

from __future__ import annotations

import io
from typing import Any

from newswatch.domain.errors import (
    CorruptFileError,
    EncryptedFileError,
    NewswatchError,
    NoTextError,
    TooComplexError,
    TooLargeError,
)
from newswatch.domain.models import Document
from newswatch.extract._text import (
    clean_title,
    finish,
    place_title,
    unwrap_lines,
)

# Producers put these in the title field when the author set none.
_JUNK_TITLES = ("untitled", "microsoft word - ", "document", "title")


# Bounds on the work one PDF may cause. pypdf parses a page's content stream in Python: 70 MB
# shared by 200 pages took 7-9 s per page. Real article pages carry 5-200 KB of content each.
MAX_PDF_PAGES = 100
MAX_PAGE_CONTENT_BYTES = 4 * 1024 * 1024
MAX_PDF_CONTENT_BYTES = 24 * 1024 * 1024
FLAG_PAGES_SKIPPED = "pdf_pages_skipped"
FLAG_TWO_COLUMNS = "pdf_two_columns"


def extract_pdf(data: bytes, max_bytes: int) -> Document:
    """``max_bytes`` also caps the extracted text: a small PDF can hold huge compressed pages.

    Pages are read in layout mode, so text written line by line across two columns can be put
    back in column order (:func:`column_order`). At most ``MAX_PDF_PAGES`` pages are read; a page
    whose content stream is over ``MAX_PAGE_CONTENT_BYTES`` is skipped, and reading stops once
    ``MAX_PDF_CONTENT_BYTES`` of content have been parsed (the record is flagged)."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    # pypdf logs every repair it attempts (some at ERROR level, for files it still reads); the
    # outcome is reported through our own errors, so its log would only be noise per page.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    flags: set[str] = set()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedFileError("the PDF is password-protected; upload an unencrypted copy")
        pages = _read_pages(reader, max_bytes, flags)
        metadata_title = reader.metadata.title if reader.metadata else None
    except NewswatchError:
        raise
    except (DependencyError, FileNotDecryptedError) as exc:
        raise EncryptedFileError(f"the PDF is encrypted and cannot be read: {exc}") from None
    except RecursionError:
        raise CorruptFileError("corrupt PDF: its objects refer to each other endlessly") from None
    except Exception as exc:  # PdfReadError, NotImplementedError (unknown filter), KeyError, ...
        if type(exc).__name__ == "LimitReachedError":  # pypdf's own resource limits
            raise TooComplexError(f"the PDF is too complex to read: {exc}") from None
        raise CorruptFileError(f"corrupt or truncated PDF: {exc or type(exc).__name__}") from None
    lines = "\n".join(pages).split("\n")
    if not any(line.strip() for line in lines):
        if FLAG_PAGES_SKIPPED in flags:
            raise TooComplexError(
                f"the PDF's pages are too complex to read: their content streams are over "
                f"{MAX_PAGE_CONTENT_BYTES // (1024 * 1024)} MB each "
                f"(or {MAX_PDF_CONTENT_BYTES // (1024 * 1024)} MB together)"
            )
        raise NoTextError(
            f"the PDF ({len(pages)} page{'s' * (len(pages) != 1)}) has no extractable text "
            "(scanned images need OCR, which is not supported)"
        )
    text = finish(unwrap_lines(lines), what="PDF")
    title = _metadata_title(metadata_title)
    title, text = place_title(text, title)
    return Document(text=text, title=title, format="pdf", flags=tuple(sorted(flags)))


def _read_pages(reader: Any, max_bytes: int, flags: set[str]) -> list[str]:
    pages: list[str] = []
    size = 0
    content = 0
    total_pages = len(reader.pages)
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES:
            flags.add(FLAG_PAGES_SKIPPED)
            break
        page_content = _content_bytes(page)
        if page_content > MAX_PAGE_CONTENT_BYTES:
            flags.add(FLAG_PAGES_SKIPPED)
            continue
        content += page_content
        if content > MAX_PDF_CONTENT_BYTES:
            flags.add(FLAG_PAGES_SKIPPED)
            break
        text, two_columns = column_order(page.extract_text(extraction_mode="layout") or "")
        if two_columns:
            flags.add(FLAG_TWO_COLUMNS)
        pages.append(text)
        size += len(text)
        if size > max_bytes:
            raise TooLargeError(
                f"the PDF's text is over the limit of {max_bytes} characters "
                f"(after {len(pages)} of {total_pages} pages)"
            )
    return pages


def _content_bytes(page: Any) -> int:
    """The decoded size of a page's content stream(s). pypdf decodes a stream object once and
    keeps it, so pages sharing one stream cost one decompression here, not one each."""
    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    total = 0
    for reference in streams:
        stream = reference.get_object()
        if hasattr(stream, "get_data"):
            total += len(stream.get_data())
    return total


# A gutter: at least this many blank character columns between text on both sides.
_MIN_GUTTER = 3


def column_order(layout: str) -> tuple[str, bool]:
    """Text from pypdf's layout mode, with two columns read one after the other.

    Layout mode keeps each line's horizontal positions, so a two-column page prints a left and a
    right column side by side on every line. A gutter is a character position, in the middle
    half of the page, that is blank on nearly every line while at least a third of the lines
    have text on both sides of it. Lines that cross the gutter (a headline over both columns)
    cut the page into bands; each band is read left column first. Returns (text, two_columns).
    """
    lines = [line.rstrip() for line in layout.split("\n")]
    text_lines = [line for line in lines if line.strip()]
    if len(text_lines) < 6:
        return _plain(lines), False
    width = max(len(line) for line in text_lines)
    gutter = _find_gutter(text_lines, width)
    if gutter is None:
        return _plain(lines), False
    out: list[str] = []
    left: list[str] = []
    right: list[str] = []
    for line in lines:
        if _crosses(line, gutter):
            out.extend([*left, "", *right])
            left, right = [], []
            out.append(line.strip())
            continue
        left.append(line[:gutter].strip())
        right.append(line[gutter:].strip())
    out.extend([*left, "", *right])
    return "\n".join(out), True


def _plain(lines: list[str]) -> str:
    return "\n".join(" ".join(line.split()) for line in lines)


def _crosses(line: str, gutter: int) -> bool:
    window = line[gutter - _MIN_GUTTER // 2 : gutter + _MIN_GUTTER // 2 + 1]
    return bool(window.strip())


def _find_gutter(lines: list[str], width: int) -> int | None:
    best: tuple[int, int] | None = None
    for column in range(width // 4, 3 * width // 4):
        blank = both = 0
        for line in lines:
            if not _crosses(line, column):
                blank += 1
                if line[:column].strip() and line[column:].strip():
                    both += 1
        if blank >= 0.9 * len(lines) and both >= len(lines) / 3 and (not best or both > best[0]):
            best = (both, column)
    return best[1] if best else None


def _metadata_title(value: object) -> str | None:
    title = clean_title(value)
    if not title:
        return None
    lowered = title.lower()
    if lowered.startswith("microsoft word - "):
        title = title[len("microsoft word - ") :].rsplit(".doc", 1)[0].strip()
    if not title or lowered in _JUNK_TITLES or lowered.endswith((".pdf", ".docx", ".doc")):
        return None
    return title
