"""The Mercado Pago simulator: the subset of the REST API the payment service's SDK calls,
plus control endpoints that approve / reject / expire a payment and send the signed webhook."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import httpx
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse

from infra.local.mercadopago_simulator.behaviour import Behaviour, BehaviourState
from infra.local.mercadopago_simulator.store import PaymentStore, parse_time
from infra.local.mercadopago_simulator.ticket import render_ticket
from infra.local.mercadopago_simulator.webhooks import RETRY_DELAYS, Background, WebhookSender

Action = Literal["approve", "reject", "expire", "refund", "chargeback"]


class MercadoPagoError(Exception):
    def __init__(
        self, status: int, message: str, error: str, cause: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.body = {"message": message, "error": error, "status": status, "cause": cause or []}
        self.status = status


def _bad_request(code: int, description: str) -> MercadoPagoError:
    return MercadoPagoError(
        400, description, "bad_request", [{"code": code, "description": description}]
    )


def _not_found(payment_id: int) -> MercadoPagoError:
    return MercadoPagoError(
        404,
        "Payment not found",
        "not_found",
        [{"code": 2000, "description": f"Payment {payment_id} not found"}],
    )


def create_simulator_app(
    webhook_secret: str,
    access_token: str | None = None,
    *,
    auto_approve_after: float | None = None,
    expiry_check_seconds: float = 1.0,
    webhook_retry_delays: Sequence[float] = RETRY_DELAYS,
    duplicate_webhooks: bool = False,
) -> FastAPI:
    """`duplicate_webhooks` delivers every notification twice at once (at-least-once tests)."""
    store = PaymentStore()
    background = Background()
    behaviour = BehaviourState()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            app.state.webhooks = WebhookSender(
                client,
                webhook_secret,
                background,
                webhook_retry_delays,
                duplicate_webhooks,
                behaviour,
            )
            background.spawn(expire_due_payments(app.state.webhooks))
            yield
            await background.close()

    app = FastAPI(title="Mercado Pago simulator", lifespan=lifespan)
    app.state.store = store
    app.state.behaviour = behaviour

    @app.exception_handler(MercadoPagoError)
    async def mercadopago_error(_: Request, exc: MercadoPagoError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    async def authorized(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token or (access_token and token != access_token):
            raise MercadoPagoError(
                401,
                "invalid access token",
                "unauthorized",
                [{"code": 2002, "description": "invalid access token"}],
            )

    async def available() -> None:
        """Latency and outages switched on by the test (`POST /simulator/behaviour`)."""
        if behaviour.current.latency_seconds:
            await asyncio.sleep(behaviour.current.latency_seconds)
        if behaviour.is_down():
            if behaviour.current.down_mode == "hang":
                await behaviour.wait_until_up()
            else:
                raise MercadoPagoError(503, "service unavailable", "service_unavailable")

    api = [Depends(available), Depends(authorized)]

    def payment_or_404(payment_id: int) -> dict[str, Any]:
        if payment_id not in store.payments:
            raise _not_found(payment_id)
        return store.payments[payment_id]

    async def expire_due_payments(webhooks: WebhookSender) -> None:
        while True:
            await asyncio.sleep(expiry_check_seconds)
            for payment in store.due_for_expiry(datetime.now(UTC)):
                store.change(payment, "expire")
                await webhooks.deliver(payment)

    async def approve_later(payment: dict[str, Any], delay: float) -> None:
        await asyncio.sleep(delay)
        if payment["status"] == "pending":
            store.change(payment, "approve")
            await app.state.webhooks.deliver(payment)

    @app.post("/v1/payments", status_code=201, dependencies=api)
    async def create_payment(
        request: Request,
        x_idempotency_key: Annotated[str | None, Header()] = None,
    ) -> JSONResponse:
        if not x_idempotency_key:
            raise _bad_request(4292, "Header X-Idempotency-Key can't be null")
        behaviour.creations_per_key[x_idempotency_key] += 1
        body = await _json_body(request)
        # No await from here to store.create: the key check and the creation are atomic, so
        # concurrent requests with one key make one payment (as Mercado Pago does).
        existing = store.by_key(x_idempotency_key)
        if existing is not None:  # the same key always answers the same payment
            return JSONResponse(existing, status_code=201)
        amount = body.get("transaction_amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount <= 0:
            raise _bad_request(4037, "Invalid transaction_amount")
        if body.get("payment_method_id") != "pix":
            raise _bad_request(4033, "Invalid payment_method_id: only pix is simulated")
        payer = body.get("payer")
        if not isinstance(payer, dict) or "@" not in str(payer.get("email", "")):
            raise _bad_request(4050, "payer.email must be a valid email")
        try:
            expires = body.get("date_of_expiration")
            expires_at = parse_time(expires) if expires else None
        except (TypeError, ValueError) as exc:
            raise _bad_request(4020, "Invalid date_of_expiration") from exc
        payment = store.create(
            body, x_idempotency_key, str(request.base_url).rstrip("/"), expires_at
        )
        behaviour.payments_per_key[x_idempotency_key] += 1
        if auto_approve_after is not None:
            background.spawn(approve_later(payment, auto_approve_after))
        return JSONResponse(payment, status_code=201)

    @app.get("/v1/payments/search", dependencies=api)
    async def search_payments(external_reference: str | None = None) -> dict[str, Any]:
        results = store.find(external_reference)
        return {"results": results, "paging": {"total": len(results), "limit": 30, "offset": 0}}

    @app.get("/v1/payments/{payment_id}", dependencies=api)
    async def get_payment(payment_id: int) -> dict[str, Any]:
        return payment_or_404(payment_id)

    @app.put("/v1/payments/{payment_id}", dependencies=api)
    async def update_payment(payment_id: int, request: Request) -> dict[str, Any]:
        payment = payment_or_404(payment_id)
        body = await _json_body(request)
        if body.get("status") != "cancelled":
            raise _bad_request(4033, "the simulator only supports status=cancelled")
        if payment["status"] == "cancelled":
            return payment
        if payment["status"] not in ("pending", "in_process"):
            raise _bad_request(2063, f"cannot cancel a payment with status {payment['status']}")
        store.change(payment, "cancel")
        background.spawn(app.state.webhooks.deliver(payment))
        return payment

    @app.post("/v1/payments/{payment_id}/refunds", status_code=201, dependencies=api)
    async def refund_payment(
        payment_id: int,
        request: Request,
        x_idempotency_key: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        """Full refunds only (what the payment service asks for)."""
        payment = payment_or_404(payment_id)
        if not x_idempotency_key:
            raise _bad_request(4292, "Header X-Idempotency-Key can't be null")
        if await request.body() and (await _json_body(request)).get("amount") is not None:
            raise _bad_request(4033, "the simulator only supports full refunds")
        if payment["status"] not in ("approved", "refunded"):
            raise _bad_request(2063, f"cannot refund a payment with status {payment['status']}")
        refunds = len(payment.get("refunds", []))
        refund = store.refund(payment, x_idempotency_key)
        if len(payment["refunds"]) > refunds:
            behaviour.refunds_per_payment[payment_id] += 1
            background.spawn(app.state.webhooks.deliver(payment))
        return refund

    @app.post("/simulator/behaviour")
    async def set_behaviour(new: Behaviour) -> dict[str, Any]:
        """Switch how badly Mercado Pago behaves (every field defaults to well)."""
        behaviour.set(new)
        return new.model_dump()

    @app.delete("/simulator/behaviour")
    async def reset_behaviour() -> dict[str, Any]:
        behaviour.set(Behaviour())
        return behaviour.current.model_dump()

    @app.get("/simulator/stats")
    async def stats() -> dict[str, Any]:
        """Creation requests and payments per idempotency key, refunds per payment."""
        return behaviour.stats()

    @app.post("/simulator/payments/{payment_id}/replay")
    async def replay_webhook(payment_id: int) -> dict[str, Any]:
        """Resend the last notification as it was, original `ts` included (a late retry)."""
        payment_or_404(payment_id)
        return {"webhook_status": await app.state.webhooks.replay(payment_id)}

    @app.post("/simulator/payments/{payment_id}/notify")
    async def resend_webhook(payment_id: int) -> dict[str, Any]:
        """Deliver the webhook again, as Mercado Pago does when it retries."""
        payment = payment_or_404(payment_id)
        return {"payment": payment, "webhook_status": await app.state.webhooks.deliver(payment)}

    @app.post("/simulator/payments/{payment_id}/{action}")
    async def control(
        payment_id: int, action: Action, notify: bool = True, amount: float | None = None
    ) -> dict[str, Any]:
        """Change the status; `notify=false` skips the webhook (the test sends its own);
        `approve?amount=X` approves a different amount than the one charged."""
        payment = store.change(payment_or_404(payment_id), action, amount)
        status = await app.state.webhooks.deliver(payment) if notify else None
        return {"payment": payment, "webhook_status": status}

    @app.get("/simulator/payments")
    async def find_payments(external_reference: str | None = None) -> dict[str, Any]:
        return {"results": store.find(external_reference)}

    @app.get("/simulator/payments/{payment_id}/ticket", response_class=HTMLResponse)
    async def ticket(payment_id: int) -> str:
        return render_ticket(payment_or_404(payment_id))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": "mercadopago-simulator"}

    return app


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise _bad_request(1, "invalid JSON body") from exc
    if not isinstance(body, dict):
        raise _bad_request(1, "the body must be a JSON object")
    return body
