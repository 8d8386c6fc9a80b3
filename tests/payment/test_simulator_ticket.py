"""The simulator's ticket page, as the person running a demo by hand sees it: a Pix QR that a
phone can scan (decoded here by a real QR reader, zxing-cpp), the copy-paste code, and the
approve / reject / expire buttons that play the bank."""

import base64
import html
import io
import re

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.async_api import async_playwright, expect

from tests.conftest import ARTIFACTS
from tests.payment.conftest import ServerThread
from tests.payment.test_simulator import create, pix_body, sdk_for
from tests.tracking.conftest import chromium  # noqa: F401  (the session's Chromium fixture)
from tests.tracking.test_browser import CHROMIUM_ARGS

pytestmark = pytest.mark.filterwarnings("ignore:notification_url is deprecated:DeprecationWarning")


def decode_qr(png_base64: str) -> str:
    image = Image.open(io.BytesIO(base64.b64decode(png_base64)))
    (barcode,) = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return str(barcode.text)


def test_ticket_page_shows_a_scannable_qr_of_the_pix_copy_paste_code(
    simulator: ServerThread,
) -> None:
    payment = create(sdk_for(simulator), pix_body())["response"]
    data = payment["point_of_interaction"]["transaction_data"]
    assert decode_qr(data["qr_code_base64"]) == data["qr_code"]  # what the totem shows, too

    page = httpx.get(data["ticket_url"], timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    (image,) = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page.text)
    assert decode_qr(image) == data["qr_code"]
    assert f"<pre id='code'>{html.escape(data['qr_code'])}</pre>" in page.text
    for action in ("approve", "reject", "expire"):
        assert f'id="{action}"' in page.text


@pytest.mark.parametrize(
    ("button", "status"), [("Approve", "approved"), ("Reject", "rejected"), ("Expire", "cancelled")]
)
async def test_ticket_buttons_play_the_bank_and_the_page_shows_the_new_status(
    simulator: ServerThread,
    chromium: str,  # noqa: F811  (the fixture imported above)
    button: str,
    status: str,
) -> None:
    payment = create(sdk_for(simulator), pix_body())["response"]
    ticket_url = payment["point_of_interaction"]["transaction_data"]["ticket_url"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 480, "height": 640})
            await page.goto(ticket_url)
            await expect(page.locator("#status")).to_have_text("pending")
            await expect(page.locator("#qr")).to_be_visible()
            if button == "Approve":
                (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "screenshots" / "pix-ticket.png"))
            await page.get_by_role("button", name=button).click()
            await expect(page.locator("#status")).to_have_text(status, timeout=20_000)
            for other in ("Approve", "Reject", "Expire"):  # a settled payment takes no more
                await expect(page.get_by_role("button", name=other)).to_be_disabled()
        finally:
            await browser.close()
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.get(ticket_url)
    assert f"<strong id='status'>{status}</strong>" in answer.text
