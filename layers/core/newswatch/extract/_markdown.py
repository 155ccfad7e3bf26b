"""Markdown to prose: the words stay, the syntax goes; a leading `# heading` is the title."""

from __future__ import annotations

import re

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(---|\.\.\.)\n", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:\s*['\"]?(.*?)['\"]?\s*$", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.DOTALL | re.MULTILINE)
_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])( *\1){2,}\s*$")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_LIST = re.compile(r"^\s*([-*+]|\d{1,3}[.)])\s+")
_QUOTE = re.compile(r"^\s*(>\s?)+")

# Every inline pattern is linear in the line: a span cannot run past the next opener of its own
# kind (so a marker that never closes stops the scan there) and is bounded in length. Unbounded
# lazy spans ('(.+?)', '[^)]*') rescanned to the end of the line for every unclosed marker, which
# was quadratic: '**a ' x 16,000 (64 KB) took 120 s, '[a](' x 64,000 took 67 s.
_SPAN = "{1,500}?"  # characters an emphasis span may cover; real ones are a few words
_LINK_TEXT = r"[^\[\]\n]{1,1000}"
# A link target may hold one level of parentheses (Wikipedia URLs), never an unbalanced "(".
_LINK_TARGET = r"\((?:[^()\n]|\([^()\n]*\)){0,2000}\)"
_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\[\]\n]{0,1000}\]" + _LINK_TARGET), ""),  # images
    (re.compile(r"\[(" + _LINK_TEXT + r")\]" + _LINK_TARGET), r"\1"),  # links
    (re.compile(r"\[(" + _LINK_TEXT + r")\]\[[^\[\]\n]{0,1000}\]"), r"\1"),  # reference links
    (re.compile(r"<(https?://[^<>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),  # inline HTML
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)((?:(?!\1).)" + _SPAN + r")(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*]" + _SPAN + r")(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_]" + _SPAN + r")(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~((?:(?!~~).)" + _SPAN + r")~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)


def markdown_to_text(source: str) -> tuple[str | None, str]:
    """Return (title, prose): the front-matter title or the first heading, then the text with one
    block per line."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    title: str | None = None
    front = _FRONT_MATTER.match(source)
    if front:
        found = _FRONT_TITLE.search(front.group(1))
        title = found.group(1).strip() if found else None
        source = source[front.end() :]
    source = _FENCE.sub("", source)
    lines = source.split("\n")
    out: list[str] = []
    seen_text = False
    underline = False
    for i, raw_line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        line = raw_line
        if underline:  # the ==== or ---- under a setext heading
            underline = False
            continue
        if _RULE.match(line) or _REF_DEF.match(line) or _TABLE_SEP.match(line):
            out.append("")
            continue
        heading = _ATX.match(line)
        setext = bool(line.strip()) and bool(_SETEXT.match(nxt)) and not _LIST.match(line)
        if heading or setext:
            underline = setext
            text = _inline(heading.group(2) if heading else line.strip())
            level = len(heading.group(1)) if heading else (1 if nxt.lstrip().startswith("=") else 2)
            if title is None and not seen_text and level == 1 and text:
                title = text
            else:
                out.extend(["", text, ""])
            continue
        line = _QUOTE.sub("", line)
        # List items and table rows are blocks of their own; other lines wrap (soft breaks).
        own_block = bool(_LIST.match(line)) or line.strip().startswith("|")
        line = _LIST.sub("", line)
        if line.strip().startswith("|"):
            line = " ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        line = _inline(line)
        if line.strip():
            seen_text = True
        out.extend(["", line, ""] if own_block else [line])
    blocks = re.split(r"\n\s*\n", "\n".join(out))
    return title, "\n".join(" ".join(b.split()) for b in blocks if b.strip())


def _inline(text: str) -> str:
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text.strip()
