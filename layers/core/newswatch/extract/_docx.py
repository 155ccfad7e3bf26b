"""Word documents with python-docx: body paragraphs and tables in reading order, from a copy of
the package whose parts were inflated under a hard cap."""

from __future__ import annotations

import io
import zipfile

from newswatch.domain.errors import (
    CorruptFileError,
    NewswatchError,
    TooComplexError,
    TooLargeError,
)
from newswatch.domain.models import Document
from newswatch.extract._text import clean_title, finish, place_title


def extract_docx(data: bytes, max_bytes: int) -> Document:
    package = _bounded_package(data, max_bytes)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(package))
        core_title = clean_title(document.core_properties.title)
        paragraphs: list[tuple[str, str]] = []  # (style name, text)
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                for row in block.rows:
                    cells = dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip())
                    paragraphs.append(("Table", " ".join(cells)))
            else:
                style = block.style.name if block.style is not None else ""
                paragraphs.append((style or "", block.text))
    except NewswatchError:
        raise
    except Exception as exc:  # python-docx raises KeyError, lxml and zip errors alike
        raise CorruptFileError(f"corrupt Word document: {exc or type(exc).__name__}") from None
    title = core_title or _heading_title(paragraphs)
    text = finish("\n".join(t for _, t in paragraphs), what="Word document")
    title, text = place_title(text, title)
    return Document(text=text, title=title, format="docx")


def _heading_title(paragraphs: list[tuple[str, str]]) -> str | None:
    """The first Title or Heading paragraph, if it comes before the body text starts."""
    for style, text in paragraphs:
        if not text.strip():
            continue
        if style == "Title" or style.startswith("Heading"):
            return clean_title(text)
        return None
    return None


# A .docx has a few dozen parts; tens of thousands of entries is a zip built to waste time.
MAX_DOCX_PARTS = 2000
_CHUNK = 64 * 1024


def _bounded_package(data: bytes, max_bytes: int) -> bytes:
    """The document rebuilt with its XML parts inflated under a hard cap on the bytes actually
    inflated (declared sizes are never trusted: they are what a zip bomb lies about), stored
    uncompressed, and every other part (images, fonts, embedded files) emptied. python-docx then
    reads only what was inflated here. A part whose data does not match its declared size or
    checksum is corrupt."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_DOCX_PARTS:
                raise TooComplexError(
                    f"the Word document has {len(infos)} parts (a real one has a few dozen)"
                )
            if "word/document.xml" not in {info.filename for info in infos}:
                raise CorruptFileError("not a Word document: the zip has no word/document.xml")
            rebuilt = io.BytesIO()
            inflated = 0
            with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_STORED) as copy:
                for info in infos:
                    if info.is_dir():
                        continue
                    if not info.filename.endswith((".xml", ".rels")):
                        copy.writestr(info.filename, b"")
                        continue
                    parts: list[bytes] = []
                    with archive.open(info) as part:
                        while chunk := part.read(_CHUNK):
                            inflated += len(chunk)
                            if inflated > max_bytes:
                                raise TooLargeError(
                                    "the Word document decompresses to more than the limit of "
                                    f"{max_bytes} bytes (counting its text parts as they inflate)"
                                )
                            parts.append(chunk)
                    copy.writestr(info.filename, b"".join(parts))
    except NewswatchError:
        raise
    except zipfile.BadZipFile as exc:
        raise CorruptFileError(f"corrupt Word document (not a valid zip): {exc}") from None
    except Exception as exc:  # zipfile also raises NotImplementedError, zlib.error, EOFError...
        raise CorruptFileError(f"corrupt Word document: {exc or type(exc).__name__}") from None
    return rebuilt.getvalue()
