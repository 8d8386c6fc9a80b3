"""The import contracts of the tree, checked from the source (no import is executed).

    python -m infra.ops.layers          # exit 1 and one line per broken contract

`make lint` runs it and `tests/infra/test_layers.py` holds it in `make test`. It does what
import-linter's `independence` and `layers` contracts would, in a page of code and with no
dependency:

1. services are independent: auth, catalog, order, payment and production never import
   each other — they talk through events and HTTP only;
2. `common` imports no service, and its modules import each other without cycles (a
   function-local import counts: it hides a cycle, it does not break it);
3. inside a service imports point one way, outer to inner:
   entry points (`main`) → edges (`api`, `consumer`, pages and streams) → use cases
   (`service`, `ports`) → adapters (`repository`, Mercado Pago and catalog clients, signers)
   → `domain`, which imports no module of its service at all. A module may import its own
   layer or any layer inside it, never one outside it; edges reach the repository only
   through the use cases, and ports name domain types only.

A contract the code does not keep yet is listed in `KNOWN_VIOLATIONS` with the reason; the
check fails when a listed import disappears too, so the list only ever shrinks.
"""

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "catalog", "order", "payment", "production")

# Layer rank per module name, outermost first; a module not listed is an adapter.
ENTRY, EDGE, USE_CASE, ADAPTER, DOMAIN = 5, 4, 3, 2, 1
LAYER_OF_MODULE = {
    "main": ENTRY,
    "api": EDGE,
    "staff_api": EDGE,
    "dependencies": EDGE,  # the routes' Annotated aliases over app.state
    "consumer": EDGE,
    "reconciler": EDGE,  # a loop that drives use cases, as a consumer does
    "tracking": EDGE,
    "live": EDGE,
    "schemas": EDGE,
    "service": USE_CASE,
    "sync": USE_CASE,
    "ports": USE_CASE,
    "domain": DOMAIN,
}
# Settings are read by every layer but domain; they are configuration, not behaviour.
ANY_LAYER = {"settings", "__init__"}

# importer → imported, with why each is still there (issue 15 removes them).
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
    ("order.api", "order.repository"): "order routes still query the repository directly",
    ("order.tracking", "order.repository"): "the board reads active orders itself",
    ("order.live", "order.repository"): "the status feed reads history rows itself",
    ("payment.ports", "payment.gateway"): "PixCharge/RemotePayment still live in the gateway",
    ("payment.ports", "payment.repository"): "ports still name the concrete repository",
    ("payment.reconciler", "payment.repository"): "the reconciler scans the store for due work",
}


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.importer} imports {self.imported}: {self.rule}"


def module_name(path: Path, root: Path = REPO_ROOT) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts)


def imports_of(path: Path, root: Path = REPO_ROOT) -> Iterator[str]:
    """Every absolute module a file imports; `from pkg import mod` counts as `pkg.mod`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = root / node.module.replace(".", "/") / f"{alias.name}.py"
                yield f"{node.module}.{alias.name}" if candidate.exists() else node.module


def layer(module: str) -> int:
    leaf = module.rsplit(".", 1)[-1]
    return LAYER_OF_MODULE.get(leaf, ADAPTER)


def check_import(importer: str, imported: str) -> Violation | None:
    own = importer.split(".")[0]
    target = imported.split(".")[0]
    if own == "common" and target in SERVICES:
        return Violation(importer, imported, "common must not depend on a service")
    if own not in SERVICES or target not in SERVICES:
        return None
    if own != target:
        return Violation(importer, imported, "services are independent of each other")
    leaf = imported.rsplit(".", 1)[-1]
    if imported == own or (leaf in ANY_LAYER and layer(importer) != DOMAIN):
        return None
    if layer(importer) == DOMAIN:
        return Violation(importer, imported, "domain imports nothing of its service")
    if layer(imported) > layer(importer):
        return Violation(importer, imported, "imports point from outer layers to inner ones")
    if leaf == "repository" and layer(importer) == EDGE:
        return Violation(importer, imported, "edges reach the store through the service")
    if importer.endswith(".ports") and layer(imported) != DOMAIN:
        return Violation(importer, imported, "ports speak in domain types only")
    return None


def violations(root: Path = REPO_ROOT) -> list[Violation]:
    found = []
    for package in (*SERVICES, "common"):
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            importer = module_name(path, root)
            for imported in sorted(set(imports_of(path, root))):
                violation = check_import(importer, imported)
                if violation:
                    found.append(violation)
    return found


def import_cycles(package: str = "common", root: Path = REPO_ROOT) -> list[list[str]]:
    """Every cycle among one package's modules, function-local imports included."""
    modules = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    graph = {
        name: sorted({i for i in imports_of(path, root) if i in modules and i != name})
        for name, path in modules.items()
    }
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def walk(node: str, trail: list[str]) -> None:
        for nxt in graph[node]:
            if nxt in trail:
                cycle = trail[trail.index(nxt) :]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append([*cycle, nxt])
            elif len(trail) < len(graph):
                walk(nxt, [*trail, nxt])

    for start in graph:
        walk(start, [start])
    return cycles


def problems() -> list[str]:
    """Broken contracts not listed as known, and listed ones that are gone (drop them)."""
    lines = [f"import cycle in common: {' → '.join(c)}" for c in import_cycles()]
    found = violations()
    known = {(v.importer, v.imported) for v in found} & KNOWN_VIOLATIONS.keys()
    lines += [str(v) for v in found if (v.importer, v.imported) not in KNOWN_VIOLATIONS]
    lines += [
        f"{importer} no longer imports {imported}: remove it from KNOWN_VIOLATIONS"
        for importer, imported in sorted(KNOWN_VIOLATIONS.keys() - known)
    ]
    return lines


def main() -> int:
    lines = problems()
    for line in lines:
        print(line)
    if not lines:
        print(f"import contracts hold ({len(KNOWN_VIOLATIONS)} known exceptions)")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
