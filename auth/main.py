"""Auth composition root: the app, its lifespan, and the CLI (api, migrate, create-staff)."""

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from auth import api, service, staff_api
from auth.domain import StaffRole
from auth.keys import open_key_ring
from auth.passwords import Argon2Hasher
from auth.repository import AuthRepository
from auth.settings import Settings
from auth.tokens import TokenMinter
from common.cli import run_service_cli
from common.db_credentials import database_engine
from common.db_roles import migrate_database
from common.observability import setup_observability
from common.security import KeySource
from common.web import create_service_app
from common.wiring import open_verifier

MIGRATIONS = Path(__file__).parent / "migrations"


async def seed_staff_accounts(
    settings: Settings, repository: AuthRepository, hasher: service.PasswordHasher
) -> None:
    """Create the configured staff (and admin) accounts if absent; idempotent."""
    for username, password, role in settings.seed_accounts():
        await service.create_staff_account(
            repository, hasher, username=username, password=password, role=role
        )


def create_app(settings: Settings | None = None, *, key_source: KeySource | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            engine = database_engine(settings, "auth")
            stack.push_async_callback(engine.dispose)
            key_ring = await open_key_ring(settings, stack)
            repository = AuthRepository(engine)
            hasher = Argon2Hasher()
            app.state.repository = repository
            app.state.hasher = hasher
            app.state.key_ring = key_ring
            app.state.issuer = settings.jwt_issuer
            app.state.throttle = settings.throttle(repository)
            app.state.proxy_hops = (
                settings.trusted_proxy_hops if settings.trust_proxy_headers else 0
            )
            app.state.tokens = TokenMinter(
                key_ring.signer,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                ttl_seconds=settings.access_token_ttl_seconds,
            )
            # /auth/me checks tokens exactly as other services do, minus the HTTP hop.
            app.state.verifier = await open_verifier(
                stack, settings, key_source or key_ring.key_source
            )
            await seed_staff_accounts(settings, repository, hasher)
            yield

    async def database(app: FastAPI) -> None:
        await app.state.repository.ping()

    return create_service_app(
        name="auth",
        prefix="/auth",
        routers=[api.router, staff_api.router],
        lifespan=lifespan,
        ready_checks=[database],
        max_body_bytes=settings.max_body_bytes,
    )


async def create_staff(settings: Settings, username: str, role: StaffRole, password: str) -> bool:
    engine = database_engine(settings.model_copy(update={"db_pool_size": 1}), "auth")
    try:
        return await service.create_staff_account(
            AuthRepository(engine), Argon2Hasher(), username=username, password=password, role=role
        )
    finally:
        await engine.dispose()


def _read_new_password() -> str:
    from_env = os.environ.get("AUTH_NEW_PASSWORD")
    if from_env:
        return from_env
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _create_staff_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m auth.main create-staff",
        description="password from AUTH_NEW_PASSWORD or stdin",
    )
    parser.add_argument("--username", required=True)
    parser.add_argument("--role", choices=["staff", "admin"], default="staff")
    args = parser.parse_args(argv)
    settings = Settings()
    setup_observability("auth-service", settings.log_level)
    try:
        created = asyncio.run(
            create_staff(settings, args.username, args.role, _read_new_password())
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("created" if created else f"error: {args.username!r} already exists")
    return 0 if created else 1


def main() -> None:
    if sys.argv[1:2] == ["create-staff"]:
        sys.exit(_create_staff_command(sys.argv[2:]))
    settings = Settings()
    setup_observability("auth-service", settings.log_level)
    run_service_cli(
        "auth",
        lambda: create_app(settings),
        migrate=lambda: migrate_database(MIGRATIONS, settings, "auth"),
    )


if __name__ == "__main__":
    main()
