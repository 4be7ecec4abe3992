"""Decimal rounding of binary floats, one value or a whole column.

Rounding is defined on the shortest decimal that reads back as the float
(its `repr`): 2.675 is "2.675", so half-up gives 2.68 even though the binary
value is 2.67499999999999982236431605997495353221893310546875. Float noise
from arithmetic is dropped first: a value within a millionth of the last
kept unit of a half is that half (the decimal is read to 6 more places than
kept), so 9.345 + 75.65, which binary floats make 84.99499999999999, is
84.995 and gives 85.00, as on paper.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

import numpy as np
import numpy.typing as npt

MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
FloatArray = npt.NDArray[np.float64]
NOISE_PLACES = 6  # decimals read beyond those kept, to drop float noise before rounding
_WIDE = Context(prec=80)  # a float below 1e16 has at most 17 digits, plus the decimals asked


def round_decimal(value: float, decimals: int = 2, mode: str = "half_up") -> float:
    if value != value or value in (float("inf"), float("-inf")):
        return value
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -decimals:
        # No digits beyond those kept: nothing to round. This is also every float of 1e16 or more,
        # which quantize would refuse (decimal.InvalidOperation: more digits than its precision).
        return float(value) + 0.0
    noise_free = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals - NOISE_PLACES),
                                                      rounding=ROUND_HALF_EVEN, context=_WIDE)
    quantum = Decimal(1).scaleb(-decimals)
    return float(noise_free.quantize(quantum, rounding=MODES[mode], context=_WIDE)) + 0.0  # no -0.0


def round_array(values: FloatArray, decimals: int = 2, mode: str = "half_up") -> FloatArray:
    """The same as `round_decimal` on every element, at numpy speed.

    Only values whose scaled fraction sits near .5 (where binary noise could
    decide) or that are very large take the exact Decimal path.
    """
    values = np.asarray(values, dtype=np.float64)
    factor = 10.0**decimals
    # The same arithmetic as `round_scalar`, written into as few arrays as it can (at 1M rows
    # each temporary is 8 MB).
    with np.errstate(all="ignore"):
        scaled = values * factor
        magnitude = np.abs(scaled)
        fraction = np.floor(magnitude)
        np.subtract(magnitude, fraction, out=fraction)
        if mode == "half_up":
            out = np.add(magnitude, 0.5)
            np.floor(out, out=out)
            np.multiply(np.sign(scaled, out=scaled), out, out=out)  # `scaled` is not read again
        else:
            out = np.round(scaled)
        np.divide(out, factor, out=out)
        fraction -= 0.5
        near = np.abs(fraction, out=fraction) < 1e-6
    finite = np.isfinite(values)
    near |= magnitude > 1e9
    near &= finite
    if not finite.all():
        out[~finite] = values[~finite]
    for i in np.flatnonzero(near):
        out[i] = round_decimal(float(values[i]), decimals, mode)
    out[out == 0] = 0.0  # no -0.0 in reports
    return out


def round_scalar(value: float, decimals: int = 2, mode: str = "half_up") -> float:
    """`round_array` of one value, without numpy's per-call overhead (a report rounds a few hundred
    thousand single figures): the same arithmetic, step for step, so the result is identical."""
    value = float(value)
    if not math.isfinite(value):
        return value
    factor = 10.0**decimals
    scaled = value * factor
    magnitude = abs(scaled)
    fraction = magnitude - math.floor(magnitude)
    if abs(fraction - 0.5) < 1e-6 or magnitude > 1e9 or not math.isfinite(scaled):
        out = round_decimal(value, decimals, mode)
    else:
        if mode == "half_up":
            sign = 1.0 if scaled > 0 else -1.0 if scaled < 0 else 0.0
            rounded = sign * float(math.floor(magnitude + 0.5))
        else:
            rounded = float(round(scaled))  # Python's round of a float is half-even, as np.round
        out = rounded / factor
    return 0.0 if out == 0 else out
