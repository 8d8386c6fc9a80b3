"""Plausible Pix artefacts: an EMV "copia e cola" BR Code and a small PNG to show as its QR.

The PNG is a deterministic pattern derived from the code (a stand-in, not a scannable QR):
the simulator needs no imaging library and the totem still gets a real image.
"""

import base64
import hashlib
import struct
import zlib
from decimal import Decimal

_MODULES = 25  # modules per side
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


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _dark(row: int, col: int, bits: bytes) -> bool:
    for top, left in ((0, 0), (0, _MODULES - 7), (_MODULES - 7, 0)):  # QR-like finder squares
        r, c = row - top, col - left
        if 0 <= r < 7 and 0 <= c < 7:
            return r in (0, 6) or c in (0, 6) or (2 <= r <= 4 and 2 <= c <= 4)
    index = row * _MODULES + col
    return bool(bits[index // 8 % len(bits)] >> (index % 8) & 1)


def qr_png_base64(text: str) -> str:
    bits = hashlib.sha512(text.encode()).digest()
    size = _MODULES * _SCALE
    rows = []
    for y in range(size):
        line = bytes(0 if _dark(y // _SCALE, x // _SCALE, bits) else 255 for x in range(size))
        rows.append(b"\x00" + line)  # filter type 0 per scanline
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()
