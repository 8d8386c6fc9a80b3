"""Who may call what: the declared access table of every route of every service.

The matrix test checks each route against it with five identities, and fails on any route
of the OpenAPI documents that is missing here (a new route must be given its access rule).
"""

from dataclasses import dataclass
from typing import Literal

Expect = Literal["2xx", 401, 403]
IDENTITIES = ("none", "customer", "other", "staff", "admin")
SERVICES = ("auth", "catalog", "order", "payment", "production")


@dataclass(frozen=True)
class Access:
    """The expected answer per identity; "other" is a second customer (not the owner)."""

    none: Expect
    customer: Expect
    other: Expect
    staff: Expect
    admin: Expect

    def expected(self, identity: str) -> Expect:
        value: Expect = getattr(self, identity)
        return value

    @property
    def fuzz_identity(self) -> str:
        """The least privileged identity allowed in: the fuzzer calls with its token."""
        return next((i for i in IDENTITIES if self.expected(i) == "2xx"), "admin")


PUBLIC = Access("2xx", "2xx", "2xx", "2xx", "2xx")
SIGNED_IN = Access(401, "2xx", "2xx", "2xx", "2xx")
OWNER_OR_STAFF = Access(401, "2xx", 403, "2xx", "2xx")
CUSTOMERS = Access(401, "2xx", "2xx", 403, 403)
STAFF = Access(401, 403, 403, "2xx", "2xx")
ADMIN = Access(401, 403, 403, 403, "2xx")

ROUTES: dict[tuple[str, str], Access] = {
    # auth: token issue routes, keys and discovery are public; staff management is admin's
    ("GET", "/auth/health"): PUBLIC,
    ("GET", "/auth/ready"): SIGNED_IN,  # behind the JWT authorizer (routes.json)
    ("POST", "/auth/token/anonymous"): PUBLIC,
    ("POST", "/auth/customers"): PUBLIC,
    ("POST", "/auth/customers/identify"): PUBLIC,
    ("POST", "/auth/staff/login"): PUBLIC,
    ("GET", "/auth/.well-known/jwks.json"): PUBLIC,
    ("GET", "/auth/.well-known/openid-configuration"): PUBLIC,
    ("GET", "/auth/me"): SIGNED_IN,
    ("POST", "/auth/staff"): ADMIN,
    ("GET", "/auth/staff"): ADMIN,
    ("DELETE", "/auth/staff/{username}"): ADMIN,
    # catalog: public reads, staff writes
    ("GET", "/catalog/health"): PUBLIC,
    ("GET", "/catalog/ready"): PUBLIC,
    ("GET", "/catalog/categories"): PUBLIC,
    ("GET", "/catalog/products"): PUBLIC,
    ("GET", "/catalog/products/batch"): PUBLIC,
    ("GET", "/catalog/products/{product_id}"): PUBLIC,
    ("POST", "/catalog/products"): STAFF,
    ("PUT", "/catalog/products/{product_id}"): STAFF,
    ("DELETE", "/catalog/products/{product_id}"): STAFF,
    # order: customers order and see their own; staff see all
    ("GET", "/order/health"): PUBLIC,
    ("GET", "/order/ready"): SIGNED_IN,  # behind the JWT authorizer (routes.json)
    ("POST", "/order"): CUSTOMERS,
    ("GET", "/order"): STAFF,
    ("GET", "/order/mine"): SIGNED_IN,
    ("GET", "/order/{order_id}"): OWNER_OR_STAFF,
    ("GET", "/order/{order_id}/history"): OWNER_OR_STAFF,
    ("POST", "/order/{order_id}/cancel"): OWNER_OR_STAFF,  # unpaid only; anonymous too
    ("GET", "/order/{order_id}/events"): OWNER_OR_STAFF,
    ("GET", "/order/board/events"): PUBLIC,  # display numbers only, for the lobby screen
    # payment: the webhook is public (its signature is the credential)
    ("GET", "/payment/health"): PUBLIC,
    ("GET", "/payment/ready"): SIGNED_IN,  # behind the JWT authorizer (routes.json)
    ("POST", "/payment/webhook"): PUBLIC,
    ("GET", "/payment/{payment_id}"): OWNER_OR_STAFF,
    ("GET", "/payment/order/{order_id}"): OWNER_OR_STAFF,
    # production: the kitchen is staff's
    ("GET", "/production/health"): PUBLIC,
    ("GET", "/production/ready"): SIGNED_IN,  # behind the JWT authorizer (routes.json)
    ("GET", "/production"): STAFF,
    ("GET", "/production/events"): STAFF,
    ("GET", "/production/{production_id}"): STAFF,
    ("PUT", "/production/{production_id}/started"): STAFF,
    ("PUT", "/production/{production_id}/completed"): STAFF,
    ("PUT", "/production/{production_id}/delivered"): STAFF,
}

# Server-sent event streams never end: the matrix reads their status line only, the fuzzer
# leaves them out.
STREAMS = {path for _, path in ROUTES if path.endswith("/events")}
# Public pages outside the OpenAPI documents, checked too.
DOCS = [(svc, page) for svc in SERVICES for page in ("docs", "openapi.json")]
