"""What the browser tests share: Debian's Chromium, where screenshots go, logging in.

The fixtures that start it (`chromium`, `browser`, `page`) are in conftest.py; the modules
that use them skip themselves where Playwright is not installed (the newest toolchain
has it, the floor does not).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from demo.hass import DEMO_PASSWORD, DEMO_USERNAME, REPOSITORY

if TYPE_CHECKING:
    from playwright.async_api import Page

    from demo.hass import HassProcess

CHROMIUM: Final = Path("/usr/bin/chromium")
SCREENSHOTS: Final = REPOSITORY / "artifacts" / "browser"
# This machine's network is closed: no background traffic, no first-run chores.
CHROMIUM_ARGS: Final = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS: Final = 60_000  # generous: the machine is shared


async def log_in(page: Page, hass: HassProcess) -> None:
    """Log in as the demo user on Home Assistant's own login page."""
    await page.goto(f"{hass.url}/")
    await page.get_by_role("textbox", name="Username").fill(DEMO_USERNAME)
    await page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    await page.wait_for_url(re.compile(r"/home|/lovelace"))
    # The URL matches while the code is still being exchanged: a page loaded before the
    # tokens are kept would have to log in again.
    await page.wait_for_function("localStorage.getItem('hassTokens') !== null")
