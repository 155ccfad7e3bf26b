"""Bad input: every case raises its typed error with a message a person can act on."""

from __future__ import annotations

import gzip
import io
import json
import random
import zipfile
import zlib
from collections.abc import Callable

import pytest

from newswatch.domain.errors import (
    CorruptFileError,
    EmptyFileError,
    EncryptedFileError,
    ExtractionError,
    NewswatchError,
    NotAnArticleError,
    NoTextError,
    TooLargeError,
    UnsupportedFormatError,
)
from newswatch.extract import extract_document

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"


def random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def raises(
    error: type[NewswatchError], data: bytes, name: str, match: str, max_bytes: int = 10 << 20
) -> NewswatchError:
    with pytest.raises(error, match=match) as info:
        extract_document(data, name, max_bytes=max_bytes)
    # Every extraction failure is an ExtractionError with its machine-readable code.
    assert isinstance(info.value, ExtractionError)
    assert info.value.code == error.code
    return info.value


def test_empty_file() -> None:
    raises(EmptyFileError, b"", "a.txt", r"empty \(0 bytes\)")


def test_whitespace_only() -> None:
    raises(NoTextError, b" \n\t\r\n ", "a.txt", "only whitespace")


def test_punctuation_only() -> None:
    raises(NoTextError, b"... --- !!! 123", "a.txt", "no article text found in the text file")


@pytest.mark.parametrize("name", ["garbage.txt", "garbage.bin.unknown", "garbage"])
def test_binary_garbage_is_not_text(name: str) -> None:
    raises(UnsupportedFormatError, random_bytes(4096), name, "binary data, not text")


def test_binary_with_mostly_text_bytes_is_still_binary() -> None:
    # Control characters sprinkled through ASCII: decodes as UTF-8, but it is not prose.
    rng = random.Random(3)
    data = bytes(rng.choice(b"abcdef \x01\x02\x03\x04\x05\x06\x07\x0e\x0f") for _ in range(3000))
    raises(UnsupportedFormatError, data, "a.txt", r"binary data, not text \(\d+% ")


@pytest.mark.parametrize("name", ["photo.png", "photo.txt", "upload"])
def test_png_image_is_named(name: str) -> None:
    err = raises(UnsupportedFormatError, PNG_HEADER + random_bytes(500), name, "PNG image")
    assert "supported: .txt" in err.message


@pytest.mark.parametrize(
    ("data", "name", "what"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(100), "x.jpg", "JPEG image"),
        (b"GIF89a" + bytes(100), "x", "GIF image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.doc", "legacy Office document"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), "prog", "ELF executable"),
        (b"{\\rtf1\\ansi Hello}", "letter.rtf", "RTF document"),
    ],
)
def test_other_binary_formats_are_named(data: bytes, name: str, what: str) -> None:
    raises(UnsupportedFormatError, data, name, what)


def test_unsupported_extension_with_text_content_is_named() -> None:
    raises(UnsupportedFormatError, b"a,b\n1,2\n", "table.csv", "CSV table")


def test_zip_that_is_not_a_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    raises(UnsupportedFormatError, buffer.getvalue(), "report.docx", "Excel spreadsheet")
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("notes.txt", "hello")
    raises(UnsupportedFormatError, plain.getvalue(), "bundle.zip", "ZIP archive")


