"""Names of the AWS resources every component agrees on.

`resources.json` is the single source of truth read by the services' default settings,
the local bootstrap (moto / LocalStack) and the Terraform tests.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

RESOURCES_FILE = Path(__file__).with_name("resources.json")


@dataclass(frozen=True)
class TableSpec:
    name: str
    hash_key: str
    indexes: dict[str, str]  # index name -> hash key
    ttl_attribute: str | None


@dataclass(frozen=True)
class Resources:
    project: str
    queues: dict[str, str]  # service -> queue name
    dlq_suffix: str
    max_receive_count: int
    visibility_timeout_seconds: int
    tables: tuple[TableSpec, ...]
    secrets: dict[str, str]

    def dlq_name(self, queue_name: str) -> str:
        return f"{queue_name}{self.dlq_suffix}"

    def table(self, name: str) -> TableSpec:
        return next(table for table in self.tables if table.name == name)


@cache
def load_resources() -> Resources:
    raw = json.loads(RESOURCES_FILE.read_text())
    tables = tuple(
        TableSpec(
            name=name,
            hash_key=spec["hash_key"],
            indexes=dict(spec.get("gsi", {})),
            ttl_attribute=spec.get("ttl"),
        )
        for name, spec in raw["tables"].items()
    )
    return Resources(
        project=raw["project"],
        queues=dict(raw["queues"]),
        dlq_suffix=raw["dlq_suffix"],
        max_receive_count=int(raw["max_receive_count"]),
        visibility_timeout_seconds=int(raw["visibility_timeout_seconds"]),
        tables=tables,
        secrets=dict(raw["secrets"]),
    )
