"""Helpers of the Terraform tests: run terraform in an isolated copy of infra/terraform.

Terraform never runs in the repository tree: each test copies infra/terraform into its own
tmp_path and points TF_DATA_DIR there, so parallel runs never share a lock, a plugin cache
or a state file, and nothing is left behind in the repo.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "infra" / "terraform"
RESOURCES_JSON = REPO_ROOT / "common" / "resources.json"
PLUGIN_DIR = Path(os.environ.get("TF_PLUGIN_DIR", "/opt/tf-plugins"))
MOTO_LAUNCHER = Path(__file__).with_name("moto_server.py")


@dataclass
class Terraform:
    """`terraform -chdir=<workdir>` with an isolated data dir and no access to real AWS."""

    binary: str
    workdir: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, f"-chdir={self.workdir}", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
            )
        return result

    def init(self, plugin_dir: Path, *extra: str) -> None:
        self.run("init", "-input=false", "-no-color", f"-plugin-dir={plugin_dir}", *extra)

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {name: value["value"] for name, value in raw.items()}


def copy_terraform_tree(destination: Path) -> Path:
    """A clean copy of infra/terraform (no .terraform/, state or override files)."""
    shutil.copytree(
        TERRAFORM_DIR,
        destination,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*override.tf", "*.tfplan"),
    )
    return destination


def terraform_env(scratch: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment minus AWS credentials/profiles, plus Terraform isolation."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    cli_config = scratch / "terraformrc"
    cli_config.write_text("")  # ignore the user's CLI config (mirrors, credentials)
    env.update(
        TF_DATA_DIR=str(scratch / "tf-data"),
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback URL we built
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    return False
