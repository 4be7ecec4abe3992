"""The policy schema is usable by an independent validator (check-jsonschema),
not only by kpi-rules: editors and other CI tools read the same file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_rules.policy.validate import policy_files

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "policy.schema.json"
TOOL = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent)) or shutil.which("check-jsonschema")

pytestmark = pytest.mark.skipif(TOOL is None, reason="check-jsonschema is not installed (pip install check-jsonschema)")


def run(*files: Path) -> subprocess.CompletedProcess[str]:
    assert TOOL is not None
    return subprocess.run([TOOL, "--schemafile", str(SCHEMA), *map(str, files)], capture_output=True, text=True,
                          timeout=120)


def test_example_policies_pass_check_jsonschema() -> None:
    files = list(policy_files([ROOT / "policies"]))
    assert len(files) == 2
    proc = run(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_misspelt_key_fails_check_jsonschema(tmp_path: Path) -> None:
    text = (ROOT / "policies" / "ops-department.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("\nindicators:\n", "\nindicatorz:\n", 1), encoding="utf-8")
    proc = run(bad)
    assert proc.returncode == 1
    assert "indicatorz" in proc.stdout + proc.stderr
