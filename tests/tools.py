"""The one way a test may give up for a missing tool (a binary, a browser, a provider mirror).

Here it skips, saying what to install. In CI (`CI=true`, which GitHub Actions sets) it fails
instead: the workflow installs every tool, so a missing one is a broken pipeline, never a
quietly smaller suite. tests/infra/test_workflows.py holds that every skip goes through here
and that ci.yml installs what each caller looks for.
"""

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def missing_tool(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"in CI every tool is installed, but: {reason}", pytrace=False)
    pytest.skip(reason)
