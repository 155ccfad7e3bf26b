"""Language detection: which language an article is in, so English-only patterns are not applied
to other languages.

langdetect (a pure-Python port of Google's language-detection, profiles bundled, no download) is
imported on first use so it costs nothing at cold start for code paths that never detect.
langdetect takes about 5-7 ms per article and a second to load its profiles, more than the whole
rest of the pipeline, so English (what almost every article is, and the only language the
taxonomy tags) is recognised first from its function words, and only text that is not clearly
English goes to langdetect.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from typing import Any

UNDETERMINED = "und"
# Enough of an article to decide; langdetect's cost grows with the text length.
SAMPLE_CHARS = 1000
# Below this many letters a guess is noise.
MIN_LETTERS = 20
MIN_WORDS = 3
MIN_PROBABILITY = 0.5

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

# Frequent English function words that are not also common words of other Latin-script languages.
_ENGLISH_WORDS = (
    "the of and to is was that for with as by from it his he she has have had be are were been "
    "will would said this which an not but they their who its after than or when there what "
    "about into more also we our you can could one all them these those such over"
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
# Frequent function words of other Latin-script languages: mixed text is left to langdetect.
_OTHER_WORDS = (
    "le la les des du et est une dans pour qui sur pas avec au aux ce sont "  # fr
    "el los las del y es una por con para se su como más fue "  # es
    "der die das und ist nicht mit den dem ein eine sich auf für von zu wird "  # de
    "il di che della per non sono gli dei nel "  # it
    "os do da dos das não em um uma "  # pt
    "het een van en niet op dat zijn voor met"  # nl
)
_OTHER = frozenset(_OTHER_WORDS.split())
# English news prose is about 35-45% function words from the list above.
_ENGLISH_SHARE = 0.15
_ENGLISH_MARGIN = 3.0
# A news flash this short gives langdetect too few n-grams ("Mali junta expels French
# ambassador." came out Catalan): plain ASCII words with no other language's function word are
# read as English, the service's language.
SHORT_WORDS = 15


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or ``"und"`` when there is too little text to tell."""
    sample = text[:SAMPLE_CHARS]
    # Both minimums are tested by counting only up to them.
    few_words = len(sample.split(None, MIN_WORDS)) < MIN_WORDS
    if few_words or next(islice(_LETTER.finditer(sample), MIN_LETTERS - 1, None), None) is None:
        return UNDETERMINED
    if _clearly_english(sample):
        return "en"
    from langdetect.lang_detect_exception import LangDetectException

    detector_factory = _factory()
    try:
        detector = detector_factory.create()
        detector.append(sample)
        candidates = detector.get_probabilities()
    except LangDetectException:
        return UNDETERMINED
    if not candidates or candidates[0].prob < MIN_PROBABILITY:
        return UNDETERMINED
    # langdetect names a few languages by region ("zh-cn", "zh-tw"); keep the ISO 639-1 part.
    return str(candidates[0].lang).split("-")[0]


def _clearly_english(sample: str) -> bool:
    words = list(map(str.lower, _WORD.findall(sample)))
    # Summing the booleans of set membership counts the matches, in C.
    english = sum(map(_ENGLISH.__contains__, words))
    other = sum(map(_OTHER.__contains__, words))
    if len(words) < SHORT_WORDS and not other and sample.isascii():
        return True
    return english >= _ENGLISH_SHARE * len(words) and english >= _ENGLISH_MARGIN * max(other, 1)


@lru_cache(maxsize=1)
def _factory() -> Any:
    from langdetect import DetectorFactory, detector_factory

    # langdetect samples n-grams at random; a fixed seed makes the same text give the same answer.
    DetectorFactory.seed = 0
    detector_factory.init_factory()
    return detector_factory._factory
