"""Text from policies and data files made safe to show: control characters as escapes."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; lone surrogates and U+FFFE/U+FFFF (not
# encodable as UTF-8, not allowed in XML).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with control characters shown as escapes (ESC as `\\x1b`), so that text from a
    policy or a data file cannot drive a terminal, and every output format stays well-formed.
    Tab and newline stay as they are."""
    return _INVISIBLE.sub(_escape, text) if _INVISIBLE.search(text) else text
