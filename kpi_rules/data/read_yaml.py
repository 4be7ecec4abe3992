"""Read a YAML data file (a list of rows) with YAML 1.2 core-schema scalars.

Policies are read by `loader.py` (PyYAML's YAML 1.1 rules). For data those rules
change values without a word: an employee id `0012` becomes 10 (octal), `1:20`
becomes 80 (base 60), `No` and `on` become booleans. Here a plain scalar is null
(`null`, `~`, empty), a boolean (`true`/`false`), an integer (decimal, `0o`, `0x`),
a float (decimal notation, `.inf`, `.nan`) or else text, and the text as written
is kept beside every typed value, so a text column reads `0012`, not 12.

Aliases are counted by what they add, so a long plain file is never refused
while a billion-laughs document still stops at the first alias too many.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kpi_rules.data.raw import DataFileError, RawTable, records_table
from kpi_rules.policy.loader import (
    _MERGE_TAG,
    _STANDARD_TAGS,
    MAX_DEPTH,
    MAX_NODES,
    Mark,
    SourceMap,
    _Builder,
    _Loader,
    _mark,
    refused_character,
)
from kpi_rules.policy.problems import JsonPath

PLAIN_TAG = "tag:kpi-rules,2024:plain"  # an untagged plain scalar, typed by `core_scalar`
ALIAS_GROWTH = 10  # aliases may add MAX_NODES values, plus this many per value written out

_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}


def core_scalar(text: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema (booleans and null in any letter case)."""
    lower = text.lower()
    if lower in ("", "~", "null"):
        return None
    if lower in ("true", "false"):
        return lower == "true"
    try:
        if _INT.fullmatch(text):
            return int(text)
        if lower.startswith("0o") and len(text) > 2:
            return int(text[2:], 8)
        if lower.startswith("0x") and len(text) > 2:
            return int(text[2:], 16)
    except ValueError:
        return text  # more than 4300 digits, or not octal/hex digits: the typing step says what is wrong
    if _FLOAT.fullmatch(text):
        return float(text)
    return _SPECIAL.get(lower, text)


class _DataLoader(_Loader):  # type: ignore[misc]
    """Tags every untagged plain scalar PLAIN_TAG instead of applying YAML 1.1's implicit types."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _MERGE_TAG if value == "<<" else PLAIN_TAG
        return super().resolve(kind, value, implicit)


class _DataBuilder(_Builder):
    def __init__(self, file: str, source: SourceMap) -> None:
        super().__init__(file, source)
        self.texts: dict[JsonPath, str] = {}  # where a typed value was written as other text

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        if node.tag != PLAIN_TAG:
            if node.tag not in _STANDARD_TAGS:
                mark = _mark(node.start_mark)
                raise DataFileError(f"{self.file}:{mark.line}:{mark.col}: the YAML tag `{node.tag}` is not "
                                    "allowed in a data file; rows hold plain text, numbers and true/false")
            return super().build(node, path)
        self.source.values.setdefault(path, _mark(node.start_mark))
        value = core_scalar(node.value)
        if value is not None and not isinstance(value, str):
            self.texts[path] = node.value
        return value


@dataclass
class _Frame:
    anchor: str | None
    mapping: bool
    path: JsonPath | None  # None: inside a mapping key, which rows never are
    size: int = 1
    count: int = 0
    key: str | None = None


@dataclass
class _Scan:
    """What one pass over the events finds before anything is built."""

    file: str
    sizes: dict[str, int] = field(default_factory=dict)
    frames: list[_Frame] = field(default_factory=list)
    aliases: dict[JsonPath, Mark] = field(default_factory=dict)  # where each alias stands
    written: int = 0
    added: int = 0

    def refuse(self, event: Any, message: str) -> DataFileError:
        mark = _mark(event.start_mark)
        return DataFileError(f"{self.file}:{mark.line}:{mark.col}: {message}")

    def slot(self) -> JsonPath | None:
        """The path of the next node in the innermost open list or mapping."""
        if not self.frames:
            return ()
        parent = self.frames[-1]
        if parent.path is None:
            return None
        if not parent.mapping:
            return (*parent.path, parent.count)
        return None if parent.count % 2 == 0 or parent.key is None else (*parent.path, parent.key)

    def close(self, anchor: str | None, size: int, key: str | None = None) -> None:
        if anchor:
            self.sizes[anchor] = size
        if self.frames:
            parent = self.frames[-1]
            parent.size += size
            if parent.mapping and parent.count % 2 == 0:
                parent.key = key
            parent.count += 1

    def event(self, event: Any) -> None:
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = self.frames.pop()
            self.close(frame.anchor, frame.size)
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self.written += 1
            self.frames.append(_Frame(event.anchor, isinstance(event, yaml.MappingStartEvent), self.slot()))
            if len(self.frames) > MAX_DEPTH:
                raise self.refuse(event, f"lists and mappings are nested more than {MAX_DEPTH} levels deep here")
        elif isinstance(event, yaml.ScalarEvent):
            self.written += 1
            self.close(event.anchor, 1, str(event.value))
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)

    def alias(self, event: Any) -> None:
        if any(frame.anchor == event.anchor for frame in self.frames):
            raise self.refuse(event, f"`*{event.anchor}` refers to the list or mapping that contains it (a loop)")
        size = self.sizes.get(event.anchor, 1)
        self.added += size
        limit = MAX_NODES + ALIAS_GROWTH * self.written
        if self.added > limit:
            raise self.refuse(event, f"the aliases (`*name`) in this file add more than {limit:,} values "
                                     "(an alias bomb?); write the rows out instead")
        path = self.slot()
        if path is not None:
            self.aliases[path] = _mark(event.start_mark)
        self.close(None, size)


def _where(exc: yaml.YAMLError, text: str) -> Mark:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return _mark(mark) if mark is not None else refused_character(exc, text)


def load_data_yaml(text: str, file: str) -> tuple[Any, SourceMap, dict[JsonPath, str]]:
    """The data, where each value (and each row written as an alias) stands, and the
    text as written of each value typed as a number or boolean."""
    scan = _Scan(file)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            scan.event(event)
        node = yaml.compose(text, Loader=_DataLoader)
    except yaml.YAMLError as exc:
        where = _where(exc, text)
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        raise DataFileError(f"{file}:{where.line}:{where.col}: not valid YAML: {problem}") from exc
    source = SourceMap(file=file)
    if node is None:
        return None, source, {}
    builder = _DataBuilder(file, source)
    data = builder.build(node, ())
    if builder.problems:
        first = builder.problems[0]
        raise DataFileError(f"{first.location}: {first.message}")
    source.values.update(scan.aliases)
    return data, source, builder.texts


def read_yaml(text: str, file: str, digest: str) -> RawTable:
    data, source, texts = load_data_yaml(text, file)
    prefix: JsonPath = ()
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data, prefix = data["rows"], ("rows",)
    if not isinstance(data, list):
        raise DataFileError(f"{file}: expected a list of rows")
    lines = [source.value(prefix + (i,)).line for i in range(len(data))]
    table = records_table(file, digest, data, lines)
    written: dict[str, list[Any]] = {}
    for path, text_as_written in texts.items():
        if len(path) == len(prefix) + 2 and path[:len(prefix)] == prefix:
            row, key = path[-2], path[-1]
            if isinstance(row, int) and isinstance(key, str) and key in table.columns:
                written.setdefault(key, list(table.columns[key]))[row] = text_as_written
    table.texts = written
    return table

