"""'Did you mean …?' hints for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Other names for the same function, as spreadsheets and other languages spell them.
SYNONYMS = {"avg": "mean", "average": "mean", "total": "sum", "len": "count", "cnt": "count", "minimum": "min",
            "maximum": "max", "med": "median", "if_error": "coalesce", "ifnull": "coalesce", "nvl": "coalesce",
            "clip": "clamp", "div": "safe_div"}


def closest(word: str, candidates: Iterable[str]) -> str | None:
    options = sorted(set(candidates))
    if SYNONYMS.get(word.lower()) in options:
        return SYNONYMS[word.lower()]
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if match:
        return match[0]
    lowered = {c.lower(): c for c in options}
    return lowered.get(word.lower())


def did_you_mean(word: str, candidates: Iterable[str], fallback: str | None = None) -> str | None:
    match = closest(word, candidates)
    return f"did you mean `{match}`?" if match else fallback
