"""Auth use cases against in-memory fakes of the repository, hasher and token minter."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from auth import service
from auth.domain import Customer, InvalidCpf, StaffAccount
from auth.throttle import InMemoryAttemptStore, Rule, Throttle
from auth.tokens import IssuedToken
from common.errors import Conflict, NotFound, TooManyRequests, Unauthorized
from common.identity import Principal

IP = "203.0.113.7"


def generous() -> Throttle:
    """Limits no test below reaches, unless it is about throttling."""
    rule = Rule(1000, 60)
    return Throttle(
        InMemoryAttemptStore(), login_per_ip=rule, login_per_account=rule, lookup_per_ip=rule
    )


class FakeRepository:
    def __init__(self) -> None:
        self.customers: dict[str, Customer] = {}
        self.staff: dict[str, StaffAccount] = {}

    async def add_customer(self, customer: Customer) -> bool:
        return self.customers.setdefault(customer.cpf, customer) is customer

    async def customer_by_cpf(self, cpf: str) -> Customer | None:
        return self.customers.get(cpf)

    async def staff_by_username(self, username: str) -> StaffAccount | None:
        return self.staff.get(username)

    async def add_staff_if_absent(self, account: StaffAccount) -> bool:
        return self.staff.setdefault(account.username, account) is account

    async def set_password_hash(self, account_id: UUID, password_hash: str) -> None:
        for name, account in self.staff.items():
            if account.id == account_id:
                self.staff[name] = replace(account, password_hash=password_hash)

    async def list_staff(self) -> list[StaffAccount]:
        return sorted(self.staff.values(), key=lambda a: a.username)

    async def deactivate_staff(self, username: str, at: datetime) -> bool:
        account = self.staff[username]
        admins = [a for a in self.staff.values() if a.role == "admin" and a.active]
        if account.role == "admin" and admins == [account]:
            return False
        self.staff[username] = replace(account, active=False)
        return True


class FakeHasher:
    """'<version>:<password>'; records checks so tests see that unknown users cost a check."""

    def __init__(self, version: str = "hashed") -> None:
        self.checked: list[str | None] = []
        self.version = version

    async def hash(self, password: str) -> str:
        return f"{self.version}:{password}"

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.checked.append(password_hash)
        return password_hash is not None and password_hash.split(":", 1)[1] == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"{self.version}:")


class FakeTokens:
    def __init__(self) -> None:
        self.minted: list[Principal] = []

    async def mint(self, identity: Principal) -> IssuedToken:
        self.minted.append(identity)
        return IssuedToken(f"token-for-{identity.subject}", 900)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


async def test_anonymous_tokens_are_for_a_fresh_anonymous_customer() -> None:
    tokens = FakeTokens()
    await service.issue_anonymous_token(tokens)
    await service.issue_anonymous_token(tokens)
    first, second = tokens.minted
    assert first.anonymous and first.role == "customer" and first.name is None
    assert first.subject != second.subject


async def test_registered_customer_gets_a_token_about_them(repo: FakeRepository) -> None:
    tokens = FakeTokens()
    customer, token = await service.register_customer(
        repo,
        tokens,
        generous(),
        client_ip=IP,
        name="Maria",
        email="maria@example.com",
        cpf="529.982.247-25",
    )
    assert repo.customers["52998224725"] == customer
    assert tokens.minted == [Principal(str(customer.id), "customer", "Maria", "maria@example.com")]
    assert token.access_token == f"token-for-{customer.id}"


async def test_registering_a_taken_cpf_is_a_conflict(repo: FakeRepository) -> None:
    await service.register_customer(
        repo, FakeTokens(), generous(), client_ip=IP, name="A", email="a@x.io", cpf="52998224725"
    )
    with pytest.raises(Conflict):
        await service.register_customer(
            repo,
            FakeTokens(),
            generous(),
            client_ip=IP,
            name="B",
            email="b@x.io",
            cpf="529.982.247-25",
        )


async def test_identify_finds_the_customer_by_formatted_or_plain_cpf(repo: FakeRepository) -> None:
    registered, _ = await service.register_customer(
        repo,
        FakeTokens(),
        generous(),
        client_ip=IP,
        name="Maria",
        email="maria@example.com",
        cpf="52998224725",
    )
    for cpf in ("529.982.247-25", "52998224725"):
        customer, _ = await service.identify_customer(
            repo, FakeTokens(), generous(), client_ip=IP, cpf=cpf
        )
        assert customer == registered


async def test_identify_with_an_unknown_cpf_is_not_found(repo: FakeRepository) -> None:
    with pytest.raises(NotFound):
        await service.identify_customer(
            repo, FakeTokens(), generous(), client_ip=IP, cpf="12345678909"
        )


async def test_identify_with_an_invalid_cpf_is_refused(repo: FakeRepository) -> None:
    with pytest.raises(InvalidCpf):
        await service.identify_customer(
            repo, FakeTokens(), generous(), client_ip=IP, cpf="12345678900"
        )


async def test_staff_login_issues_a_token_with_the_account_role(repo: FakeRepository) -> None:
    hasher, tokens = FakeHasher(), FakeTokens()
    await service.create_staff_account(
        repo, hasher, username="boss", password="p" * 12, role="admin"
    )
    await service.login_staff(
        repo, hasher, tokens, generous(), client_ip=IP, username="boss", password="p" * 12
    )
    assert tokens.minted[0].role == "admin" and tokens.minted[0].name == "boss"


async def test_wrong_password_and_unknown_user_fail_alike(repo: FakeRepository) -> None:
    hasher = FakeHasher()
    await service.create_staff_account(
        repo, hasher, username="staff", password="p" * 12, role="staff"
    )
    errors = []
    for username, password in (("staff", "wrong-password"), ("nobody", "p" * 12)):
        with pytest.raises(Unauthorized) as caught:
            await service.login_staff(
                repo,
                hasher,
                FakeTokens(),
                generous(),
                client_ip=IP,
                username=username,
                password=password,
            )
        errors.append(caught.value.detail)
    assert errors == [service.LOGIN_FAILED, service.LOGIN_FAILED]
    assert hasher.checked == [f"hashed:{'p' * 12}", None]  # the unknown user cost a check too


async def test_login_upgrades_an_outdated_password_hash(repo: FakeRepository) -> None:
    await service.create_staff_account(
        repo, FakeHasher("v1"), username="staff", password="p" * 12, role="staff"
    )
    await service.login_staff(
        repo,
        FakeHasher("v2"),
        FakeTokens(),
        generous(),
        client_ip=IP,
        username="staff",
        password="p" * 12,
    )
    assert repo.staff["staff"].password_hash == "v2:" + "p" * 12


async def test_creating_an_existing_staff_account_changes_nothing(repo: FakeRepository) -> None:
    hasher = FakeHasher()
    assert await service.create_staff_account(
        repo, hasher, username="staff", password="first-password", role="staff"
    )
    assert not await service.create_staff_account(
        repo, hasher, username="staff", password="second-password", role="admin"
    )
    assert repo.staff["staff"].password_hash == "hashed:first-password"
    assert repo.staff["staff"].role == "staff"


async def test_staff_accounts_need_a_real_password_and_username(repo: FakeRepository) -> None:
    for username, password in (("staff", "short"), ("a b", "long-enough-password")):
        with pytest.raises(ValueError):
            await service.create_staff_account(
                repo, FakeHasher(), username=username, password=password, role="staff"
            )
    assert repo.staff == {}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def strict(clock: Clock) -> Throttle:
    return Throttle(
        InMemoryAttemptStore(),
        login_per_ip=Rule(4, 60),
        login_per_account=Rule(3, 900),
        lookup_per_ip=Rule(2, 60),
        clock=clock,
    )


async def staff_repo(hasher: FakeHasher) -> FakeRepository:
    repo = FakeRepository()
    await service.create_staff_account(
        repo, hasher, username="cook", password="p" * 12, role="staff"
    )
    return repo


async def login(repo: FakeRepository, hasher: FakeHasher, throttle: Throttle, **kw: str) -> None:
    args = {"client_ip": IP, "username": "cook", "password": "wrong-password"} | kw
    await service.login_staff(repo, hasher, FakeTokens(), throttle, **args)


async def test_failed_logins_lock_the_account_for_its_window_whatever_the_address() -> None:
    hasher, clock = FakeHasher(), Clock()
    repo, throttle = await staff_repo(hasher), strict(clock)
    for n in range(3):
        with pytest.raises(Unauthorized):
            await login(repo, hasher, throttle, client_ip=f"198.51.100.{n}")
    checks = len(hasher.checked)
    with pytest.raises(TooManyRequests) as caught:  # even with the right password
        await login(repo, hasher, throttle, client_ip="198.51.100.9", password="p" * 12)
    assert caught.value.headers == {"Retry-After": "900"}
    assert len(hasher.checked) == checks  # refused before paying for a hash check
    clock.now += timedelta(seconds=901)
    await login(repo, hasher, throttle, password="p" * 12)


async def test_a_successful_login_forgives_the_accounts_earlier_failures() -> None:
    hasher, clock = FakeHasher(), Clock()
    repo = await staff_repo(hasher)
    throttle = Throttle(
        InMemoryAttemptStore(),
        login_per_ip=Rule(100, 60),
        login_per_account=Rule(3, 900),
        lookup_per_ip=Rule(2, 60),
        clock=clock,
    )
    for _ in range(3):
        for _ in range(2):
            with pytest.raises(Unauthorized):
                await login(repo, hasher, throttle)
        await login(repo, hasher, throttle, password="p" * 12)


async def test_one_address_cannot_guess_across_many_accounts() -> None:
    hasher, clock = FakeHasher(), Clock()
    repo, throttle = await staff_repo(hasher), strict(clock)
    for n in range(4):
        with pytest.raises(Unauthorized):
            await login(repo, hasher, throttle, username=f"user{n}")
    with pytest.raises(TooManyRequests) as caught:
        await login(repo, hasher, throttle, username="cook", password="p" * 12)
    assert caught.value.headers == {"Retry-After": "60"}
    clock.now += timedelta(seconds=30)
    with pytest.raises(TooManyRequests) as caught:
        await login(repo, hasher, throttle, username="cook", password="p" * 12)
    assert caught.value.headers == {"Retry-After": "30"}  # a sliding window
    await login(repo, hasher, throttle, username="cook", password="p" * 12, client_ip="::1")


async def test_customer_lookups_are_throttled_per_address(repo: FakeRepository) -> None:
    clock = Clock()
    throttle = strict(clock)
    await service.register_customer(
        repo, FakeTokens(), throttle, client_ip=IP, name="A", email="a@x.io", cpf="52998224725"
    )
    await service.identify_customer(repo, FakeTokens(), throttle, client_ip=IP, cpf="52998224725")
    with pytest.raises(TooManyRequests):
        await service.identify_customer(
            repo, FakeTokens(), throttle, client_ip=IP, cpf="52998224725"
        )
    with pytest.raises(TooManyRequests):
        await service.register_customer(
            repo, FakeTokens(), throttle, client_ip=IP, name="B", email="b@x.io", cpf="11144477735"
        )
    await service.identify_customer(
        repo, FakeTokens(), throttle, client_ip="198.51.100.1", cpf="52998224725"
    )


async def test_deactivated_staff_cannot_log_in_and_are_still_listed() -> None:
    hasher = FakeHasher()
    repo = await staff_repo(hasher)
    admin = await service.add_staff_account(
        repo, hasher, username="boss", password="b" * 12, role="admin", by="cli"
    )
    await service.deactivate_staff_account(repo, username="cook", by=str(admin.id))
    with pytest.raises(Unauthorized) as caught:
        await login(repo, hasher, generous(), password="p" * 12)
    assert caught.value.detail == service.LOGIN_FAILED  # no hint that the account exists
    listed = await service.list_staff_accounts(repo)
    assert [(a.username, a.active) for a in listed] == [("boss", True), ("cook", False)]


async def test_adding_an_existing_username_is_a_conflict() -> None:
    hasher = FakeHasher()
    repo = await staff_repo(hasher)
    with pytest.raises(Conflict):
        await service.add_staff_account(
            repo, hasher, username="cook", password="x" * 12, role="admin", by="admin-id"
        )
    assert repo.staff["cook"].role == "staff"


async def test_admins_cannot_remove_themselves_or_the_last_admin() -> None:
    hasher = FakeHasher()
    repo = FakeRepository()
    first = await service.add_staff_account(
        repo, hasher, username="first", password="f" * 12, role="admin", by="cli"
    )
    with pytest.raises(Conflict):
        await service.deactivate_staff_account(repo, username="first", by=str(first.id))
    with pytest.raises(Conflict):  # the last active admin, whoever asks
        await service.deactivate_staff_account(repo, username="first", by="someone-else")
    with pytest.raises(NotFound):
        await service.deactivate_staff_account(repo, username="ghost", by=str(first.id))
    second = await service.add_staff_account(
        repo, hasher, username="second", password="s" * 12, role="admin", by=str(first.id)
    )
    await service.deactivate_staff_account(repo, username="first", by=str(second.id))
    assert not repo.staff["first"].active
