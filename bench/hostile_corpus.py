"""The hostile-input corpus (issue 14): every file is generated here, none is checked in.

Each :class:`Case` builds its bytes on demand and says how it must end: a ``failed`` record with
its error code, or a ``processed`` one that passes its check (the right text, the right language,
the columns in order). It covers every row of issue 14's table, the bad-input catalogue of
``tests/integration/test_bad_inputs.py`` (issue 6) and the hostile texts of
``tests/property/test_hostile_inputs.py``. Used by ``tests/integration/test_hostile_corpus.py``
(moto, the real ingest handler), ``tests/e2e/test_e2e_hostile.py`` (the local stack) and
``bench/hostile.py`` (time and peak memory per case, the table in RELIABILITY.md).

Decompression bombs are built without compressing gigabytes: a run of spaces is deflated once,
ending with a full flush (which makes the piece self-contained and byte-aligned), and the piece
is repeated.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import struct
import textwrap
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from newswatch.domain.sentences import split_sentences

GIB = 1024 * 1024 * 1024
_PIECE = 16 * 1024 * 1024  # spaces per repeated deflate piece

# A plain news article, reused as the healthy text inside several cases.
ARTICLE_TITLE = "Truce talks resume in Jeddah"
ARTICLE = (
    "Negotiators from both sides met in Jeddah on Tuesday to discuss a ceasefire proposal that "
    "would halt fighting along the front line for thirty days.",
    "The proposal, drafted by mediators, includes a prisoner exchange and the opening of "
    "humanitarian corridors for aid convoys into besieged towns.",
    '"We are ready to stop shooting if the other side does the same," a senior official said '
    "after the meeting ended late in the evening.",
    "Diplomats said a second round of talks could begin next week if both delegations agree on "
    "the monitoring mechanism.",
    "Residents of the besieged towns said food and medicine had run short after months of "
    "fighting, and that many families had fled to camps near the border.",
    "Aid agencies said they were ready to send convoys as soon as the corridors opened, and "
    "asked both sides to guarantee the safety of their drivers.",
)

Check = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class Case:
    """One hostile or awkward file and how it must end."""

    name: str  # what the file is, as in the RELIABILITY.md table
    key: str  # its object key / file name
    build: Callable[[], bytes]
    status: str  # "failed" or "processed"
    code: str | None = None  # the failed record's error_code
    origin: str = "issue 14"  # issue 14's table, the issue 6 catalogue, or the hostile texts
    check: Check | None = field(default=None, compare=False)  # for processed records
    slow: bool = False  # takes seconds on purpose (left to the bench and the e2e run)


# -- deflate bombs ----------------------------------------------------------------------------


@cache
def _space_piece() -> bytes:
    """16 MiB of spaces, raw-deflated and full-flushed: valid anywhere in a raw deflate stream."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(b" " * _PIECE) + packer.flush(zlib.Z_FULL_FLUSH)


