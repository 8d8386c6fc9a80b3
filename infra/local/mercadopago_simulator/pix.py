"""Plausible Pix artefacts: an EMV "copia e cola" BR Code and its QR code as a PNG."""

import base64
import io
from decimal import Decimal

import segno

_SCALE = 4  # pixels per module


def _field(field_id: str, value: str) -> str:
    return f"{field_id}{len(value):02d}{value}"


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE, as the BR Code standard requires for field 63."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def br_code(
    pix_key: str,
    amount: Decimal,
    txid: str,
    merchant: str = "FASTFOOD TOTEM",
    city: str = "SAO PAULO",
) -> str:
    account = _field("00", "br.gov.bcb.pix") + _field("01", pix_key)
    payload = (
        _field("00", "01")
        + _field("01", "12")
        + _field("26", account)
        + _field("52", "0000")
        + _field("53", "986")
        + _field("54", f"{amount:.2f}")
        + _field("58", "BR")
        + _field("59", merchant[:25])
        + _field("60", city[:15])
        + _field("62", _field("05", txid[:25]))
        + "6304"
    )
    return payload + f"{crc16_ccitt(payload.encode()):04X}"


def qr_png_base64(text: str) -> str:
    """The BR Code as a real QR (error correction M, as bank apps print it), base64 PNG:
    what Mercado Pago returns as `qr_code_base64`, and what a phone can scan from the page."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=_SCALE, border=4)
    return base64.b64encode(buffer.getvalue()).decode()
