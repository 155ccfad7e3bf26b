"""Web pages: trafilatura finds the article and drops menus, scripts, comments and footers."""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from newswatch.domain.errors import NoTextError, TooComplexError, TooLargeError
from newswatch.domain.models import Document
from newswatch.extract._text import (
    clean_title,
    decode_text,
    finish,
    place_title,
    require_prose,
)

# Page furniture removed before extraction: without an article, trafilatura falls back to
# whatever text is left, and a menu must not come out as an article.
PRUNE_XPATH = [
    "//nav",
    "//footer",
    "//aside",
    "//body/header",
    # Real forms (comment boxes, newsletter sign-ups, search) hold a few labels and buttons. Some
    # sites (ASP.NET's page-wide <form>, some broadcasters) wrap the whole page, article included,
    # in one: a form with three paragraphs of prose, or 3,000 characters of text, is kept.
    "//form[not((.//p[string-length(normalize-space(.)) > 80])[3])"
    " and string-length(normalize-space(.)) < 3000]",
    "//*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='complementary']",
]

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


# Checked before the full parse: lxml and trafilatura take time and memory in proportion to the
# markup (a 1 MB page of "<p>a " took 17.5 s and 362 MB). Real article pages are 50 KB-2 MB with
# a few thousand elements, nested a few dozen deep.
MAX_HTML_BYTES = 5 * 1024 * 1024
MAX_HTML_TAGS = 40_000
MAX_HTML_DEPTH = 512
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*?(/?)>")
_ANY_TAG = re.compile(r"<[A-Za-z]")
# Elements that never nest, or that the parser closes by itself when the next one opens.
_VOID = "area base br col embed hr img input link meta param source track wbr"
_SELF_CLOSING = "p li dt dd tr td th option optgroup thead tbody tfoot colgroup rt rp"
_NOT_NESTING = frozenset(f"{_VOID} {_SELF_CLOSING}".split(" "))


def check_markup(size: int, page: str) -> None:
    """Refuse a page whose size, tag count or nesting would make the full parse too costly."""
    if size > MAX_HTML_BYTES:
        raise TooLargeError(
            f"the HTML page is {size} bytes; pages over {MAX_HTML_BYTES} bytes are not "
            "parsed (real article pages are under 2 MB)"
        )
    # Counted up to the limit only: a 10 MB page of tags must not become a 2-million-item list.
    if sum(1 for _ in islice(_ANY_TAG.finditer(page), MAX_HTML_TAGS + 1)) > MAX_HTML_TAGS:
        raise TooComplexError(
            f"the HTML page has more than {MAX_HTML_TAGS} tags "
            "(a real article page has a few thousand)"
        )
    depth = deepest = 0
    for match in _TAG.finditer(page):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _NOT_NESTING:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    if deepest > MAX_HTML_DEPTH:
        raise TooComplexError(
            f"the HTML page nests its elements {deepest} deep, over the limit of {MAX_HTML_DEPTH}"
        )


# Shorter than trafilatura's minimum extracted size, so its justext fallback runs too.
_WARM_UP_PAGE = "<html><body><article><p>Aid convoys reached the city.</p></article></body></html>"


def warm_up() -> None:
    """Build in this process what trafilatura builds on its first pages and keeps in module
    globals: above all justext's stop words of every language (154,000 words read from 100 files
    and lower-cased, about 250 ms), used on every page whose main text is short or unclean. Run
    in the parent of the per-article processes (newswatch/budget.py) once trafilatura is
    imported, so that no article's child builds it again and throws it away."""
    import trafilatura

    trafilatura.bare_extraction(
        _WARM_UP_PAGE, include_tables=True, include_images=False, prune_xpath=PRUNE_XPATH
    )


def extract_html(data: bytes, charset: str | None = None) -> Document:
    if len(data) > MAX_HTML_BYTES:
        check_markup(len(data), "")
    match = _META_CHARSET.search(data[:4096])
    page = decode_text(data, hint=charset or (match.group(1).decode("ascii") if match else None))
    check_markup(len(data), page)
    if not page.strip():
        raise NoTextError("the HTML page is empty")
    import trafilatura

    result = trafilatura.bare_extraction(
        page,
        include_comments=False,
        include_tables=True,
        include_images=False,
        with_metadata=True,
        prune_xpath=PRUNE_XPATH,
    )
    fields: dict[str, Any] = {}
    if isinstance(result, dict):
        fields = result
    elif result is not None:
        fields = result.as_dict()
    text = fields.get("text") or ""
    if not isinstance(text, str) or not text.strip():
        raise NoTextError("no article text found in the HTML page (menus and scripts only)")
    title = clean_title(fields.get("title"))
    text = finish(text, what="HTML page")
    require_prose(text, what="HTML page")
    title, text = place_title(text, title)
    return Document(
        text=text,
        title=title,
        format="html",
        url=clean_title(fields.get("url")),
        source=clean_title(fields.get("sitename")),
        published=clean_title(fields.get("date")),
    )