def test_truncated_pdf(pdf_builder: Callable[..., bytes]) -> None:
    data = pdf_builder()
    raises(CorruptFileError, data[: len(data) // 3], "story.pdf", "corrupt or truncated PDF")


def test_pdf_header_with_garbage() -> None:
    raises(
        CorruptFileError, b"%PDF-1.4\n" + random_bytes(2000), "x.pdf", "corrupt or truncated PDF"
    )


def test_encrypted_pdf_with_password(pdf_builder: Callable[..., bytes]) -> None:
    data = pdf_builder(user_password="secret")
    # not damaged: its own code, so a newsroom knows to send an unlocked copy
    raises(EncryptedFileError, data, "locked.pdf", "password-protected")


def test_pdf_without_text(pdf_builder: Callable[..., bytes]) -> None:
    raises(NoTextError, pdf_builder(paragraphs=()), "scan.pdf", "no extractable text")


def test_pdf_text_over_the_limit(pdf_builder: Callable[..., bytes]) -> None:
    # The file itself is under the limit; its extracted text is not.
    paragraphs = ["Negotiators met again in Jeddah on Tuesday. " * 40] * 30
    data = pdf_builder(paragraphs=paragraphs)
    limit = len(data) + 1
    assert len("".join(paragraphs)) > limit
    raises(TooLargeError, data, "long.pdf", "PDF's text is over the limit", max_bytes=limit)


def test_corrupt_docx(docx_builder: Callable[..., bytes]) -> None:
    data = docx_builder()
    raises(CorruptFileError, data[: len(data) // 2], "story.docx", "corrupt Word document")


def test_docx_with_broken_xml() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
        archive.writestr("word/document.xml", "<not xml")
    raises(CorruptFileError, buffer.getvalue(), "story.docx", "corrupt Word document")


def test_docx_name_on_non_zip_bytes() -> None:
    raises(CorruptFileError, b"just some text", "story.docx", "not a valid zip")


def test_docx_needing_an_unknown_zip_version(docx_builder: Callable[..., bytes]) -> None:
    # zipfile raises NotImplementedError for it: still a corrupt file, never a crash.
    data = bytearray(docx_builder())
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 178
    raises(CorruptFileError, bytes(data), "story.docx", "corrupt Word document")
    raises(UnsupportedFormatError, bytes(data), "upload", "ZIP archive")


def test_docx_bomb_is_refused_before_parsing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" + b" " * 2_000_000)
    err = raises(
        TooLargeError, buffer.getvalue(), "bomb.docx", "decompresses to", max_bytes=1_000_000
    )
    assert "1000000" in err.message


def test_corrupt_gzip() -> None:
    raises(CorruptFileError, b"\x1f\x8b\x08\x00" + random_bytes(200), "a.txt.gz", "corrupt gzip")


def test_truncated_gzip() -> None:
    data = gzip.compress(("Peace talks resumed today. " * 200).encode())
    raises(CorruptFileError, data[: len(data) - 12], "a.txt.gz", "truncated gzip")


def test_gz_name_without_gzip_data() -> None:
    raises(CorruptFileError, b"plain text", "a.txt.gz", "not gzip data")


def test_gzip_of_empty_file() -> None:
    raises(EmptyFileError, gzip.compress(b""), "a.txt.gz", "gzip file contains an empty file")


def test_gzip_bomb_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 1_000_000
    # 100 MB of zeros in ~100 kB of gzip: produced in chunks, never held in memory here either.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(block) for _ in range(100)) + compressor.flush()
    assert len(bomb) < limit

    produced: list[int] = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self, wbits: int) -> None:
            self._inner = real(wbits=wbits)

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            assert max_length > 0, "unbounded decompression"
            out = self._inner.decompress(data, max_length)
            produced.append(len(out))
            return out

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    monkeypatch.setattr(zlib, "decompressobj", Spy)
    err = raises(TooLargeError, bomb, "bomb.txt.gz", "decompresses to more than", max_bytes=limit)
    assert str(limit) in err.message
    assert sum(produced) == limit + 1


def test_nested_gzip_depth_is_limited() -> None:
    data = gzip.compress(gzip.compress(gzip.compress(b"Peace talks resumed.")))
    raises(UnsupportedFormatError, data, "a.gz", "gzip inside gzip")


def test_too_large_file() -> None:
    err = raises(
        TooLargeError, b"a" * 101, "a.txt", "101 bytes, over the limit of 100", max_bytes=100
    )
    assert err.code == "too_large"


def test_html_with_no_article_text() -> None:
    page = (
        b"<html><head><title>Menu</title><script>var a = 'lots of script text here';</script>"
        b"</head><body><nav><a href='/'>Home</a> <a href='/about'>About us and our team</a></nav>"
        b"<div><a href='/login'>Login</a></div><footer>&copy; 2025 Example</footer></body></html>"
    )
    raises(NoTextError, page, "empty.html", "no article text found in the HTML page")


def test_empty_html_document() -> None:
    raises(NoTextError, b"<html><body></body></html>", "blank.html", "no article text")


def test_json_list_is_not_an_article() -> None:
    data = json.dumps([{"title": "a", "text": "b"}, {"title": "c", "text": "d"}]).encode()
    raises(NotAnArticleError, data, "feed.json", "list of 2 items, not one article object")


def test_json_without_text_field_names_the_fields() -> None:
    data = json.dumps({"title": "Headline only", "id": 4}).encode()
    err = raises(NotAnArticleError, data, "a.json", "no article text")
    assert "text, body, content or article" in err.message
    assert "found: id, title" in err.message


@pytest.mark.parametrize("value", ["42", '"a string"', "null", "true"])
def test_json_scalar_is_not_an_article(value: str) -> None:
    raises(NotAnArticleError, value.encode(), "a.json", "not an article object")


def test_json_text_of_wrong_type() -> None:
    raises(NotAnArticleError, b'{"text": 12}', "a.json", "must be a string")


def test_json_with_empty_text() -> None:
    raises(NoTextError, b'{"title": "T", "text": "   "}', "a.json", "text field is empty")


def test_invalid_json() -> None:
    raises(CorruptFileError, b'{"title": "x", "text": ', "a.json", r"invalid JSON: .* line 1")


def test_deeply_nested_json() -> None:
    raises(CorruptFileError, b"[" * 100_000 + b"]" * 100_000, "a.json", "invalid JSON")


# ---------------------------------------------------------------- encodings: decoded, not failed


def test_cp1252_text_is_decoded() -> None:
    text = "The café’s “smart quotes” – naïve résumé of the truce talks."
    doc = extract_document(text.encode("cp1252"), "legacy.txt")
    assert doc.text == text


@pytest.mark.parametrize(
    "text",
    [
        "The deal was worth £424m, the company said on Tuesday.",
        "Die Verhandlungen über einen Waffenstillstand in Genf sind gescheitert. Größere Sorgen.",
    ],
)
def test_short_cp1252_text_is_not_misread(text: str) -> None:
    # charset-normalizer alone reads the lone "£" as cp932 and the German as cp1250.
    assert extract_document(text.encode("cp1252"), "legacy.txt").text == text


def test_central_european_cp1250_is_detected() -> None:
    text = (
        "Negocjatorzy obu stron spotkali się we wtorek w Dżuddzie, aby omówić propozycję "
        "zawieszenia broni, która wstrzymałaby walki na linii frontu na trzydzieści dni."
    )
    assert extract_document(text.encode("cp1250"), "pl.txt").text == text


def test_latin1_french_article_is_decoded() -> None:
    text = "Les négociations de cessez-le-feu à Genève ont échoué, a déclaré le médiateur."
    assert extract_document(text.encode("latin-1"), "fr.txt").text == text


def test_cyrillic_cp1251_goes_to_charset_detection() -> None:
    text = (
        "Переговоры о прекращении огня возобновились во вторник в Джидде. "
        "Делегации согласились встретиться снова на следующей неделе."
    )
    assert extract_document(text.encode("cp1251"), "ru.txt").text == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_byte_order_marks(encoding: str) -> None:
    text = "Truce talks resume\nNegotiators met in Jeddah on Tuesday."
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    doc = extract_document(data, "bom.txt")
    assert (doc.title, doc.text) == ("Truce talks resume", "Negotiators met in Jeddah on Tuesday.")


def test_utf8_with_a_few_broken_bytes_stays_utf8() -> None:
    text = "Négociations à Genève: le médiateur a parlé. " * 5
    data = text.encode() + b"\xff" + " Fin de la réunion à Genève.".encode()
    doc = extract_document(data, "mixed.txt")
    assert doc.text == text.strip() + " Fin de la réunion à Genève."


def test_errors_never_leak_parser_exceptions() -> None:
    """Odd inputs across all formats: either a Document or a documented error, nothing else."""
    rng = random.Random(11)
    samples = [b"%PDF-1.4\n" + rng.randbytes(300), b"PK\x03\x04" + rng.randbytes(300)]
    samples += [b"<html>" + rng.randbytes(200), b'{"text": "' + rng.randbytes(50) + b'"}']
    for data in samples:
        for name in ("x.pdf", "x.docx", "x.html", "x.json", "x.txt", "x"):
            try:
                extract_document(data, name)
            except NewswatchError as error:
                assert error.message
