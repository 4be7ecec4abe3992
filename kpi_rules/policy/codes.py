"""Every problem code kpi-rules reports, with its documentation.

Semantic checks document themselves in their docstrings; the codes the
loader and the schema step emit are documented here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from kpi_rules.policy.checks import CHECKS


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: str
    doc: str

    @property
    def summary(self) -> str:
        return self.doc.split("\n\n", 1)[0].replace("\n", " ")


_SHAPE_CODES = [
    ("KR001", "yaml-syntax", """The file is not readable YAML (bad indentation, a tab, a missing `:`),
or holds more than one document. The position is where the YAML reader gave up."""),
    ("KR002", "duplicate-key", """A key appears twice in the same mapping. Plain YAML readers silently keep
the last one, so an indicator defined twice would lose its first definition without a word."""),
    ("KR003", "yaml-limits", """The file is too large (over 2 MiB), or its `*alias` references expand to
more than 200,000 values (a "billion laughs" document). Such files are refused before they are expanded."""),
    ("KR004", "encoding", """The file is not UTF-8 text. Save it as UTF-8; the position is the first byte
that cannot be read."""),
    ("KR005", "yaml-tag", """A YAML tag such as `!!python/object` is used. Policies hold plain data only:
text, numbers, true/false, lists and mappings."""),
    ("KR010", "unknown-field", """A field that the policy format does not know, usually a typo. The hint names
the closest known field. Unknown fields are errors so that a misspelt `wieght` never passes silently."""),
    ("KR011", "missing-field", """A required field is missing, or a section that needs entries is empty."""),
    ("KR012", "wrong-type", """A value has the wrong type: text where a number is needed, a list where a
mapping is needed. `version: 2024.1` must be quoted: `version: "2024.1"`."""),
    ("KR013", "invalid-value", """A value is outside what the field allows: an unknown option
(`locale: fr`), a number out of range, a name or percentage in the wrong form."""),
]


def all_codes() -> list[Code]:
    codes = [Code(code, name, "error", inspect.cleandoc(doc)) for code, name, doc in _SHAPE_CODES]
    codes += [Code(c.code, c.name, c.severity.value, c.doc) for c in CHECKS.values()]
    return sorted(codes, key=lambda c: c.code)
