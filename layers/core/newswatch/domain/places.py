"""The countries an article is about, as ISO 3166-1 alpha-2 codes with a score and evidence.

Countries are recognised through the gazetteer (``places.tsv``, built by
``scripts/places_data.py`` from pycountry, countryinfo and GeoNames): names and variants
("Britain", "U.S."), demonyms ("Sudanese"), capitals, cities of 100,000 people or more and
regions (Gaza -> PS, Donetsk -> UA, Darfur -> SD, Texas -> US). The file is read on the first
detection, not on import.

Aliases are matched case-sensitively on word boundaries, longest first ("South Sudan" before
"Sudan", "New Mexico" before "Mexico"), never across punctuation. A name shared by several
countries (Georgia the country and the US state, Cambridge in England and Massachusetts) goes to
the meaning the rest of the article supports, else to the biggest place of that name; a name
that is part of a person's name ("Michael Jordan", "men named Nigel"), of a street, newspaper or
airline ("Cuba Street", "New York Times"), Turkey the dish, a cuisine or a language counts for
nothing, a person's nationality ("Australia's Neil Robertson", "Fognini of Italy") for little.
A sports venue ("the cup final in Jeddah") is no subject, and a country named only by cities
(none after "in") counts half, nothing in a sports report, where such a city is a club.

Scoring follows the topic rule: a country is what the article is about when it is where the
events happen or its government, forces or people are a main actor in the title, the lead or
across a paragraph; a passing mention or a nationality named once is not enough. Per country,
each sentence adds its mentions' weight (a name counts more than a demonym), more in the title
and lead; the score saturates with that mass and is damped when another country holds much more
of the evidence.

Why this module is long: detection is one pipeline (gazetteer lookup, demonyms, the context rules
that keep person names, dishes and languages from counting, scoring) whose rules only make sense
read together; the data itself lives in places.tsv.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from newswatch.domain.models import PlaceTag

GAZETTEER_PATH = Path(__file__).with_name("places.tsv")

# How much one mention says, by what kind of name it is.
KIND_WEIGHTS = {
    "name": 1.0,
    "capital": 0.8,
    "region": 0.8,
    "city": 0.8,
    "institution": 0.8,
    "demonym": 0.6,
}
# Ambiguous names rank their meanings by kind when the article gives no other clue.
_KIND_RANK = ("name", "capital", "region", "institution", "city", "demonym")
# A name after "in", "from", "to"... says where things happen.
LOCATIVE_BOOST = 1.0
SENTENCE_CAP = 1.5
TITLE_WEIGHT = 2.0
LEAD_WEIGHTS = (1.6, 1.3, 1.15)
# A name that is part of a person's name ("Michael Jordan") or the dish ("Turkey dinner").
NOT_A_PLACE_FACTOR = 0.0
# A person's nationality ("Australian Marc Leishman", "the Togo international").
NATIONALITY_FACTOR = 0.3
# Cities are all a country's evidence, and none is where something happens ("in Riverside").
UNCORROBORATED_CITY_FACTOR = 0.5
# Mass at which the score reaches 1 - 1/e, for a short article; longer ones need more.
SATURATION = 0.8
REFERENCE_SENTENCES = 6
LONG_ARTICLE_SENTENCES = 30
DOMINANCE_FLOOR = 0.0
MIN_SCORE = 0.4
MAX_EVIDENCE = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(r"[^\W_][\w.'’&-]*")
_TOKEN_AND_GAP = re.compile(r"(\W*)([^\W_][\w.'’&-]*)")
_POSSESSIVE = re.compile(r"['’]s?$")
# Person-name contexts: a title before the name, or a capitalised word next to it that is no
# place (a country or region named like a person: Jordan, Georgia, Chad, Israel, Victoria).
_HONORIFICS = _words(
    """
    Mr Mr. Mrs Mrs. Ms Ms. Miss Dr Dr. Sir Lady Lord Prince Princess King Queen Saint St St.
    """
)
# Words that introduce a name: "men named Nigel" are no town in South Africa.
_NAMING = frozenset(["named", "nicknamed", "christened"])
# Capitalised words that follow a place name without making it a person's name.
_PLACE_FOLLOWERS = _words(
    """
    City County State States Square Airport Bridge University College
    Police Council Government Army Navy Air Force Forces Ministry Embassy Parliament Senate
    Assembly National International Republic Strip Valley River Sea Coast Province Region
    Border United Rovers Wanderers Athletic Town FC Olympic Olympics Games Cup League Open
    """
)
# Words after a name that make it the name of something elsewhere: a street ("Cuba Street" in
# Wellington), a newspaper ("New York Times"), an airline ("Delta Air Lines").
_NAMESAKES = _words(
    """
    Street Road Avenue Lane Drive Boulevard Times Post Herald Journal Tribune Gazette
    Chronicle Telegraph Examiner Airlines Airways
    """
)
# Words of a sporting event: the city it is played in is its venue, which the rule does not
# count (a club or a national team counts by its name, not by where it plays).
# Each alone has other senses ("the final round of talks", "a cup of tea"), so it takes two.
_SPORTING = _words(
    """
    final finals semi-final semi-finals quarter-final quarter-finals cup Cup match matches
    tournament championship championships fixture fixtures derby stadium kick-off qualifier
    striker goalkeeper Olympics Prix
    """
)
_LOCATIVES = frozenset(
    ["in", "In", "from", "From", "to", "into", "across", "throughout", "inside", "outside", "near"]
)
# Capitalised words after a demonym that make the country's state or people an actor.
_ACTOR_FOLLOWERS = _words(
    """
    Prime President Minister Ministry Foreign Defence Defense Interior Government Army Navy Air
    Armed Forces Force Police Embassy Ambassador Parliament Senate Congress Cabinet Chancellor
    King Queen Prince Royal Crown Red Coast Border Special Supreme Court Central Bank National
    Federal State Home Office Secretary General Communist Labour Conservative Democratic
    Republican Muslim Christian Jewish Islamic Kurdish Football Olympic Open Grand Premier
    """
)
# Capitalised words that come before a place name without making it a person's name.
_PLACE_LEADERS = _words(
    """
    Real Atletico Athletic Bayern Inter AC Sporting Dynamo Dinamo Olympique Borussia Greater
    Old New Little Downtown Metro Central Upper Lower Mount Lake Port Fort Saint San Santa
    Los Las
    """
)
_FOOD = _words(
    """
    dinner dinners sandwich sandwiches breast breasts leg legs burger burgers roast stuffing
    bacon meat mince slices slice drumstick drumsticks farm farms farmer farmers
    """
)
_FOOD_BEFORE = frozenset(
    ["Thanksgiving", "Christmas", "roast", "roasted", "stuffed", "wild", "frozen"]
)
# A demonym that names a language ("speaks English", "Arabic-language") or a cuisine ("Chinese
# restaurants") is no country.
_LANGUAGE_BEFORE = _words(
    """
    speak speaks spoke speaking spoken fluent learn learning learned taught teach in into
    native translated translate
    """
)
_LANGUAGE_AFTER = _words(
    """
    language languages speaker speakers speaking translation translations subtitles lessons
    class classes test tests teacher teachers literature grammar dictionary
    restaurant restaurants takeaway takeaways cuisine food foods dish dishes recipe recipes
    """
)
# Words that open sentences and clauses: a capitalised one before a name says nothing.
_OPENERS = _words(
    """
    The A An In On At For From To By With After Before When While If As But And Or So Yet Of
    This That These Those Its His Her Their Our Both Neither Either Across Near Outside
    Inside Since Until Like Unlike Than Then Now Today Yesterday Last Next North South East
    West Northern Southern Eastern Western Central
    """
)


class Gazetteer:
    """Country names, and what each alias (a name as written) may mean: (code, kind) pairs."""

    def __init__(self, countries: dict[str, str], aliases: dict[str, str]) -> None:
        self.countries = countries
        # alias -> "CODE kind,CODE kind" as stored; parsed when the alias is first met
        self._raw = aliases
        self._parsed: dict[str, tuple[tuple[str, str], ...]] = {}
        self._taggable: frozenset[str] | None = None
        # first word of an alias -> the most words an alias starting with it has
        self.widths: dict[str, int] = {}
        for alias in aliases:
            first, _, rest = alias.partition(" ")
            width = rest.count(" ") + 2 if rest else 1
            if width > self.widths.get(first, 0):
                self.widths[first] = width

    def __contains__(self, alias: str) -> bool:
        return alias in self._raw

    def meanings(self, alias: str) -> tuple[tuple[str, str], ...]:
        found = self._parsed.get(alias)
        if found is None:
            raw = self._raw.get(alias, "")
            found = tuple(
                (code, kind) for code, _, kind in (m.partition(" ") for m in raw.split(",") if m)
            )
            self._parsed[alias] = found
        return found

    def name(self, code: str) -> str:
        return self.countries.get(code, code)

    def resolve(self, value: str) -> str | None:
        """An ISO alpha-2 code for a code or a country name as a user types it, else None. A name
        with two meanings gets the one the detector takes when an article does not say which
        ("Congo": the Democratic Republic of the Congo, as in AP and Reuters style)."""
        text = " ".join(value.split())
        if text.upper() in self.countries:
            return text.upper()
        folded = text.casefold()
        for code, name in self.countries.items():
            if name.casefold() == folded:
                return code
        for alias in self._raw:
            if alias.casefold() == folded:
                codes = [c for c, kind in self.meanings(alias) if kind == "name"]
                if codes:
                    return codes[0]
        return None

    def taggable(self, code: str) -> bool:
        """Whether any name can make an article about ``code``. Antarctica's names count for no
        country (it is an area, like Africa), so a subscription to it would never fire."""
        if self._taggable is None:
            self._taggable = frozenset(
                meaning.partition(" ")[0]
                for raw in self._raw.values()
                for meaning in raw.split(",")
                if meaning
            )
        return code in self._taggable


@lru_cache(maxsize=4)
def load_gazetteer(path: Path | str = GAZETTEER_PATH) -> Gazetteer:
    """The gazetteer file (see scripts/places_data.py for its format and sources)."""
    countries: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        alias, _, meanings = line.partition("\t")
        if alias == "country":
            code, _, name = meanings.partition("\t")
            countries[code] = name
        else:
            aliases[alias] = meanings
    return Gazetteer(countries, aliases)


class Mention(NamedTuple):
    unit: int  # index of the title/sentence
    alias: str
    meanings: tuple[tuple[str, str], ...]
    factor: float  # 1, or NOT_A_PLACE_FACTOR in a person's name or a dish
    locative: bool = False  # after "in", "from", "to"...: a place whatever else the name is


class PlaceDetector:
    """Countries an article is about (used by the pipeline next to the topic tagger)."""

    name = "gazetteer"

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        min_score: float = MIN_SCORE,
        max_evidence: int = MAX_EVIDENCE,
    ) -> None:
        self._gazetteer = gazetteer
        self.min_score = min_score
        self.max_evidence = max_evidence

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:  # loaded on the first article, not when the module loads
            self._gazetteer = load_gazetteer()
        return self._gazetteer

    def detect(self, sentences: Sequence[str], title: str | None = None) -> tuple[PlaceTag, ...]:
        """Countries whose score reaches ``min_score``, highest first."""
        return tuple(p for p in self.score(sentences, title) if p.score >= self.min_score)

    def score(self, sentences: Sequence[str], title: str | None = None) -> tuple[PlaceTag, ...]:
        """Every country with a mention, scored, highest first, no threshold applied."""
        units: list[tuple[str, float]] = []
        if title and title.strip():
            units.append((title.strip(), TITLE_WEIGHT))
        body = 0
        for sentence in sentences:
            if sentence.strip():
                weight = LEAD_WEIGHTS[body] if body < len(LEAD_WEIGHTS) else 1.0
                units.append((sentence.strip(), weight))
                body += 1
        mentions = [m for i, (text, _) in enumerate(units) for m in self.mentions(text, i)]
        if not mentions:
            return ()
        # A name seen mostly as a person's ("Frank Jordan", "Louis Jordan") is that person later
        # on too ("Jordan said"); a place named once in a person-like context stays a place.
        # A person is named in full first ("Louis Jordan"), by surname after ("Jordan said").
        seen: dict[str, list[int]] = {}
        first_personal: set[str] = set()
        for m in mentions:
            if m.factor == 0.0 and m.locative:
                continue  # a venue ("the final in Jeddah"): neither a place nor a person
            counts = seen.setdefault(m.alias, [0, 0])
            if counts == [0, 0] and m.factor == 0.0:
                first_personal.add(m.alias)
            counts[m.factor == 0.0] += 1
        personal = first_personal | {a for a, (place, person) in seen.items() if person > place}
        mentions = [
            m for m in mentions if m.factor > 0.0 and (m.alias not in personal or m.locative)
        ]
        if not mentions:
            return ()
        chosen = _resolve(mentions)
        # A country named only by cities, none of them after "in" or "from", may be no place
        # at all: "Charlotte" the given name, "Nigel" the voter. In a sports report such a city
        # is a club ("beating Riverside"), which counts by its league, which it does not name.
        corroborated = {
            code for mention, (code, kind) in chosen if kind != "city" or mention.locative
        }
        lone_city = UNCORROBORATED_CITY_FACTOR
        if any(code not in corroborated for _, (code, _) in chosen) and _is_sports_report(units):
            lone_city = 0.0
        per_unit: dict[str, dict[int, float]] = {}
        for mention, (code, kind) in chosen:
            value = KIND_WEIGHTS.get(kind, 0.5) * mention.factor
            if code not in corroborated:
                value *= lone_city
            if mention.locative:  # "in Khartoum": where the events take place
                value *= LOCATIVE_BOOST
            cell = per_unit.setdefault(code, {})
            cell[mention.unit] = cell.get(mention.unit, 0.0) + value
        masses = {
            code: sum(min(SENTENCE_CAP, v) * units[u][1] for u, v in cells.items())
            for code, cells in per_unit.items()
        }
        top = max(masses.values())
        length = min(max(1, body), LONG_ARTICLE_SENTENCES)
        scale = SATURATION * max(1.0, math.sqrt(length / REFERENCE_SENTENCES))
        tags = []
        for code, mass in masses.items():
            if mass <= 0:
                continue
            saturation = 1.0 - math.exp(-mass / scale)
            dominance = DOMINANCE_FLOOR + (1.0 - DOMINANCE_FLOOR) * math.sqrt(mass / top)
            cells = per_unit[code]
            ranked = sorted(cells, key=lambda u: (-cells[u] * units[u][1], u))
            tags.append(
                PlaceTag(
                    code=code,
                    name=self.gazetteer.name(code),
                    score=round(saturation * dominance, 3),
                    evidence=tuple(units[u][0] for u in ranked[: self.max_evidence]),
                )
            )
        tags.sort(key=lambda t: (-t.score, t.code))
        return tuple(tags)

    def mentions(self, text: str, unit: int = 0) -> list[Mention]:
        """The gazetteer's names in one sentence, longest match first, left to right."""
        gazetteer = self.gazetteer
        tokens, breaks = _tokens(text)
        widths = gazetteer.widths
        found: list[Mention] = []
        i = 0
        while i < len(tokens):
            word = tokens[i]
            # Most words start no alias: one dict lookup rules them out.
            if not word[0].isupper() or (
                word not in widths and _clean(word.rstrip(".")) not in widths
            ):
                i += 1
                continue
            match = _longest(gazetteer, tokens, i, breaks)
            if match is None:
                i += 1
                continue
            alias, width = match
            meanings = gazetteer.meanings(alias)
            if not meanings:  # a continent or a sea: no country, but no "America" inside either
                i += width
                continue
            factor = _context_factor(
                tokens, i, width, meanings=meanings, gazetteer=gazetteer, breaks=breaks
            )
            locative = i > 0 and tokens[i - 1] in _LOCATIVES
            if (
                locative
                and all(kind in ("city", "capital") for _, kind in meanings)
                and len(_SPORTING.intersection(tokens)) >= 2
            ):
                factor = NOT_A_PLACE_FACTOR  # "the cup final in Jeddah": a venue, no subject
            found.append(Mention(unit, alias, meanings, factor, locative))
            i += width
        return found


