"""Bounded parsers, no real article lost, no garbage passed off as news (issue 14, points 2-4),
at the level of the extractor and the pipeline; the whole corpus goes through the ingest handler
in tests/integration/test_hostile_corpus.py."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from bench_modules import load_bench

from newswatch.composition import build_analyzer
from newswatch.domain.errors import (
    CorruptFileError,
    NotAnArticleError,
    TooComplexError,
    TooLargeError,
)
from newswatch.domain.models import Document, SummaryLength
from newswatch.domain.prose import not_prose
from newswatch.domain.records import MAX_SENTENCE_CHARS as MAX_SUMMARY_SENTENCE_CHARS
from newswatch.extract import extract_document
from newswatch.extract._gzip import MAX_GZIP_MEMBERS, gunzip
from newswatch.extract._html import MAX_HTML_DEPTH, MAX_HTML_TAGS, check_markup
from newswatch.extract._pdf import FLAG_PAGES_SKIPPED, FLAG_TWO_COLUMNS, column_order

corpus = load_bench("hostile_corpus")
ARTICLE = corpus.ARTICLE
# ../shared/data next to the repository (or next to the folder of worktrees).
_REPO = Path(__file__).resolve().parents[2]
DATA = next(
    (p / "shared" / "data" for p in (_REPO.parent, _REPO.parent.parent) if (p / "shared").is_dir()),
    _REPO.parent / "shared" / "data",
)


def _words(text: str) -> str:
    return " ".join(text.split())


# -- gzip -------------------------------------------------------------------------------------


def test_gzip_members_are_concatenated_up_to_the_cap() -> None:
    members = [gzip.compress(f"part {i}. ".encode(), mtime=0) for i in range(MAX_GZIP_MEMBERS)]
    expected = b"".join(f"part {i}. ".encode() for i in range(MAX_GZIP_MEMBERS))
    assert gunzip(b"".join(members), 1 << 20) == expected
    with pytest.raises(TooComplexError, match="members"):
        gunzip(b"".join(members) + members[0], 1 << 20)


def test_gzip_member_boundaries_survive_small_and_large_members() -> None:
    big = b"word " * 200_000  # fed to zlib in growing windows
    data = gzip.compress(big) + gzip.compress(b"") + gzip.compress(b"tail") + b"\x00" * 10
    assert gunzip(data, 10 << 20) == big + b"tail"
    with pytest.raises(CorruptFileError, match="truncated"):
        gunzip(gzip.compress(big)[:-100], 10 << 20)


# -- docx -------------------------------------------------------------------------------------


def test_docx_parts_are_read_only_as_far_as_they_declare() -> None:
    document = extract_document(corpus.docx_parts_inflate_to_1gib(), "report.docx")
    assert document.title == corpus.ARTICLE_TITLE
    assert _words(ARTICLE[0]) in document.text


def test_docx_whose_data_does_not_match_its_declared_part_is_corrupt() -> None:
    with pytest.raises(CorruptFileError):
        extract_document(corpus.docx_lying_sizes(), "report.docx")


def test_docx_inflated_bytes_are_counted_against_the_limit() -> None:
    parts = corpus.real_docx_parts()
    document = parts["word/document.xml"]
    padded = corpus.lying_zip(
        [
            (name, corpus.deflate_padded(data, 64 << 20), data + b" " * (64 << 20))
            if name == "word/document.xml"
            else (name, corpus._deflate(data), data)
            for name, data in parts.items()
        ]
    )
    assert len(padded) < len(document) + (1 << 20)
    with pytest.raises(TooLargeError, match="decompresses to more than"):
        extract_document(padded, "report.docx", max_bytes=10 << 20)


# -- PDF --------------------------------------------------------------------------------------


def test_pdf_pages_sharing_a_huge_content_stream_are_too_complex() -> None:
    data = corpus.pdf_shared_content_stream(pages=20, content_mb=8)
    with pytest.raises(TooComplexError, match="content streams"):
        extract_document(data, "report.pdf")


def test_pdf_beyond_the_page_cap_is_read_in_part_and_flagged() -> None:
    line = b"BT /F1 12 Tf 72 712 Td (Ceasefire talks resumed in Jeddah on Tuesday.) Tj ET"
    pages = 101
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (4 + i) for i in range(pages)), pages),
        b"<< /Length %d >>\nstream\n" % len(line) + line + b"\nendstream",
        *[
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + pages)
            for _ in range(pages)
        ],
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    document = extract_document(corpus.pdf_from_objects(objects), "long.pdf")
    assert FLAG_PAGES_SKIPPED in document.flags
    assert document.text.count("Ceasefire talks resumed") == 100


def test_a_two_column_pdf_is_read_column_by_column() -> None:
    document = extract_document(corpus.pdf_two_columns(), "two-columns.pdf")
    assert FLAG_TWO_COLUMNS in document.flags
    text = _words(document.text)
    for paragraph in ARTICLE:
        assert _words(paragraph) in text
    assert text.index(_words(ARTICLE[2])) < text.index(_words(ARTICLE[3]))


def test_column_order_leaves_a_single_column_alone() -> None:
    line = "   Line {} of a single column of text, justified  and  long."
    text, two = column_order("\n".join(line.format(i) for i in range(12)))
    assert not two
    assert text.splitlines()[0] == "Line 0 of a single column of text, justified and long."


def test_column_order_reads_a_spanning_headline_first() -> None:
    rows = [f"left line {i:02d} of text      right line {i:02d} of text" for i in range(10)]
    text, two = column_order("      A HEADLINE ACROSS BOTH COLUMNS OF THE PAGE\n" + "\n".join(rows))
    lines = [line for line in text.splitlines() if line]
    assert two and lines[0].startswith("A HEADLINE")
    assert lines[1:11] == [f"left line {i:02d} of text" for i in range(10)]
    assert lines[11:] == [f"right line {i:02d} of text" for i in range(10)]


def test_a_plain_pdf_still_reads_as_before(pdf_builder: object) -> None:
    document = extract_document(corpus._small_pdf(), "article.pdf")
    assert document.title == corpus.ARTICLE_TITLE and document.flags == ()
    assert _words(ARTICLE[1]) in _words(document.text)


# -- HTML -------------------------------------------------------------------------------------


def test_markup_is_checked_before_the_parse() -> None:
    with pytest.raises(TooComplexError, match="tags"):
        check_markup(100, "<br>" * (MAX_HTML_TAGS + 1))
    check_markup(100, "<br>" * MAX_HTML_TAGS)
    deep = "<div>" * (MAX_HTML_DEPTH + 1) + "</div>" * (MAX_HTML_DEPTH + 1)
    with pytest.raises(TooComplexError, match="deep"):
        check_markup(100, deep)
    # Paragraphs and list items that are never closed do not nest.
    check_markup(100, "<ul>" + "<li><p>item " * 5000 + "</ul>")
    with pytest.raises(TooLargeError, match="bytes"):
        check_markup(6 * 1024 * 1024, "")


@pytest.mark.parametrize("build", ["html_article_in_form", "html_aspnet_form"])
def test_an_article_inside_a_page_wide_form_is_extracted(build: str) -> None:
    document = extract_document(getattr(corpus, build)(), "page.html")
    text = _words(document.text)
    for paragraph in ARTICLE:
        assert _words(paragraph) in text
    assert "__VIEWSTATE" not in text


def test_real_forms_are_still_removed() -> None:
    document = extract_document(corpus.html_with_real_forms(), "page.html")
    assert _words(ARTICLE[0]) in _words(document.text)
    assert corpus.NEWSLETTER not in document.text
    assert corpus.COMMENT_PROMPT not in document.text


@pytest.mark.parametrize(
    ("lang", "title", "paragraphs"),
    [("ja", "ジッダで停戦協議再開", corpus.JAPANESE), ("zh", "吉达停火谈判恢复", corpus.CHINESE)],
)
def test_cjk_articles_are_prose(lang: str, title: str, paragraphs: tuple[str, ...]) -> None:
    document = extract_document(corpus.html_cjk(lang, title, paragraphs), "page.html")
    assert paragraphs[1] in document.text


# -- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(encoding: str) -> None:
    text = "\n\n".join(ARTICLE) + "\n"
    document = extract_document(text.encode(encoding), "article.txt")
    assert _words(ARTICLE[0]) in _words(document.text)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        ("endless_line", "no sentences"),
        ("keyword_soup", "keywords"),
        (lambda: b"a" * 100_000, "repeats itself"),
        (lambda: b"The aid and the ceasefire talks. " * 3000, "repeats"),
    ],
)
def test_garbage_is_not_an_article(build: object, reason: str) -> None:
    data = getattr(corpus, build)() if isinstance(build, str) else build()  # type: ignore[operator]
    with pytest.raises(NotAnArticleError, match=reason):
        build_analyzer().analyze_bytes(data[:400_000], "garbage.txt")


def test_a_short_list_of_keywords_is_not_tagged_as_news() -> None:
    soup = "ceasefire aid sanctions negotiations displacement casualties airstrike truce convoy"
    assert not_prose(soup + " hostages refugees embargo shelling ballot prisoners", "en")
    # A headline is not soup: too short to judge, and it has its function words.
    assert not_prose("Ceasefire agreed as aid convoys reach Khartoum", "en") is None
    assert (
        not_prose(
            "Syrian military force used sulfur mustard in a March 2018 attack on Saraqib, OPCW "
            "investigators find.",
            "en",
        )
        is None
    )


def _shared_articles() -> list[str]:
    texts = []
    for name in ("summarization-dev.jsonl", "cnndm-dev.jsonl", "conflict-topics-dev.jsonl"):
        path = DATA / name
        if path.is_file():
            texts += [json.loads(line)["text"] for line in path.read_text().splitlines() if line]
    return texts


@pytest.mark.skipif(not _shared_articles(), reason="shared evaluation data not present")
def test_no_real_article_is_garbage() -> None:
    from newswatch.domain.language import detect_language

    refused = [t[:80] for t in _shared_articles() if not_prose(t, detect_language(t))]
    assert refused == []


def test_summary_sentences_stay_within_their_documented_length() -> None:
    run_on = " ".join(f"word{i} and" for i in range(160))  # one 1,700-character "sentence"
    text = "\n".join((*ARTICLE, *ARTICLE, f"{run_on}.", *ARTICLE))
    # Up to 20 sentences the summary is the whole text, the run-on sentence included.
    pipeline = build_analyzer(length=SummaryLength(sentences=20))
    analysis = pipeline.analyze_document(Document(text=text))
    assert any(s.startswith("word0 and") for s in analysis.summary.sentences)
    assert all(len(s) <= MAX_SUMMARY_SENTENCE_CHARS for s in analysis.summary.sentences)
    assert "summary_clipped" in analysis.flags
