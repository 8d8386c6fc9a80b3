"""What the auth routes receive, as `Annotated` aliases over what `main.py` put on app.state.

Typed by the service's ports, not by the adapters, so a route reaches the store only through
the use cases it calls.
"""

from typing import Annotated

from fastapi import Depends, Request

from auth import service
from auth.signing import KeyRing
from auth.throttle import Throttle
from common.security import client_ip


async def _customers(request: Request) -> service.CustomerRepository:
    customers: service.CustomerRepository = request.app.state.repository
    return customers


async def _staff(request: Request) -> service.StaffRepository:
    staff: service.StaffRepository = request.app.state.repository
    return staff


async def _hasher(request: Request) -> service.PasswordHasher:
    hasher: service.PasswordHasher = request.app.state.hasher
    return hasher


async def _tokens(request: Request) -> service.TokenMinter:
    tokens: service.TokenMinter = request.app.state.tokens
    return tokens


async def _key_ring(request: Request) -> KeyRing:
    key_ring: KeyRing = request.app.state.key_ring
    return key_ring


async def _issuer(request: Request) -> str:
    issuer: str = request.app.state.issuer
    return issuer


async def _throttle(request: Request) -> Throttle:
    throttle: Throttle = request.app.state.throttle
    return throttle


async def _client_ip(request: Request) -> str:
    hops: int = request.app.state.proxy_hops
    return client_ip(request, trust_proxy_headers=hops > 0, proxy_hops=hops)


Customers = Annotated[service.CustomerRepository, Depends(_customers)]
StaffAccounts = Annotated[service.StaffRepository, Depends(_staff)]
Hasher = Annotated[service.PasswordHasher, Depends(_hasher)]
Tokens = Annotated[service.TokenMinter, Depends(_tokens)]
Keys = Annotated[KeyRing, Depends(_key_ring)]
Issuer = Annotated[str, Depends(_issuer)]
Throttles = Annotated[Throttle, Depends(_throttle)]
ClientIp = Annotated[str, Depends(_client_ip)]
