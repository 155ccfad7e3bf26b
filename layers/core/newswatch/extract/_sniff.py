"""Which format a file is in: from its name, then its content type, then its first bytes."""

from __future__ import annotations

import codecs
import io

SUPPORTED = ("txt", "md", "html", "json", "pdf", "docx")

EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".mdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".pdf": "pdf",
    ".docx": "docx",
    ".gz": "gzip",
}

CONTENT_TYPES = {
    "text/plain": "txt",
    "text/markdown": "md",
    "text/x-markdown": "md",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/json": "json",
    "text/json": "json",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/gzip": "gzip",
    "application/x-gzip": "gzip",
}

# Names for the formats people drop by mistake, so the error says what the file is.
UNSUPPORTED_EXTENSIONS = {
    ".doc": "legacy Word .doc document (save it as .docx)",
    ".rtf": "RTF document",
    ".odt": "OpenDocument text",
    ".xls": "Excel spreadsheet",
    ".xlsx": "Excel spreadsheet",
    ".ppt": "PowerPoint presentation",
    ".pptx": "PowerPoint presentation",
    ".epub": "EPUB e-book",
    ".zip": "ZIP archive",
    ".tar": "tar archive",
    ".tgz": "tar archive",
    ".7z": "7-Zip archive",
    ".rar": "RAR archive",
    ".bz2": "bzip2 archive",
    ".xz": "xz archive",
    ".png": "PNG image",
    ".jpg": "JPEG image",
    ".jpeg": "JPEG image",
    ".gif": "GIF image",
    ".webp": "WebP image",
    ".bmp": "BMP image",
    ".tif": "TIFF image",
    ".tiff": "TIFF image",
    ".heic": "HEIC image",
    ".svg": "SVG image",
    ".ico": "icon image",
    ".mp3": "audio file",
    ".wav": "audio file",
    ".ogg": "audio file",
    ".mp4": "video file",
    ".mov": "video file",
    ".avi": "video file",
    ".exe": "Windows executable",
    ".dll": "Windows library",
    ".so": "shared library",
    ".bin": "binary file",
    ".csv": "CSV table",
    ".xml": "XML document",
    ".eml": "e-mail message",
}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"\x00\x00\x01\x00", "icon image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document (.doc/.xls; save it as .docx)"),
    (b"{\\rtf", "RTF document"),
    (b"%!PS", "PostScript document"),
    (b"\x7fELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"OggS", "Ogg audio/video"),
    (b"fLaC", "FLAC audio"),
    (b"ID3", "MP3 audio"),
    (b"\x00asm", "WebAssembly binary"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
)


def sniff_magic(data: bytes) -> str | None:
    """A supported format ("pdf", "docx", "gzip") or the name of an unsupported binary format,
    from the first bytes; None when the bytes do not start like any known binary format."""
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_kind(data)
    for magic, kind in _MAGIC:
        if data.startswith(magic) and (magic not in _WEAK_MAGIC or _binaryish(data)):
            return kind
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "WebP image", b"WAVE": "audio file", b"AVI ": "video file"}[data[8:12]]
    if data[4:8] == b"ftyp":
        return "MP4/HEIC media file"
    if data[257:262] == b"ustar":
        return "tar archive"
    return None


# Short signatures that ordinary text may start with ("MZANSI news...").
_WEAK_MAGIC = frozenset({b"MZ", b"BZh", b"ID3", b"OggS", b"fLaC", b"%!PS"})


def _binaryish(data: bytes) -> bool:
    head = data[:1024]
    if b"\x00" in head:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return True
    return False


def _zip_kind(data: bytes) -> str:
    """Tell a .docx from the other zip-based formats by the parts inside it."""
    import zipfile  # only zip uploads pay for it

    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except Exception:  # BadZipFile, NotImplementedError (unknown version), OSError, ...
        # Cannot list it: let the docx reader report the corruption if the name says docx.
        return "zip"
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "Excel spreadsheet"
    if "ppt/presentation.xml" in names:
        return "PowerPoint presentation"
    if "mimetype" in names and "content.xml" in names:
        return "OpenDocument file"
    if "META-INF/container.xml" in names:
        return "EPUB e-book"
    return "ZIP archive"


def extension_of(name: str) -> str:
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def is_html_document(text: str) -> bool:
    """Whether decoded text is a whole HTML page (its doctype or <html> first): a page saved as
    .txt or served as text/plain is still a page, and its markup is not the article."""
    return text[:2048].lstrip("\ufeff \t\r\n").lower().startswith(("<!doctype html", "<html"))


def sniff_text(text: str) -> str:
    """For decoded text of unknown type: HTML, JSON, Markdown or plain text."""
    head = text[:2048].lstrip("\ufeff \t\r\n").lower()
    if is_html_document(text) or (
        head.startswith("<") and any(tag in head for tag in ("<html", "<body", "<head", "<p>"))
    ):
        return "html"
    if head.startswith("{"):
        return "json"
    if head.startswith("# ") or head.startswith("---\ntitle:"):
        return "md"
    return "txt"
