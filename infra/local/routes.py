"""The public API's route table (infra/terraform/routes.json), as API Gateway matches it.

Terraform turns the same file into HTTP API routes (infra/terraform/services.tf); the local
gateway asks `RouteTable.match` which authorization a request gets. API Gateway picks the
most specific route key: literal segments over `{param}` over a greedy `{proxy+}`, an exact
method over `ANY`; whatever matches nothing falls to `ANY /{proxy+}` (JWT, header).
"""

import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

ROUTES_FILE = Path(__file__).resolve().parents[1] / "terraform" / "routes.json"


class Auth(Enum):
    PUBLIC = "public"  # authorization_type NONE
    JWT = "jwt"  # the JWT authorizer, token in the Authorization header
    QUERY_JWT = "query_jwt"  # the JWT authorizer, token in ?access_token= (EventSource)
    DENIED = "denied"  # AWS_IAM: no public caller can sign for it; 403


@dataclass(frozen=True)
class RouteKey:
    method: str  # "GET", ..., or "ANY"
    segments: tuple[str, ...]
    auth: Auth

    @classmethod
    def parse(cls, key: str, auth: Auth) -> "RouteKey":
        method, _, path = key.partition(" ")
        return cls(method, tuple(path.strip("/").split("/")), auth)

    @property
    def key(self) -> str:
        return f"{self.method} /{'/'.join(self.segments)}"

    def matches(self, method: str, segments: list[str]) -> bool:
        if self.method not in ("ANY", method):
            return False
        if self.segments[-1].endswith("+}"):  # greedy: one segment or more
            head = self.segments[:-1]
            return len(segments) > len(head) and all(
                _segment_matches(p, s) for p, s in zip(head, segments, strict=False)
            )
        return len(segments) == len(self.segments) and all(
            _segment_matches(p, s) for p, s in zip(self.segments, segments, strict=True)
        )

    @property
    def specificity(self) -> tuple[int, int, int]:
        greedy = self.segments[-1].endswith("+}")
        literals = sum(1 for s in self.segments if not s.startswith("{"))
        return (0 if greedy else 1, literals, 0 if self.method == "ANY" else 1)


def _segment_matches(pattern: str, segment: str) -> bool:
    return (pattern.startswith("{") and segment != "") or pattern == segment


@dataclass(frozen=True)
class RouteTable:
    routes: tuple[RouteKey, ...]
    query_token_parameter: str
    integration_timeout_seconds: float

    @classmethod
    def load(cls, services: list[str], path: Path = ROUTES_FILE) -> "RouteTable":
        data: dict[str, Any] = json.loads(path.read_text())
        per = {
            "public_per_service": Auth.PUBLIC,
            "denied_per_service": Auth.DENIED,
        }
        routes = [RouteKey.parse(k, Auth.PUBLIC) for k in data["public"]]
        routes += [RouteKey.parse(k, Auth.QUERY_JWT) for k in data["query_token"]]
        for field, auth in per.items():
            routes += [
                RouteKey.parse(k.replace("{service}", svc), auth)
                for k in data[field]
                for svc in services
            ]
        return cls(
            tuple(routes),
            data["query_token_parameter"],
            data["integration_timeout_milliseconds"] / 1000,
        )

    def match(self, method: str, path: str) -> Auth:
        segments = path.strip("/").split("/")
        found = [r for r in self.routes if r.matches(method, segments)]
        if not found:
            return Auth.JWT  # ANY /{proxy+}
        return max(found, key=lambda r: r.specificity).auth

    def keys(self, auth: Auth) -> set[str]:
        return {r.key for r in self.routes if r.auth is auth}
