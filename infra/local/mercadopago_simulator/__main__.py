"""`python -m infra.local.mercadopago_simulator --port P --webhook-secret S
[--access-token T] [--auto-approve-after SECONDS] [--duplicate-webhooks]`
(each flag also read from the environment, MERCADOPAGO_SIMULATOR_<FLAG>)."""

import argparse
import logging
import os

import uvicorn

from infra.local.mercadopago_simulator.app import create_simulator_app

ENV = "MERCADOPAGO_SIMULATOR_"


def _optional_float(value: str | None) -> float | None:
    return float(value) if value else None


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m infra.local.mercadopago_simulator", description=__doc__
    )
    parser.add_argument("--host", default=os.environ.get(f"{ENV}HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get(f"{ENV}PORT", "8090")))
    parser.add_argument(
        "--webhook-secret", default=os.environ.get(f"{ENV}WEBHOOK_SECRET", "local-webhook-secret")
    )
    parser.add_argument(
        "--access-token",
        default=os.environ.get(f"{ENV}ACCESS_TOKEN"),
        help="when set, API calls must carry exactly this bearer token",
    )
    parser.add_argument(
        "--auto-approve-after",
        type=float,
        default=_optional_float(os.environ.get(f"{ENV}AUTO_APPROVE_AFTER")),
        help="approve every new payment after this many seconds",
    )
    parser.add_argument("--expiry-check-seconds", type=float, default=1.0)
    parser.add_argument(
        "--duplicate-webhooks",
        action="store_true",
        default=bool(os.environ.get(f"{ENV}DUPLICATE_WEBHOOKS")),
        help="deliver every webhook twice at once, to prove the receiver is idempotent",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_simulator_app(
        args.webhook_secret,
        args.access_token,
        auto_approve_after=args.auto_approve_after,
        expiry_check_seconds=args.expiry_check_seconds,
        duplicate_webhooks=args.duplicate_webhooks,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
