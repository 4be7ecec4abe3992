"""Small typed helpers over numpy arrays, where numpy's stubs are stricter than numpy."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


def none_mask(values: Any) -> npt.NDArray[np.bool_]:
    """True where a cell of an object array is None (element-wise `np.equal(values, None)`)."""
    mask: npt.NDArray[np.bool_] = np.equal(values, None)  # type: ignore[call-overload]  # stubs reject None
    return mask
