"""Auth use cases against in-memory fakes of the repository, hasher and token minter."""

from uuid import UUID

import pytest

from auth import service
from auth.domain import Customer, Identity, InvalidCpf, StaffAccount
from auth.tokens import IssuedToken
from common.errors import Conflict, NotFound, Unauthorized


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
                self.staff[name] = StaffAccount(account.id, name, password_hash, account.role)


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
        self.minted: list[Identity] = []

    async def mint(self, identity: Identity) -> IssuedToken:
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
        repo, tokens, name="Maria", email="maria@example.com", cpf="529.982.247-25"
    )
    assert repo.customers["52998224725"] == customer
    assert tokens.minted == [Identity(str(customer.id), "customer", "Maria", "maria@example.com")]
    assert token.access_token == f"token-for-{customer.id}"


async def test_registering_a_taken_cpf_is_a_conflict(repo: FakeRepository) -> None:
    await service.register_customer(repo, FakeTokens(), name="A", email="a@x.io", cpf="52998224725")
    with pytest.raises(Conflict):
        await service.register_customer(
            repo, FakeTokens(), name="B", email="b@x.io", cpf="529.982.247-25"
        )


async def test_identify_finds_the_customer_by_formatted_or_plain_cpf(repo: FakeRepository) -> None:
    registered, _ = await service.register_customer(
        repo, FakeTokens(), name="Maria", email="maria@example.com", cpf="52998224725"
    )
    for cpf in ("529.982.247-25", "52998224725"):
        customer, _ = await service.identify_customer(repo, FakeTokens(), cpf=cpf)
        assert customer == registered


async def test_identify_with_an_unknown_cpf_is_not_found(repo: FakeRepository) -> None:
    with pytest.raises(NotFound):
        await service.identify_customer(repo, FakeTokens(), cpf="12345678909")


async def test_identify_with_an_invalid_cpf_is_refused(repo: FakeRepository) -> None:
    with pytest.raises(InvalidCpf):
        await service.identify_customer(repo, FakeTokens(), cpf="12345678900")


async def test_staff_login_issues_a_token_with_the_account_role(repo: FakeRepository) -> None:
    hasher, tokens = FakeHasher(), FakeTokens()
    await service.create_staff_account(
        repo, hasher, username="boss", password="p" * 12, role="admin"
    )
    await service.login_staff(repo, hasher, tokens, username="boss", password="p" * 12)
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
                repo, hasher, FakeTokens(), username=username, password=password
            )
        errors.append(caught.value.detail)
    assert errors == [service.LOGIN_FAILED, service.LOGIN_FAILED]
    assert hasher.checked == [f"hashed:{'p' * 12}", None]  # the unknown user cost a check too


async def test_login_upgrades_an_outdated_password_hash(repo: FakeRepository) -> None:
    await service.create_staff_account(
        repo, FakeHasher("v1"), username="staff", password="p" * 12, role="staff"
    )
    await service.login_staff(
        repo, FakeHasher("v2"), FakeTokens(), username="staff", password="p" * 12
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
