"""Language detection: English is recognised (fast path), other languages through langdetect,
and too little text is 'und' rather than a guess."""

from __future__ import annotations

import pytest

from newswatch.domain.language import detect_language

SAMPLES = {
    "en": "The two sides agreed on Tuesday to a ceasefire that would take effect at midnight, "
    "officials said after a long night of talks in the capital.",
    "fr": "Les deux camps se sont mis d'accord mardi sur un cessez-le-feu qui entrera en vigueur "
    "à minuit, ont indiqué des responsables après une longue nuit de négociations.",
    "es": "Las dos partes acordaron el martes un alto el fuego que entrará en vigor a medianoche, "
    "según informaron los funcionarios tras una larga noche de negociaciones.",
    "de": "Die beiden Seiten einigten sich am Dienstag auf eine Waffenruhe, die um Mitternacht in "
    "Kraft treten soll, teilten Beamte nach einer langen Verhandlungsnacht mit.",
}


@pytest.mark.parametrize(("expected", "text"), sorted(SAMPLES.items()))
def test_detects_the_language_of_a_paragraph(expected: str, text: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "OK", "Hi there", "12 34 56 78 90 11", "!!! ??? ..."])
def test_too_little_text_is_undetermined(text: str) -> None:
    assert detect_language(text) == "und"


def test_same_text_gives_the_same_answer() -> None:
    text = "Ceci est un texte court mais pas trop, pour voir si la détection reste stable."
    assert {detect_language(text) for _ in range(5)} == {"fr"}


def test_mostly_french_text_with_english_words_is_not_taken_for_english() -> None:
    text = (
        "Le ministre a parlé de la situation au Soudan, et les agences de l'ONU ont lancé un appel "
        "pour le financement du plan humanitaire, the so-called emergency appeal."
    )
    assert detect_language(text) == "fr"


def test_only_the_start_of_a_long_text_is_needed() -> None:
    assert detect_language(" ".join([SAMPLES["es"]] * 8 + [SAMPLES["en"]] * 200)) == "es"


@pytest.mark.parametrize(
    "flash",
    [
        "Russia and Ukraine agree to resume talks in Geneva next week.",
        "Russia resumed talks in Geneva on Monday.",
        "Mali junta expels French ambassador.",
    ],
)
def test_a_short_english_news_flash_is_english(flash: str) -> None:
    # langdetect read these as Afrikaans, Estonian and Catalan: too few n-grams in a one-liner
    assert detect_language(flash) == "en"


def test_a_short_flash_in_another_language_still_goes_to_langdetect() -> None:
    assert detect_language("Le Mali expulse l'ambassadeur de France.") == "fr"
    assert detect_language("El gobierno anuncia un alto el fuego en la región.") == "es"
