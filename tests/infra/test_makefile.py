"""`make help` is the project's menu: every target of the Makefile is on it."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A rule line: `name:` or `name: prerequisites`, not a variable (`:=`) nor a special target.
RULE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:(?!=)", re.MULTILINE)

pytestmark = pytest.mark.infra


def makefile_targets() -> set[str]:
    return set(RULE.findall((ROOT / "Makefile").read_text()))


def make_help() -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout


def test_the_rule_parser_sees_the_targets_people_use() -> None:
    assert {"run", "test", "lint", "bench", "lock", "help", "setup-checkov"} <= makefile_targets()


def test_make_help_names_every_target_of_the_makefile() -> None:
    listed = {m.group(1) for m in re.finditer(r"^make ([a-z][a-z0-9-]*)", make_help(), re.M)}
    assert makefile_targets() - listed == set(), "add them to the help target of the Makefile"
    assert listed - makefile_targets() == set(), "make help lists targets that do not exist"


def test_make_help_runs_without_setting_anything_up() -> None:
    """`make` alone prints the menu, and quickly: help depends on no setup step."""
    default = subprocess.run(
        ["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert default.returncode == 0 and default.stdout == make_help()
