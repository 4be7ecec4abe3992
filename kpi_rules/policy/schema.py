"""Shape checks: a document against its JSON schema (a policy against
`schemas/policy.schema.json`, a policy test file against `testcases.schema.json`).

jsonschema's errors are precise but written for programmers; each one is
turned into a Problem in plain words, placed on the key or value it is
about, with a "did you mean" hint where a name is close to a known one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from kpi_rules.common.resources import load_schema
from kpi_rules.common.suggest import did_you_mean
from kpi_rules.policy.loader import SourceMap
from kpi_rules.policy.percent import parse_percent
from kpi_rules.policy.problems import JsonPath, Problem, format_path

_TYPE_WORDS = {
    "object": "a mapping (`key: value` lines)", "array": "a list (`- item` lines)",
    "string": "text", "number": "a number", "integer": "a whole number", "boolean": "true or false",
    "null": "empty",
}
POLICY_SCHEMA = "policy.schema.json"
_validators: dict[str, Draft202012Validator] = {}


def validator(schema: str = POLICY_SCHEMA) -> Draft202012Validator:
    if schema not in _validators:
        _validators[schema] = Draft202012Validator(_inline_refs(load_schema(schema)))
    return _validators[schema]


_ANNOTATIONS = {"description", "title", "examples", "default", "$comment", "deprecated"}


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with each local `{"$ref": "#/$defs/x", ...annotations}` replaced by the
    definition itself (the annotations beside it kept on top).

    Validation gives the same errors without a reference lookup at every step: about a
    third of the time to validate a policy. A definition that refers to itself stays a
    reference."""
    defs: dict[str, Any] = schema.get("$defs", {})
    done: dict[str, Any] = {}

    def inline(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and set(node) <= _ANNOTATIONS | {"$ref"}:
            name = ref.removeprefix("#/$defs/")
            if name in stack or name not in defs:
                return node
            if name not in done:
                done[name] = inline(defs[name], (*stack, name))
            target = done[name]
            # Annotations beside the reference (a property's own description) stay on top.
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return {**target, **extra} if extra and isinstance(target, dict) else target
        return {key: inline(value, stack) for key, value in node.items()}

    inlined: dict[str, Any] = inline(schema, ())
    return inlined


def _words(kind: Any) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(_TYPE_WORDS.get(k, str(k)) for k in kinds)


def _actual_words(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing"


def _field(path: JsonPath, document: str = "the policy") -> str:
    return f"`{format_path(path)}`" if path else document


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """For oneOf/anyOf, the branch that matches best, recursively."""
    if error.context:
        chosen = best_match(error.context)
        if chosen is not None and chosen is not error:
            yield from _leaves(chosen)
            return
    yield error


def _known_keys(schema: dict[str, Any]) -> list[str]:
    return list(schema.get("properties", {}))


def _problems_for(error: ValidationError, source: SourceMap, document: str = "the policy") -> Iterator[Problem]:
    path: JsonPath = tuple(error.absolute_path)
    keyword = str(error.validator)  # always a keyword name on errors from iter_errors
    schema = error.schema if isinstance(error.schema, dict) else {}
    file = source.file

    def name_of(where: JsonPath) -> str:
        return _field(where, document)

    def at(where: JsonPath, code: str, name: str, message: str, hint: str | None = None, key: bool = False) -> Problem:
        mark = source.key(where) if key else source.value(where)
        return Problem(file, mark.line, mark.col, code, message, name=name, path=where, hint=hint)

    if keyword in ("minimum", "maximum") and _is_percentage(schema):
        return  # 150 and 150% alike: the field's own check says what the range is for (KR101, KR113-KR115)
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        known = _known_keys(schema)
        patterns = schema.get("patternProperties", {})
        for key in error.instance:
            if key in known or patterns:
                continue
            where = path + (key,)
            hint = did_you_mean(key, known, "allowed here: " + ", ".join(known) if known else None)
            if any(ch in key for ch in "()*/+ ") or _after_flow_comma(source, where, error.instance[key]):
                # `{formula: max(a, b)}`, `{label: Sales, North}`: YAML split the value at its comma.
                hint = ("inside `{...}` a comma starts a new field: put a value that holds a comma in quotes, "
                        "like label: \"Sales, North\" or formula: \"max(a, b)\"")
            yield at(where, "KR010", "unknown-field", f"`{key}` is not a field of {name_of(path)}", hint, key=True)
        return
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(error.validator_value)
        yield at(path, "KR011", "missing-field", f"{name_of(path)} needs the field `{missing}`",
                 (schema.get("properties", {}).get(missing, {}) or {}).get("description"), key=True)
        return
    if keyword == "propertyNames" or ("propertyNames" in error.schema_path and isinstance(error.instance, str)):
        bad = error.instance
        yield at(path + (str(bad),), "KR013", "invalid-value",
                 f"`{bad}` is not a valid name in {name_of(path)}",
                 schema.get("description") or "names use letters, digits and `_`, and start with a letter", key=True)
        return
    if keyword == "type":
        hint = None
        if isinstance(error.instance, (int, float)) and "string" in str(error.validator_value):
            hint = f'put it in quotes: "{error.instance}"'
        elif isinstance(error.instance, str) and "number" in str(error.validator_value):
            hint = _percent_number_hint(path, error.instance)
        yield at(path, "KR012", "wrong-type",
                 f"{name_of(path)} must be {_words(error.validator_value)}, not {_actual_words(error.instance)}", hint)
        return
    if keyword in ("enum", "const"):
        expected: Any = error.validator_value  # the schema's `enum` list or `const` value
        allowed = expected if keyword == "enum" else [expected]
        hint = did_you_mean(str(error.instance), [str(a) for a in allowed])
        choices = ", ".join(f"`{a}`" for a in allowed)
        yield at(path, "KR013", "invalid-value",
                 f"{name_of(path)} must be {'one of ' if len(allowed) > 1 else ''}{choices}, "
                 f"not {_actual_words(error.instance)}", hint)
        return
    if keyword in ("minProperties", "minItems") and not error.instance:
        yield at(path, "KR011", "missing-field", f"{name_of(path)} is empty", schema.get("description"))
        return
    if keyword in ("oneOf", "anyOf", "not", "maxProperties") and schema.get("description"):
        yield at(path, "KR013", "invalid-value", f"{name_of(path)} is not valid here", schema["description"])
        return
    description = schema.get("description")
    yield at(path, "KR013", "invalid-value",
             f"{name_of(path)}: {_actual_words(error.instance)} is not allowed "
             f"({_constraint(keyword, error.validator_value)})", description)


def _percent_number_hint(path: JsonPath, text: str) -> str | None:
    """`target: 25%`: targets (and floors, stretches, band edges) are in the indicator's own unit."""
    try:
        fraction = parse_percent(text)
    except ValueError:
        return None
    number = f"{fraction:.10f}".rstrip("0").rstrip(".")
    if path and path[-1] in ("target", "floor", "stretch"):
        return f"targets are in the indicator's unit, not percentages: write {number} for {text.strip()}"
    return f"write the number without `%`: {number} for {text.strip()}"


def _after_flow_comma(source: SourceMap, where: JsonPath, value: Any) -> bool:
    """A key with no value right after a comma: YAML read `{label: Sales, North}` as two fields."""
    if value is not None:
        return False
    mark = source.key(where)
    before = source.source_line(mark.line)[:max(mark.col - 1, 0)].rstrip()
    return before.endswith(",")


def _is_percentage(schema: dict[str, Any]) -> bool:
    """The schema of a percentage (`15` or `15%`): the policy schema's $defs/percentage, inlined."""
    return schema.get("type") == ["number", "string"] and "%" in str(schema.get("pattern", ""))


def _misspelt(problems: list[Problem]) -> list[Problem]:
    """Without the "needs the field `weight`" that only repeats "`wieght` ... did you mean `weight`?"."""
    meant = {(p.path[:-1], p.hint) for p in problems if p.code == "KR010" and p.path}
    return [p for p in problems if not (
        p.code == "KR011" and p.message.endswith("`") and
        (p.path, f"did you mean `{p.message.rsplit('`', 2)[-2]}`?") in meant)]


def _constraint(keyword: str, value: Any) -> str:
    words = {
        "minimum": f"at least {value}", "maximum": f"at most {value}",
        "exclusiveMinimum": f"more than {value}", "exclusiveMaximum": f"less than {value}",
        "pattern": "not in the expected form", "minLength": "too short", "maxLength": "too long",
        "minItems": f"needs at least {value} entries", "maxItems": f"at most {value} entries",
        "maxProperties": f"at most {value} entries", "uniqueItems": "entries must be different",
    }
    return words.get(keyword, f"fails `{keyword}`")


def check_shape(data: Any, source: SourceMap, schema: str = POLICY_SCHEMA,
                document: str = "the policy") -> list[Problem]:
    """Schema problems, one per place, best first. `document` names the root in messages."""
    if data is None:
        if schema != POLICY_SCHEMA:
            return [Problem(source.file, 1, 1, "KR011", f"the file is empty: {document} needs its fields",
                            name="missing-field")]
        return [Problem(source.file, 1, 1, "KR011", "the file is empty: a policy needs apiVersion, kind, metadata, ...",
                        name="missing-field", hint="start from `kpi-rules init` or policies/ops-department.yaml")]
    problems: dict[tuple[JsonPath, str], Problem] = {}
    for error in validator(schema).iter_errors(data):
        for leaf in _leaves(error):
            for problem in _problems_for(leaf, source, document):
                problems.setdefault((problem.path, problem.message), problem)
    return sorted(_misspelt(list(problems.values())))
