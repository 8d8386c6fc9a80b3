"""Generate the committed JSON Schema of every event: `python -m common.schema_export`.

A test regenerates them in memory and fails when the committed files drift.
"""

import json
from pathlib import Path
from typing import Any

from common.events import EVENT_TYPES, Envelope, Event

SCHEMA_DIR = Path(__file__).with_name("schemas")


def schema_filename(event_type: type[Event]) -> str:
    return f"{event_type.event_name}.v{event_type.event_version}.json"


def event_schema(event_type: type[Event]) -> dict[str, Any]:
    schema = Envelope[event_type].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema["$id"] = f"urn:fastfood:event:{event_type.event_name}:v{event_type.event_version}"
    schema["title"] = f"{event_type.event_name} v{event_type.event_version}"
    meta = schema["$defs"]["EventMeta"]["properties"]
    meta["event_name"]["const"] = event_type.event_name
    meta["event_version"]["const"] = event_type.event_version
    return schema


def render(event_type: type[Event]) -> str:
    return json.dumps(event_schema(event_type), indent=2, sort_keys=True) + "\n"


def write_all(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(exist_ok=True)
    written = []
    for event_type in EVENT_TYPES:
        path = directory / schema_filename(event_type)
        path.write_text(render(event_type))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(path)
