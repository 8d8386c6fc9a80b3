"""One error hierarchy, one error body for every service: {error, detail, correlation_id}."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.db_errors import DATABASE_ERROR_TYPES, RETRY_AFTER_SECONDS, database_unavailable
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
    """A dependency is away for now: the client retries after `Retry-After` seconds."""

    status_code, error = 503, "service_unavailable"

    def __init__(self, detail: Any = None, *, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


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


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail", "correlation_id"],
    "properties": {
        "error": {"type": "string", "examples": ["not_found"]},
        "detail": {"description": "A message, or a list of validation errors"},
        "correlation_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
}
_IMPLIED_ERRORS = {  # what every operation of a kind can answer, whatever its own code says
    "security": {"401": "Missing or invalid bearer token", "403": "Not allowed for this role"},
    "path": {"404": "Not found"},
    "requestBody": {"400": "Body is not UTF-8 JSON", "413": "Request body too large"},
}


def document_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Declare the common error body on every error response of the OpenAPI document, and the
    errors every secured / path-parameterised / body-taking operation can answer, so that the
    document says what the API really answers (schemathesis checks it). Idempotent."""
    openapi.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    plain_text = {"text/plain": {"schema": {"type": "string"}}}
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            kinds = {k for k in ("security", "requestBody") if k in operation}
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                kinds.add("path")
            for kind in kinds:
                for status, text in _IMPLIED_ERRORS[kind].items():
                    responses.setdefault(status, {"description": text})
            # The HTTP server refuses a malformed request (say, a Content-Length that is not a
            # number) with a 400 before any route runs, whatever the operation.
            responses.setdefault("400", {"description": "Malformed HTTP request"})
            for status, response in responses.items():
                if status[:1] in ("4", "5"):
                    response["content"] = error_content
            # ...and that refusal is the server's plain text, not our JSON error body.
            responses["400"]["content"] = {**error_content, **plain_text}
            if "401" in responses:
                responses["401"]["headers"] = {
                    "WWW-Authenticate": {"schema": {"type": "string"}, "required": True}
                }
    return openapi


def install_error_handlers(app: FastAPI) -> None:
    generate_openapi = app.openapi
    app.openapi = lambda: document_errors(generate_openapi())  # type: ignore[method-assign]

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
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI turns any error while reading the body into a 400; one of ours (the body
        # limit on a chunked request, common.web) keeps its own status and body.
        if isinstance(exc.__cause__, AppError):
            return await app_error(request, exc.__cause__)
        name = _HTTP_ERROR_NAMES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, name, exc.detail, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(500, "internal_error", "unexpected error")

    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        # Postgres restarting, failing over or out of connections is not a bug of ours nor
        # the client's: 503, and the same request (Idempotency-Key) succeeds once it is back.
        if database_unavailable(exc):
            log.warning(
                "database unavailable: %s", type(exc).__name__, extra={"error_type": "db_down"}
            )
            unavailable = ServiceUnavailable("database unavailable, try again")
            return await app_error(request, unavailable)
        return await unexpected(request, exc)

    for error_type in DATABASE_ERROR_TYPES:  # handled inside the middlewares: logged, counted
        app.add_exception_handler(error_type, database_error)
