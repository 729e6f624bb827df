"""In a real browser: the config flow in Home Assistant's frontend, and the phone page (Assist too).

Debian's Chromium (installed by scripts/setup), driven headless through Playwright's
library; Playwright never downloads a browser. Screenshots of every step are saved in
`artifacts/browser/` (ignored by git) for a person to look at; the `readme-*` ones, under
fixed names, are the README's.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from demo.configure import (
    CONTACTS,
    add_automations,
    add_camera,
    add_contact,
    add_garage_door,
    add_things_for_assist,
    current_user_id,
    wait_until_loaded,
)
from demo.hass import DEMO_NAME, DEMO_PASSWORD, DEMO_USERNAME, REPOSITORY
from simulator.state import CallbackKind

from .browser import SCREENSHOTS
from .helpers import ALEX, DID_1, DID_2, entity_id, eventually, registry, wait_for_state

playwright = pytest.importorskip(
    "playwright.async_api", reason="Playwright is installed on the newest toolchain only"
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from playwright.async_api import Locator, Page

    from demo.hass import HassProcess
    from simulator.testing import RunningSimulator

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _shot(page: Page, name: str, *, mask: Sequence[Locator] = ()) -> None:
    # Transitions run to their end first: a field's label caught mid-flight covers its value.
    await page.screenshot(
        path=SCREENSHOTS / f"{name}.png",
        animations="disabled",
        mask=list(mask),
        mask_color="#bdbdbd",
    )


async def test_config_flow_in_the_frontend(
    hass_process: HassProcess, simulator: RunningSimulator, page: Page
) -> None:
    # Log in as the demo user on Home Assistant's own login page.
    await page.goto(f"{hass_process.url}/")
    await page.get_by_role("textbox", name="Username").fill(DEMO_USERNAME)
    await page.get_by_role("textbox", name="Password").fill(DEMO_PASSWORD)
    await _shot(page, "01-login")
    await page.get_by_role("button", name=re.compile("log in", re.IGNORECASE)).click()
    await page.wait_for_url(re.compile(r"/home|/lovelace"))

    # Settings → Integrations → Add integration → Flowroute, as a link from the docs does.
    await page.goto(f"{hass_process.url}/config/integrations/dashboard/add?domain=flowroute")
    await page.get_by_role("button", name="OK").click()
    await page.get_by_text("Connect your Flowroute account").wait_for()
    await page.get_by_role("textbox", name="Access key").fill(simulator.account.access_key)
    await page.get_by_role("textbox", name="Secret key").fill(simulator.account.secret_key)
    await _shot(page, "readme-setup-1-keys")
    await page.get_by_text("Advanced settings").click()
    await page.get_by_role("textbox", name="Flowroute API URL").fill(simulator.url)
    await _shot(page, "02-account")
    await page.get_by_role("button", name="Submit").click()

    await page.get_by_text("Choose your numbers").wait_for()
    second = page.get_by_role("checkbox", name="+1 206 555 0188")
    await second.click(force=True)  # on the drawn box, which covers the input
    assert await second.is_checked()
    await _shot(page, "03-numbers")
    await _shot(page, "readme-setup-2-numbers")
    await page.get_by_role("button", name="Submit").click()

    await page.get_by_text("Receive texts and delivery receipts").wait_for()
    # The form's only toggle: clicked where a person clicks, on the drawn switch.
    toggle = page.get_by_role("switch")
    await toggle.click(force=True)
    assert await toggle.is_checked()
    await _shot(page, "04-callbacks")
    # The README shows no webhook id, not even a throwaway one.
    webhook_url = page.locator("code").filter(has_text="/api/webhook/")
    await _shot(page, "readme-setup-3-callbacks", mask=[webhook_url])
    await page.get_by_role("button", name="Submit").click()

    await page.get_by_role("button", name="Finish").wait_for()
    await _shot(page, "05-created")
    await _shot(page, "readme-setup-4-done")
    await page.get_by_role("button", name="Finish").click()

    [entry] = await hass_process.config_entries("flowroute")
    await wait_until_loaded(hass_process, entry["entry_id"])
    webhook = f"{hass_process.url}/api/webhook/"
    pointed = {
        (number, kind)
        for (number, kind), url in simulator.state.number_callbacks.items()
        if url.startswith(webhook)
    }
    assert pointed == {(did, kind) for did in (DID_1, DID_2) for kind in CallbackKind}


async def test_phone_page_texts_home_assistant_and_gets_the_reply(
    hass_process: HassProcess, simulator: RunningSimulator, page: Page
) -> None:
    # The entry from the test above; the demo's STATUS automation answers.
    await add_automations(
        hass_process,
        camera_entity_id=await add_camera(hass_process),
        garage_door_entity_id=await add_garage_door(hass_process),
    )

    await page.goto(f"{simulator.url}/phone")
    await page.get_by_test_id("add-phone-input").fill(ALEX)
    await page.get_by_test_id("add-phone").click()
    phone = page.locator(f'[data-testid="phone"][data-phone="{ALEX}"]')
    await phone.get_by_test_id("did-picker").select_option(DID_2)
    await phone.get_by_test_id("compose-input").fill("Status")
    await _shot(page, "06-phone-compose")
    await phone.get_by_test_id("send").click()

    mine = phone.locator('[data-testid="message"][data-direction="in"]')
    await mine.get_by_test_id("message-body").filter(has_text="Status").wait_for()
    reply = phone.locator('[data-testid="message"][data-direction="out"]')
    await (
        reply.get_by_test_id("message-body").filter(has_text="Home Assistant is running").wait_for()
    )
    await reply.locator('[data-testid="receipt"][data-state="delivered"]').wait_for()
    await _shot(page, "07-phone-reply")

    # The reply came from the number Alex texted.
    records = await eventually(
        lambda: [r for r in simulator.state.sent_messages() if r.to_number == ALEX],
        "the reply reached the simulator",
    )
    assert {record.from_number for record in records} == {DID_2}


async def test_stop_from_the_phone_blocks_the_next_reply(
    hass_process: HassProcess,
    simulator: RunningSimulator,
    page: Page,
    expected_log_problems: list[str],
) -> None:
    # The STATUS automation will try to answer and be refused: Home Assistant logs that.
    expected_log_problems.append("Nothing was sent to +1 206 555 0100: they opted out")
    phone = page.locator(f'[data-testid="phone"][data-phone="{ALEX}"]')
    await phone.get_by_test_id("compose-input").fill("STOP")
    await phone.get_by_test_id("send").click()
    await phone.locator(f'[data-testid="opt-out-badge"][data-did="{DID_2}"]').wait_for()

    replies_before = len([r for r in simulator.state.sent_messages() if r.to_number == ALEX])
    await phone.get_by_test_id("compose-input").fill("status")
    await phone.get_by_test_id("send").click()
    blocked = await entity_id(hass_process, f"{DID_2}_messages_blocked")
    await wait_for_state(
        hass_process, blocked, lambda state: state["state"] == "1", "the reply was refused"
    )
    await _shot(page, "08-phone-stop")
    # Refused in Home Assistant: nothing more reached Flowroute for Alex.
    assert len([r for r in simulator.state.sent_messages() if r.to_number == ALEX]) == (
        replies_before
    )
    assert not [a for a in simulator.state.send_attempts if a.status == 400]  # no 1110 either


async def test_phone_page_talks_to_assist(
    hass_process: HassProcess, simulator: RunningSimulator, page: Page
) -> None:
    """Alex, now allowed to talk to Assist, texts a command: the answer shows, the light is on.

    On as the demo user (Alex's user), in the state and in the frontend's activity page.
    """
    [entry] = await hass_process.config_entries("flowroute")
    alex = next(contact for contact in CONTACTS if contact.number == ALEX)
    assert alex.assist
    assert await add_contact(hass_process, entry["entry_id"], alex)
    porch_light = (await add_things_for_assist(hass_process)).porch_light
    assert (await hass_process.state(porch_light))["state"] != "on"

    phone = page.locator(f'[data-testid="phone"][data-phone="{ALEX}"]')
    # Alex texted STOP to the second number above: Assist answers on the first.
    await phone.get_by_test_id("did-picker").select_option(DID_1)
    await phone.get_by_test_id("compose-input").fill("Turn on the porch light")
    await _shot(page, "09-phone-assist-compose")
    await phone.get_by_test_id("send").click()

    answer = phone.locator('[data-testid="message"][data-direction="out"]').filter(
        has=page.get_by_test_id("message-body").filter(has_text="Turned on the light")
    )
    await answer.locator('[data-testid="receipt"][data-state="delivered"]').wait_for()
    await _shot(page, "10-phone-assist-answer")
    state = await wait_for_state(
        hass_process, porch_light, lambda state: state["state"] == "on", "the light is on"
    )
    assert state["context"]["user_id"] == await current_user_id(hass_process)

    # In Home Assistant's frontend, the light's activity: turned on by the demo user.
    await page.goto(f"{hass_process.url}/logbook?entity_id={porch_light}")
    await page.get_by_text(f"By {DEMO_NAME}").wait_for()
    await _shot(page, "11-porch-light-activity")


async def test_device_page_of_a_number(hass_process: HassProcess, page: Page) -> None:
    """The device page of the number Alex talked to Assist on, for the README."""
    sensor = await entity_id(hass_process, f"{DID_1}_last_message")
    [device_id] = {
        item["device_id"] for item in await registry(hass_process) if item["entity_id"] == sensor
    }
    await page.goto(f"{hass_process.url}/config/devices/device/{device_id}")
    await page.get_by_text("Last delivery status").first.wait_for()
    await _shot(page, "readme-device")


async def test_config_flow_in_spanish(hass_process: HassProcess, page: Page) -> None:
    """With the user's language set to Spanish, the config flow speaks it, from es.json."""
    spanish = json.loads(
        (REPOSITORY / "custom_components" / "flowroute" / "translations" / "es.json").read_text()
    )["config"]["step"]["user"]
    websocket = await hass_process.websocket()
    language = {"type": "frontend/set_user_data", "key": "language"}
    saved = await websocket.command({"type": "frontend/get_user_data", "key": "language"})
    await page.goto(f"{hass_process.url}/")
    stored = await page.evaluate("localStorage.getItem('selectedLanguage')")
    # What the profile page's language menu stores: the user's data, and the browser's.
    await websocket.command({**language, "value": {**(saved["value"] or {}), "language": "es"}})
    await page.evaluate("localStorage.setItem('selectedLanguage', JSON.stringify('es'))")
    try:
        await page.goto(f"{hass_process.url}/config/integrations/dashboard/add?domain=flowroute")
        await page.wait_for_function("document.documentElement.lang === 'es'")
        await page.get_by_role("button", name="OK").click()
        await page.get_by_text(spanish["title"]).wait_for()
        await page.get_by_role("textbox", name=spanish["data"]["access_key"]).wait_for()
        await page.get_by_text(spanish["sections"]["advanced"]["name"]).wait_for()
        await _shot(page, "readme-setup-es")
        await page.keyboard.press("Escape")  # closing the dialog ends the flow
    finally:
        await websocket.command({**language, "value": saved["value"]})
        await page.evaluate(
            "stored => stored === null ? localStorage.removeItem('selectedLanguage')"
            " : localStorage.setItem('selectedLanguage', stored)",
            stored,
        )