class _Breaks:
    """The tokens that punctuation parts from the word before ("Wittmann, Arizona": a comma, so
    no "Wittmann Arizona" person or alias), looked up only for the few tokens that need it."""

    __slots__ = ("gaps",)

    def __init__(self, gaps: Sequence[str]) -> None:
        self.gaps = gaps  # what stands before each token

    def __contains__(self, index: int) -> bool:
        gap = self.gaps[index] if 0 < index < len(self.gaps) else ""
        return bool(gap) and not gap.isspace()


_NO_BREAKS = _Breaks(())


def _tokens(text: str) -> tuple[list[str], _Breaks]:
    """The words of a sentence, and which of them punctuation parts from the word before."""
    pairs = _TOKEN_AND_GAP.findall(text)
    return [token for _, token in pairs], _Breaks([gap for gap, _ in pairs])


def _clean(word: str) -> str:
    word = _POSSESSIVE.sub("", word) if word[-2:] in ("'s", "’s") or word[-1:] in "'’" else word
    return word


def _longest(
    gazetteer: Gazetteer, tokens: list[str], start: int, breaks: _Breaks = _NO_BREAKS
) -> tuple[str, int] | None:
    """The longest alias starting at token ``start`` and the number of tokens it spans."""
    first = tokens[start]
    longest = max((gazetteer.widths.get(v, 0) for v in _variants(first)), default=0)
    # An alias does not run across punctuation ("Georgia, Atlanta").
    span = next((k for k in range(1, longest) if start + k in breaks), longest)
    for width in range(min(span, len(tokens) - start), 0, -1):
        words = tokens[start : start + width]
        last = words[-1]
        for candidate_last in _variants(last):
            words[-1] = candidate_last
            alias = " ".join(words)
            if alias in gazetteer:
                return alias, width
        if width > 1 and any(_clean(w) != w or w.endswith(".") for w in words[:-1]):
            continue  # an alias does not run across a possessive or a full stop ("U.S." aside)
    return None


