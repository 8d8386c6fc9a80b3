"""The moto server: SQS, DynamoDB, Secrets Manager and KMS on one local port.

Started through `infra.local.moto_server`, which keeps DynamoDB transactions isolated.
"""

import subprocess
from pathlib import Path

from infra.local.processes import start_python, stop_process, wait_for_http


class MotoServer:
    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_python(
            ["-m", "infra.local.moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
            env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
            log_path=self.log_path,
        )
        wait_for_http(f"{self.url}/moto-api/", timeout=60, process=self.process)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
