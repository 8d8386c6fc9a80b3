"""Who a token is about: the one definition auth mints from and every verifier returns.

Pure (no I/O, no framework), so a domain module may use it.
"""

from dataclasses import dataclass
from typing import Literal

Role = Literal["customer", "staff", "admin"]
ROLES: tuple[Role, ...] = ("customer", "staff", "admin")


@dataclass(frozen=True)
class Principal:
    """The claims sub, role, name, email and anonymous of an access token."""

    subject: str
    role: Role
    name: str | None = None
    email: str | None = None
    anonymous: bool = False

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")