def _variants(word: str) -> Iterable[str]:
    """A token as written, without a possessive, without a sentence's full stop."""
    yield word
    cleaned = _clean(word)
    if cleaned != word:
        yield cleaned
    if word.endswith(".") and not word.endswith("..."):
        yield word[:-1]


def _context_factor(
    tokens: list[str],
    start: int,
    width: int,
    *,
    meanings: tuple[tuple[str, str], ...],
    gazetteer: Gazetteer,
    breaks: _Breaks = _NO_BREAKS,
) -> float:
    """1, or NOT_A_PLACE_FACTOR where the name at ``tokens[start:start + width]`` is a person's
    name, a dish or a language. A word across punctuation is no context: "Somerset" in "Curry
    Rivel, Somerset" is no surname."""
    before = tokens[start - 1] if start > 0 and start not in breaks else ""
    end = start + width
    after = tokens[end] if end < len(tokens) and end not in breaks else ""
    if after in _NAMESAKES or tokens[end : end + 2] == ["Air", "Lines"]:
        return NOT_A_PLACE_FACTOR
    if tokens[start] in ("Turkey", "Turkey's") and width == 1:
        nearby_before = set(tokens[max(0, start - 3) : start])
        if after.lower() in _FOOD or nearby_before & _FOOD_BEFORE:
            return NOT_A_PLACE_FACTOR
    if any(kind == "demonym" for _, kind in meanings) and (
        before.lower() in _LANGUAGE_BEFORE
        or after.lower() in _LANGUAGE_AFTER
        or tokens[start + width - 1].endswith("-language")
    ):
        return NOT_A_PLACE_FACTOR
    # "Australian Marc Leishman", "Australia's Neil Robertson": one person's nationality, not
    # the country as an actor ("British Prime Minister", "Sudan's Armed Forces" are).
    last = tokens[end - 1]
    personal = (
        after[:1].isupper() and after not in _ACTOR_FOLLOWERS and _clean(after) not in gazetteer
    )
    if all(kind == "demonym" for _, kind in meanings):
        return NATIONALITY_FACTOR if personal else 1.0
    if personal and _clean(last) != last and any(kind == "name" for _, kind in meanings):
        return NATIONALITY_FACTOR  # a city's ("Sydney's Martin Place") is a place in it
    if after in ("international", "internationals"):  # "the Togo international": a player
        return NATIONALITY_FACTOR
    if _of_a_person(tokens, start, breaks):
        return NATIONALITY_FACTOR
    if width != 1 or all(kind == "institution" for _, kind in meanings):
        return 1.0  # "NASA Administrator"
    if (
        before in _HONORIFICS
        or before in _NAMING
        or (before in ("is", "was") and start > 1 and tokens[start - 2] == "name")
    ):
        return NOT_A_PLACE_FACTOR  # "Dr Jordan", "a man named Nigel", "his name is Nigel"
    # "Michael Jordan": a capitalised word before, which is no opener and no place.
    if (
        before[:1].isupper()
        and before not in _OPENERS
        and not before.endswith(".")
        and _clean(before) not in gazetteer
        and before not in _PLACE_LEADERS
    ):
        return NOT_A_PLACE_FACTOR
    # "Jordan Henderson": a capitalised word after that is neither a place nor a place's noun.
    word = tokens[start]
    if (
        after[:1].isupper()
        and _clean(word) == word  # "Jordan's King Abdullah" is the country
        and after not in _PLACE_FOLLOWERS
        and _clean(after) not in gazetteer
        and not after.isupper()
    ):
        return NOT_A_PLACE_FACTOR
    return 1.0


