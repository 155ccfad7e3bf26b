"""Every supported format, built in the test, comes out as clean article text with its title."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from newswatch.domain.models import Document
from newswatch.extract import detect_format, extract_document

Article = tuple[str, tuple[str, ...]]


def assert_article(doc: Document, article: Article, fmt: str) -> None:
    title, paragraphs = article
    assert doc.format == fmt
    assert doc.title == title
    # One paragraph per line, in order, nothing before or after.
    assert doc.text.split("\n") == list(paragraphs)


def test_plain_text_headline_first_line_is_the_title(article: Article) -> None:
    title, paragraphs = article
    data = "\n\n".join([title, *paragraphs]).encode()
    assert_article(extract_document(data, "story.txt"), article, "txt")


def test_plain_text_without_headline_has_no_title(article: Article) -> None:
    _, paragraphs = article
    doc = extract_document("\n".join(paragraphs).encode(), "story.txt")
    assert doc.title is None
    assert doc.text.split("\n") == list(paragraphs)


def test_hard_wrapped_text_is_rejoined_into_paragraphs(article: Article) -> None:
    import textwrap

    title, paragraphs = article
    wrapped = "\n\n".join([title, *(textwrap.fill(p, width=60) for p in paragraphs)])
    assert_article(extract_document(wrapped.encode(), "wrapped.txt"), article, "txt")


def test_whitespace_is_normalised_and_crlf_accepted(article: Article) -> None:
    title, paragraphs = article
    messy = "\r\n".join([f"  {title}\t ", "", *(p.replace(" ", "  \u00a0") for p in paragraphs)])
    assert_article(extract_document(messy.encode(), "messy.txt"), article, "txt")


def test_seed_article(seed_bytes: bytes) -> None:
    doc = extract_document(seed_bytes, "jeddah-ceasefire-talks.txt")
    # Its first line is a long paragraph, not a headline: no title rather than a wrong one.
    assert doc.title is None
    assert doc.text.startswith("In a significant diplomatic development")
    assert "Post a Comment" not in doc.text
    assert doc.text.endswith("but the stakes could not be higher.")
    # Section headings stay as their own lines, paragraphs are not merged.
    assert "The Road to Jeddah: A Diplomatic Breakthrough" in doc.text.split("\n")
    source_lines = seed_bytes.decode().split("\n")
    assert source_lines[-1] == "Post a Comment"
    assert doc.text.split("\n") == source_lines[:-1]


def test_markdown_syntax_is_stripped_and_heading_is_the_title() -> None:
    source = (
        "# Truce talks resume in Jeddah\n\n"
        "Negotiators met on **Tuesday** to discuss a [ceasefire](https://example.org/c) proposal\n"
        "that would halt fighting for _thirty_ days.\n\n"
        "![a photo](photo.jpg)\n\n"
        "## What was agreed\n\n"
        "- a prisoner exchange\n"
        "- humanitarian `corridors`\n\n"
        "> We are ready to stop shooting, an official said.\n\n"
        "```\nignored = code()\n```\n\n"
        "| side | delegates |\n|---|---|\n| north | 4 |\n\n"
        "---\n"
        "Talks resume next week.\n"
    )
    doc = extract_document(source.encode(), "story.md")
    assert doc.format == "md"
    assert doc.title == "Truce talks resume in Jeddah"
    assert doc.text.split("\n") == [
        "Negotiators met on Tuesday to discuss a ceasefire proposal that would halt fighting "
        "for thirty days.",
        "What was agreed",
        "a prisoner exchange",
        "humanitarian corridors",
        "We are ready to stop shooting, an official said.",
        "side delegates",
        "north 4",
        "Talks resume next week.",
    ]


def test_markdown_front_matter_title() -> None:
    source = "---\ntitle: 'Aid reaches Gaza'\ndate: 2025-01-01\n---\nConvoys crossed at dawn.\n"
    doc = extract_document(source.encode(), "aid.markdown")
    assert doc.title == "Aid reaches Gaza"
    assert doc.text == "Convoys crossed at dawn."


HTML_PAGE = """<!DOCTYPE html><html><head>
<title>Truce talks resume in Jeddah | Daily Planet</title>
<meta property="og:title" content="Truce talks resume in Jeddah">
<meta property="og:site_name" content="Daily Planet">
<meta property="article:published_time" content="2025-03-11T10:00:00Z">
<script>var tracking = "SCRIPTTEXT";</script><style>.nav{color:red}</style></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World NAVTEXT</a></li></ul></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies.</div>
<article><h1>Truce talks resume in Jeddah</h1>
PARAGRAPHS
</article>
<section id="comments"><h3>Comments</h3><div class="comment">
<p>COMMENTTEXT This is a terrible idea and nobody believes it will work at all.</p></div></section>
<aside><h3>Related articles</h3><ul>
<li><a href="/a">RELATEDTEXT Fighting flares again</a></li></ul></aside>
<footer><p>Share this article</p>
<p>&copy; 2025 Daily Planet. All rights reserved. FOOTERTEXT</p></footer>
</body></html>"""


def html_page(paragraphs: tuple[str, ...]) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return HTML_PAGE.replace("PARAGRAPHS", body)


def test_html_main_content_without_page_furniture(article: Article) -> None:
    doc = extract_document(html_page(article[1]).encode(), "page.html")
    assert_article(doc, article, "html")
    for debris in ("SCRIPTTEXT", "NAVTEXT", "COMMENTTEXT", "RELATEDTEXT", "FOOTERTEXT", "cookies"):
        assert debris not in doc.text
    assert doc.source == "Daily Planet"
    assert doc.published == "2025-03-11"


def test_html_and_json_without_title_metadata_use_a_headline_first_line(
    article: Article,
) -> None:
    title, paragraphs = article
    page = f"<html><body><div><p>{title}</p>" + "".join(f"<p>{p}</p>" for p in paragraphs)
    assert_article(
        extract_document(f"{page}</div></body></html>".encode(), "a.html"), article, "html"
    )
    obj = {"body": "\n".join([title, *paragraphs])}
    assert_article(extract_document(json.dumps(obj).encode(), "a.json"), article, "json")


def test_html_declared_legacy_charset(article: Article) -> None:
    paragraphs = (*article[1], "Le cessez-le-feu à Genève a été signé, a déclaré le médiateur.")
    page = html_page(paragraphs).replace("<head>", '<head><meta charset="windows-1252">')
    doc = extract_document(page.encode("cp1252"), "page.htm")
    assert doc.text.split("\n")[-1] == paragraphs[-1]


def test_json_article_with_metadata(article: Article) -> None:
    title, paragraphs = article
    payload = {
        "headline": title,
        "body": "\n\n".join(paragraphs),
        "url": "https://example.org/truce",
        "source": {"name": "Daily Planet", "id": "dp"},
        "datePublished": "2025-03-11T10:00:00Z",
    }
    doc = extract_document(json.dumps(payload).encode(), "article.json")
    assert_article(doc, article, "json")
    assert doc.url == "https://example.org/truce"
    assert doc.source == "Daily Planet"
    assert doc.published == "2025-03-11T10:00:00Z"


def test_json_article_with_html_body_and_paragraph_list(article: Article) -> None:
    title, paragraphs = article
    html_body = "".join(f"<p>{p}</p>" for p in paragraphs)
    doc = extract_document(json.dumps({"title": title, "content": html_body}).encode(), "a.json")
    assert_article(doc, article, "json")
    listed = extract_document(json.dumps({"Title": title, "Text": list(paragraphs)}).encode(), "b")
    assert_article(listed, article, "json")


def test_pdf_with_metadata_title(pdf_builder: Callable[..., bytes], article: Article) -> None:
    doc = extract_document(pdf_builder(), "story.pdf")
    assert_article(doc, article, "pdf")


def test_pdf_without_metadata_takes_headline_from_first_line(
    pdf_builder: Callable[..., bytes], article: Article
) -> None:
    title, _ = article
    doc = extract_document(pdf_builder(title=None, heading=title), "story.pdf")
    assert_article(doc, article, "pdf")


def test_pdf_with_empty_user_password_opens(
    pdf_builder: Callable[..., bytes], article: Article
) -> None:
    # An owner password only restricts printing/copying; readers open it with an empty password.
    data = pdf_builder(owner_password="owner-only")
    assert_article(extract_document(data, "protected.pdf"), article, "pdf")


def test_docx_title_from_title_paragraph(
    docx_builder: Callable[..., bytes], article: Article
) -> None:
    assert_article(extract_document(docx_builder(), "story.docx"), article, "docx")


def test_docx_title_from_core_properties(
    docx_builder: Callable[..., bytes], article: Article
) -> None:
    title, _ = article
    doc = extract_document(docx_builder(core_title=title, heading=None), "story.docx")
    assert_article(doc, article, "docx")


@pytest.mark.parametrize("name", ["story.txt.gz", "story.gz", "story.txt"])
def test_gzip_by_name_or_magic(name: str, article: Article) -> None:
    title, paragraphs = article
    data = gzip.compress("\n".join([title, *paragraphs]).encode())
    assert_article(extract_document(data, name), article, "txt")


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html", "json"])
def test_gzip_of_every_format(
    fmt: str,
    pdf_builder: Callable[..., bytes],
    docx_builder: Callable[..., bytes],
    article: Article,
) -> None:
    title, paragraphs = article
    builders: dict[str, Callable[[], bytes]] = {
        "pdf": pdf_builder,
        "docx": docx_builder,
        "html": lambda: html_page(paragraphs).encode(),
        "json": lambda: json.dumps({"title": title, "text": "\n".join(paragraphs)}).encode(),
    }
    doc = extract_document(gzip.compress(builders[fmt]()), f"story.{fmt}.gz")
    assert_article(doc, article, fmt)


def test_multi_member_gzip(article: Article) -> None:
    title, paragraphs = article
    first = gzip.compress((title + "\n" + paragraphs[0] + "\n").encode())
    rest = gzip.compress("\n".join(paragraphs[1:]).encode())
    assert_article(extract_document(first + rest, "story.txt.gz"), article, "txt")


@pytest.mark.parametrize(
    ("data", "name", "content_type", "expected"),
    [
        (b"%PDF-1.7\n...", "upload", None, "pdf"),
        (b"\x1f\x8b\x08\x00", "upload.bin", None, "gzip"),
        (b"<!doctype html><p>x</p>", "upload", None, "unknown"),
        (b"plain words", "upload", "text/html; charset=utf-8", "html"),
        (b"plain words", "upload", "application/json", "json"),
        (b"plain words", "notes.TXT", "application/json", "txt"),
        (b"plain words", "key/with.dots/article", "binary/octet-stream", "unknown"),
    ],
)
def test_detect_format_order(
    data: bytes, name: str, content_type: str | None, expected: str
) -> None:
    media = content_type.split(";")[0] if content_type else None
    assert detect_format(data, name, media) == expected


def test_sniffed_without_name_or_type(article: Article) -> None:
    title, paragraphs = article
    page = extract_document(html_page(paragraphs).encode(), "s3-key-without-extension")
    assert page.format == "html"
    obj = extract_document(json.dumps({"title": title, "text": "Aid arrived."}).encode(), "k")
    assert obj.format == "json"
    md = extract_document(b"# Heading here\n\nBody text.", "k")
    assert (md.format, md.title) == ("md", "Heading here")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("saved-page.txt", None), ("notes.md", None), ("article-123", "text/plain; charset=utf-8")],
)
def test_a_web_page_named_or_served_as_text_is_read_as_html(
    article: Article, name: str, content_type: str | None
) -> None:
    """Its markup is not the article: what a subscriber would read is the page's text."""
    doc = extract_document(html_page(article[1]).encode(), name, content_type)
    assert_article(doc, article, "html")
    assert "<" not in doc.text
    # Plain text that only mentions a tag stays plain text.
    words = "The <html> tag starts a page, the tutorial said. Readers asked for more."
    assert extract_document(words.encode(), name, content_type).format in ("txt", "md")


def test_content_type_charset_is_used() -> None:
    text = "Les négociations à Genève reprennent, selon le médiateur."
    doc = extract_document(text.encode("latin-1"), "k", "text/plain; charset=ISO-8859-1")
    assert doc.text == text


def test_import_does_not_load_parsers() -> None:
    """Cold start: the Lambda imports this package for every invocation."""
    code = (
        "import sys, newswatch.extract; "
        "heavy = {'trafilatura', 'pypdf', 'docx', 'charset_normalizer', 'lxml'}; "
        "heavy &= set(sys.modules); "
        "print(sorted(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_utf8_text_never_reaches_charset_normalizer(monkeypatch: pytest.MonkeyPatch) -> None:
    import charset_normalizer

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("charset-normalizer called for valid UTF-8")

    monkeypatch.setattr(charset_normalizer, "from_bytes", boom)
    doc = extract_document("Peace talks in Genève resumed today.".encode(), "a.txt")
    assert doc.text == "Peace talks in Genève resumed today."
