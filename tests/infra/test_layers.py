"""The import contracts (infra/ops/layers.py) hold on the tree, and each rule can fail."""

from pathlib import Path

import pytest

from infra.ops import layers


def test_the_tree_keeps_its_import_contracts() -> None:
    assert layers.problems() == []


@pytest.mark.parametrize(
    ("importer", "imported", "rule"),
    [
        ("order.service", "payment.domain", "services are independent"),
        ("common.web", "order.domain", "common must not depend on a service"),
        ("order.domain", "order.settings", "domain imports nothing"),
        ("payment.domain", "payment.repository", "domain imports nothing"),
        ("production.service", "production.api", "outer layers to inner"),
        ("order.repository", "order.service", "outer layers to inner"),
        ("catalog.api", "catalog.repository", "through the service"),
        ("payment.ports", "payment.repository", "domain types only"),
    ],
)
def test_each_rule_rejects_an_import_that_breaks_it(
    importer: str, imported: str, rule: str
) -> None:
    violation = layers.check_import(importer, imported)
    assert violation is not None and rule in violation.rule


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("order.api", "order.service"),
        ("order.service", "order.domain"),
        ("order.repository", "order.domain"),
        ("production.main", "production.api"),
        ("payment.service", "common.events"),
        ("catalog.service", "catalog.settings"),
        ("common.web", "common.errors"),
    ],
)
def test_imports_that_point_inwards_are_allowed(importer: str, imported: str) -> None:
    assert layers.check_import(importer, imported) is None


def test_a_cycle_hidden_by_a_function_local_import_is_found(tmp_path: Path) -> None:
    package = tmp_path / "common"
    package.mkdir()
    (package / "logging.py").write_text("def setup():\n    from common.tracing import x\n")
    (package / "tracing.py").write_text("from common.metrics import y\nx = 1\n")
    (package / "metrics.py").write_text("from common.logging import setup\ny = 2\n")
    cycles = layers.import_cycles("common", tmp_path)
    assert len(cycles) == 1
    assert set(cycles[0]) == {"common.logging", "common.tracing", "common.metrics"}


def test_common_has_no_import_cycle() -> None:
    assert layers.import_cycles() == []
