"""The masking fast path: text with no trigger skips the substitutions, and changes nothing."""

from hypothesis import given, settings
from hypothesis import strategies as st

from common.logging import _MASKS, mask

FRAGMENTS = st.sampled_from(
    [
        "eyJhbGciOi.eyJzdWIi.c2ln",
        "Bearer ",
        "bearer\t",
        "access_token=",
        'PASSWORD": "',
        "secret:",
        "cpf ",
        "CPF: ",
        "123.456.789-09",
        "12345678909",
        "ana.maria+totem@example.com.br",
        "@",
        "/order/",
        "payment 12345678901",
        " ",
        "-",
        ".",
    ]
)


def _every_substitution(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=8).map("".join))
def test_mask_equals_running_every_substitution(text: str) -> None:
    assert mask(text) == _every_substitution(text)


def test_text_without_a_trigger_is_returned_as_is() -> None:
    line = "request /catalog/products/batch GET 200"
    assert mask(line) is line
