"""Offline checks of infra/terraform: formatting, validation, and what the tree may depend on."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.infra.terraform_support import TERRAFORM_DIR, copy_terraform_tree

pytestmark = pytest.mark.infra

ROOTS = {"root": ".", "bootstrap": "bootstrap"}


def test_terraform_files_are_formatted(terraform_bin: str) -> None:
    result = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", "-no-color", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, (
        f"run `terraform fmt -recursive infra/terraform`:\n{result.stdout}"
    )


@pytest.mark.parametrize("root", ROOTS.values(), ids=ROOTS.keys())
def test_root_module_validates_offline_with_only_the_aws_provider(
    root: str, make_terraform, plugin_dir: Path, tmp_path: Path
) -> None:
    workdir = copy_terraform_tree(tmp_path / "terraform") / root
    terraform = make_terraform(workdir, tmp_path)
    terraform.init(plugin_dir, "-backend=false")

    report = json.loads(terraform.run("validate", "-json", "-no-color").stdout)

    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["warning_count"] == 0, json.dumps(report["diagnostics"], indent=2)
    lock = (workdir / ".terraform.lock.hcl").read_text()
    assert re.findall(r'^provider "([^"]+)"', lock, flags=re.MULTILINE) == [
        "registry.terraform.io/hashicorp/aws"
    ]


def test_modules_are_local_and_the_aws_provider_is_pinned() -> None:
    sources = []
    for tf_file in TERRAFORM_DIR.rglob("*.tf"):
        text = tf_file.read_text()
        sources += re.findall(r'^\s*source\s*=\s*"([^"]+)"', text, flags=re.MULTILINE)
        for constraint in re.findall(r'aws\s*=\s*{[^}]*version\s*=\s*"([^"]+)"', text, re.S):
            assert constraint == "~> 5.100", f"{tf_file}: aws provider pinned to {constraint}"
    module_sources = [s for s in sources if s != "hashicorp/aws"]
    assert module_sources, "the root composes no module"
    assert all(s.startswith("./") for s in module_sources), module_sources


def test_every_module_has_main_variables_and_outputs() -> None:
    for module in (TERRAFORM_DIR / "modules").iterdir():
        present = {p.name for p in module.glob("*.tf")}
        assert {"main.tf", "variables.tf", "outputs.tf"} <= present, module.name
