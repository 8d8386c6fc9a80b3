"""Property-based fuzzing of every operation of every service, through the gateway.

schemathesis generates valid (positive) and invalid (negative) requests from each service's
OpenAPI document and sends them with the token of the least privileged identity allowed in
(tests/security/routes.py). Checks: no 5xx, every status code / content type / header /
body documented as answered, and invalid input refused with a 4xx. Bounded and
deterministic: a fixed number of examples per operation and mode, derandomized, no
shrinking and no example database.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import record_figure
from tests.security.conftest import World
from tests.security.routes import ROUTES, SERVICES, STREAMS

pytestmark = pytest.mark.e2e
EXAMPLES_PER_MODE = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MODES = {
    GenerationMode.POSITIVE: CHECKS,
    GenerationMode.NEGATIVE: [*CHECKS, negative_data_rejection],
}


@dataclass
class Tally:
    requests: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # "METHOD path (mode)" -> report


def fuzz(run: Callable[[Any], None], strategy: Any) -> None:
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=strategy)
    def test(case: Any) -> None:
        run(case)

    test()


@pytest.mark.parametrize("service", SERVICES)
def test_fuzzed_requests_get_documented_answers_and_never_a_5xx(world: World, service: str) -> None:
    schema = schemathesis.openapi.from_url(f"{world.stack.gateway_url}/{service}/openapi.json")
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        method, path = operation.method.upper(), operation.path
        if path in STREAMS:  # endless streams: covered by the authorization matrix
            continue
        headers = world.headers(ROUTES[(method, path)].fuzz_identity)
        for mode, checks in MODES.items():

            def run(case: Any, checks: list[Any] = checks, token: dict[str, str] = headers) -> None:
                # Into the case itself, so schemathesis knows the request carried a token.
                case.headers = {**(case.headers or {}), **token}
                response = case.call(base_url=world.stack.gateway_url, timeout=15)
                tally.requests += 1
                case.validate_response(response, checks=checks)

            try:
                fuzz(run, operation.as_strategy(generation_mode=mode))
            except Unsatisfiable:  # nothing to make invalid: no parameters, no body
                continue
            except BaseException as exc:  # keep going: report every failing operation at once
                if not isinstance(exc, Exception | BaseExceptionGroup):
                    raise
                tally.failures[f"{method} {path} ({mode.value})"] = str(exc)[:1500]
    record_figure(
        f"[fuzz] {service}: {tally.requests} requests, {len(tally.failures)} failing operations"
    )
    assert tally.requests >= 50
    assert not tally.failures, "\n\n".join(f"{k}:\n{v}" for k, v in tally.failures.items())
