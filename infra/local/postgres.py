"""A throw-away PostgreSQL server from the system binaries (no Docker).

initdb refuses to run as root, so as root the server runs as the `postgres` user.
"""

import os
import shutil
import subprocess
from pathlib import Path

import asyncpg

PG_BIN_CANDIDATES = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/14/bin",
)


def pg_bin() -> Path:
    override = os.environ.get("PG_BIN")
    for candidate in ([override] if override else []) + list(PG_BIN_CANDIDATES):
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found; run `make setup` (installs postgresql) "
        "or set PG_BIN to the folder holding initdb and pg_ctl"
    )


class LocalPostgres:
    def __init__(self, data_dir: Path, port: int, user: str = "app") -> None:
        self.data_dir = data_dir
        self.port = port
        self.user = user
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(pg_bin() / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            shutil.chown(self.data_dir, "postgres", "postgres")
            os.chmod(self.data_dir, 0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                self.user,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.data_dir} -c fsync=off "
            "-c max_connections=300 -c synchronous_commit=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            "60",
            "-l",
            str(self.data_dir / "server.log"),
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "fast", "stop")

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database}"

    async def create_database(self, name: str) -> None:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=self.user, database="postgres"
        )
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
