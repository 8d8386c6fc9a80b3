"""`python -m <svc>.main api|worker|migrate`: the one entrypoint every image runs."""

import argparse
import os
from collections.abc import Callable, Coroutine
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI


def run_service_cli(
    service: str,
    create_app: Callable[[], FastAPI],
    run_worker: Callable[[], Coroutine[Any, Any, None]] | None = None,
    migrate: Callable[[], None] | None = None,
    extra: dict[str, Callable[[argparse.Namespace], None]] | None = None,
) -> None:
    commands = ["api"] + (["worker"] if run_worker else []) + (["migrate"] if migrate else [])
    commands += list(extra or {})
    parser = argparse.ArgumentParser(prog=f"python -m {service}.main")
    parser.add_argument("command", choices=commands)
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args, _ = parser.parse_known_args()
    if args.command == "api":
        # uvicorn handles SIGTERM: stops accepting, finishes in-flight requests, runs lifespan.
        uvicorn.run(
            create_app(),
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            proxy_headers=True,
            forwarded_allow_ips="*",
        )
    elif args.command == "worker" and run_worker:
        # The same event loop as the APIs (uvicorn picks uvloop): the workers' time goes to
        # socket I/O with SQS, DynamoDB and Postgres, which uvloop does in C.
        uvloop.run(run_worker())
    elif args.command == "migrate" and migrate:
        migrate()
    elif extra and args.command in extra:
        extra[args.command](args)
