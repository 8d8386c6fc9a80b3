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
            self._write_hba()
        # synchronous_commit stays on (Postgres' default): a commit is acknowledged only
        # after its WAL is written, so a crash of Postgres (`pg_ctl stop -m immediate`, an OOM
        # kill) loses nothing it confirmed. With it off, a crash dropped acknowledged orders
        # and deliveries (issue 14). fsync=off only skips the flush from the OS page cache to
        # the disk: what a crash of the *operating system* (or power loss) would lose, which
        # is out of scope for this throw-away server. RDS flushes (docs/deploy.md).
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.data_dir} -c fsync=off "
            "-c max_connections=300 -c synchronous_commit=on"
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

    def _write_hba(self) -> None:
        """The superuser (the local stand-in for the RDS master) logs in without a password;
        every other role, such as a service's own user, must give its password, so a
        rotated or wrong password fails here as it does on RDS."""
        hba = self.data_dir / "pg_hba.conf"
        hba.write_text(
            "local all all trust\n"
            f"host all {self.user} 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        if self._as_root:
            shutil.chown(hba, "postgres", "postgres")

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "fast", "stop")

    def crash(self) -> None:
        """Stop as a crash does (`-m immediate`: no checkpoint, backends killed); the next
        `start()` replays the WAL, as after an OOM kill or an RDS failover."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "immediate", "stop")

    async def terminate_backends(self) -> int:
        """Kill every client connection but this one (`pg_terminate_backend`); returns how many."""
        conn = await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=self.user, database="postgres"
        )
        try:
            killed = await conn.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            return int(killed or 0)
        finally:
            await conn.close()

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
