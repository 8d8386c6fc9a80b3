"""One call per process sets up what it reports: JSON logs and OpenTelemetry tracing.

Kept apart from `common.logging` so the import graph stays one-way:
logging ← metrics ← tracing ← observability.
"""

from common.logging import configure_logging
from common.tracing import setup_tracing


def setup_observability(service: str, level: str = "INFO") -> None:
    """Every process entry point calls this once, before it logs or serves anything."""
    configure_logging(service, level)
    setup_tracing(service)
