"""The wheel: built from the checkout, installed in a clean venv, and run there.

Proves that `schemas/` (and `templates/`) are packaged as package data and
that the installed `kpi-rules` works outside the checkout. Slow: it builds a
wheel and a venv, and pip may fetch the dependencies from the package index.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    # A clean environment for the installed tool: nothing points back at the checkout.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)], cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [built] = sorted(out.glob("kpi_rules-*.whl"))
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("venv")
    done = _run([sys.executable, "-m", "venv", str(root / "env")], cwd=root)
    assert done.returncode == 0, done.stderr
    bindir = root / "env" / ("Scripts" if os.name == "nt" else "bin")
    done = _run([str(bindir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 str(wheel)], cwd=root)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return bindir


def test_wheel_contains_the_schema_and_templates(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        schema = json.loads(archive.read("kpi_rules/schemas/policy.schema.json"))
    assert "kpi_rules/schemas/policy.schema.json" in names
    assert schema == json.loads((REPO / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))
    assert any(name.startswith("kpi_rules/templates/") for name in names)
    assert "kpi_rules/__init__.py" in names
    assert "kpi_rules/__main__.py" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    with zipfile.ZipFile(wheel) as archive:
        assert "kpi-rules = kpi_rules.cli:run" in archive.read(entry_points).decode()


def test_wheel_carries_the_license_and_the_typing_marker(wheel: Path) -> None:
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in license_text
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [licensed] = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert archive.read(licensed).decode("utf-8") == license_text
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode("utf-8")
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert "kpi_rules/py.typed" in names
    assert not any(n.startswith("tools/") or n.endswith("docgen.py") for n in names)  # generators stay home


CONSUMER = """\
from pathlib import Path
from typing import Any

from kpi_rules import (Evaluation, PolicyInvalid, Problem, evaluate, evaluation_to_dict, explain, load_bytes,
                       load_data, load_policy, load_records)


def grades(policy_file: Path, data_file: Path, period: str) -> dict[str, str]:
    try:
        policy = load_policy(policy_file)
    except PolicyInvalid as exc:
        problems: list[Problem] = exc.problems
        raise SystemExit("\\n".join(f"{p.file}:{p.line}:{p.col}: {p.code}" for p in problems)) from exc
    result: Evaluation = evaluate(policy, load_data(policy, data_file), period)
    document: dict[str, Any] = evaluation_to_dict(result)
    lines: list[str] = explain(result, "E001")
    assert lines
    evaluate(policy, load_records(policy, [{"employee_id": "E1"}]))
    evaluate(policy, load_bytes(policy, b"employee_id\\nE1\\n", format="csv"))
    return {row["employee_id"]: row["grade"] for row in document["employees"]}
"""


def test_a_typed_consumer_passes_mypy_strict_against_the_installed_package(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "consumer.py").write_text(CONSUMER, encoding="utf-8")
    # A wrong use must be caught too: the package's types are seen, not taken as Any.
    (tmp_path / "wrong.py").write_text("from kpi_rules import load_policy\n\nx: int = load_policy('p.yaml')\n",
                                       encoding="utf-8")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable",
            str(venv / "python")]
    done = _run([*mypy, "consumer.py"], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    done = _run([*mypy, "wrong.py"], cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'Incompatible types in assignment (expression has type "Policy", variable has type "int")' in done.stdout


def test_installed_kpi_rules_validates_outside_the_checkout(venv: Path, tmp_path: Path) -> None:
    done = _run([str(venv / "kpi-rules"), "validate", str(REPO / "policies" / "ops-department.yaml")], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "1 file, 0 errors, 0 warnings\n"


def test_installed_kpi_rules_reports_errors(venv: Path, tmp_path: Path) -> None:
    policy = tmp_path / "bad.yaml"
    policy.write_text((REPO / "policies" / "ops-department.yaml").read_text(encoding="utf-8")
                      .replace("    label: 运营经理\n", "    lable: 运营经理\n"), encoding="utf-8")
    done = _run([str(venv / "kpi-rules"), "validate", str(policy)], cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert " error KR010 " in done.stdout.splitlines()[0]


def test_installed_kpi_rules_prints_the_packaged_schema(venv: Path, tmp_path: Path) -> None:
    done = _run([str(venv / "kpi-rules"), "schema"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads((REPO / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))


def test_installed_package_is_not_the_checkout(venv: Path, tmp_path: Path) -> None:
    code = ("import kpi_rules, kpi_rules.common.resources as r; "
            "print(kpi_rules.__file__); print(r.resource_dir('schemas'))")
    done = _run([str(venv / "python"), "-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    module_file, schemas = done.stdout.splitlines()
    assert not Path(module_file).resolve().is_relative_to(REPO)
    assert not Path(schemas).resolve().is_relative_to(REPO)
    assert Path(schemas).name == "schemas"
