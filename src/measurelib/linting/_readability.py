r"""Reading age of short questionnaire texts, from the Flesch-Kincaid grade level.

The Flesch-Kincaid grade (Kincaid et al. 1975) is computed by the ``textstat`` package:

.. math::

    \text{grade} = 0.39 \frac{\text{words}}{\text{sentences}}
        + 11.8 \frac{\text{syllables}}{\text{words}} - 15.59

and converted to a UK reading age by adding 5 years (US grade 1 is taught at age 6-7), the
convention of UK readability guidance. The formula was made for running text: for texts of
fewer than :data:`MIN_WORDS` words (most option labels) the formula is not used: the reading
age is estimated from the longest word as ``5 + 2 × syllables`` (a word of 3 syllables reads
at 11, of 4 at 13), and marked unreliable.

References
----------
1. Kincaid JP, Fishburne RP, Rogers RL, Chissom BS (1975). Derivation of new readability
   formulas (Automated Readability Index, Fog Count and Flesch Reading Ease Formula) for Navy
   enlisted personnel. Research Branch Report 8-75. Millington, TN: Naval Technical Training.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["HARD_SYLLABLES", "MIN_WORDS", "Readability", "readability"]

MIN_WORDS = 5
HARD_SYLLABLES = 4
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


@dataclass(frozen=True)
class Readability:
    """Readability of one text."""

    words: int
    syllables: int
    grade: float
    reading_age: float
    reliable: bool
    hard_words: tuple[str, ...]

    def above(self, target: float) -> bool:
        """Is the text harder than a reader of age ``target`` can manage?"""
        return self.reading_age > target


def _textstat() -> Any:
    try:
        import textstat  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - textstat is a core dependency
        raise ImportError("The linter needs textstat: pip install 'textstat>=0.7.7,<0.7.9'") \
            from exc
    textstat.set_lang("en")
    return textstat


@lru_cache(maxsize=4096)
def readability(text: str) -> Readability:
    """Flesch-Kincaid grade and reading age (grade + 5) of an English text."""
    ts = _textstat()
    words = _WORD.findall(text)
    n = len(words)
    if n == 0:
        return Readability(0, 0, 0.0, 5.0, False, ())
    syllables = int(ts.syllable_count(text))
    grade = float(ts.flesch_kincaid_grade(text))
    counts = [int(ts.syllable_count(w)) for w in words]
    hard = tuple(w for w, c in zip(words, counts) if c >= HARD_SYLLABLES)
    reliable = n >= MIN_WORDS
    age = max(5.0, round(grade + 5.0, 1)) if reliable else float(5 + 2 * max(counts))
    return Readability(n, syllables, grade, age, reliable, hard)
