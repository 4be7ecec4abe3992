"""Habits people bring from Excel and from reading text, caught before a formula is parsed.

- A leading `=` (`=bookings/quota`), a single `=` to compare (`grade = 'D'`),
  `IF(a, b, c)`: each gets a hint saying what to write instead.
- A name written with look-alike letters (mathematical bold `𝐯𝐢𝐬𝐢𝐭𝐬`, full-width
  `ｖｉｓｉｔｓ`) or holding an invisible character (a zero-width space): Python's parser
  would quietly fold the first to `visits`, so what the policy shows would not be what
  runs. Such a name is refused at its column, with the plain name as the hint.
"""

from __future__ import annotations

import ast
import re
import unicodedata

_SINGLE_EQUALS = re.compile(r"(?<![=<>!])=(?!=)")


def syntax_hint(text: str) -> tuple[str, str, int] | None:
    """(message, hint, character offset) for a formula Python cannot read, when it is a habit
    we can name: a leading `=` (Excel), or a single `=` used to compare."""
    lead = len(text) - len(text.lstrip())
    body = text.strip()
    if body.startswith("="):
        return ("a formula does not start with `=`",
                f"remove the leading `=`: formulas are written without it, like `{body.lstrip('=').strip()}`", lead)
    single = _SINGLE_EQUALS.search(_without_strings(body))
    if single:
        return ("a single `=` is not a comparison", "use `==` to compare, like `grade == 'D'`", lead + single.start())
    return None


def if_hint(node: ast.Call) -> str | None:
    """`IF(a, b, c)` -> `b if a else c`."""
    if not isinstance(node.func, ast.Name) or node.func.id.lower() != "if":
        return None
    if len(node.args) == 3:
        test, yes, no = (ast.unparse(a) for a in node.args)
        return f"write `{yes} if {test} else {no}` (Excel's IF(a, b, c) is `b if a else c` here)"
    return "write `b if a else c` (Excel's IF(a, b, c) is `b if a else c` here)"


def _without_strings(text: str) -> str:
    """The text with quoted parts blanked out (same length, so offsets still hold)."""
    out, quote = [], ""
    for ch in text:
        if quote:
            out.append(" ")
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"  # zero-width space and joiners, direction marks, soft hyphen


def _name_char(ch: str) -> bool:
    return ch == "_" or ch.isalnum() or _invisible(ch) or unicodedata.normalize("NFKC", ch).isalnum()


def plain_text(text: str) -> str:
    """The text as it would read in plain letters, invisible characters dropped."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not _invisible(ch))


def odd_names(text: str) -> list[tuple[int, str, str]]:
    """(character offset, name as written, plain name) of every name in `text` (outside quotes)
    that is not written exactly as it would be read: look-alike letters or invisible characters."""
    found = []
    blanked = _without_strings(text)
    i, n = 0, len(blanked)
    while i < n:
        if not _name_char(blanked[i]):
            i += 1
            continue
        j = i
        while j < n and _name_char(blanked[j]):
            j += 1
        word = text[i:j]
        plain = plain_text(word)
        if plain != word:
            found.append((i, word, plain))
        i = j
    return found


def odd_name_message(word: str, plain: str, offset: int) -> tuple[str, int, str]:
    """The message, offset and hint for a name not written plainly."""
    shown = word.encode("ascii", "backslashreplace").decode() if any(_invisible(c) for c in word) else word
    if any(_invisible(c) for c in word):
        what = "holds an invisible character (such as a zero-width space)"
    else:
        what = "is written with look-alike letters, not plain ones"
    return f"the name `{shown}` {what}", offset, f"type the name again with plain letters: `{plain}`"
