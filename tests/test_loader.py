"""The safe YAML loader: data, source positions, and the problems it refuses with.

Every position is 1-based (line, column in characters), as the reporters
print it. Timings are printed for the alias bombs, never asserted.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_rules.policy.loader import Loaded, Mark, load_bytes, load_text
from kpi_rules.policy.problems import JsonPath

TWO_MIB = 2 * 1024 * 1024


def problems_of(loaded: Loaded) -> list[tuple[str, int, int]]:
    return [(p.code, p.line, p.col) for p in loaded.problems]


# ---------------------------------------------------------------- positions

POLICY = """\
apiVersion: kpi-rules/v1
metadata:
  id: ops
  title: {名称: 运营部门, x: 1}
  effective: {from: 2024-01-01, to: 2024-12-31}
  owners:
    - a@example.com
    - "b@example.com"
roles:
  ops:
    indicators:
      visits: {weight: 15%, target: 100}
grades:
  - {grade: S, min: 110}
  - grade: D
    label: 不合格
    tags: [x, [y, z]]
"""

VALUE_POSITIONS: list[tuple[JsonPath, tuple[int, int]]] = [
    ((), (1, 1)),
    (("apiVersion",), (1, 13)),
    (("metadata", "id"), (3, 7)),
    (("metadata", "title"), (4, 10)),
    # Columns count characters: the CJK text before `x` is 4 + 4 characters.
    (("metadata", "title", "名称"), (4, 15)),
    (("metadata", "title", "x"), (4, 24)),
    (("metadata", "effective", "from"), (5, 21)),
    (("metadata", "effective", "to"), (5, 37)),
    (("metadata", "owners"), (7, 5)),
    (("metadata", "owners", 0), (7, 7)),
    (("metadata", "owners", 1), (8, 7)),
    (("roles", "ops", "indicators", "visits"), (12, 15)),
    (("roles", "ops", "indicators", "visits", "weight"), (12, 24)),
    (("roles", "ops", "indicators", "visits", "target"), (12, 37)),
    (("grades", 0), (14, 5)),
    (("grades", 0, "grade"), (14, 13)),
    (("grades", 0, "min"), (14, 21)),
    (("grades", 1), (15, 5)),
    (("grades", 1, "grade"), (15, 12)),
    (("grades", 1, "label"), (16, 12)),
    (("grades", 1, "tags", 0), (17, 12)),
    (("grades", 1, "tags", 1), (17, 15)),
    (("grades", 1, "tags", 1, 0), (17, 16)),
    (("grades", 1, "tags", 1, 1), (17, 19)),
]

KEY_POSITIONS: list[tuple[JsonPath, tuple[int, int]]] = [
    (("apiVersion",), (1, 1)),
    (("metadata",), (2, 1)),
    (("metadata", "id"), (3, 3)),
    (("metadata", "title", "名称"), (4, 11)),
    (("metadata", "title", "x"), (4, 21)),
    (("metadata", "effective", "to"), (5, 33)),
    (("metadata", "owners"), (6, 3)),
    (("roles", "ops"), (10, 3)),
    (("roles", "ops", "indicators", "visits"), (12, 7)),
    (("roles", "ops", "indicators", "visits", "target"), (12, 29)),
    (("grades", 0, "min"), (14, 16)),
    (("grades", 1, "grade"), (15, 5)),
    (("grades", 1, "tags"), (17, 5)),
]


@pytest.fixture(scope="module")
def policy() -> Loaded:
    loaded = load_text(POLICY, "p.yaml")
    assert loaded.problems == []
    return loaded


@pytest.mark.parametrize(("path", "where"), VALUE_POSITIONS, ids=[str(p) for p, _ in VALUE_POSITIONS])
def test_value_positions(policy: Loaded, path: JsonPath, where: tuple[int, int]) -> None:
    assert policy.source.values[path] == Mark(*where)
    assert policy.source.value(path) == Mark(*where)


@pytest.mark.parametrize(("path", "where"), KEY_POSITIONS, ids=[str(p) for p, _ in KEY_POSITIONS])
def test_key_positions(policy: Loaded, path: JsonPath, where: tuple[int, int]) -> None:
    assert policy.source.keys[path] == Mark(*where)
    assert policy.source.key(path) == Mark(*where)


def test_unknown_path_falls_back_to_nearest_parent(policy: Loaded) -> None:
    assert policy.source.value(("roles", "ops", "indicators", "visits", "nope", 3)) == Mark(12, 15)
    # A list item has no key: key() falls back to the value.
    assert policy.source.key(("grades", 1)) == Mark(15, 5)


def test_data_and_source_lines(policy: Loaded) -> None:
    assert policy.data["metadata"]["title"] == {"名称": "运营部门", "x": 1}
    assert policy.data["grades"][1] == {"grade": "D", "label": "不合格", "tags": ["x", ["y", "z"]]}
    assert policy.source.source_line(16) == "    label: 不合格"
    assert policy.source.source_line(0) == ""
    assert policy.source.source_line(18) == ""


# ---------------------------------------------------------------- keys and values

RAW_KEYS = [
    ("01: x\n", "01"),
    ("on: x\n", "on"),
    ("yes: x\n", "yes"),
    ("off: x\n", "off"),
    ("1.0: x\n", "1.0"),
    ("~: x\n", "~"),
    ("null: x\n", "null"),
    ("true: x\n", "true"),
    ("0x1F: x\n", "0x1F"),
    ("2024-01-01: x\n", "2024-01-01"),
    ("'quoted key': x\n", "quoted key"),
]


@pytest.mark.parametrize(("text", "key"), RAW_KEYS, ids=[k for _, k in RAW_KEYS])
def test_keys_are_the_raw_text(text: str, key: str) -> None:
    loaded = load_text(text, "k.yaml")
    assert loaded.problems == []
    assert loaded.data == {key: "x"}
    assert next(iter(loaded.data)).__class__ is str


def test_keys_that_differ_only_in_yaml_meaning_are_not_duplicates() -> None:
    # `1` and `01` are the same integer to YAML, but different raw names.
    loaded = load_text("1: a\n01: b\n", "k.yaml")
    assert loaded.problems == []
    assert loaded.data == {"1": "a", "01": "b"}


SCALARS = [
    ("v: 2024-01-01\n", "2024-01-01"),
    ("v: 2024-12-31 10:00:00\n", "2024-12-31T10:00:00"),
    ("v: 2024-01-01T10:00:00Z\n", "2024-01-01T10:00:00+00:00"),
    ("v: '2024-01-01'\n", "2024-01-01"),
    # An impossible date stays text, for the schema to reject.
    ("v: 2024-02-30\n", "2024-02-30"),
    ("v: 2024-13-01\n", "2024-13-01"),
    ("v: !!int abc\n", "abc"),
    ("v: !!float x\n", "x"),
    ("v: [2024-01-01, 2024-06-30]\n", ["2024-01-01", "2024-06-30"]),
    ("v: {from: 2024-01-01}\n", {"from": "2024-01-01"}),
    ("v: 15%\n", "15%"),
    ("v: 0.025\n", 0.025),
    ("v: 100\n", 100),
    ("v: yes\n", True),
    ("v: ~\n", None),
    ("v:\n", None),
    ('v: "2024.1"\n', "2024.1"),
    ("v: !!str 123\n", "123"),
    ("v: !!float 1\n", 1.0),
]


@pytest.mark.parametrize(("text", "value"), SCALARS, ids=[t.strip() for t, _ in SCALARS])
def test_scalar_values(text: str, value: Any) -> None:
    loaded = load_text(text, "s.yaml")
    assert loaded.problems == []
    assert loaded.data == {"v": value}
    assert type(loaded.data["v"]) is type(value)


@pytest.mark.parametrize(
    ("text", "kept"),
    [("v: !!int\n", ""), ("v: !!float\n", ""), ("v: !!int ''\n", ""), ("v: !!int +\n", "+")],
)
def test_explicit_number_tag_on_empty_text_is_not_a_crash(text: str, kept: str) -> None:
    # Like `!!int abc`: the text is kept, for the schema to reject.
    loaded = load_text(text, "s.yaml")
    assert loaded.problems == []
    assert loaded.data == {"v": kept}


# ---------------------------------------------------------------- duplicate keys

DUPLICATES = [
    # (text, line, col of the second key, line of the first, key, data kept)
    ("a: 1\nb: 2\na: 3\n", 3, 1, 1, "a", {"a": 1, "b": 2}),
    ("x:\n  a: 1\n  b: 2\n  a: 3\n", 4, 3, 2, "a", {"x": {"a": 1, "b": 2}}),
    ("a:\n  - b: 1\n    b: 2\n", 3, 5, 2, "b", {"a": [{"b": 1}]}),
    ("r:\n  i: {w: 1, t: 2, w: 3}\n", 2, 19, 2, "w", {"r": {"i": {"w": 1, "t": 2}}}),
    ("roles:\n  ops:\n    label: x\n  dev:\n    label: y\n  ops:\n    label: z\n", 6, 3, 2, "ops",
     {"roles": {"ops": {"label": "x"}, "dev": {"label": "y"}}}),
    ("k: [1, 2]\nk: 3\n", 2, 1, 1, "k", {"k": [1, 2]}),
]


@pytest.mark.parametrize(("text", "line", "col", "first", "key", "data"), DUPLICATES)
def test_duplicate_key(text: str, line: int, col: int, first: int, key: str, data: Any) -> None:
    loaded = load_text(text, "d.yaml")
    assert problems_of(loaded) == [("KR002", line, col)]
    problem = loaded.problems[0]
    assert problem.name == "duplicate-key"
    assert problem.file == "d.yaml"
    assert f"`{key}`" in problem.message
    assert f"(first at line {first})" in problem.message
    assert loaded.data == data


def test_duplicate_key_in_an_anchored_mapping_is_reported_once() -> None:
    loaded = load_text("x: &x {a: 1, b: 2}\ny: *x\n", "d.yaml")
    assert loaded.problems == []
    loaded = load_text("x: &x {a: 1, a: 2}\n", "d.yaml")
    assert problems_of(loaded) == [("KR002", 1, 14)]


def test_duplicate_key_in_an_aliased_mapping_is_reported_once() -> None:
    loaded = load_text("x: &x {a: 1, a: 2}\ny: *x\n", "d.yaml")
    assert problems_of(loaded) == [("KR002", 1, 14)]


# ---------------------------------------------------------------- merge keys

MERGES = [
    ("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", {"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}),
    ("base: &b {x: 1, y: 2}\nc:\n  y: 3\n  <<: *b\n", {"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 3}}),
    # A list of merges: the first mapping that has the key wins.
    ("a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]\n",
     {"a": {"x": 1}, "b": {"x": 2, "z": 3}, "c": {"x": 1, "z": 3}}),
    # Merges nest.
    ("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n",
     {"a": {"x": 1}, "b": {"x": 1, "y": 2}, "c": {"x": 1, "y": 2, "z": 3}}),
    ("d: &d {weight: 10%, scale: s}\nroles:\n  r:\n    indicators:\n      v: {<<: *d, target: 5}\n      w: {<<: *d}\n",
     {"d": {"weight": "10%", "scale": "s"},
      "roles": {"r": {"indicators": {"v": {"weight": "10%", "scale": "s", "target": 5},
                                    "w": {"weight": "10%", "scale": "s"}}}}}),
]


@pytest.mark.parametrize(("text", "data"), MERGES)
def test_merge_keys_work_and_are_not_duplicates(text: str, data: Any) -> None:
    loaded = load_text(text, "m.yaml")
    assert loaded.problems == []
    assert loaded.data == data
    assert "<<" not in str(loaded.data)


def test_merge_of_a_scalar_is_a_syntax_problem() -> None:
    loaded = load_text("a: 1\nc:\n  <<: 5\n", "m.yaml")
    assert problems_of(loaded) == [("KR001", 3, 7)]


def test_explicit_key_beside_a_merge_keeps_its_value_position() -> None:
    loaded = load_text("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert loaded.source.values[("c", "y")] == Mark(4, 6)
    # A merged-in key points at the mapping it came from.
    assert loaded.source.values[("c", "x")] == Mark(1, 14)


def test_explicit_key_beside_a_merge_keeps_its_key_position() -> None:
    loaded = load_text("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert loaded.source.keys[("c", "y")] == Mark(4, 3)


# ---------------------------------------------------------------- tags

TAGS = [
    ("a: !!python/object/apply:os.system ['echo pwned']\n", 1, 4, "python/object/apply:os.system"),
    ("a: !!python/name:os.system\n", 1, 4, "python/name:os.system"),
    ("a: !!python/object:collections.OrderedDict {}\n", 1, 4, "python/object:collections.OrderedDict"),
    ("a: !foo bar\n", 1, 4, "!foo"),
    ("a:\n  b: !foo {x: 1}\n", 2, 6, "!foo"),
    ("a:\n  - !!set {x, y}\n", 2, 5, "set"),
    ("a: !!binary aGk=\n", 1, 4, "binary"),
    ("a: !!omap [x: 1]\n", 1, 4, "omap"),
]


@pytest.mark.parametrize(("text", "line", "col", "tag"), TAGS, ids=[t for *_, t in TAGS])
def test_custom_tags_are_refused(text: str, line: int, col: int, tag: str) -> None:
    loaded = load_text(text, "t.yaml")
    assert problems_of(loaded) == [("KR005", line, col)]
    assert loaded.problems[0].name == "yaml-tag"
    assert tag in loaded.problems[0].message


def test_python_tag_is_never_constructed(tmp_path: Any) -> None:
    marker = tmp_path / "pwned"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\n"
    loaded = load_bytes(text.encode(), "t.yaml")
    assert problems_of(loaded) == [("KR005", 1, 4)]
    assert not marker.exists()


# ---------------------------------------------------------------- limits

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _chained_alias_bomb(size: int) -> str:
    """Anchor after anchor, each a list of 9 aliases to the one before: 9**n values."""
    lines = ["- &a0 [x, x, x, x, x, x, x, x, x]"]
    total = len(lines[0]) + 1
    i = 1
    while total < size:
        line = f"- &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]"
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(lines) + "\n"


def _padded_bomb(size: int) -> str:
    """Plain data up to `size`, and a billion laughs at the very end."""
    pad: list[str] = []
    total = 0
    i = 0
    while total < size - len(BILLION_LAUGHS):
        line = f"k{i}: [{', '.join(['value'] * 20)}]"
        pad.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(pad) + "\n" + BILLION_LAUGHS


def test_billion_laughs_is_refused() -> None:
    started = time.perf_counter()
    loaded = load_text(BILLION_LAUGHS, "bomb.yaml")
    print(f"\nbillion laughs refused in {time.perf_counter() - started:.4f}s")
    assert problems_of(loaded) == [("KR003", 1, 1)]
    assert loaded.problems[0].name == "yaml-limits"
    assert loaded.data is None


@pytest.mark.parametrize("build", [_chained_alias_bomb, _padded_bomb], ids=["chained", "padded"])
def test_one_megabyte_alias_bomb_is_refused(build: Any) -> None:
    raw = build(1_000_000).encode()
    assert 1_000_000 <= len(raw) < TWO_MIB
    started = time.perf_counter()
    loaded = load_bytes(raw, "bomb.yaml")
    elapsed = time.perf_counter() - started
    print(f"\n{build.__name__}: {len(raw):,} bytes refused in {elapsed:.3f}s")
    assert problems_of(loaded) == [("KR003", 1, 1)]
    assert "too many aliases" in loaded.problems[0].message
    assert loaded.data is None


def test_aliases_below_the_limit_load() -> None:
    # 500 aliases of a 20-item list: 10,000 values after expansion.
    text = "base: &b [" + ", ".join(["1"] * 20) + "]\nuses:\n" + "".join("  - *b\n" for _ in range(500))
    loaded = load_text(text, "ok.yaml")
    assert loaded.problems == []
    assert len(loaded.data["uses"]) == 500
    assert loaded.data["uses"][499] == [1] * 20


@pytest.mark.parametrize(
    ("size", "expected"),
    [(TWO_MIB, []), (TWO_MIB + 1, [("KR003", 1, 1)])],
    ids=["exactly 2 MiB", "one byte over"],
)
def test_file_size_limit(size: int, expected: list[tuple[str, int, int]]) -> None:
    head = b"a: 1\n"
    raw = head + b"#" * (size - len(head) - 1) + b"\n"
    assert len(raw) == size
    loaded = load_bytes(raw, "big.yaml")
    assert problems_of(loaded) == expected
    if expected:
        assert f"{size:,} bytes" in loaded.problems[0].message
        assert loaded.data is None
    else:
        assert loaded.data == {"a": 1}


# ---------------------------------------------------------------- encoding

ENCODINGS = [
    ("a: 中文\n".encode("gbk"), 1, 4, "中".encode("gbk")[0]),
    ("title: ok\nname: 运营部\n".encode("gbk"), 2, 7, "运".encode("gbk")[0]),
    (b"ok: 1\n" + "x:\n  label: 运营\n".encode("gb18030"), 3, 10, "运".encode("gb18030")[0]),
    ("a: 中文\n".encode("utf-16"), 1, 1, 0xFF),
]


@pytest.mark.parametrize(("raw", "line", "col", "byte"), ENCODINGS, ids=["gbk", "gbk line 2", "gb18030", "utf-16"])
def test_non_utf8_is_refused_at_the_first_bad_byte(raw: bytes, line: int, col: int, byte: int) -> None:
    loaded = load_bytes(raw, "enc.yaml")
    assert problems_of(loaded) == [("KR004", line, col)]
    assert f"0x{byte:02X}" in loaded.problems[0].message
    assert loaded.data is None


@pytest.mark.parametrize(
    ("raw", "byte"),
    [
        ("标题: ".encode() + "运营".encode("gbk") + b"\n", "运".encode("gbk")[0]),
        # 指 is D6 B8 in GBK, which happens to be valid UTF-8 (U+05B8): the first
        # byte that cannot be read is 标's first, one character further on.
        ("x: 指标\n".encode("gbk"), "标".encode("gbk")[0]),
    ],
    ids=["utf-8 then gbk", "gbk partly valid utf-8"],
)
def test_non_utf8_column_counts_characters(raw: bytes, byte: int) -> None:
    loaded = load_bytes(raw, "enc.yaml")
    assert problems_of(loaded) == [("KR004", 1, 5)]
    assert f"0x{byte:02X}" in loaded.problems[0].message


def test_utf8_with_bom_loads() -> None:
    loaded = load_bytes("\ufeffmetadata:\n  title: 运营部门\n".encode(), "bom.yaml")
    assert loaded.problems == []
    assert loaded.data == {"metadata": {"title": "运营部门"}}
    assert loaded.source.keys[("metadata",)] == Mark(1, 1)
    assert loaded.source.values[("metadata", "title")] == Mark(2, 10)


def test_sha256_is_of_the_raw_bytes() -> None:
    import hashlib

    raw = "a: 运营\n".encode()
    assert load_bytes(raw, "h.yaml").sha256 == hashlib.sha256(raw).hexdigest()


# ---------------------------------------------------------------- syntax

SYNTAX_ERRORS = [
    ("tab indentation", "a:\n\tb: 1\n", 2, 1),
    ("unclosed bracket", "a: [1, 2\nb: 3\n", 2, 2),
    ("unclosed bracket at end", "a: [1, 2\n", 2, 1),
    ("unclosed brace", "x: 1\na: {b: 1\n", 3, 1),
    ("unclosed quote", 'a: "abc\n', 2, 1),
    ("two documents", "a: 1\n---\nb: 2\n", 2, 1),
    ("mapping value in plain scalar", "a: b: c\n", 1, 5),
    ("bad indentation", "a:\n  b: 1\n c: 2\n", 3, 2),
    ("undefined alias", "a: *nope\n", 1, 4),
]


@pytest.mark.parametrize("depth", [200, 999])
def test_deep_nesting_is_refused_where_it_passes_the_limit(depth: int) -> None:
    loaded = load_text("a: " + "[" * depth + "]" * depth + "\n", "deep.yaml")
    # The document is level 1, `a`'s list level 2: the 200th bracket opens level 201.
    assert problems_of(loaded) == [("KR003", 1, 4 + 199)]
    assert loaded.data is None


@pytest.mark.parametrize(("text", "line", "col"), [c[1:] for c in SYNTAX_ERRORS], ids=[c[0] for c in SYNTAX_ERRORS])
def test_syntax_errors(text: str, line: int, col: int) -> None:
    loaded = load_text(text, "s.yaml")
    assert problems_of(loaded) == [("KR001", line, col)]
    assert loaded.problems[0].name == "yaml-syntax"
    assert loaded.problems[0].message.startswith("YAML syntax error: ")
    assert loaded.data is None


def test_complex_key_is_refused() -> None:
    loaded = load_text("? [a, b]\n: 1\n", "s.yaml")
    assert problems_of(loaded) == [("KR001", 1, 3)]


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# only a comment\n", "---\n"], ids=["empty", "blank", "comment", "marker"]
)
def test_empty_file_has_no_data_and_no_problem(text: str) -> None:
    loaded = load_bytes(text.encode(), "e.yaml")
    assert loaded.data is None
    assert loaded.problems == []


def test_single_document_with_explicit_markers_loads() -> None:
    loaded = load_text("---\na: 1\n...\n", "s.yaml")
    assert loaded.problems == []
    assert loaded.data == {"a": 1}


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n"], ids=["list", "mapping"])
def test_recursive_alias_is_refused(text: str) -> None:
    loaded = load_text(text, "r.yaml")
    assert [p.code for p in loaded.problems] in (["KR001"], ["KR003"])
    assert loaded.data is None


@pytest.mark.parametrize("text", ["a: " + "[" * 600 + "]" * 600 + "\n", "a: " + "{a: " * 600 + "1" + "}" * 600 + "\n"],
                         ids=["lists", "mappings"])
def test_deep_nesting_is_a_problem_not_a_crash(text: str) -> None:
    loaded = load_text(text, "deep.yaml")
    assert [p.code for p in loaded.problems] in (["KR001"], ["KR003"])


def test_moderate_nesting_loads() -> None:
    loaded = load_text("a: " + "[" * 100 + "1" + "]" * 100 + "\n", "deep.yaml")
    assert loaded.problems == []
    node = loaded.data["a"]
    for _ in range(99):
        node = node[0]
    assert node == [1]


# ---------------------------------------------------------------- round trip (property)

_identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
_leaves = st.text() | st.integers() | st.booleans()
_json_like = st.recursive(
    _leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_identifiers, children, max_size=4),
    max_leaves=25,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=False))
    return bool(a == b)


def _paths(data: Any, path: JsonPath = ()) -> list[tuple[JsonPath, bool]]:
    """Every path in the data, and whether it is a mapping entry (so it has a key)."""
    out: list[tuple[JsonPath, bool]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            out.append(((*path, key), True))
            out += _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out.append(((*path, index), False))
            out += _paths(value, (*path, index))
    return out


@settings(deadline=None, max_examples=200)
@given(st.dictionaries(_identifiers, _json_like, max_size=6))
def test_safe_dump_round_trips_with_positions(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    loaded = load_text(text, "rt.yaml")
    assert loaded.problems == []
    if not data:
        assert loaded.data == {}
        return
    assert _same(loaded.data, data)
    lines = len(text.splitlines())
    assert () in loaded.source.values
    for path, has_key in _paths(data):
        mark = loaded.source.values[path]
        assert 1 <= mark.line <= lines and mark.col >= 1, path
        if has_key:
            key = loaded.source.keys[path]
            assert 1 <= key.line <= lines and key.col >= 1, path
            assert (key.line, key.col) <= (mark.line, mark.col), path
