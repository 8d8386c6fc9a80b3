"""Auth use cases. Each takes its ports as arguments, so unit tests pass in-memory fakes."""

from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID, uuid4

from auth.domain import (
    Customer,
    StaffAccount,
    StaffRole,
    check_new_password,
    check_username,
    normalize_cpf,
    principal_of_customer,
    principal_of_staff,
)
from auth.throttle import Throttle
from auth.tokens import IssuedToken
from common.errors import Conflict, NotFound, Unauthorized
from common.identity import Principal
from common.logging import get_logger

log = get_logger(__name__)
LOGIN_FAILED = "invalid username or password"  # one message: never reveal which was wrong


class CustomerRepository(Protocol):
    async def add_customer(self, customer: Customer) -> bool: ...
    async def customer_by_cpf(self, cpf: str) -> Customer | None: ...


class StaffRepository(Protocol):
    async def staff_by_username(self, username: str) -> StaffAccount | None: ...
    async def add_staff_if_absent(self, account: StaffAccount) -> bool: ...
    async def set_password_hash(self, account_id: UUID, password_hash: str) -> None: ...
    async def list_staff(self) -> list[StaffAccount]: ...
    async def deactivate_staff(self, username: str, at: datetime) -> bool: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """None (no such account) must cost as much as a real check, and return False."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class TokenMinter(Protocol):
    async def mint(self, identity: Principal) -> IssuedToken: ...


async def issue_anonymous_token(tokens: TokenMinter) -> IssuedToken:
    return await tokens.mint(Principal(str(uuid4()), "customer", anonymous=True))


async def register_customer(
    customers: CustomerRepository,
    tokens: TokenMinter,
    throttle: Throttle,
    *,
    client_ip: str,
    name: str,
    email: str,
    cpf: str,
) -> tuple[Customer, IssuedToken]:
    # Throttled like identify: a 409 here tells whether a CPF is registered.
    await throttle.customer_lookup(client_ip)
    customer = Customer(
        id=uuid4(), cpf=normalize_cpf(cpf), name=name, email=email, created_at=datetime.now(UTC)
    )
    if not await customers.add_customer(customer):
        raise Conflict("a customer with this CPF is already registered")
    log.info("customer registered", extra={"customer_id": str(customer.id)})
    return customer, await tokens.mint(principal_of_customer(customer))


async def identify_customer(
    customers: CustomerRepository,
    tokens: TokenMinter,
    throttle: Throttle,
    *,
    client_ip: str,
    cpf: str,
) -> tuple[Customer, IssuedToken]:
    await throttle.customer_lookup(client_ip)  # the answer carries a name and an e-mail
    customer = await customers.customer_by_cpf(normalize_cpf(cpf))
    if customer is None:
        raise NotFound("no customer with this CPF")
    return customer, await tokens.mint(principal_of_customer(customer))


async def login_staff(
    staff: StaffRepository,
    hasher: PasswordHasher,
    tokens: TokenMinter,
    throttle: Throttle,
    *,
    client_ip: str,
    username: str,
    password: str,
) -> IssuedToken:
    await throttle.staff_login(client_ip, username)  # before the costly hash check
    account = await staff.staff_by_username(username)
    # Unknown users still pay for a hash check: timing must not reveal which usernames exist.
    valid = await hasher.verify(account.password_hash if account else None, password)
    if account is None or not valid or not account.active:
        log.info("staff login refused")
        raise Unauthorized(LOGIN_FAILED)
    await throttle.staff_login_succeeded(username)
    if hasher.needs_rehash(account.password_hash):  # KDF parameters were raised since
        await staff.set_password_hash(account.id, await hasher.hash(password))
    return await tokens.mint(principal_of_staff(account))


async def create_staff_account(
    staff: StaffRepository,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    role: StaffRole,
) -> bool:
    """Create the account unless the username exists; True when it was created."""
    check_username(username)
    if await staff.staff_by_username(username) is not None:
        return False  # skip the costly hash on every start-up once seeded
    account = StaffAccount(
        id=uuid4(),
        username=username,
        role=role,
        password_hash=await hasher.hash(check_new_password(password)),
    )
    created = await staff.add_staff_if_absent(account)
    if created:
        log.info("staff account created", extra={"username": username, "role": role})
    return created


async def add_staff_account(
    staff: StaffRepository,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    role: StaffRole,
    by: str,
) -> StaffAccount:
    """An admin creates a staff or admin account; an existing username is a conflict."""
    if not await create_staff_account(
        staff, hasher, username=username, password=password, role=role
    ):
        raise Conflict("a staff account with this username already exists")
    account = await staff.staff_by_username(username)
    assert account is not None
    log.info("staff account added", extra={"username": username, "role": role, "by": by})
    return account


async def list_staff_accounts(staff: StaffRepository) -> list[StaffAccount]:
    return await staff.list_staff()


async def deactivate_staff_account(staff: StaffRepository, *, username: str, by: str) -> None:
    """Deactivate (never delete) an account. Tokens already issued live out their short
    lifetime; the last active admin cannot be deactivated, so someone can always manage."""
    account = await staff.staff_by_username(username)
    if account is None:
        raise NotFound("no staff account with this username")
    if str(account.id) == by:
        raise Conflict("an admin cannot deactivate their own account")
    if not await staff.deactivate_staff(username, datetime.now(UTC)):
        raise Conflict("the last active admin cannot be deactivated")
    log.info("staff account deactivated", extra={"username": username, "by": by})