def _is_sports_report(units: Sequence[tuple[str, float]]) -> bool:
    """Two or more words of a sporting event ("final", "match", "stadium"...) in the article."""
    words = {word for text, _ in units for word in _TOKEN.findall(text)}
    return len(_SPORTING & words) >= 2


def _of_a_person(tokens: list[str], start: int, breaks: _Breaks) -> bool:
    """ "Fabio Fognini of Italy": a person's full name, then "of" and the country, says where the
    person is from; "Bank of England", "Prime Minister Shinzo Abe of Japan" name a state actor."""
    if start < 3 or tokens[start - 1] != "of" or start - 1 in breaks or start - 2 in breaks:
        return False
    first, last = tokens[start - 3], tokens[start - 2]
    heads = _ACTOR_FOLLOWERS | _PLACE_FOLLOWERS | _HONORIFICS
    if not (first[:1].isupper() and last[:1].isupper()) or first in _OPENERS:
        return False
    return not (set(tokens[max(0, start - 6) : start - 1]) & heads)


def _resolve(mentions: list[Mention]) -> list[tuple[Mention, tuple[str, str]]]:
    """Each mention with the one meaning it takes: an alias with one country keeps it; an
    ambiguous one goes to the country the article's unambiguous mentions support most, else to
    its highest-ranked kind (a country's own name before a region or city of the same name),
    else to the first the gazetteer lists (the biggest city of that name)."""
    support: dict[str, float] = {}
    for mention in mentions:
        codes = {code for code, _ in mention.meanings}
        if len(codes) == 1:
            code = next(iter(codes))
            support[code] = support.get(code, 0.0) + mention.factor
    chosen: list[tuple[Mention, tuple[str, str]]] = []
    for mention in mentions:
        # Then a country where the name is several things (Gaza: city and region in PS, a
        # region only in Mozambique).
        senses = [code for code, _ in mention.meanings]
        best = max(
            mention.meanings,
            key=lambda m: (
                support.get(m[0], 0.0),
                -_KIND_RANK.index(m[1]) if m[1] in _KIND_RANK else -len(_KIND_RANK),
                senses.count(m[0]),
            ),
        )
        chosen.append((mention, best))
    return chosen
