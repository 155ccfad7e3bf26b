"""Sentence segmentation for news prose, in pure Python (no downloaded resources, fast).

A full stop ends a sentence unless it belongs to an abbreviation (``U.S.``, ``Sen.``, ``Jan.``),
an initial (``J. R. R. Tolkien``), a number (``3.5``, ``No. 5``) or an ellipsis that runs on in
lower case. Closing quotes and brackets after the stop stay with their sentence. A line break
always ends a sentence, so headings and list items without final punctuation become their own
units. Wire-service debris (``(CNN) --`` datelines, ``By . Author . PUBLISHED: ...`` bylines,
"Scroll down for video") is removed because it is never part of what an article says.
"""

from __future__ import annotations

import re


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations that are practically never the end of a sentence: titles before a name, month and
# "number" abbreviations before a figure, and short forms used mid-sentence.
_NON_FINAL_ABBREVIATIONS = _wordset(
    """
    mr mrs ms dr prof sen sens rep reps gov govs gen lt col maj capt cmdr adm sgt cpl pvt
    st ste mt ft rev fr sr jr hon pres supt insp det atty messrs mme mlle
    vs v cf e.g i.e approx ca est dept univ assn bros
    """
)

# Abbreviations that stand before a figure ("Jan. 5", "No. 10", "Vol. 3"); "said no." ends a
# sentence, so they only hold the sentence together when a digit follows.
_NUMBER_ABBREVIATIONS = _wordset(
    """
    jan feb mar apr jun jul aug sep sept oct nov dec no nos vol vols art fig figs pp para sec ch op
    """
)

# Abbreviations that often end a sentence too ("... based in the U.S. The company ..."): they end
# one only when the next word is a typical sentence opener.
_AMBIGUOUS_ABBREVIATIONS = _wordset(
    """
    u.s u.k u.n e.u u.s.a inc corp co ltd llc plc etc a.m p.m jr sr d.c l.a n.y
    """
)

_SENTENCE_OPENERS = _wordset(
    """
    the a an he she it they we i you his her its their our this that these those there here
    but and so yet however meanwhile in on at for after before when while if as by with from
    some many most one two three officials police authorities mr mrs ms dr
    """
)

# A sentence-final run of punctuation, the quotes/brackets that close after it, and the space
# that follows. Candidates only: _is_boundary decides.
# Units at least this long are checked for a lost full stop (see _split_run_on).
RUN_ON_WORDS = 30
# Capitalised words that open a clause and are almost never capitalised mid-sentence.
_CLAUSE_OPENERS = _wordset(
    """
    The He She They It We His Her Their Its This These Those But However Meanwhile After Before
    When While Police Officials Authorities Now Some Many
    """
)
# Words after which a capitalised "The" is a name ("told The Times", "in The Hague").
_BEFORE_TITLES = _wordset(
    """
    told to in of at for by from on with and said says via read reads like called named titled
    starring watch watched wrote into about than as the or
    """
)

# Written to start with a character class: the regex engine then skips ahead to the next stop
# in C instead of trying the pattern at every character (3x faster on a long line). It matches
# what "(?:[.!?]+|…)" would: a run of [.!?], or a single "…" (the lookbehinds tell which).
_CANDIDATE = re.compile(r"[.!?…](?:(?<=…)|(?<=[.!?])[.!?]*)[\"'”’»)\]]*(?=\s)")

