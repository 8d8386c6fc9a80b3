"""One error hierarchy, one error body for every service: {error, detail, correlation_id}."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.logging import get_correlation_id, get_logger

log = get_logger(__name__)


class AppError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, detail: Any = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail if detail is not None else self.error.replace("_", " ")
        self.headers = headers


class BadRequest(AppError):
    status_code, error = 400, "bad_request"


class Unauthorized(AppError):
    status_code, error = 401, "unauthorized"

    def __init__(self, detail: Any = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status_code, error = 403, "forbidden"


class NotFound(AppError):
    status_code, error = 404, "not_found"


class Conflict(AppError):
    status_code, error = 409, "conflict"


class Unprocessable(AppError):
    status_code, error = 422, "unprocessable"


class PayloadTooLarge(AppError):
    status_code, error = 413, "payload_too_large"


class TooManyRequests(AppError):
    status_code, error = 429, "too_many_requests"


class UpstreamError(AppError):
    status_code, error = 502, "upstream_error"


class ServiceUnavailable(AppError):
    status_code, error = 503, "service_unavailable"


_HTTP_ERROR_NAMES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def error_body(error: str, detail: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail, "correlation_id": get_correlation_id()}


def error_response(
    status_code: int, error: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(error, detail), status_code=status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc.status_code, exc.error, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
            for err in exc.errors()
        ]
        return error_response(422, "validation_error", detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = _HTTP_ERROR_NAMES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, name, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "unexpected error")
