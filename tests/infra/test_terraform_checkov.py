"""Static security scan of infra/terraform with checkov: no failed check, and every
suppression is written next to the resource with its reason (`# checkov:skip=ID: why`)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.terraform_support import REPO_ROOT, TERRAFORM_DIR
from tests.tools import missing_tool

pytestmark = pytest.mark.infra

CHECKOV_PIN = "checkov==3.3.30"


def find_checkov() -> str | None:
    """CHECKOV_BIN, then the test interpreter's venv, then <repo>/.venv-checkov (checkov's
    pins clash with the project's boto3, so it usually lives in a venv of its own), then PATH."""
    if os.environ.get("CHECKOV_BIN"):
        return os.environ["CHECKOV_BIN"]
    for candidate in (
        Path(sys.executable).with_name("checkov"),
        REPO_ROOT / ".venv-checkov" / "bin" / "checkov",
    ):
        if candidate.exists():
            return str(candidate)
    return shutil.which("checkov")


def run_checkov() -> list[dict[str, Any]]:
    checkov = find_checkov()
    if checkov is None:
        missing_tool(f"checkov not found: `pip install {CHECKOV_PIN}` or set CHECKOV_BIN")
    result = subprocess.run(
        [
            checkov,
            "--directory",
            str(TERRAFORM_DIR),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


@pytest.fixture(scope="module")
def checkov_results() -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {"passed": [], "failed": [], "skipped": []}
    for report in run_checkov():
        for outcome in results:
            results[outcome] += report.get("results", {}).get(f"{outcome}_checks", [])
    return results


def describe(check: dict[str, Any]) -> str:
    return f"{check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}"


def test_checkov_finds_no_failed_check(checkov_results: dict[str, list[dict[str, Any]]]) -> None:
    assert checkov_results["passed"], "checkov ran no check at all"
    failed = [describe(check) for check in checkov_results["failed"]]
    assert not failed, "checkov failures:\n" + "\n".join(failed)


def test_every_suppressed_check_says_why(
    checkov_results: dict[str, list[dict[str, Any]]],
) -> None:
    unexplained = [
        describe(check)
        for check in checkov_results["skipped"]
        if len(check["check_result"].get("suppress_comment", "").strip()) < 20
    ]
    assert not unexplained, "suppressions without a reason:\n" + "\n".join(unexplained)
