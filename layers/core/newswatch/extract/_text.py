"""Text helpers shared by every format: decoding bytes, cleaning whitespace, dropping page debris
and spotting a headline. Only the standard library at import time (cold start)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import TYPE_CHECKING

from newswatch.domain.errors import NoTextError, UnsupportedFormatError
from newswatch.domain.sentences import is_single_spaced

if TYPE_CHECKING:
    from charset_normalizer import CharsetMatch

# Below this share of readable characters, "text" is really binary data decoded by accident.
MIN_PRINTABLE_RATIO = 0.97
# Western text read as cp1252 has a few accented letters; Cyrillic or Greek read as cp1252 is
# mostly non-ASCII, and must go to charset-normalizer instead.
MAX_NON_ASCII_FOR_CP1252 = 0.15

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes, hint: str | None = None) -> str:
    """Bytes to str: BOM, then strict UTF-8 (the fast path), then the declared charset, then
    charset-normalizer (with cp1252 preferred for Western text). Raises for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return check_printable(data[len(bom) :].decode(encoding, errors="replace"))
    if b"\x00" in data[:4096] and (utf16 := _utf16_without_bom(data)) is not None:
        return check_printable(utf16)
    try:
        return check_printable(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if b"\x00" not in data:
        text = _mostly_utf8(data)
        if text is None and hint:
            text = _try_codec(data, hint)
        if text is not None:
            return check_printable(text)
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    western = _western(data) if b"\x00" not in data else None
    # charset-normalizer guesses poorly on short Western text (a lone "£" can come out as
    # cp932, "é" as cp1250): cp1252 wins unless it found a Central European language.
    if western is not None and (best is None or not _central_european(best)):
        return check_printable(western)
    if best is None:
        raise UnsupportedFormatError("binary data, not text (no character encoding fits it)")
    return check_printable(str(best))


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a byte order mark: in Latin-script text every other byte is
    zero (the odd ones in little-endian, the even ones in big-endian), which binary data and
    UTF-8 text never show."""
    head = data[:4096]
    pairs = len(head) // 2
    if pairs < 8:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd >= 0.3 * pairs and even <= 0.02 * pairs:
        encoding = "utf-16-le"
    elif even >= 0.3 * pairs and odd <= 0.02 * pairs:
        encoding = "utf-16-be"
    else:
        return None
    return _try_codec(data[: len(data) - len(data) % 2], encoding)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes (a bad copy-paste) stays UTF-8 rather than turning into
    mojibake: accept it when real multi-byte characters outnumber the errors many times over."""
    text = data.decode("utf-8", errors="replace")
    errors = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - errors
    if multibyte >= 3 and errors * 4 <= multibyte:
        return text.replace("\ufffd", "")
    return None


def _try_codec(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return None


def _western(data: bytes) -> str | None:
    """cp1252 when it decodes and reads like Western prose: mostly ASCII with some accents and
    typographic punctuation. Cyrillic or Greek read as cp1252 is mostly non-ASCII."""
    text = _try_codec(data, "cp1252")
    if text is None:
        return None
    non_ascii = len(_NON_ASCII.findall(text))
    return text if non_ascii <= MAX_NON_ASCII_FOR_CP1252 * len(text) else None


_CENTRAL_EUROPEAN = frozenset(
    {"Polish", "Czech", "Slovak", "Hungarian", "Croatian", "Slovene", "Romanian", "Serbian"}
)


def _central_european(match: CharsetMatch) -> bool:
    return match.language in _CENTRAL_EUROPEAN


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def check_printable(text: str) -> str:
    """Raise UnsupportedFormatError when decoded "text" is mostly control or unassigned
    characters: binary data must never come out as an article."""
    if not text:
        return text
    sample = text[:200_000]
    if sample.isprintable() and "\ufffd" not in sample:
        # No control, format, private-use or unassigned character at all (one pass in C).
        return text
    bad = len(_ASCII_CONTROL.findall(sample))
    # Only non-ASCII characters need the (slow) category lookup: unassigned, private, surrogates.
    # (str.isascii() is a flag lookup, so ASCII text skips even the scan for them.)
    for ch in () if sample.isascii() else _NON_ASCII.findall(sample):
        if unicodedata.category(ch)[0] == "C" or ch == "\ufffd":
            bad += 1
    if bad > (1 - MIN_PRINTABLE_RATIO) * len(sample):
        share = round(100 * bad / len(sample))
        raise UnsupportedFormatError(
            f"binary data, not text ({share}% of the characters are control or unassigned)"
        )
    return text


# ---------------------------------------------------------------- whitespace and layout

# Zero-width characters and soft hyphens, dropped. A regex class rather than str.translate: the
# scan skips text without them in C, where translate looks every character up in a dict.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
# Category Cc minus tab and newline: one regex, as a per-character loop is slow on big files.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(?=[a-z])")


def normalize_text(text: str) -> str:
    """One paragraph per line: NFC, no invisible characters, single spaces, no blank lines."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _CONTROL.sub("", text)
    # str.split() collapses every kind of Unicode space; much faster than a regex per line, and
    # not needed at all for a line that is already single-spaced (a cheaper check).
    lines = (
        line if is_single_spaced(line) else " ".join(line.split()) for line in text.split("\n")
    )
    return "\n".join(line for line in lines if line)


def unwrap_paragraphs(text: str) -> str:
    """Join hard-wrapped lines (e-mail style text: paragraphs separated by blank lines, each
    wrapped at a fixed width) so that each paragraph becomes one line. Text that already has one
    paragraph per line is left alone."""
    if text.count("\n") < 2:
        # No blank line (two line breaks), so no paragraphs to join.
        return text
    blocks = [b for b in re.split(r"\n[^\S\n]*\n", text.replace("\r\n", "\n")) if b.strip()]
    lines = [line for b in blocks for line in b.split("\n") if line.strip()]
    if len(blocks) < 2 or len(lines) < 2 * len(blocks):
        return text
    if max(len(line) for line in lines) > 120:
        return text
    return "\n\n".join(_join_wrapped(b.split("\n")) for b in blocks)


def unwrap_lines(lines: list[str]) -> str:
    """Rebuild paragraphs from visual lines (PDF): a line much shorter than the column ends its
    paragraph, a full-width line continues into the next one; hyphenated breaks are rejoined."""
    lines = [" ".join(line.split()) for line in lines]
    widths = sorted(len(line) for line in lines if line)
    if not widths:
        return ""
    column = widths[int(0.8 * (len(widths) - 1))]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(_join_wrapped(current))
                current = []
            continue
        current.append(line)
        if len(line) < 0.75 * column:
            paragraphs.append(_join_wrapped(current))
            current = []
    if current:
        paragraphs.append(_join_wrapped(current))
    return "\n".join(paragraphs)


def _join_wrapped(lines: list[str]) -> str:
    joined = "\n".join(line.strip() for line in lines if line.strip())
    joined = _HYPHEN_BREAK.sub(r"\1", joined)
    return joined.replace("\n", " ")


# ---------------------------------------------------------------- page debris

# Lines a web page or blog engine adds around an article. Anchored, so a sentence that merely
# mentions "comments" or "advertising" is kept; only a line that *is* the widget goes.
_DEBRIS_WORDS = (
    r"(post|leave|add|write|view|show|hide|load|read|see)( a| an| your| all| \d+| more)?"
    r" (comment|comments|reply|replies|response|responses)",
    r"\d+ (comment|comments|replies|responses|shares)",
    r"(no )?comments?( \(\d+\))?",
    r"(share|email|print|tweet|save|bookmark|like|pin|follow)( this| the)?"
    r"( article| story| page| post)?( on [\w .+]+| via [\w .+]+| with a friend)?",
    r"share (on|via) [\w .,+/]+",
    r"(advertisement|advertising|sponsored( content)?|ad|ads|promoted|paid content)",
    r"story continues below( (the )?advertisement)?",
    r"(related|recommended|popular|trending|latest|top|more) "
    r"(articles?|stories|news|posts|links|reading|videos?|content|on [\w ]+)",
    r"(read|see|watch) (more|also|next|full story|the full story)\b[^.!?]{0,60}",
    r"you (may|might) (also )?(like|be interested in|have missed)",
    r"more from [\w .&'-]+",
    r"(subscribe|sign up|register|log in|login|sign in)( now| today| here)?"
    r"( (to|for) [\w ,'-]{0,60})?",
    r"(follow|like|join) us( on [\w ,&.+]+)?",
    r"(click|tap) here( to [\w ,'-]{0,60})?",
    r"back to (top|home|homepage)",
    r"skip to (main )?(content|navigation|article)",
    r"(tags|filed under|categories|topics)\s*:.*",
    r"(image|photo|video|picture) (source|credit|caption)\s*:?.*",
    r"(copyright|all rights reserved|©|\(c\)).{0,80}",
    r"(loading|continue reading|expand|close|menu|home|print|email|top)\.*",
    r"(previous|next)( article| story| post)?",
    r"(was this (article|story) helpful|did you (find|enjoy) this).{0,40}",
    r"(newsletter|get the newsletter|sign up for (our|the) newsletter).{0,60}",
)
_DEBRIS_LINE = re.compile(
    r"^[\W_]*(" + "|".join(_DEBRIS_WORDS) + r")[\W_]*$", re.IGNORECASE | re.DOTALL
)
# Standalone ad markers are debris anywhere in the text, not only at its end.
_AD_LINE = re.compile(
    r"^[\W_]*(advertisement|advertising|sponsored content|story continues below"
    r"( (the )?advertisement)?|skip to (main )?content)[\W_]*$"
    # Photo credits and captions copied from news sites ("Image source, Getty Images").
    r"|^(image|photo|picture|video) (source|credit|caption)s?\b[ ,:].{0,120}$",
    re.IGNORECASE,
)
# What sits between a headline and the first paragraph: bylines, datelines, timestamps.
_BYLINE = re.compile(
    r"^(?i:by|from|words by|reporting by) [A-Z][\w.'’-]*( [A-Z][\w.'’-]*){0,3}"
    r"(( and|,) [A-Z][\w.'’-]*( [A-Z][\w.'’-]*){0,3})*( ?[,|•·-].{0,60})?$"
    r"|^(?i:published|updated|posted|last updated|first published)\b.{0,60}$"
    r"|^\d{1,2} (hours?|minutes?|days?) ago$",
)
MAX_BYLINE_LINES = 3
_COOKIE_LINE = re.compile(
    r"\bwe use cookies\b|\bcookies?\b.*\b(accept|consent|policy|settings|preferences|"
    r"(this|our) (web)?site|browsing|by continuing)",
    re.IGNORECASE,
)
# A heading that opens a trailing list of links ("Related articles", "Read more", ...).
_LIST_HEADING = re.compile(
    r"^[\W_]*((related|recommended|popular|trending|latest|top|more) "
    r"(articles?|stories|news|posts|links|reading|videos?|content|on [\w ]+)"
    r"|(read|see) (more|also)|you (may|might) (also )?(like|be interested in|have missed)"
    r"|more from [\w .&'-]+|comments?( \(\d+\))?)[\W_]*$",
    re.IGNORECASE,
)
MAX_DEBRIS_WORDS = 14
MAX_COOKIE_WORDS = 70
MAX_LINK_TITLE_WORDS = 20


def is_debris(line: str) -> bool:
    # Counted up to MAX_COOKIE_WORDS + 1 only: both limits below are at most that, and an
    # article arriving as one line has thousands of words.
    words = len(line.split(None, MAX_COOKIE_WORDS))
    if words <= MAX_DEBRIS_WORDS and _DEBRIS_LINE.match(line):
        return True
    return words <= MAX_COOKIE_WORDS and bool(_COOKIE_LINE.search(line))


def strip_debris(text: str) -> str:
    """Drop page furniture: ad markers anywhere, and from the end of the article the widgets,
    share and comment prompts, cookie notices and "related articles" link lists."""
    lines = [line for line in text.split("\n") if not _AD_LINE.match(line)]
    changed = True
    while lines and changed:
        changed = False
        while lines and is_debris(lines[-1]):
            lines.pop()
            changed = True
        # A "Related articles" heading near the end followed only by short link titles.
        for i in range(len(lines) - 1, max(-1, len(lines) - 30), -1):
            if _LIST_HEADING.match(lines[i]) and i > 0:
                tail = lines[i + 1 :]
                if all(len(t.split()) <= MAX_LINK_TITLE_WORDS for t in tail):
                    del lines[i:]
                    changed = True
                break
    while lines and is_debris(lines[0]):
        lines.pop(0)
    # Bylines only near the top, and never the last line: "By the river" could be prose.
    head = 0
    while head < min(MAX_BYLINE_LINES, len(lines) - 1):
        if len(lines[head].split()) <= MAX_DEBRIS_WORDS and _BYLINE.match(lines[head]):
            del lines[head]
        else:
            head += 1
    return "\n".join(lines)


# ---------------------------------------------------------------- titles

MAX_TITLE_WORDS = 20
MAX_TITLE_CHARS = 160


def looks_like_headline(line: str) -> bool:
    """Short, starts like a sentence and has no final full stop (news headlines never do)."""
    line = line.strip()
    if not line or len(line) > MAX_TITLE_CHARS or len(line.split()) > MAX_TITLE_WORDS:
        return False
    # A headline may trail off ("Rivals of the £400 Apple...") but never ends a sentence.
    if (line[-1] in ".,;:" and not line.endswith(("...", "…"))) or line.endswith(" ..."):
        return False
    first = line.lstrip("\"'“‘«([")[:1]
    return bool(first) and (first.isupper() or first.isdigit()) and not is_debris(line)


def split_title(text: str) -> tuple[str | None, str]:
    """Take the first line as the title when it looks like a headline and text follows it."""
    first, _, rest = text.partition("\n")
    if rest.strip() and looks_like_headline(first):
        return first.strip(), rest
    return None, text


def clean_title(title: object) -> str | None:
    if not isinstance(title, str):
        return None
    title = " ".join(title.split())
    return title or None


def drop_leading_title(text: str, title: str | None) -> str:
    """Formats with a metadata title often repeat it as the first line of the body."""
    if not title:
        return text
    first, _, rest = text.partition("\n")
    if _fold(first) == _fold(title) and rest.strip():
        return rest
    return text


def place_title(text: str, title: str | None) -> tuple[str | None, str]:
    """The format's own title (its repeat dropped from the body), else a headline first line."""
    if title:
        return title, drop_leading_title(text, title)
    return split_title(text)


def _fold(value: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", value.casefold()).split())


MIN_WORDS_IN_LINE = 4


def finish(text: str, *, what: str) -> str:
    """Normalise, remove debris, and refuse text with nothing a summary could be made from."""
    text = strip_debris(normalize_text(text))
    if not any(ch.isalpha() for ch in text):
        raise NoTextError(f"no article text found in the {what}")
    return text


# Scripts written without spaces between words: Chinese, Japanese kana, Thai, Lao, Khmer, Myanmar.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
# A line of that many such characters says as much as MIN_WORDS_IN_LINE words.
MIN_UNSPACED_CHARS_IN_LINE = 12


def require_prose(text: str, *, what: str) -> None:
    """A web page whose only "text" is menu labels has no article: some line must be a phrase
    (four words, or twelve characters of a script written without spaces)."""
    for line in text.split("\n"):
        if len(line.split(None, MIN_WORDS_IN_LINE)) >= MIN_WORDS_IN_LINE:
            return
        if len(_UNSPACED.findall(line)) >= MIN_UNSPACED_CHARS_IN_LINE:
            return
    raise NoTextError(f"no article text found in the {what} (only short fragments)")
