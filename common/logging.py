"""JSON logs, one object per line, carrying the correlation id of the request or message.

Personal data and credentials never reach the log: CPFs, e-mails and tokens are masked.
"""

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace as otel_trace

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

_MASKS = (
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*"), "<jwt>"),
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1<token>"),
    (
        re.compile(r"(?i)(access_token|password|secret)([\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
        r"\1\2<redacted>",
    ),
    # Bare 11-digit numbers are masked only next to "cpf": payment ids have 11 digits too.
    (re.compile(r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b"), "<cpf>"),
    (re.compile(r"(?i)(cpf\W{0,4})\d{11}\b"), r"\1<cpf>"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
)
# Every pattern above needs one of these; most log text (paths, event names) has none, and
# is then returned without running the six substitutions (a per-request cost: access logs).
_MAYBE_SENSITIVE = re.compile(r"eyJ|@|\d{3}\.\d{3}|(?i:bearer|access_token|password|secret|cpf)")
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


def mask(text: str) -> str:
    if not _MAYBE_SENSITIVE.search(text):
        return text
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def set_correlation_id(value: str | None) -> None:
    _correlation_id.set(value)


def get_correlation_id() -> str | None:
    return _correlation_id.get()


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": mask(record.getMessage()),
            "correlation_id": get_correlation_id(),
        }
        span = otel_trace.get_current_span().get_span_context()
        if span.is_valid:  # logs and traces meet on trace_id / span_id
            entry["trace_id"], entry["span_id"] = f"{span.trace_id:032x}", f"{span.span_id:016x}"
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                if "cpf" in key.lower() or "email" in key.lower():
                    value = "<redacted>"
                entry[key] = mask(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("botocore", "aiobotocore", "urllib3", "httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
