"""The ceiling: a bare FastAPI endpoint on the same server stack as the services.

Same uvicorn (uvloop + httptools), same Postgres, behind the same gateway, and one asyncpg
INSERT per request, nothing else: no auth, no catalog call, no outbox. `POST /order` can at
best approach it; the ratio says how much of the machine the order service's own work takes.

`python -m bench.ceiling_app --port P --dsn postgresql://app@127.0.0.1:5433/bench`
"""

import argparse
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS ceiling_orders (
    id uuid PRIMARY KEY,
    body jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)"""
INSERT = "INSERT INTO ceiling_orders (id, body) VALUES ($1, $2)"


def create_ceiling_app(dsn: str, pool_size: int = 20) -> FastAPI:
    """`pool_size` matches the order service's pool (10 + 10 overflow)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with asyncpg.create_pool(dsn, min_size=2, max_size=pool_size) as pool:
            await pool.execute(CREATE_TABLE)
            app.state.pool = pool
            yield

    app = FastAPI(title="bench ceiling", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.post("/ceiling/order", status_code=201)
    async def create(request: Request) -> Response:
        body: Any = await request.body()
        order_id = uuid.uuid4()
        await request.app.state.pool.execute(INSERT, order_id, body.decode())
        return Response(
            orjson.dumps({"id": str(order_id)}), status_code=201, media_type="application/json"
        )

    @app.get("/ceiling/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--pool-size", type=int, default=20)
    args = parser.parse_args()
    uvicorn.run(
        create_ceiling_app(args.dsn, args.pool_size),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
