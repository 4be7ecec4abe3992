"""The employee rows of the results JSON, encoded a column at a time.

`PeriodResult.employee_rows` builds one dict per row: the shape of POLICY_FORMAT
section 3 for the library, the reports and the tests. Encoding those dicts
cost more than the whole evaluation at 100k rows, so `write_json` uses this
encoder instead. It makes exactly the bytes orjson makes of those dicts (a test
holds the two equal on every evaluation the suite produces):

- each number column is formatted by one orjson call over the numpy array and
  split into per-row fragments (whole numbers as integers, NaN as null);
- text columns are encoded once per distinct value;
- each row is one %-format of a template chosen by which indicators it shows;
  an indicator a row does not show consumes its fragments with `%.0b`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from kpi_rules.results.model import (
    SCORED,
    IndicatorColumns,
    PeriodResult,
    flag_words,
    rounded_for_display,
)
from kpi_rules.results.notes import FiredItems

_OPT = orjson.OPT_SERIALIZE_NUMPY
_WHOLE_LIMIT = 2.0**53
_EMPTY_LIST = b"[]"
_INDICATOR_KEYS = ("achievement", "actual", "flags", "score", "target", "weight", "weighted")


def _split(encoded: bytes) -> list[bytes]:
    """`[a,b,c]` of numbers -> [a, b, c] (numbers and null hold no comma)."""
    return encoded[1:-1].split(b",")


def number_fragments(values: npt.NDArray[np.float64], decimals: int,
                     blank: npt.NDArray[np.bool_] | None = None) -> list[bytes]:
    """Each value as `results.shown_column` shows it, encoded: rounded for display,
    whole numbers without `.0`, NaN (and `blank` rows) as null."""
    shown = rounded_for_display(np.asarray(values, dtype=np.float64), decimals)
    if blank is not None:
        shown = np.where(blank, np.nan, shown)
    with np.errstate(invalid="ignore"):
        integral = np.isfinite(shown) & (shown == np.floor(shown))
        huge = np.abs(shown) >= _WHOLE_LIMIT
    if (integral & huge).any():  # shown as floats: keep their `.0`
        return _merged(shown, integral & ~huge)
    # orjson writes a whole float as `80.0`: dropping `.0` before a separator gives `80`
    # (no other number orjson writes has `.0` right before a comma).
    encoded = orjson.dumps(shown, option=_OPT)
    return (encoded[:-1] + b",").replace(b".0,", b",")[1:-1].split(b",")


def _merged(shown: npt.NDArray[np.float64], whole: npt.NDArray[np.bool_]) -> list[bytes]:
    floats = _split(orjson.dumps(shown, option=_OPT))
    ints = _split(orjson.dumps(np.where(whole, shown, 0.0).astype(np.int64), option=_OPT))
    return [i if w else f for i, f, w in zip(ints, floats, whole.tolist())]


def text_fragments(values: list[Any]) -> list[bytes]:
    """Strings (or None) encoded: by one dump of the list cut at its commas when every comma in it
    is one between values (no text holds one: ids, names), else each distinct value once."""
    inner = orjson.dumps(values)[1:-1]
    if inner.count(b",") == len(values) - 1:
        return inner.split(b",")
    encoded = {value: orjson.dumps(value) for value in set(values)}
    return list(map(encoded.__getitem__, values))


def list_fragments(n: int, lists: dict[int, list[Any]], rows: npt.NDArray[np.bool_] | None = None) -> list[bytes]:
    """Per row, its list from {row: non-empty list}, else `[]`; only `rows` (if given) show theirs."""
    out = [_EMPTY_LIST] * n
    for i, items in lists.items():
        if rows is None or rows[i]:
            out[i] = orjson.dumps(items)
    return out


def fired_fragments(fired: FiredItems, start: int, stop: int, rows: npt.NDArray[np.bool_]) -> list[bytes]:
    """`list_fragments` of the ids that fired: each combination of ids that occurs is dumped once."""
    grouped = fired.combinations(start, stop, rows)
    if grouped is None:
        return list_fragments(stop - start, fired.sparse(start, stop), rows)
    lists, which = grouped
    fragments = [orjson.dumps(items) if items else _EMPTY_LIST for items in lists]
    out: list[bytes] = np.array(fragments, dtype=object).take(which).tolist()
    return out


def _flag_fragments(ind: IndicatorColumns, part: slice) -> list[bytes]:
    fail, treatment = ind.fail[part], ind.treatment[part]
    capped = ind.capped[part] if len(ind.capped) else np.zeros(len(fail), dtype=bool)
    out = [_EMPTY_LIST] * len(fail)
    for i in np.flatnonzero(fail.astype(bool) | (treatment != SCORED) | capped).tolist():
        out[i] = orjson.dumps(flag_words(int(fail[i]), int(treatment[i]), bool(capped[i])))
    return out


def _indicator_fragments(ind: IndicatorColumns, part: slice) -> list[list[bytes]]:
    """The fragments of one indicator, in _INDICATOR_KEYS order."""
    return [number_fragments(ind.achievement[part], 10), number_fragments(ind.actual[part], 10),
            _flag_fragments(ind, part), number_fragments(ind.score[part], 10),
            number_fragments(ind.target[part], 10), number_fragments(ind.effective_weight[part], 6),
            number_fragments(ind.weighted[part], 10)]


def _literal(text: str) -> bytes:
    return text.encode().replace(b"%", b"%%")


class RowTemplates:
    """One %-template per combination of shown indicators; each row picks its own by a code.

    A column with the same fragment on every row is written into the templates, so rows
    only carry the fragments that vary."""

    def __init__(self, head: list[str], indicator_ids: list[str], tail: list[str],
                 constant: list[bytes | None]) -> None:
        slots = iter([b"%b" if c is None else c.replace(b"%", b"%%") for c in constant])

        def fields(keys: list[str] | tuple[str, ...]) -> bytes:
            return b",".join(_literal(f'"{key}":') + next(slots) for key in keys)

        self.head = b"{" + fields(head) + b',"indicators":{'
        self.items, self.hidden = [], []
        for i, flags in zip(indicator_ids, _indicator_slots(constant, len(head))):
            self.items.append(_literal(orjson.dumps(i).decode() + ":{") + fields(_INDICATOR_KEYS) + b"}")
            self.hidden.append(b"%.0b" * flags)  # consumes the fragments of an indicator not shown
        self.tail = b"}," + fields(tail) + b"}"
        self._made: dict[int, bytes] = {}

    def template(self, code: int) -> bytes:
        made = self._made.get(code)
        if made is None:
            parts, first = [], True
            for k, item in enumerate(self.items):
                if code >> k & 1:
                    parts.append(item if first else b"," + item)
                    first = False
                else:
                    parts.append(self.hidden[k])
            made = self._made[code] = self.head + b"".join(parts) + self.tail
        return made


def _indicator_slots(constant: list[bytes | None], skip: int) -> list[int]:
    """Per indicator, how many of its fragments vary (are %b slots)."""
    width = len(_INDICATOR_KEYS)
    count = (len(constant) - skip) // width  # an upper bound; zip() stops at the ids
    return [sum(c is None for c in constant[skip + k * width: skip + (k + 1) * width]) for k in range(count)]


def _shown_codes(shown: npt.NDArray[np.bool_]) -> list[int]:
    """Per row, the set of indicators it shows as an int bit set (bit k: indicator k)."""
    if shown.shape[0] <= 62:
        codes = np.zeros(shown.shape[1], dtype=np.int64)
        for k in range(shown.shape[0]):
            codes |= shown[k].astype(np.int64) << k
        return codes.tolist()  # type: ignore[no-any-return]
    return [sum(1 << k for k in np.flatnonzero(column).tolist()) for column in shown.T]


def _constant(fragments: list[bytes]) -> bytes | None:
    """The fragment every row has, if they all have the same."""
    first = fragments[0]
    if fragments[-1] != first or fragments[len(fragments) // 2] != first:
        return None  # the usual answer, without a scan
    return first if fragments.count(first) == len(fragments) else None


def encode_rows(res: PeriodResult, start: int, stop: int) -> list[bytes]:
    """Rows start..stop-1 as orjson encodes `res.employee_rows(start, stop)`, one bytes per row."""
    stop = min(stop, res.n)
    n, d, part = stop - start, res.decimals, slice(start, stop)
    if n <= 0:
        return []
    rated = res.status[part] == "rated"
    blank, rated_list = ~rated, rated.tolist()

    def numbers(name: str) -> list[bytes]:
        values = getattr(res, name)
        return number_fragments(values[part], d, blank) if len(values) else [b"null"] * n

    def texts(values: npt.NDArray[Any], only_rated: bool = False) -> list[bytes]:
        if not len(values):
            return [b"null"] * n
        shown = values[part].tolist()
        return text_fragments([v if r else None for v, r in zip(shown, rated_list)] if only_rated else shown)

    head = {"bonus": numbers("bonus"), "bonuses": fired_fragments(res.bonuses, start, stop, rated)}
    if res.calibrated:
        head["calibration"] = [orjson.dumps(res.calibration.get(i), option=orjson.OPT_SORT_KEYS)
                               for i in range(start, stop)]
    head.update({
        "coefficient_team": numbers("coefficient_team"), "deduction": numbers("deduction"),
        "deductions": fired_fragments(res.deductions, start, stop, rated),
        "employee_id": texts(res.employee_id),
        **({"file": text_fragments(res.files[part])} if res.files else {}),
        "final": numbers("final"), "grade": texts(res.grade, True),
    })
    if res.calibrated:
        head["grade_before_calibration"] = texts(res.grade_before_calibration, True)
    head["grade_before_distribution"] = texts(res.grade_before_distribution, True)
    periods = [p or res.period for p in res.row_period[part].tolist()] if len(res.row_period) else [res.period] * n
    tail = {
        "individual": numbers("individual"), "line": _split(orjson.dumps(res.lines[part])), "name": texts(res.name),
        "pay_coefficient": numbers("pay_coefficient"), "period": text_fragments(periods),
    }
    if res.periods:
        tail["periods"] = [orjson.dumps(p) for p in res.periods.rows(start, stop)]
    tail.update({
        "reasons": list_fragments(n, res.reasons.sparse(start, stop)), "role": texts(res.role),
        "status": text_fragments(res.status[part].tolist()),
        "suggestions": fired_fragments(res.suggestions, start, stop, rated),
        "team": texts(res.team), "team_score": numbers("team_score"), "veto": texts(res.veto, True),
    })
    ids = sorted(res.indicators)
    shown = np.zeros((len(ids), n), dtype=bool)
    columns = [*head.values()]
    for k, key in enumerate(ids):
        ind = res.indicators[key]
        shown[k] = ind.applies[part] & rated
        columns += _indicator_fragments(ind, part)
    columns += tail.values()
    constant = [_constant(c) for c in columns]
    templates = RowTemplates(list(head), ids, list(tail), constant)
    varying = [c for c, fixed in zip(columns, constant) if fixed is None]
    rows = zip(*varying) if varying else [()] * n  # every column the same: one row, say
    return [templates.template(code) % row for code, row in zip(_shown_codes(shown), rows)]
