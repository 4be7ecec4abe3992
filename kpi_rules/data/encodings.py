"""Which text encoding a data file is in, and the names people give encodings.

UTF-8 (with or without Excel's byte order mark) is read as such. Any other file
was saved by a spreadsheet in its "ANSI" code page: Chinese Excel writes GB18030
(GBK), Western Excel Windows-1252. Any byte pair in 0x81-0xFE + 0x40-0xFE is a
GB18030 character, so trying GB18030 first turns "Müller" into "M黮ler". The
choice is made on how the non-ASCII bytes stand instead:

- Chinese text is made of whole characters of two bytes, both at or above 0x80,
  written between commas, quotes, digits or other Chinese characters;
- Western text has its accented letters one at a time inside words of ASCII
  letters ("Müller", "José", "Zoë").

So each run of bytes at or above 0x80 is counted as Western evidence when it is
of odd length or stands between two ASCII letters; the file is read as GB18030
only when it decodes as GB18030 and at most one run in ten is such evidence.
Otherwise it is Windows-1252, or Latin-1 where a byte is undefined in 1252.
"""

from __future__ import annotations

import codecs
import re

from kpi_rules.data.raw import DataFileError, option

UTF8 = ("utf-8", "utf-8-sig")
SAMPLE = 1 << 18  # bytes looked at to choose between the legacy encodings
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
# The names people give encodings (Excel's save dialog, Windows' "ANSI") -> Python's codec.
ALIASES = {
    "ansi": "cp1252", "windows-1252": "cp1252", "win1252": "cp1252", "cp1252": "cp1252", "western": "cp1252",
    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1", "iso8859-1": "latin-1",
    "gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "gb18030": "gb18030", "chinese": "gb18030",
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig",
}
KNOWN = "utf-8, ansi (= cp1252, Western Excel), latin-1, gbk (= gb18030, Chinese Excel)"
NAMES = {"gb18030": "GB18030 (as Chinese Excel saves CSV)", "cp1252": "Windows-1252 (as Western Excel saves CSV)",
         "latin-1": "Latin-1 (ISO-8859-1)"}


def encoding_name(given: str) -> str:
    """Python's codec for an encoding name as people write it (`ANSI`, `latin-1`, `GBK`, `utf8`);
    ValueError naming the usual names if there is no such text encoding."""
    key = given.strip().lower().replace("_", "-")
    if key in ALIASES:
        return ALIASES[key]
    try:
        info = codecs.lookup(key)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise ValueError(f"unknown encoding {given!r}; use one of {KNOWN}")
    return info.name


def legacy_encoding(raw: bytes) -> str:
    """`gb18030` or `cp1252` for a file that is not UTF-8, by how its non-ASCII bytes stand
    (see the module's docstring); `latin-1` where 1252 leaves a byte undefined."""
    sample = raw[:SAMPLE]
    runs = western = 0
    for match in _HIGH_RUN.finditer(sample):
        runs += 1
        start, end = match.span()
        inside_word = (start > 0 and end < len(sample) and chr(sample[start - 1]).isalpha()
                       and chr(sample[end]).isalpha())
        if (end - start) % 2 or inside_word:
            western += 1
    if western * 10 <= runs and _decodes(raw, "gb18030"):
        return "gb18030"
    return "cp1252" if _decodes(raw, "cp1252") else "latin-1"


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def decode_text(raw: bytes, file: str, encoding: str | None) -> tuple[str, str, str | None]:
    """The text, the encoding used, and a note for the results when the encoding was chosen
    here and is not UTF-8 (None otherwise). `encoding` as people write it forces one."""
    if raw.startswith(b"\xef\xbb\xbf") and encoding is None:
        return _decode(raw[3:], file, "utf-8"), "utf-8-sig", None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding is None:
        return _decode(raw, file, "utf-16"), "utf-16", None
    if encoding is not None:
        try:
            name = encoding_name(encoding)
        except ValueError as exc:
            raise DataFileError(f"{file}: {exc}") from exc
        return _decode(raw, file, name, encoding), name, None
    try:
        return raw.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    used = legacy_encoding(raw)
    note = (f"the file is not UTF-8 and was read as {NAMES[used]}; "
            "if names look wrong, save it as UTF-8 or pass --encoding")
    return raw.decode(used), used, note


def _decode(raw: bytes, file: str, name: str, given: str | None = None) -> str:
    try:
        return raw.decode(name)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataFileError(f"{file}: line {line}: cannot be read as {given or name}: the bytes "
                            f"{raw[exc.start:exc.end].hex(' ')} are not {given or name} text; "
                            f"pass another {option('encoding')} ({KNOWN}) or save the file as UTF-8") from exc