_AGENCY = r"CNN|Reuters|AP|AFP|UPI|PA|EW\.com|CNN Student News|Mashable|Bloomberg|dpa|IANS|PTI"
# "LONDON, England (CNN) -- ", "(CNN)", "WASHINGTON (Reuters) - " at the very start of the text.
_DATELINE = re.compile(
    rf"^\s*(?:[A-Z][A-Za-z.'’-]*(?:[ ,]+[A-Z][A-Za-z.'’-]*){{0,4}},?\s*)?"
    rf"\((?:{_AGENCY})\)\s*(?:--|—|–|-)?\s*"
)
# Every _BOILERPLATE match contains one of these, in any case.
_BOILERPLATE_CUES = ("scroll down", "click here", "read more:")
# The only characters besides ASCII letters that re.IGNORECASE matches to an ASCII letter while
# str.lower() does not turn them into it (the Kelvin sign lowers to "k"); a unit test checks this.
_CASE_ODDITIES = frozenset("İıſ")
_BOILERPLATE = re.compile(
    r"\b(?:Scroll down for (?:the )?videos?|Scroll down to (?:see|watch)[^.]*?(?:videos?|pictures)"
    r"|Click here (?:to|for) [^.]*?(?=\s+[A-Z])|READ MORE:)\s*",
    re.IGNORECASE,
)
# Daily Mail byline and timestamp debris: "By . Jane Doe . PUBLISHED: . 09:01 EST, 3 March 2013 .
# | . UPDATED: . 10:12 EST, 3 March 2013 . "
_BYLINE_DEBRIS = re.compile(
    r"^\s*(?:By\s*\.\s*[^.]{1,80}?\s*\.\s*)?"
    r"(?:(?:PUBLISHED|UPDATED|Last updated at)\s*:?\s*\.?\s*[^.|]{0,60}?\d{4}"
    r"\s*\.?\s*\|?\s*\.?\s*)+",
)
_LEADING_BY = re.compile(r"^\s*By\s*\.\s*[A-Z][^.]{0,60}?\s*\.\s*(?=[A-Z\"'‘“])")
_TIMESTAMP = re.compile(
    r"^(?:PUBLISHED|UPDATED|Last updated)\b|^\d{1,2}:\d{2}\s*(?:EST|GMT|BST|EDT|ET|UTC)\b"
    r"|^(?i:updated|published|posted)\b:?[^.!?]{0,40}\b(?:\d{1,2}:\d{2}|\d{4})\b[^.!?]{0,30}$"
)
_BYLINE = re.compile(r"By\s+[A-Z][\w.'’-]*(?:,?\s+(?:and\s+)?[A-Z][\w.'’-]*){0,5}\s*\.?")
_TRAILING_SPACE = re.compile(r"\s+(?=[.!?]+[\"'”’)]*$)")
_BULLET = re.compile(r"^\s*(?:[-*•·▪–—]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+(?=\S)")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_NEXT_WORD = re.compile(r"\s*[\"'“‘(]*([A-Za-z]+)")
_INITIALISM = re.compile(r"(?:[a-z]\.)+[a-z]")
_TOKEN_OPENERS = "\"'“‘(["
_LETTER = re.compile(r"[^\W\d_]")


