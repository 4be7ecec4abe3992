"""Files shipped beside the code: schemas and templates.

In a checkout they are read from the top-level `schemas/` and `templates/`
folders; in an installed wheel the build maps them into the package.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:  # importlib.resources.abc is new in Python 3.11
        from importlib.abc import Traversable

_CHECKOUT = Path(__file__).resolve().parents[2]


def resource_dir(name: str) -> Traversable:
    """`schemas` or `templates`, wherever this copy of kpi-rules keeps them."""
    packaged = resources.files("kpi_rules").joinpath(name)
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / name


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A JSON schema from `schemas/`, e.g. `policy.schema.json`."""
    text = resource_dir("schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
