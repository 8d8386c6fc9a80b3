"""Auth HTTP API: tokens for customers (CPF or anonymous) and staff, JWKS and discovery."""

from typing import Any

from fastapi import APIRouter, Response, status

from auth import service
from auth.dependencies import (
    ClientIp,
    Customers,
    Hasher,
    Issuer,
    Keys,
    StaffAccounts,
    Throttles,
    Tokens,
)
from auth.schemas import (
    CpfIn,
    CustomerTokenOut,
    JwksOut,
    MeOut,
    RegisterIn,
    StaffLoginIn,
    TokenOut,
)
from common.security import CurrentUser

router = APIRouter(tags=["auth"])
JWKS_MAX_AGE_SECONDS = 300  # verifiers may cache; rotation keeps old keys far longer
THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many attempts from this address or for this account",
        "headers": {
            "Retry-After": {
                "description": "Seconds until an attempt is allowed again",
                "schema": {"type": "integer"},
                "required": True,
            }
        },
    }
}


@router.post("/token/anonymous", status_code=status.HTTP_201_CREATED, response_model=TokenOut)
async def anonymous_token(tokens: Tokens) -> TokenOut:
    return TokenOut.of(await service.issue_anonymous_token(tokens))


@router.post(
    "/customers",
    status_code=status.HTTP_201_CREATED,
    response_model=CustomerTokenOut,
    responses={409: {"description": "CPF already registered"}, **THROTTLED},
)
async def register_customer(
    body: RegisterIn, repo: Customers, tokens: Tokens, throttle: Throttles, ip: ClientIp
) -> CustomerTokenOut:
    customer, token = await service.register_customer(
        repo, tokens, throttle, client_ip=ip, name=body.name, email=body.email, cpf=body.cpf
    )
    return CustomerTokenOut.of_customer(customer, token)


@router.post(
    "/customers/identify",
    response_model=CustomerTokenOut,
    responses={404: {"description": "No customer with this CPF"}, **THROTTLED},
)
async def identify_customer(
    body: CpfIn, repo: Customers, tokens: Tokens, throttle: Throttles, ip: ClientIp
) -> CustomerTokenOut:
    customer, token = await service.identify_customer(
        repo, tokens, throttle, client_ip=ip, cpf=body.cpf
    )
    return CustomerTokenOut.of_customer(customer, token)


@router.post(
    "/staff/login",
    response_model=TokenOut,
    responses={401: {"description": "Invalid username or password"}, **THROTTLED},
)
async def staff_login(
    body: StaffLoginIn,
    repo: StaffAccounts,
    hasher: Hasher,
    tokens: Tokens,
    throttle: Throttles,
    ip: ClientIp,
) -> TokenOut:
    token = await service.login_staff(
        repo,
        hasher,
        tokens,
        throttle,
        client_ip=ip,
        username=body.username,
        password=body.password,
    )
    return TokenOut.of(token)


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentUser) -> MeOut:
    return MeOut(
        subject=principal.subject,
        role=principal.role,
        name=principal.name,
        email=principal.email,
        anonymous=principal.anonymous,
    )


@router.get("/.well-known/jwks.json", response_model=JwksOut)
async def jwks(keys: Keys, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    return keys.jwks()


@router.get("/.well-known/openid-configuration")
async def openid_configuration(issuer: Issuer, response: Response) -> dict[str, Any]:
    """Discovery for the API Gateway JWT authorizer: it finds jwks_uri from the issuer."""
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE_SECONDS}"
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "token_endpoint": f"{base}/staff/login",
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "claims_supported": [
            "iss",
            "aud",
            "sub",
            "iat",
            "nbf",
            "exp",
            "jti",
            "role",
            "name",
            "email",
            "anonymous",
        ],
    }
