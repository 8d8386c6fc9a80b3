"""What the auth routes receive, as `Annotated` aliases over what `main.py` put on app.state.

Typed by the service's ports, not by the adapters, so a route reaches the store only through
the use cases it calls.
"""

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from auth import service
from auth.signing import KeyRing
from auth.throttle import Throttle


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


async def _client_ip_of(request: Request) -> str:
    hops: int = request.app.state.proxy_hops
    return client_ip(request, trust_proxy_headers=hops > 0, proxy_hops=hops)


Customers = Annotated[service.CustomerRepository, Depends(_customers)]
StaffAccounts = Annotated[service.StaffRepository, Depends(_staff)]
Hasher = Annotated[service.PasswordHasher, Depends(_hasher)]
Tokens = Annotated[service.TokenMinter, Depends(_tokens)]
Keys = Annotated[KeyRing, Depends(_key_ring)]
Issuer = Annotated[str, Depends(_issuer)]
Throttles = Annotated[Throttle, Depends(_throttle)]
ClientIp = Annotated[str, Depends(_client_ip_of)]


def client_ip(request: Request, *, trust_proxy_headers: bool, proxy_hops: int = 1) -> str:
    """The caller's address, for per-IP throttling.

    Behind proxies, `X-Forwarded-For` is "client, proxy1, ..." where each proxy *appends* the
    peer it saw, and anything left of that is whatever the client chose to send. So the
    trustworthy entry is the one written by the outermost proxy we run: `proxy_hops` from the
    right (1 locally: the gateway; API Gateway + ALB on AWS append two). Without trusted
    proxies (or a short header) the socket peer is used.
    """
    peer = request.client.host if request.client else "unknown"
    if not trust_proxy_headers or proxy_hops < 1:
        return peer
    hops = [
        entry.strip()
        for value in request.headers.getlist("x-forwarded-for")
        for entry in value.split(",")
        if entry.strip()
    ]
    if len(hops) < proxy_hops:
        return peer
    candidate = hops[-proxy_hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
