"""Read a policy file: safe YAML, limits, and a source map of every node.

PyYAML's `safe_load` alone is not enough for policies written by people:
it keeps the last of two duplicate keys without a word, expands alias bombs
and throws positions away. We compose the node graph with libyaml when it is
there, refuse anything outside plain YAML data, and record where each value
and key stands so that every later step can point at `file:line:col`.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kpi_rules.policy.problems import JsonPath, PolicyFileError, Problem
from kpi_rules.policy.yamlsize import Refused, expanded_size

MAX_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000  # after alias expansion; a real policy has a few thousand
MAX_DEPTH = 200  # nesting of lists and mappings; a real policy needs about 6

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("null", "bool", "int", "float", "str", "timestamp", "map", "seq", "merge")
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_constructor = yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    col: int  # 1-based


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of a document stands."""

    file: str
    lines: list[str] = field(default_factory=list)
    values: dict[JsonPath, Mark] = field(default_factory=dict)
    keys: dict[JsonPath, Mark] = field(default_factory=dict)
    styles: dict[JsonPath, str] = field(default_factory=dict)

    def value(self, path: JsonPath) -> Mark:
        """Position of the value at `path`, or of its nearest recorded parent."""
        for end in range(len(path), -1, -1):
            mark = self.values.get(path[:end])
            if mark is not None:
                return mark
        return Mark(1, 1)

    def key(self, path: JsonPath) -> Mark:
        """Position of the key that names `path` (falls back to the value)."""
        return self.keys.get(path) or self.value(path)

    def source_line(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


@dataclass
class Loaded:
    file: str
    data: Any
    source: SourceMap
    problems: list[Problem]
    sha256: str = ""


def _problem(file: str, mark: Mark, code: str, name: str, message: str, hint: str | None = None) -> Problem:
    return Problem(file, mark.line, mark.col, code, message, name=name, hint=hint)


def decode(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 (with or without BOM) text, or a problem pointing at the first bad byte."""
    if len(raw) > MAX_BYTES:
        return None, [
            _problem(file, Mark(1, 1), "KR003", "yaml-limits",
                     f"the file is {len(raw):,} bytes; a policy may be at most {MAX_BYTES:,} bytes",
                     "split it, or check that it is really a policy file")
        ]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        return None, [
            _problem(file, Mark(line, col), "KR004", "encoding",
                     f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02X} cannot be read)",
                     "save the file as UTF-8; files saved as GBK/GB18030 or UTF-16 must be converted")
        ]


def _mark(node_mark: Any) -> Mark:
    return Mark(node_mark.line + 1, node_mark.column + 1)


def refused_character(exc: yaml.YAMLError, text: str) -> Mark:
    """Where a ReaderError's character (a NUL, a control character) first stands in `text`.

    Its `position` counts bytes with libyaml and characters without: the character is surer."""
    character = getattr(exc, "character", None)
    at = text.find(chr(character)) if isinstance(character, int) else -1
    if at < 0:
        return Mark(1, 1)
    return Mark(text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at))


class _Builder:
    """Turns a composed node graph into JSON-like data and fills the source map."""

    def __init__(self, file: str, source: SourceMap) -> None:
        self.file = file
        self.source = source
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: JsonPath) -> Any:
        self.source.values.setdefault(path, _mark(node.start_mark))
        if node.tag not in _STANDARD_TAGS:
            self.problems.append(_problem(
                self.file, _mark(node.start_mark), "KR005", "yaml-tag",
                f"the YAML tag `{node.tag}` is not allowed in a policy",
                "remove the tag; policies hold plain text, numbers, lists and mappings"))
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            self.source.styles[path] = node.style or ""
        try:
            value = _constructor.construct_object(node)
        except (ValueError, KeyError, AttributeError, TypeError, IndexError, OverflowError):
            # An impossible date (2024-02-30) or `!!int abc`: keep the text, so the
            # schema and the checks say what is wrong instead of a crash.
            value = str(node.value)
        finally:
            # The shared constructor would otherwise keep every node of every file.
            _constructor.constructed_objects.pop(node, None)
            _constructor.recursive_objects.pop(node, None)
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()
        if isinstance(value, float) and not math.isfinite(value):
            if any(ch.isdigit() for ch in str(node.value)):  # 1e400: a number too large for a float
                self.problems.append(_problem(
                    self.file, _mark(node.start_mark), "KR128", "number-range",
                    f"`{node.value}` is too large to compute with", "write an ordinary number, like 100 or 0.5"))
            else:  # .inf, .nan
                self.problems.append(_problem(
                    self.file, _mark(node.start_mark), "KR013", "invalid-value",
                    f"`{node.value}` is not a number a policy can use", "write an ordinary number, like 100 or 0.5"))
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(_problem(
                    self.file, _mark(key_node.start_mark), "KR001", "yaml-syntax",
                    "a key must be a plain name, not a list or mapping"))
                continue
            key = str(key_node.value)
            child = path + (key,)
            if key in out:
                first = self.source.keys[child]
                self.problems.append(_problem(
                    self.file, _mark(key_node.start_mark), "KR002", "duplicate-key",
                    f"`{key}` is defined twice in this mapping (first at line {first.line})",
                    "YAML would silently keep only the last one; remove or rename one of them"))
                continue
            self.source.keys.setdefault(child, _mark(key_node.start_mark))
            out[key] = self.build(value_node, child)
        for source_node in merged:
            for key, value in self._mapping(source_node, path).items():
                out.setdefault(key, value)
        return out

    def _merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            return [node]
        if isinstance(node, yaml.SequenceNode):
            return [n for n in node.value if isinstance(n, yaml.MappingNode)]
        self.problems.append(_problem(
            self.file, _mark(node.start_mark), "KR001", "yaml-syntax",
            "`<<` (merge) needs a mapping or a list of mappings"))
        return []


def load_text(text: str, file: str) -> Loaded:
    source = SourceMap(file=file, lines=text.splitlines())
    try:
        if expanded_size(text, _Loader, MAX_NODES, MAX_DEPTH) > MAX_NODES:
            return Loaded(file, None, source, [_problem(
                file, Mark(1, 1), "KR003", "yaml-limits",
                f"the document expands to more than {MAX_NODES:,} values (too many aliases)",
                "a policy does not need this many `*alias` references; write the values out")])
        node = yaml.compose(text, Loader=_Loader)
    except Refused as exc:
        return Loaded(file, None, source, [_problem(file, Mark(exc.line, exc.col), "KR003", "yaml-limits",
                                                    exc.message, exc.hint)])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _mark(mark) if mark is not None else Mark(1, 1)
        message = exc.problem or exc.context or "unreadable YAML"
        hint = "check the indentation (spaces, not tabs) and that `:` is followed by a space"
        if "another document" in message:
            message = "a second YAML document begins here (`---`)"
            hint = "a policy is one YAML document: put each policy in a file of its own"
        return Loaded(file, None, source, [_problem(file, where, "KR001", "yaml-syntax",
                                                    f"YAML syntax error: {message}", hint)])
    except yaml.YAMLError as exc:
        return Loaded(file, None, source, [_problem(
            file, refused_character(exc, text), "KR001", "yaml-syntax", f"YAML syntax error: {exc}")])
    if node is None:
        return Loaded(file, None, source, [])
    builder = _Builder(file, source)
    data = builder.build(node, ())
    # A node reached again through an alias would repeat its problems: report each once.
    unique = list(dict.fromkeys(builder.problems))
    return Loaded(file, data, source, unique)


def load_bytes(raw: bytes, file: str) -> Loaded:
    import hashlib

    digest = hashlib.sha256(raw).hexdigest()
    text, problems = decode(raw, file)
    if text is None:
        return Loaded(file, None, SourceMap(file=file), problems, digest)
    loaded = load_text(text, file)
    loaded.sha256 = digest
    return loaded


def load_file(path: str | Path) -> Loaded:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyFileError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    return load_bytes(raw, str(path))
