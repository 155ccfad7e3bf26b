"""Word documents with python-docx: body paragraphs and tables in reading order."""

from __future__ import annotations

import io
import zipfile

from newswatch.domain.errors import CorruptFileError, NewswatchError, TooLargeError
from newswatch.domain.models import Document
from newswatch.extract._text import clean_title, finish, place_title


def extract_docx(data: bytes, max_bytes: int) -> Document:
    _check_zip(data, max_bytes)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
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


def _check_zip(data: bytes, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            # zipfile stops reading at each member's declared size, so the sum bounds the work.
            total = sum(info.file_size for info in infos)
            if total > max_bytes:
                raise TooLargeError(
                    f"the Word document decompresses to {total} bytes, "
                    f"over the limit of {max_bytes} bytes"
                )
            if archive.testzip() is not None:
                raise CorruptFileError("corrupt Word document: a part fails its checksum")
    except NewswatchError:
        raise
    except zipfile.BadZipFile as exc:
        raise CorruptFileError(f"corrupt Word document (not a valid zip): {exc}") from None
    except Exception as exc:  # zipfile also raises NotImplementedError, zlib.error, EOFError...
        raise CorruptFileError(f"corrupt Word document: {exc or type(exc).__name__}") from None
    if "word/document.xml" not in names:
        raise CorruptFileError("not a Word document: the zip has no word/document.xml")