def deflate_padded(prefix: bytes, padding_bytes: int) -> bytes:
    """A raw deflate stream of ``prefix`` followed by about ``padding_bytes`` spaces."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # one empty final block
    return start + _space_piece() * max(1, padding_bytes // _PIECE) + end


def _zip_entry(name: str, raw: bytes, declared: bytes) -> tuple[bytes, bytes]:
    """(local header + data, central directory entry) for a deflated entry that declares the
    size and CRC of ``declared`` whatever its data inflates to."""
    crc = zlib.crc32(declared)
    encoded = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(raw), len(declared), len(encoded), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(raw), len(declared), len(encoded),
        0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    return local + encoded + raw, central + encoded


def lying_zip(entries: list[tuple[str, bytes, bytes]]) -> bytes:
    """A zip of (name, raw deflate data, the content it declares) entries."""
    body = io.BytesIO()
    directory = io.BytesIO()
    for name, raw, declared in entries:
        offset = body.tell()
        local, central = _zip_entry(name, raw, declared)
        body.write(local)
        # The central entry's last field is the local header's offset.
        directory.write(central[:42] + struct.pack("<I", offset) + central[46:])
    start = body.tell()
    directory_bytes = directory.getvalue()
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory_bytes), start, 0
    )
    return body.getvalue() + directory_bytes + end


@cache
def real_docx_parts() -> dict[str, bytes]:
    """The parts of a real .docx (python-docx's default template) holding ARTICLE."""
    import docx

    document = docx.Document()
    document.add_heading(ARTICLE_TITLE, level=0)
    for paragraph in ARTICLE:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def docx_lying_sizes() -> bytes:
    """2.7 MB: word/document.xml declares 2 KB and a checksum, and inflates to 2.5 GiB."""
    parts = real_docx_parts()
    entries = [(name, _deflate(data), data) for name, data in parts.items()]
    document = parts["word/document.xml"]
    bomb = deflate_padded(document, 160 * _PIECE)
    fake = document[:2048]
    return lying_zip(
        [(n, bomb, fake) if n == "word/document.xml" else (n, r, d) for n, r, d in entries]
    )


def docx_parts_inflate_to_1gib() -> bytes:
    """8.4 MB: eight parts declared small (size and checksum of their real content) whose data
    goes on for 1 GiB of spaces after it. The declared content is a valid document."""
    parts = real_docx_parts()
    entries = []
    padded = 0
    for name, data in parts.items():
        if name.endswith(".xml") and padded < 8:
            entries.append((name, deflate_padded(data, GIB), data))
            padded += 1
        else:
            entries.append((name, _deflate(data), data))
    return lying_zip(entries)


# -- PDF --------------------------------------------------------------------------------------


def pdf_from_objects(objects: list[bytes], root: int = 1) -> bytes:
    """A PDF with a correct cross-reference table; ``objects[i]`` is object ``i + 1``."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def pdf_shared_content_stream(pages: int = 200, content_mb: int = 70) -> bytes:
    """About 100 KB: ``pages`` pages whose /Contents is one 70 MB stream of text operators."""
    line = b"BT /F1 12 Tf 72 712 Td (ceasefire talks resume in Jeddah) Tj ET\n"
    stream = zlib.compress(line * (content_mb * 1024 * 1024 // len(line)), 9)
    font = 3 + pages + 1
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (4 + i) for i in range(pages)), pages),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    for _ in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % font
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_from_objects(objects)


# Two stories side by side; every sentence must come out whole.
LEFT_COLUMN = ARTICLE[:3]
RIGHT_COLUMN = ARTICLE[3:]


def pdf_two_columns() -> bytes:
    """A page written line by line across two columns (left line, right line, next line...)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    left = _column_lines(LEFT_COLUMN)
    right = _column_lines(RIGHT_COLUMN)
    y = 20.0
    for i in range(max(len(left), len(right))):
        if i < len(left):
            pdf.text(12, y, left[i])
        if i < len(right):
            pdf.text(110, y, right[i])
        y += 5
    return bytes(pdf.output())


def _column_lines(paragraphs: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(textwrap.wrap(paragraph, 44))
        lines.append("")
    return lines


def sentences_whole(expected: tuple[str, ...]) -> Check:
    """A check that every summary sentence is one of ``expected``, word for word."""

    def check(record: Mapping[str, Any]) -> str | None:
        # The item stores the summary once, its sentences joined (issue 15: smaller items).
        sentences = split_sentences(str(record.get("summary") or ""))
        if not sentences:
            return "no summary"
        for sentence in sentences:
            if not any(" ".join(sentence.split()) in " ".join(p.split()) for p in expected):
                return f"summary sentence not in the article (columns mixed?): {sentence!r}"
        return None

    return check


# -- HTML -------------------------------------------------------------------------------------


def _paragraphs_html(paragraphs: tuple[str, ...]) -> str:
    return "\n".join(f"<p>{p}</p>" for p in paragraphs)


def html_article_in_form() -> bytes:
    """A broadcaster-style page: the whole body, article included, inside one <form>."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{ARTICLE_TITLE} | World News</title></head><body>
<form id="mainForm" action="/search" method="post">
<header><a href="/">Home</a> <a href="/news">News</a> <input type="search" name="q"></header>
<div class="story"><h1>{ARTICLE_TITLE}</h1>
{_paragraphs_html(ARTICLE)}
</div>
<footer>Copyright World News</footer>
</form></body></html>""".encode()


def html_aspnet_form() -> bytes:
    """An ASP.NET WebForms page: one <form runat=server> around everything, view state first."""
    state = "dDwtMTA4NzA4NjU2MDs7Pg" * 40
    return f"""<!DOCTYPE html><html><head><title>{ARTICLE_TITLE}</title></head><body>
<form name="aspnetForm" method="post" action="./article.aspx?id=4711" id="aspnetForm">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="{state}" />
<div id="ctl00_Menu"><a href="/">Home</a> | <a href="/world">World</a></div>
<div id="ctl00_ContentPlaceHolder1_pnlArticle">
<span id="ctl00_lblTitle"><h2>{ARTICLE_TITLE}</h2></span>
{_paragraphs_html(ARTICLE)}
</div>
<input type="submit" name="ctl00$btnSearch" value="Search" />
</form></body></html>""".encode()


NEWSLETTER = "Sign up for our daily newsletter and never miss a story from the region"
COMMENT_PROMPT = "Leave a comment below and tell us what you think about this story today"


def html_with_real_forms() -> bytes:
    """An article followed by a comment box, a newsletter sign-up and a search form."""
    return f"""<!DOCTYPE html><html><head><title>{ARTICLE_TITLE}</title></head><body>
<form role="search" action="/search"><input type="search" name="q"><button>Search</button></form>
<article><h1>{ARTICLE_TITLE}</h1>{_paragraphs_html(ARTICLE)}</article>
<form class="newsletter" action="/subscribe"><p>{NEWSLETTER}.</p>
<input type="email" name="email"><button>Subscribe</button></form>
<form id="comments" action="/comment"><p>{COMMENT_PROMPT}.</p>
<textarea name="comment"></textarea><button>Post comment</button></form>
</body></html>""".encode()


def no_form_text(record: Mapping[str, Any]) -> str | None:
    summary = str(record.get("summary") or "")
    if not summary:
        return "no summary"
    if "newsletter" in summary or "comment below" in summary:
        return f"form text in the summary: {summary!r}"
    return None


JAPANESE = (
    "政府は火曜日、国境付近で続いていた戦闘を停止するための停戦案について、双方の代表団が"
    "ジッダで協議を再開したと発表した。",
    "仲介者がまとめた提案には、捕虜の交換と、包囲された町への人道回廊の開設が含まれている。",
    "会談後、政府高官は「相手側も同じことをするなら、我々は発砲をやめる用意がある」と述べた。",
    "外交筋によると、双方が停戦の監視方法で合意すれば、来週にも第二回の協議が始まる可能性がある。",
)
CHINESE = (
    "双方谈判代表周二在吉达会面，讨论一项停火提案，该提案将使前线的战斗停止三十天。",
    "由调解人起草的提案包括交换战俘，以及为援助车队开辟通往被围困城镇的人道主义走廊。",
    "一名高级官员在会后表示：“如果对方也这样做，我们愿意停止射击。”",
    "外交官表示，如果双方就停火监督机制达成一致，第二轮会谈可能于下周开始。",
)


def html_cjk(lang: str, title: str, paragraphs: tuple[str, ...]) -> bytes:
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title}</title></head><body><nav><a href="/">ホーム</a></nav>
<article><h1>{title}</h1>{_paragraphs_html(paragraphs)}</article></body></html>""".encode()


def language_is(language: str) -> Check:
    def check(record: Mapping[str, Any]) -> str | None:
        if not str(record.get("language")).startswith(language):
            return f"language {record.get('language')!r}, expected {language!r}"
        if not record.get("summary"):
            return "no summary"
        return None

    return check


def tagged_with(label: str) -> Check:
    def check(record: Mapping[str, Any]) -> str | None:
        labels = list(record.get("topic_labels") or ())
        return None if label in labels else f"topics {labels}, expected {label!r}"

    return check


# -- text -------------------------------------------------------------------------------------


def keyword_soup() -> bytes:
    """Topic words strung together with no sentence: the kind of text that tags everything."""
    rng = random.Random(14)
    words = [
        *("ceasefire", "truce", "aid", "convoy", "sanctions", "embargo", "negotiations"),
        *("talks", "refugees", "displaced", "casualties", "killed", "airstrike", "shelling"),
        *("election", "ballot", "hostages", "prisoners", "protest"),
    ]
    return " ".join(rng.choice(words) for _ in range(6000)).encode()


def endless_line(size: int = 5 * 1024 * 1024) -> bytes:
    """5 MB on one line, no punctuation: random lower-case words."""
    rng = random.Random(5)
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(5000)
    ]
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(vocabulary)
        words.append(word)
        length += len(word) + 1
    return " ".join(words).encode()[:size]


def utf16_without_bom() -> bytes:
    return ("\n\n".join((ARTICLE_TITLE, *ARTICLE)) + "\n").encode("utf-16-le")


def many_gzip_members(count: int = 400_000) -> bytes:
    return gzip.compress(b"", mtime=0) * count


def gzip_bomb() -> bytes:
    """64 MiB of text in about 64 KB."""
    return gzip.compress(b"ceasefire " * (64 * 1024 * 1024 // 10), compresslevel=9, mtime=0)


# -- the issue 6 catalogue --------------------------------------------------------------------


def _rng_bytes(seed: int, size: int, lo: int = 0, hi: int = 256) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(lo, hi) for _ in range(size))


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _rng_bytes(8, 2048)


def _small_pdf(**kwargs: Any) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(ARTICLE_TITLE)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for paragraph in ARTICLE:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(4)
    if kwargs.get("user_password"):
        pdf.set_encryption(owner_password="owner-secret", user_password=kwargs["user_password"])
    return bytes(pdf.output())


def _small_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in real_docx_parts().items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _deep_html(depth: int = 20_000) -> bytes:
    return b"<html><body>" + b"<div>" * depth + b"text" + b"</div>" * depth + b"</body></html>"


CASES: tuple[Case, ...] = (
    # issue 14's table, row by row
    Case("docx, 2.7 MB, zip entries lie about their sizes", "hostile/lying-sizes.docx",
         docx_lying_sizes, "failed", "corrupt_file"),
    Case("docx, 8.4 MB, eight parts declared small that inflate to 1 GiB each",
         "hostile/parts-inflate-1gib.docx", docx_parts_inflate_to_1gib, "processed",
         check=sentences_whole(ARTICLE)),
    Case("PDF, ~100 KB, 200 pages sharing one 70 MB content stream", "hostile/shared-stream.pdf",
         pdf_shared_content_stream, "failed", "too_complex"),
    Case(".gz of 8 MB holding 400,000 empty members", "hostile/many-members.txt.gz",
         many_gzip_members, "failed", "too_complex"),
    Case("HTML, 9.5 MB of `<p>a `", "hostile/p-a-9mb.html",
         lambda: b"<p>a " * (9_500_000 // 5), "failed", "too_large"),
    Case("HTML, 1 MB of `<p>a `", "hostile/p-a-1mb.html",
         lambda: b"<p>a " * (1_000_000 // 5), "failed", "too_complex"),
    Case("news page whose body sits inside a `<form>` (broadcaster style)",
         "hostile/article-in-form.html", html_article_in_form, "processed",
         check=sentences_whole(ARTICLE)),
    Case("news page inside an ASP.NET `<form runat=server>`", "hostile/aspnet-form.html",
         html_aspnet_form, "processed", check=sentences_whole(ARTICLE)),
    Case("article with a comment box, newsletter sign-up and search form",
         "hostile/real-forms.html", html_with_real_forms, "processed", check=no_form_text),
    Case("Japanese HTML article", "hostile/japanese.html",
         lambda: html_cjk("ja", "ジッダで停戦協議再開", JAPANESE), "processed",
         check=language_is("ja")),
    Case("Chinese HTML article", "hostile/chinese.html",
         lambda: html_cjk("zh", "吉达停火谈判恢复", CHINESE), "processed",
         check=language_is("zh")),
    Case("PDF written line by line across two columns", "hostile/two-columns.pdf",
         pdf_two_columns, "processed", check=sentences_whole(ARTICLE)),
    Case("5 MB single line with no punctuation", "hostile/endless-line.txt", endless_line,
         "failed", "not_an_article"),
    Case("5 MB of one letter", "hostile/one-letter.txt", lambda: b"a" * (5 * 1024 * 1024),
         "failed", "not_an_article"),
    Case("keyword soup (topic words, no sentences)", "hostile/keyword-soup.txt", keyword_soup,
         "failed", "not_an_article"),
    Case("UTF-16 text without BOM", "hostile/utf16-no-bom.txt", utf16_without_bom, "processed",
         check=tagged_with("ceasefire")),
    # more of the same kind
    Case("HTML nested 20,000 `<div>` deep", "hostile/deep.html", _deep_html, "failed",
         "too_complex"),
    # the issue 6 catalogue (tests/integration/test_bad_inputs.py)
    Case("empty object", "catalogue/empty.txt", lambda: b"", "failed", "empty_file",
         origin="issue 6"),
    Case("4 KB of random bytes", "catalogue/garbage.bin", lambda: _rng_bytes(7, 4096), "failed",
         "unsupported_format", origin="issue 6"),
    Case("bytes 128-255 named .txt", "catalogue/garbage.txt",
         lambda: _rng_bytes(9, 4096, 128, 256), "failed", "unsupported_format", origin="issue 6"),
    Case("PNG image", "catalogue/photo.png", _png, "failed", "unsupported_format",
         origin="issue 6"),
    Case("truncated PDF", "catalogue/truncated.pdf", lambda: _small_pdf()[:1500], "failed",
         "corrupt_file", origin="issue 6"),
    Case("password-protected PDF", "catalogue/encrypted.pdf",
         lambda: _small_pdf(user_password="secret"), "failed", "encrypted_file", origin="issue 6"),
    Case("truncated docx", "catalogue/corrupt.docx",
         lambda: _small_docx()[: len(_small_docx()) * 2 // 3], "failed", "corrupt_file",
         origin="issue 6"),
    Case("gzip bomb: 64 MiB of text in 64 KB", "catalogue/bomb.txt.gz", gzip_bomb, "failed",
         "too_large", origin="issue 6"),
    Case("HTML with menus and scripts only", "catalogue/no-article.html",
         lambda: b"<html><head><script>var a = 1;</script></head><body><nav><a href='/'>Home"
         b"</a> <a href='/news'>News</a></nav></body></html>", "failed", "no_text",
         origin="issue 6"),
    Case("JSON that is not an article", "catalogue/not-an-article.json",
         lambda: json.dumps({"status": "ok", "count": 3}).encode(), "failed", "not_an_article",
         origin="issue 6"),
    Case("JSON list", "catalogue/list.json", lambda: b"[1, 2, 3]", "failed", "not_an_article",
         origin="issue 6"),
    # tests/property/test_hostile_inputs.py, as whole files
    Case("`Mr. ` x 20,000 (one endless sentence)", "text/abbreviations.txt",
         lambda: b"Mr. " * 20_000, "failed", "not_an_article", origin="hostile texts"),
    Case("`ceasefire ` x 20,000", "text/topic-word.txt", lambda: b"ceasefire " * 20_000,
         "failed", "not_an_article", origin="hostile texts"),
    Case("unclosed `<script> <!--` x 20,000", "text/unclosed-markup.txt",
         lambda: b"<script> <!-- a " * 20_000, "failed", "not_an_article",
         origin="hostile texts"),
    Case("Markdown `**a ` x 8,000 (unclosed bold)", "text/unclosed-bold.md",
         lambda: b"**a " * 8_000, "failed", "not_an_article", origin="hostile texts"),
    Case("Markdown `[a](` x 60,000 (unclosed link)", "text/unclosed-link.md",
         lambda: b"[a](" * 60_000, "failed", "not_an_article", origin="hostile texts"),
)  # fmt: skip


def by_name() -> dict[str, Case]:
    return {case.key: case for case in CASES}
