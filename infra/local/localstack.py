"""LocalStack, natively (no Docker): SQS, KMS and Secrets Manager on one local port.

It runs `localstack-core` (pinned in `requirements-localstack.lock`) from its own virtualenv,
`.venv-localstack` on Python >= 3.12, which `scripts/setup-localstack.sh` creates; our code
never imports it. DynamoDB is not here: LocalStack serves it by starting DynamoDB Local, a
Java jar plus a JDK it downloads at first use, which a machine without internet cannot fetch,
so `make run AWS=localstack` sends DynamoDB to the moto server (`AWS_ENDPOINT_URL_DYNAMODB`).
In Docker (`docker-compose.yml`) the LocalStack image serves DynamoDB too.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from infra.local.processes import REPO_ROOT, stop_process

LOCALSTACK_VERSION = "4.14.0"  # = requirements-localstack.lock and docker-compose.yml
SERVICES = ("sqs", "kms", "secretsmanager")
SETUP_HINT = "run scripts/setup-localstack.sh (make setup AWS=localstack) to create it"
# What LocalStack reads from the environment; nothing else of ours leaks into it.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def localstack_python() -> Path:
    venv = Path(os.environ.get("LOCALSTACK_VENV", REPO_ROOT / ".venv-localstack"))
    return venv / "bin" / "python"


class LocalStackServer:
    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self, root: Path) -> dict[str, str]:
        inherited = {k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}
        return {
            **inherited,
            "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
            "SERVICES": ",".join(SERVICES),
            "EAGER_SERVICE_LOADING": "1",  # ready means every service answers
            # Queue URLs on this host and port (its default names *.localstack.cloud, which
            # only public DNS resolves to 127.0.0.1).
            "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
            "SQS_ENDPOINT_STRATEGY": "path",
            # Sandboxes look like containers to its cgroup test; on the host it keeps its
            # files under FILESYSTEM_ROOT instead of /var/lib/localstack.
            "OVERRIDE_IN_DOCKER": "0",
            "FILESYSTEM_ROOT": str(root),
            "DNS_ADDRESS": "0",  # its DNS server wants port 53 and an upstream resolver
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DISABLE_EVENTS": "1",  # no analytics calls home
            "SQS_DISABLE_CLOUDWATCH_METRICS": "1",
        }

    def start(self, timeout: float = 90.0) -> None:
        python = localstack_python()
        if not python.exists():
            raise RuntimeError(f"LocalStack's virtualenv is missing ({python}); {SETUP_HINT}")
        self._root = Path(tempfile.mkdtemp(prefix="fastfood-localstack-"))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                cwd=self._root,  # not the repo root: our packages must not shadow its imports
                env=self.environment(self._root),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_running(timeout)

    def _wait_until_running(self, timeout: float) -> None:
        assert self.process is not None
        deadline, last = time.monotonic() + timeout, "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"LocalStack exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                states = httpx.get(f"{self.url}/_localstack/health", timeout=2).json()["services"]
                last = str({name: states.get(name) for name in SERVICES})
                if all(states.get(name) == "running" for name in SERVICES):
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"LocalStack not ready after {timeout}s ({last}); see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=20)  # it stops its services one by one
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
