"""A worker's evaluations kept for explain and reports: `--keep-evaluations` of them, the ones used last."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from serve_helpers import POLICIES

from kpi_rules.serve import stored_ops
from kpi_rules.serve.stored_ops import Held, Miss, explain_op, on_stored
from kpi_rules.serve.worker import Job

DATA = POLICIES.parent / "examples" / "ops-2024.csv"


def job(period: str) -> Job:
    policy = POLICIES / "ops-department.yaml"
    return Job(policy.read_bytes(), str(policy), DATA.read_bytes(), "ops-2024.csv", None, period)


@pytest.fixture(autouse=True)
def empty_worker() -> Iterator[None]:
    stored_ops._HELD.clear()
    yield
    stored_ops._HELD.clear()


def first_line(held: Held, employee_id: str) -> str:
    lines = explain_op(held, employee_id)
    assert isinstance(lines, list)
    return lines[0]


@pytest.mark.parametrize("keep", [1, 2, 3])
def test_a_worker_keeps_the_evaluations_used_last(keep: int) -> None:
    periods = ["2024-Q1", "2024-Q2", "2024-Q3"]
    for period in periods:
        assert "E001" in on_stored(period, job(period), keep, first_line, "E001")
    kept = [p for p in periods if not isinstance(on_stored(p, None, keep, first_line, "E001"), Miss)]
    assert kept == periods[len(periods) - keep:]
    assert list(stored_ops._HELD) == kept


def test_using_an_evaluation_again_keeps_it_longer() -> None:
    on_stored("a", job("2024-Q1"), 2, first_line, "E001")
    on_stored("b", job("2024-Q2"), 2, first_line, "E001")
    assert on_stored("a", None, 2, first_line, "E001") == on_stored("a", job("2024-Q1"), 2, first_line, "E001")
    on_stored("c", job("2024-Q3"), 2, first_line, "E001")  # b, used least recently, goes
    assert isinstance(on_stored("b", None, 2, first_line, "E001"), Miss)
    assert list(stored_ops._HELD) == ["a", "c"]
    assert "2024-Q1" in on_stored("a", None, 2, first_line, "E001")


def test_a_policy_is_compiled_once_per_version() -> None:
    from kpi_rules.serve.worker import Failure, compiled_policy

    source = (POLICIES / "ops-department.yaml").read_bytes()
    first = compiled_policy(source, "ops-department.yaml")
    assert compiled_policy(source, "ops-department.yaml") is first
    changed = compiled_policy(source.replace(b"version: \"2024.1\"", b"version: \"9\"", 1), "ops-department.yaml")
    assert changed is not first and not isinstance(changed, Failure) and changed.version == "9"
    broken = compiled_policy(b"kind: Policy\nid: [unclosed\n", "broken.yaml")
    assert isinstance(broken, Failure) and broken.status == 422
    assert broken.detail == "the policy broken.yaml is not valid"