def split_sentences(text: str) -> list[str]:
    """Split article text into sentences, in order, without empty or punctuation-only units."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    sentences: list[str] = []
    first = True
    for raw_line in text.split("\n"):
        line = raw_line if is_single_spaced(raw_line) else " ".join(raw_line.split())
        if not line:
            continue
        if first:
            line = _strip_lead_debris(line)
            first = not line
        if _may_hold_boilerplate(line):
            line = _BOILERPLATE.sub("", line)
        for piece in _split_line(line):
            for sentence in _split_run_on(piece):
                if not _is_debris(sentence):
                    # "on Friday ." (scraped text) reads "on Friday."
                    sentences.append(_tidy(sentence))
    return sentences


def is_single_spaced(line: str) -> bool:
    """True when " ".join(line.split()) would return the line unchanged (extracted text already
    is), checked without building a list of its words. Every whitespace character but the ASCII
    space is non-printable, so a printable line has no other kind."""
    return line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " "


def _may_hold_boilerplate(line: str) -> bool:
    """False only when _BOILERPLATE cannot match: the case-insensitive regex scan of a long line
    costs far more than lower-casing it and looking for the fixed words it needs."""
    lowered = line.lower()
    if any(cue in lowered for cue in _BOILERPLATE_CUES):
        return True
    return not line.isascii() and not _CASE_ODDITIES.isdisjoint(line)


def _strip_lead_debris(line: str) -> str:
    line = _LEADING_BY.sub("", line)
    line = _BYLINE_DEBRIS.sub("", line)
    return _DATELINE.sub("", line)


def _split_line(line: str) -> list[str]:
    bullet = _BULLET.match(line)
    start = bullet.end() if bullet else 0
    pieces: list[str] = []
    for match in _CANDIDATE.finditer(line, start):
        end = match.end()
        if _is_boundary(line, match.start(), end, start):
            pieces.append(line[start:end].strip())
            start = end
    pieces.append(line[start:].strip())
    # A fragment with no letters ("1.", "|", "--") is glued to the next piece, never a sentence.
    out: list[str] = []
    carry = ""
    for piece in pieces:
        if not piece:
            continue
        if not _LETTER.search(piece):
            carry = f"{carry} {piece}".strip()
            continue
        out.append(f"{carry} {piece}".strip() if carry and not _is_separator(carry) else piece)
        carry = ""
    return out


def _split_run_on(sentence: str) -> list[str]:
    """Split a very long unit where a caption or heading lost its full stop when the page was
    flattened ("... his knee (pictured) The striker said ..."): a clause opener with a capital
    letter right after a lower-case word or a closing bracket starts a new sentence."""
    if sentence.count(" ") < RUN_ON_WORDS - 1:
        return [sentence]
    tokens = sentence.split(" ")
    if _CLAUSE_OPENERS.isdisjoint(tokens):
        # No word can open a new clause (the first test below): nothing to split.
        return [sentence]
    out: list[str] = []
    start = 0
    for i in range(1, len(tokens)):
        word, previous = tokens[i], tokens[i - 1]
        if (
            word in _CLAUSE_OPENERS
            and i - start >= 4
            and len(tokens) - i >= 4
            and (previous[-1:] == ")" or (previous[-1:].islower() and previous.isalpha()))
            and previous.lower() not in _BEFORE_TITLES
        ):
            out.append(" ".join(tokens[start:i]))
            start = i
    out.append(" ".join(tokens[start:]))
    return out


def _is_separator(fragment: str) -> bool:
    return all(c in ".|-–—•*" or c.isspace() for c in fragment)


def _is_boundary(line: str, stop_start: int, stop_end: int, sentence_start: int) -> bool:
    # Positions, not slices: CNN/DM articles arrive as one line of thousands of characters.
    next_char = _NEXT_CHAR.match(line, stop_end)
    if next_char is None:
        return True
    following = next_char.group(1)
    punct = line[stop_start:stop_end]
    # A lower-case continuation ('"Why?" she asked', "... and then") is the same sentence.
    if following.islower():
        return False
    if "." not in punct or punct.startswith(("..", "…")) or punct.rstrip("\"'”’»)]") != ".":
        return True
    token_start = max(line.rfind(" ", sentence_start, stop_start) + 1, sentence_start)
    token = line[token_start:stop_start].lstrip(_TOKEN_OPENERS)
    if not token:
        # " . " on its own: a separator left by scraped bylines and tables.
        return True
    key = token.lower().rstrip(".")
    if key.replace(".", "").isdigit():
        # "No. 5" is handled as an abbreviation; a number at the stop ends the sentence unless it
        # is a list marker at the start of the line.
        return token_start > sentence_start
    if len(key) == 1 and key.isalpha() and token[0].isupper():
        # An initial: "J. R. R. Tolkien", "George W. Bush".
        return False
    if key in _NON_FINAL_ABBREVIATIONS:
        return False
    if key in _NUMBER_ABBREVIATIONS:
        return not following.isdigit()
    if key in _AMBIGUOUS_ABBREVIATIONS or _INITIALISM.fullmatch(key):
        next_word = _NEXT_WORD.match(line, stop_end)
        return next_word is not None and next_word.group(1).lower() in _SENTENCE_OPENERS
    return True


def _is_debris(sentence: str) -> bool:
    if not _LETTER.search(sentence):
        return True
    if _TIMESTAMP.match(sentence):
        return True
    # A lone byline ("By Jane Doe", "By Daily Mail Reporter") without a verb-like length.
    return sentence.startswith("By ") and _BYLINE.fullmatch(sentence) is not None


def _tidy(sentence: str) -> str:
    if " ." in sentence or " !" in sentence or " ?" in sentence:
        return _TRAILING_SPACE.sub("", sentence)
    return sentence
