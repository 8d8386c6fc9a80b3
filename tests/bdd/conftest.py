"""The BDD journeys share one whole stack per module (tests/flow's fixture): starting it is
most of their cost, and each scenario uses its own order and customer."""

from tests.flow.conftest import stack

__all__ = ["stack"]
