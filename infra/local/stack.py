"""The embedded stack: everything `make run` starts, with no Docker.

PostgreSQL (system binaries), the moto server (SQS, DynamoDB, Secrets Manager, KMS), the
Mercado Pago simulator, the five services with their workers, and the gateway on one port.
`python -m infra.local.stack` runs it until Ctrl-C; tests start it on free ports.
`--aws localstack` (`make run AWS=localstack`) puts SQS, KMS and Secrets Manager on
LocalStack instead (infra/local/localstack.py) and leaves DynamoDB on moto, through the
standard per-service endpoint variable; auth then signs its tokens with LocalStack's KMS.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from infra.local.bootstrap import (
    DATABASES,
    LOCAL_JWT_KEY_ALIAS,
    LOCAL_MERCADOPAGO_SECRET,
    aws_client,
    bootstrap,
    database_secret_name,
    put_database_secrets,
)
from infra.local.localstack import LocalStackServer
from infra.local.moto import MotoServer
from infra.local.postgres import LocalPostgres
from infra.local.processes import REPO_ROOT, free_port, start_python, stop_process, wait_for_http
from infra.local.startup import StartupFailed, starting

SERVICES = ("auth", "catalog", "order", "payment", "production")
WORKERS = ("order", "payment", "production")
AwsBackend = Literal["moto", "localstack"]
AWS_BACKENDS: tuple[AwsBackend, ...] = ("moto", "localstack")


@dataclass
class StackPorts:
    gateway: int = 8080
    moto: int = 5055
    localstack: int = 4566
    postgres: int = 5433
    simulator: int = 8090
    services: dict[str, int] = field(
        default_factory=lambda: {name: 8101 + i for i, name in enumerate(SERVICES)}
    )

    @classmethod
    def free(cls) -> "StackPorts":
        return cls(
            gateway=free_port(),
            moto=free_port(),
            localstack=free_port(),
            postgres=free_port(),
            simulator=free_port(),
            services={name: free_port() for name in SERVICES},
        )


class Stack:
    def __init__(
        self,
        ports: StackPorts,
        log_dir: Path,
        extra_env: dict[str, str] | None = None,
        simulator_args: tuple[str, ...] = (),
        process_env: dict[str, dict[str, str]] | None = None,
        aws: AwsBackend = "moto",
    ) -> None:
        """`process_env` overrides the environment of one process ("order-worker", ...)."""
        self.aws = aws
        self.ports = ports
        self.log_dir = log_dir
        self.extra_env = extra_env or {}
        self.simulator_args = simulator_args
        self.process_env = process_env or {}
        self._args: dict[str, list[str]] = {}
        self._pg_dir = Path(tempfile.mkdtemp(prefix="fastfood-stack-pg-"))
        self._pg_dir.chmod(0o755)
        self.postgres = LocalPostgres(self._pg_dir / "data", ports.postgres)
        self.moto = MotoServer(ports.moto, log_dir / "moto.log")
        self.localstack = LocalStackServer(ports.localstack, log_dir / "localstack.log")
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.simulator}"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports.services[name]}"

    @property
    def aws_url(self) -> str:
        """Where SQS, KMS and Secrets Manager are (DynamoDB is on moto either way)."""
        return self.localstack.url if self.aws == "localstack" else self.moto.url

    def aws_env(self) -> dict[str, str]:
        if self.aws == "moto":
            return {"AWS_ENDPOINT_URL": self.moto.url}
        return {
            "AWS_ENDPOINT_URL": self.localstack.url,
            "AWS_ENDPOINT_URL_DYNAMODB": self.moto.url,
            # Tokens signed by LocalStack's KMS, as on AWS (AUTH_SIGNER=kms there too).
            "AUTH_SIGNER": "kms",
            "AUTH_KMS_KEY_ID": LOCAL_JWT_KEY_ALIAS,
            "AUTH_KMS_MESSAGE_TYPE": "DIGEST",
        }

    def env(self) -> dict[str, str]:
        return {
            "ENVIRONMENT": "local",
            "LOG_LEVEL": "INFO",
            **self.aws_env(),
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.ports.postgres),
            "DB_USER": "app",  # the admin login: only `migrate` uses it (common/db_roles.py)
            # Each Postgres-backed service logs in as its own role, from its own secret.
            **{f"{n.upper()}_DB_SECRET_NAME": database_secret_name(n) for n in DATABASES},
            "JWT_ISSUER": f"http://localhost:{self.ports.gateway}/auth",
            "JWKS_URL": f"{self.service_url('auth')}/auth/.well-known/jwks.json",
            "ORDER_CATALOG_URL": f"{self.service_url('catalog')}/catalog",
            "PAYMENT_MERCADOPAGO_BASE_URL": self.simulator_url,
            "PAYMENT_NOTIFICATION_URL": f"{self.gateway_url}/payment/webhook",
            **self.extra_env,
        }

    def _start(self, name: str, args: list[str]) -> None:
        self._args[name] = args
        env = {**self.env(), **self.process_env.get(name, {})}
        self.processes[name] = start_python(args, env=env, log_path=self.log_dir / f"{name}.log")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal one process (e.g. SIGKILL "order-worker") without restarting it."""
        os.killpg(self.processes[name].pid, sig)

    def restart(self, name: str) -> None:
        stop_process(self.processes[name])
        self._start(name, self._args[name])

    def _log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def _wait(self, name: str, url: str, timeout: float = 30.0) -> None:
        starting(name, self._log(name), lambda: wait_for_http(url, timeout, self.processes[name]))

    def _migrate(self, name: str) -> None:
        with self._log(f"{name}-migrate").open("ab") as log:
            subprocess.run(
                [sys.executable, "-m", f"{name}.main", "migrate"],
                cwd=REPO_ROOT,
                env={**os.environ, **self.env(), "PYTHONPATH": str(REPO_ROOT)},
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def start(self) -> None:
        """Raises StartupFailed naming the process that did not come up, with its log's tail."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        pg_log = self.postgres.data_dir / "server.log"
        starting("postgres", pg_log, self.postgres.start)
        starting("moto", self.moto.log_path, self.moto.start)
        if self.aws == "localstack":
            starting("localstack", self.localstack.log_path, self.localstack.start)
        endpoints = {"dynamodb": self.moto.url}
        starting("bootstrap", None, lambda: bootstrap(self.aws_url, endpoints=endpoints))
        put_database_secrets(
            aws_client("secretsmanager", self.aws_url), DATABASES, "127.0.0.1", self.ports.postgres
        )
        self._start(
            "simulator",
            [
                "-m",
                "infra.local.mercadopago_simulator",
                "--port",
                str(self.ports.simulator),
                "--webhook-secret",
                LOCAL_MERCADOPAGO_SECRET["webhook_secret"],
                *self.simulator_args,
            ],
        )
        for name in DATABASES:
            starting(f"{name}-migrate", self._log(f"{name}-migrate"), partial(self._migrate, name))
        for name in SERVICES:
            self._start(
                f"{name}-api",
                [
                    "-m",
                    f"{name}.main",
                    "api",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports.services[name]),
                ],
            )
        for name in WORKERS:
            self._start(f"{name}-worker", ["-m", f"{name}.main", "worker"])
        self._start(
            "gateway",
            [
                "-m",
                "infra.local.gateway",
                "--port",
                str(self.ports.gateway),
                *[f"--route={n}={self.service_url(n)}" for n in SERVICES],
            ],
        )
        self._wait("simulator", f"{self.simulator_url}/health")
        for name in SERVICES:
            self._wait(f"{name}-api", f"{self.service_url(name)}/{name}/health", timeout=60)
        self._wait("gateway", f"{self.gateway_url}/auth/health")
        time.sleep(0.5)
        dead = [name for name, p in self.processes.items() if p.poll() is not None]
        if dead:  # a worker, which has no health URL, died after its start
            code = self.processes[dead[0]].returncode
            others = f" (also exited: {', '.join(dead[1:])})" if dead[1:] else ""
            raise StartupFailed(dead[0], f"exited with {code}{others}", self._log(dead[0]))

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            stop_process(process)
        self.processes.clear()
        self.localstack.stop()
        self.moto.stop()
        self.postgres.stop()
        shutil.rmtree(self._pg_dir, ignore_errors=True)


def _emulators(stack: Stack) -> str:
    url = stack.aws_url
    if stack.aws == "moto":
        return f"  AWS emulator       {url}  (aws --endpoint-url {url} sqs list-queues)"
    return (
        f"  LocalStack         {url}  SQS, KMS, Secrets Manager "
        f"(aws --endpoint-url {url} sqs list-queues)\n"
        f"  moto               {stack.moto.url}  DynamoDB (AWS_ENDPOINT_URL_DYNAMODB)"
    )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--gateway-port", type=int, default=int(os.environ.get("GATEWAY_PORT", 8080))
    )
    parser.add_argument(
        "--aws",
        choices=AWS_BACKENDS,
        default=os.environ.get("AWS_BACKEND", "moto"),
        help="moto (default) or localstack for SQS, KMS and Secrets Manager",
    )
    args = parser.parse_args()
    ports = StackPorts(gateway=args.gateway_port)
    stack = Stack(ports, REPO_ROOT / ".local" / "logs", aws=args.aws)
    emulator = "LocalStack + moto" if args.aws == "localstack" else "moto"
    print(
        f"starting the stack (Postgres, {emulator}, Mercado Pago simulator, 5 services, gateway)..."
    )
    failed = False
    try:
        stack.start()
        print(
            f"""
  gateway            {stack.gateway_url}   (/auth /catalog /order /payment /production)
  API docs           {stack.gateway_url}/order/docs  (and /auth/docs, /catalog/docs, ...)
{_emulators(stack)}
  Mercado Pago sim   {stack.simulator_url}
  Postgres           postgresql://app@127.0.0.1:{ports.postgres}/order
  logs               {stack.log_dir}

Ready. Try `make demo` in another terminal. Ctrl-C stops everything.""",
            flush=True,
        )
        signal.signal(signal.SIGTERM, _interrupt)
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(1)
        print("a process exited; stopping the stack", flush=True)
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    except StartupFailed as failure:
        print(f"\nmake run: {failure}\nlogs of every process in {stack.log_dir}", file=sys.stderr)
        failed = True
    finally:
        stack.stop()
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
