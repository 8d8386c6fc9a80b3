"""A person's view: the status board and the kitchen screen in headless Chromium.

Staff log in on the kitchen page and click an order through; the board above the counter
follows on its own (SSE). Screenshots of each step land in test-artifacts/screenshots/.
"""

import asyncio

import httpx
import pytest
from playwright.async_api import Locator, Page, async_playwright, expect

from infra.local.demo import LOCAL_STAFF, wait_for_status
from tests.conftest import ARTIFACTS
from tests.tracking.conftest import TrackingStack, pay, place_order, valid_cpf

pytestmark = pytest.mark.e2e

SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 20_000


async def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


async def test_kitchen_buttons_move_the_order_across_the_status_board(
    tracking: TrackingStack, chromium: str
) -> None:
    gateway = tracking.gateway_url
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            board = await browser.new_page(viewport={"width": 1280, "height": 720})
            await board.goto(f"{gateway}/order/board")
            await expect(board.get_by_role("heading", name="Em preparação")).to_be_visible()
            await expect(board.get_by_role("heading", name="Pronto")).to_be_visible()

            kitchen = await browser.new_page(viewport={"width": 1280, "height": 800})
            await kitchen.goto(f"{gateway}/production/kitchen")
            await kitchen.fill("#username", LOCAL_STAFF[0])
            await kitchen.fill("#password", LOCAL_STAFF[1])
            await kitchen.get_by_role("button", name="Entrar").click()
            await expect(kitchen.locator("#connection")).to_have_text("Ao vivo", timeout=WAIT_MS)

            with httpx.Client(base_url=gateway, timeout=10) as api:
                order, customer = await asyncio.to_thread(
                    place_order, api, valid_cpf(201), "sem cebola"
                )
                number = order["display_number"]
                await asyncio.to_thread(pay, api, tracking.simulator_url, order, customer)

                def on_board(column: str, status: str) -> Locator:
                    selector = f"#{column} li[data-number='{number}'][data-status='{status}']"
                    return board.locator(selector)

                anywhere = board.locator(f"li[data-number='{number}']")
                await expect(on_board("preparing", "PAID")).to_be_visible(timeout=WAIT_MS)
                await snap(board, "board-1-paid")

                card = kitchen.locator(f".ticket[data-number='{number}']")
                await expect(card).to_be_visible(timeout=WAIT_MS)
                await expect(card).to_contain_text("sem cebola")
                await snap(kitchen, "kitchen-1-received")

                steps = (
                    ("Iniciar", "IN_PREPARATION", "preparing"),
                    ("Concluir", "READY", "ready"),
                    ("Entregar", "DELIVERED", None),
                )
                for index, (button, status, column) in enumerate(steps, start=2):
                    await card.get_by_role("button", name=button).click()
                    await asyncio.to_thread(wait_for_status, api, order["id"], customer, status)
                    if column is None:
                        await expect(anywhere).to_have_count(0, timeout=WAIT_MS)
                        await expect(card).to_have_count(0, timeout=WAIT_MS)
                    else:
                        await expect(on_board(column, status)).to_be_visible(timeout=WAIT_MS)
                        await expect(anywhere).to_have_count(1)
                        await expect(card).to_have_attribute("data-status", status)
                    await snap(board, f"board-{index}-{status.lower()}")
                    await snap(kitchen, f"kitchen-{index}-{status.lower()}")
        finally:
            await browser.close()
