"""PDF text with pypdf: pages joined, wrapped lines rebuilt into paragraphs."""

from __future__ import annotations

import io

from newswatch.domain.errors import CorruptFileError, NewswatchError, NoTextError, TooLargeError
from newswatch.domain.models import Document
from newswatch.extract._text import (
    clean_title,
    finish,
    place_title,
    unwrap_lines,
)

# Producers put these in the title field when the author set none.
_JUNK_TITLES = ("untitled", "microsoft word - ", "document", "title")


def extract_pdf(data: bytes, max_bytes: int) -> Document:
    """``max_bytes`` also caps the extracted text: a small PDF can hold huge compressed pages."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    # pypdf logs every repair it attempts (some at ERROR level, for files it still reads); the
    # outcome is reported through our own errors, so its log would only be noise per page.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorruptFileError("the PDF is password-protected; upload an unencrypted copy")
        pages: list[str] = []
        size = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            size += len(pages[-1])
            if size > max_bytes:
                raise TooLargeError(
                    f"the PDF's text is over the limit of {max_bytes} characters "
                    f"(after {len(pages)} of {len(reader.pages)} pages)"
                )
        metadata_title = reader.metadata.title if reader.metadata else None
    except NewswatchError:
        raise
    except (DependencyError, FileNotDecryptedError) as exc:
        raise CorruptFileError(f"the PDF is encrypted and cannot be read: {exc}") from None
    except RecursionError:
        raise CorruptFileError("corrupt PDF: its objects refer to each other endlessly") from None
    except Exception as exc:  # PdfReadError, NotImplementedError (unknown filter), KeyError, ...
        raise CorruptFileError(f"corrupt or truncated PDF: {exc or type(exc).__name__}") from None
    lines = "\n".join(pages).split("\n")
    if not any(line.strip() for line in lines):
        raise NoTextError(
            f"the PDF ({len(pages)} page{'s' * (len(pages) != 1)}) has no extractable text "
            "(scanned images need OCR, which is not supported)"
        )
    text = finish(unwrap_lines(lines), what="PDF")
    title = _metadata_title(metadata_title)
    title, text = place_title(text, title)
    return Document(text=text, title=title, format="pdf")


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
