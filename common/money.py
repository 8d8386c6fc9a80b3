"""Money: a Decimal with two places, serialized as a string ("25.90"), never a float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
MONEY_PATTERN = r"^-?\d{1,10}\.\d{2}$"


def to_money(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise ValueError("money must be a decimal string such as '25.90', not a float")
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError("money must be finite")
    if amount != amount.quantize(CENT):
        raise ValueError("money has at most two decimal places")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


Money = Annotated[
    Decimal,
    BeforeValidator(to_money),
    PlainSerializer(lambda amount: f"{amount:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["25.90"]}),
]
