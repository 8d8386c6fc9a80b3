"""The bench's own processes: the ceiling app and a second gateway in front of it and order.

One gateway routes both `/order` (to the stack's order API) and `/ceiling` (to the ceiling
app), so both pay for the same proxy hop in the same process.
"""

import asyncio
import subprocess
from pathlib import Path

from infra.local.processes import free_port, start_python, wait_for_http
from infra.local.stack import Stack


def start_helpers(
    stack: Stack, log_dir: Path
) -> tuple[dict[str, subprocess.Popen[bytes]], str, str]:
    """The ceiling app and a gateway routing /order and /ceiling, on free ports; returns the
    processes, the gateway's URL and the ceiling app's URL."""
    asyncio.run(stack.postgres.create_database("bench"))
    ceiling_port, gateway_port = free_port(), free_port()
    env = stack.env()
    helpers = {
        "ceiling-app": start_python(
            [
                "-m",
                "bench.ceiling_app",
                "--port",
                str(ceiling_port),
                "--dsn",
                f"postgresql://app@127.0.0.1:{stack.ports.postgres}/bench",
            ],
            env=env,
            log_path=log_dir / "ceiling-app.log",
        ),
        "bench-gateway": start_python(
            [
                "-m",
                "infra.local.gateway",
                "--port",
                str(gateway_port),
                f"--route=order={stack.service_url('order')}",
                f"--route=ceiling=http://127.0.0.1:{ceiling_port}",
            ],
            env=env,
            log_path=log_dir / "bench-gateway.log",
        ),
    }
    ceiling_url = f"http://127.0.0.1:{ceiling_port}"
    wait_for_http(f"{ceiling_url}/ceiling/health", process=helpers["ceiling-app"])
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    wait_for_http(f"{gateway_url}/ceiling/health", process=helpers["bench-gateway"])
    return helpers, gateway_url, ceiling_url
