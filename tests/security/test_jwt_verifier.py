"""The shared verifier's key handling: rotation, rate-limited JWKS refresh, clock leeway."""

import asyncio
import time
import uuid
from typing import Any

import pytest

from common.errors import Unauthorized
from common.security import JwtVerifier
from tests.tokens import AUDIENCE, ISSUER, TestIssuer

OLD, NEW = TestIssuer("key-2025"), TestIssuer("key-2026")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Jwks:
    """A JWKS endpoint whose content the test changes, counting fetches."""

    def __init__(self, *issuers: TestIssuer, delay: float = 0.0) -> None:
        self.keys = [i.public_jwk for i in issuers]
        self.fetches = 0
        self.delay = delay
        self.failing = False

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        await asyncio.sleep(self.delay)
        if self.failing:
            raise ConnectionError("auth is down")
        return {"keys": list(self.keys)}


def verifier(jwks: Jwks, clock: Clock, **kwargs: Any) -> JwtVerifier:
    return JwtVerifier(jwks, issuer=ISSUER, audience=AUDIENCE, clock=clock, **kwargs)


async def test_a_token_of_a_rotated_in_key_is_accepted_after_one_refresh() -> None:
    jwks, clock = Jwks(OLD), Clock()
    check = verifier(jwks, clock)
    assert (await check.verify(OLD.token("staff"))).role == "staff"
    jwks.keys.insert(0, NEW.public_jwk)  # auth rotated: new key signs, old key still listed
    clock.now += 60
    assert (await check.verify(NEW.token("customer"))).role == "customer"
    assert (await check.verify(OLD.token("admin"))).role == "admin"
    assert jwks.fetches == 2


async def test_a_flood_of_unknown_kids_fetches_the_jwks_once_per_interval() -> None:
    jwks, clock = Jwks(OLD), Clock()
    check = verifier(jwks, clock, min_refresh_seconds=30)
    await check.verify(OLD.token())
    forged = [TestIssuer(f"forged-{n}").token("admin") for n in range(3)]
    clock.now += 30
    for _ in range(3):  # 180 forged tokens over 30 s
        results = await asyncio.gather(
            *(check.verify(forged[n % 3]) for n in range(60)), return_exceptions=True
        )
        assert all(isinstance(r, Unauthorized) for r in results)
        clock.now += 10
    assert jwks.fetches == 2  # the first verification, then one refresh in 30 s
    clock.now += 30
    await asyncio.gather(*(check.verify(t) for t in forged), return_exceptions=True)
    assert jwks.fetches == 3


async def test_callers_arriving_during_a_refresh_wait_for_it_instead_of_failing() -> None:
    jwks, clock = Jwks(OLD, delay=0.05), Clock()
    check = verifier(jwks, clock)
    await check.verify(OLD.token())
    jwks.keys.append(NEW.public_jwk)
    clock.now += 60
    principals = await asyncio.gather(*(check.verify(NEW.token()) for _ in range(20)))
    assert len(principals) == 20 and jwks.fetches == 2


async def test_a_key_dropped_from_the_jwks_stops_working_once_the_cache_is_stale() -> None:
    jwks, clock = Jwks(OLD, NEW), Clock()
    check = verifier(jwks, clock, max_key_age_seconds=300)
    token = OLD.token()
    await check.verify(token)
    jwks.keys = [NEW.public_jwk]  # OLD retired (or revoked)
    clock.now += 200
    await check.verify(token)  # still cached
    clock.now += 120
    with pytest.raises(Unauthorized, match="unknown signing key"):
        await check.verify(token)


async def test_keys_already_known_survive_a_jwks_outage() -> None:
    jwks, clock = Jwks(OLD), Clock()
    check = verifier(jwks, clock, max_key_age_seconds=60)
    await check.verify(OLD.token())
    jwks.failing = True
    clock.now += 600
    assert (await check.verify(OLD.token("staff"))).role == "staff"


async def test_only_rsa_signing_keys_of_the_jwks_are_trusted() -> None:
    hostile = {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"}
    encryption = {**NEW.public_jwk, "use": "enc"}
    jwks = Jwks()
    jwks.keys = [hostile, encryption]
    check = verifier(jwks, Clock())
    for token in (TestIssuer("hmac").token(), NEW.token()):
        with pytest.raises(Unauthorized):
            await check.verify(token)


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"nbf_offset": 20}, True),  # a clock 20 s behind ours: within the 30 s leeway
        ({"nbf_offset": 60}, False),
        ({"iat_offset": 20}, True),
        ({"iat_offset": 60}, False),
        ({"exp_offset": -20}, True),
        ({"exp_offset": -60}, False),
    ],
)
async def test_times_are_checked_with_thirty_seconds_of_leeway(
    claims: dict[str, int], accepted: bool
) -> None:
    now = int(time.time())
    token = OLD.token(
        "customer",
        iat=now + claims.get("iat_offset", 0),
        nbf=now + claims.get("nbf_offset", 0),
        exp=now + 600 if "exp_offset" not in claims else now + claims["exp_offset"],
        jti=str(uuid.uuid4()),
    )
    check = verifier(Jwks(OLD), Clock())
    if accepted:
        assert (await check.verify(token)).role == "customer"
    else:
        with pytest.raises(Unauthorized):
            await check.verify(token)


async def test_a_failed_first_fetch_is_retried_after_five_seconds_not_thirty() -> None:
    jwks, clock = Jwks(OLD), Clock()
    jwks.failing = True  # auth still starting
    check = verifier(jwks, clock, min_refresh_seconds=30)
    for _ in range(10):
        with pytest.raises(Unauthorized):
            await check.verify(OLD.token())
    clock.now += 5
    jwks.failing = False
    assert (await check.verify(OLD.token())).role == "customer"
    assert jwks.fetches == 2
