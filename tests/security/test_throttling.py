"""Password guessing through the gateway: the account locks, with Retry-After."""

import pytest

from tests.security.conftest import World, ok, random_cpf

pytestmark = pytest.mark.e2e


def test_guessing_a_staff_password_locks_the_account_with_retry_after(world: World) -> None:
    username, password = f"guess.{random_cpf()}", "the-real-long-password"
    body = {"username": username, "password": password}
    ok(world.api.post("/auth/staff", json=body, headers=world.admin), 201)
    for n in range(5):  # AUTH_LOGIN_ACCOUNT_LIMIT's default, from any address
        wrong = {"username": username, "password": f"guess-number-{n}"}
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}  # spoofed: changes nothing
        assert world.api.post("/auth/staff/login", json=wrong, headers=headers).status_code == 401
    locked = world.api.post("/auth/staff/login", json=body)
    assert locked.status_code == 429, locked.text
    assert set(locked.json()) == {"error", "detail", "correlation_id"}
    assert locked.json()["error"] == "too_many_requests"
    assert 0 < int(locked.headers["retry-after"]) <= 900
    other = world.api.post("/auth/staff/login", json={**body, "username": "staff"})
    assert other.status_code == 401  # another account: wrong password, but not locked
