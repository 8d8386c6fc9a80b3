"""The import contracts (infra/ops/layers.py) hold on the tree, and each rule can fail."""

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
