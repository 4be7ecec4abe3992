"""How large a YAML document becomes once its aliases are expanded, counted from its events
before anything is built: a billion-laughs file costs no more than one pass over its text."""

from __future__ import annotations

from typing import Any

import yaml


class Refused(Exception):
    """The document's structure is refused before it is built (too deep, a loop); 1-based place."""

    def __init__(self, event: Any, message: str, hint: str) -> None:
        self.line, self.col = event.start_mark.line + 1, event.start_mark.column + 1
        self.message, self.hint = message, hint


def expanded_size(text: str, loader: type, max_nodes: int, max_depth: int) -> int:
    """Node count after alias expansion, computed from the event stream.

    Stops counting as soon as `max_nodes` is passed, so a billion-laughs document costs no more
    than reading its events once. Raises Refused where lists and mappings nest deeper than
    `max_depth`, or where an alias refers to a list or mapping that contains it (a loop).
    """
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, size]
    total = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            stack.append([event.anchor, 1])
            if len(stack) > max_depth:
                raise Refused(event, f"lists and mappings are nested more than {max_depth} levels deep here",
                              "a policy needs only a few levels; check the brackets and the indentation")
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, size = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            if any(entry[0] == event.anchor for entry in stack):
                raise Refused(event, f"`*{event.anchor}` refers to the list or mapping that contains it (a loop)",
                              "an alias can only repeat a value that is complete before it")
            anchor, size = None, sizes.get(event.anchor or "", 1)
        else:
            continue
        if anchor:
            sizes[anchor] = size
        if stack:
            stack[-1][1] += size
        else:
            total += size
        if total > max_nodes or (stack and stack[-1][1] > max_nodes):
            return max_nodes + 1
    return total
