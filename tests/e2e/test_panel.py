"""The Texts panel in a real browser, against Home Assistant's real frontend.

Debian's Chromium through Playwright (the newest toolchain only). Sam texts a picture
from the simulator's handset and it shows in the panel; the reply typed in the compose
box is sent and its state moves to delivered; Sam texts STOP (as the phone page does) and
the panel shows the badge and refuses the next send. On the way: search, a failed text
and its reason, pictures attached from a camera and from the media browser, a new
conversation, French, and the note when conversations are not kept. The README's
screenshots (wide and phone-sized, light and dark) are saved in artifacts/browser/.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from demo.configure import (
    CAMERA_NAME,
    CAMERA_PICTURE,
    CONTACTS,
    add_camera,
    add_contact,
    wait_until_loaded,
)
from demo.hass import INTEGRATION, CommandError

from .browser import SCREENSHOTS, log_in
from .helpers import ALEX, DID_1, SAM, control, eventually, outbound, text_from_handset

pytest.importorskip(
    "playwright.async_api", reason="Playwright is installed on the newest toolchain only"
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.async_api import Locator, Page, ViewportSize

    from demo.hass import HassProcess
    from simulator.testing import RunningSimulator

pytestmark = pytest.mark.asyncio(loop_scope="module")

WIDE: ViewportSize = {"width": 1280, "height": 860}
PHONE: ViewportSize = {"width": 390, "height": 844}
SAM_TEXT = "Walked past your place: all looks fine from the street."
ALEX_TEXT = "Are we still on for dinner at 7?"
ASKED = "Away till Sunday: could you glance at the house when you walk past?"
REPLY = "Thanks, Sam! Good to know."
PANEL_STRINGS = INTEGRATION / "frontend" / "translations"
# Collects, in window.flowrouteStates, each new state of the sent text with this body.
WATCH_STATES = """(panel, body) => {
    const states = (window.flowrouteStates = []);
    const thread = panel.shadowRoot.querySelector('[data-testid="thread"]');
    new MutationObserver(() => {
        for (const item of thread.querySelectorAll('[data-direction="out"]')) {
            if (item.textContent.includes(body) && states.at(-1) !== item.dataset.state) {
                states.push(item.dataset.state);
            }
        }
    }).observe(thread, { childList: true, subtree: true, attributes: true });
}"""


@pytest.fixture(scope="module", autouse=True)
def no_script_errors(hass_process: HassProcess, page: Page) -> Iterator[None]:
    """Fail the module if a script on the page throws (the panel's or the frontend's).

    Checked before Home Assistant stops: the frontend fails to load its parts after that.
    """
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert not errors, f"Uncaught errors in the page: {errors}"


def _strings(language: str) -> dict[str, Any]:
    strings: dict[str, Any] = json.loads(
        (PANEL_STRINGS / f"{language}.json").read_text(encoding="utf-8")
    )
    return strings


def _panel(page: Page) -> Locator:
    return page.locator("flowroute-texts-panel")


def _conversation(page: Page, number: str) -> Locator:
    return _panel(page).locator(f'[data-testid="conversation"][data-number="{number}"]')


async def _shot(page: Page, name: str) -> None:
    # Away from every button, so that none is drawn hovered.
    size = page.viewport_size or WIDE
    await page.mouse.move(size["width"] - 40, size["height"] - 160)
    await page.screenshot(path=SCREENSHOTS / f"{name}.png", animations="disabled")


async def _conversations(hass: HassProcess, **search: str) -> list[dict[str, Any]]:
    websocket = await hass.websocket()
    answer = await websocket.command({"type": "flowroute/conversations/list", **search})
    found: list[dict[str, Any]] = answer["conversations"]
    return found


async def test_a_texted_picture_shows_in_the_panel(
    hass_process: HassProcess, simulator: RunningSimulator, flowroute_entry: str, page: Page
) -> None:
    # Sam and Alex are contacts (Alex without Assist here: the house does not answer).
    sam, alex = (next(c for c in CONTACTS if c.number == number) for number in (SAM, ALEX))
    assert await add_contact(hass_process, flowroute_entry, sam)
    assert await add_contact(hass_process, flowroute_entry, dataclasses.replace(alex, assist=False))
    await text_from_handset(simulator, ALEX, DID_1, ALEX_TEXT)
    await hass_process.call_service(
        "flowroute", "send_message", {"from": DID_1, "to": SAM, "message": ASKED}
    )
    picture = {
        "content_base64": base64.b64encode(CAMERA_PICTURE.read_bytes()).decode(),
        "mime_type": "image/jpeg",
        "file_name": "house.jpg",
    }
    await control(
        simulator,
        "POST",
        "/sim/inbound",
        {"from": SAM, "to": DID_1, "body": SAM_TEXT, "media": [picture]},
    )
    await eventually(
        lambda: _conversations(hass_process, search=SAM_TEXT), "Sam's text reached the store"
    )

    await log_in(page, hass_process)
    await page.goto(f"{hass_process.url}/flowroute-texts")
    sam_item = _conversation(page, SAM)
    await sam_item.wait_for()
    assert await sam_item.locator(".name").inner_text() == "Sam"
    assert await sam_item.get_by_test_id("unread").inner_text() == "1"
    assert SAM_TEXT in await sam_item.get_by_test_id("preview").inner_text()
    # Newest first: Sam texted after Alex.
    numbers = (
        await _panel(page)
        .get_by_test_id("conversation")
        .evaluate_all("items => items.map(item => item.dataset.number)")
    )
    assert numbers == [SAM, ALEX]

    await sam_item.click()
    thread = _panel(page).get_by_test_id("thread")
    inbound = thread.locator('[data-testid="message"][data-direction="in"]')
    await inbound.get_by_test_id("message-body").filter(has_text=SAM_TEXT).wait_for()
    image = inbound.get_by_test_id("picture")
    await eventually(
        lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"),
        "the picture loaded",
    )
    # Through Home Assistant's signed media path, not the Flowroute (simulator) link.
    source = await image.get_attribute("src")
    assert source is not None
    assert source.startswith(f"{hass_process.url}/")
    assert "authSig=" in source
    assert simulator.url not in source
    assert await image.evaluate("img => img.naturalWidth") == 480  # demo/camera.jpg

    # Open and visible: read, in the store too.
    await sam_item.get_by_test_id("unread").wait_for(state="detached")
    await eventually(
        lambda: _unread(hass_process, SAM, expected=0), "the conversation was marked read"
    )
    assert await _unread(hass_process, ALEX, expected=1)


async def _unread(hass: HassProcess, number: str, *, expected: int) -> bool:
    [conversation] = [c for c in await _conversations(hass) if c["number"] == number]
    return bool(conversation["unread"] == expected)


async def test_the_reply_from_the_compose_box_reaches_delivered(
    simulator: RunningSimulator, page: Page
) -> None:
    panel = _panel(page)
    compose = panel.get_by_test_id("compose-input")
    segments = panel.get_by_test_id("segments")

    # The count as the send path counts it, while typing.
    await compose.fill("Coffee ☕ later?")
    await panel.locator('[data-testid="segments"][data-encoding="UCS-2"]').wait_for()
    assert "☕" in await segments.inner_text()
    await compose.fill(REPLY)
    await panel.locator(
        '[data-testid="segments"][data-encoding="GSM-7"][data-segments="1"]'
    ).wait_for()
    assert await segments.inner_text() == f"{len(REPLY)} characters · 1 segment · GSM-7"

    # Every state the reply is drawn in, as the thread changes (no reload in between).
    await panel.evaluate(WATCH_STATES, REPLY)
    await panel.get_by_test_id("send").click()
    reply = panel.locator('[data-testid="message"][data-direction="out"]').filter(
        has=page.get_by_test_id("message-body").filter(has_text=REPLY)
    )
    await reply.wait_for()
    await (
        panel.locator('[data-testid="message"][data-direction="out"][data-state="delivered"]')
        .filter(has_text=REPLY)
        .wait_for()
    )
    # It moved, live, in order: the simulator's receipts are quick, so a step may be missed.
    states: list[str] = await page.evaluate("window.flowrouteStates")
    assert states[-1] == "delivered"
    assert len(states) >= 2, states
    assert states == sorted(states, key=["queued", "sent", "delivered"].index)
    assert await reply.get_by_test_id("state").inner_text() == "Delivered"
    assert await compose.input_value() == ""
    [record] = outbound(simulator, body=REPLY)
    assert (record.from_number, record.to_number) == (DID_1, SAM)


async def test_screenshots_wide_and_phone_sized_in_light_and_dark(page: Page) -> None:
    """The README's pictures; the frontend follows the browser's dark mode by default."""
    panel = _panel(page)
    await page.set_viewport_size(WIDE)
    await page.emulate_media(color_scheme="light")
    await _shot(page, "readme-panel-wide-light")
    background = await _background(panel)
    await page.emulate_media(color_scheme="dark")
    await eventually(lambda: _differs(panel, background), "the panel followed the dark theme")
    await _shot(page, "readme-panel-wide-dark")

    # Phone-sized: the thread alone, with a back button instead of the list.
    await page.set_viewport_size(PHONE)
    await panel.get_by_test_id("back").wait_for()
    assert not await _conversation(page, SAM).is_visible()
    await _shot(page, "readme-panel-phone-dark")
    await page.emulate_media(color_scheme="light")
    await eventually(lambda: _same(panel, background), "the panel followed the light theme")
    await _shot(page, "readme-panel-phone-light")
    await panel.get_by_test_id("back").click()
    await _conversation(page, SAM).wait_for()
    await _shot(page, "panel-phone-list-light")
    # The menu button opens Home Assistant's sidebar, as on its own pages.
    drawer = page.locator("ha-drawer")
    assert not await drawer.evaluate("drawer => drawer.open")
    await panel.get_by_test_id("menu").click()
    await eventually(lambda: drawer.evaluate("drawer => drawer.open"), "the sidebar opened")

    async def tap_beside() -> bool:
        # Closed as a person closes it: a tap on the shaded page beside it (again, if it
        # came while the drawer was still sliding in).
        if not await drawer.evaluate("drawer => drawer.open"):
            return True
        await page.mouse.click(PHONE["width"] - 10, PHONE["height"] // 2)
        await asyncio.sleep(0.5)
        return False

    await eventually(tap_beside, "the sidebar closed again")
    await _conversation(page, SAM).click()
    await panel.get_by_test_id("back").wait_for()
    await page.set_viewport_size(WIDE)
    await _conversation(page, SAM).wait_for()


async def _background(panel: Locator) -> str:
    colour: str = await panel.evaluate(
        "panel => getComputedStyle(panel.shadowRoot.querySelector('.list-pane')).backgroundColor"
    )
    return colour


async def _differs(panel: Locator, colour: str) -> bool:
    return await _background(panel) != colour


async def _same(panel: Locator, colour: str) -> bool:
    return await _background(panel) == colour


async def test_search_filters_by_name_number_and_text(page: Page) -> None:
    panel = _panel(page)
    search = panel.get_by_test_id("search")
    listed = panel.get_by_test_id("conversation")
    for typed, expected in (("alex", [ALEX]), ("555 0111", [SAM]), ("from the STREET", [SAM])):
        await search.fill(typed)
        await eventually(
            lambda expected=expected: _listed(listed, expected), f"{typed!r} found {expected}"
        )
    await search.fill("nobody texted this")
    await panel.get_by_text("No conversation matches").wait_for()
    await search.fill("")
    await eventually(lambda: _listed(listed, [SAM, ALEX]), "both conversations are back")


async def _listed(listed: Locator, expected: list[str]) -> bool:
    numbers = await listed.evaluate_all("items => items.map(item => item.dataset.number)")
    return bool(numbers == expected)


async def test_a_failed_reply_says_why(simulator: RunningSimulator, page: Page) -> None:
    """Flowroute's failure code and its description, on the text that did not arrive."""
    await control(simulator, "POST", "/sim/receipts", {"code": 1116, "to": ALEX, "count": 1})
    panel = _panel(page)
    await _conversation(page, ALEX).click()
    await panel.get_by_test_id("thread").get_by_text(ALEX_TEXT).wait_for()
    await panel.get_by_test_id("compose-input").fill("Yes, see you at 7!")
    await panel.get_by_test_id("send").click()
    failed = panel.locator('[data-testid="message"][data-state="failed"]')
    await failed.wait_for()
    state = await failed.get_by_test_id("state").inner_text()
    assert state.startswith("Failed: ")
    assert state.endswith("(1116)")
    assert len(state) > len("Failed:  (1116)")  # the code's description


async def test_pictures_attached_from_a_camera_and_from_the_media_browser(
    hass_process: HassProcess, simulator: RunningSimulator, page: Page
) -> None:
    """Both ways of attaching a picture send an MMS with it, from the thread's number."""
    camera = await add_camera(hass_process)
    # A name of its own: the media folder may be the machine's /media, shared with others.
    file_name = f"panel-{secrets.token_hex(4)}.jpg"
    uploaded = await _upload_to_my_media(hass_process, file_name)
    websocket = await hass_process.websocket()
    try:
        panel = _panel(page)
        await _conversation(page, ALEX).click()
        compose = panel.get_by_test_id("compose-input")

        await panel.get_by_test_id("attach").click()
        await panel.locator(f'[data-testid="attach-camera"][data-entity="{camera}"]').click()
        await panel.get_by_test_id("attachment").filter(has_text=CAMERA_NAME).wait_for()
        await compose.fill("The front of the house, just now.")
        await panel.get_by_test_id("segments").filter(has_text="MMS").wait_for()
        await panel.get_by_test_id("send").click()
        await panel.get_by_test_id("attachment").wait_for(state="hidden")
        [snapshot] = await eventually(
            lambda: outbound(simulator, body="The front of the house, just now."),
            "the camera's MMS reached Flowroute",
        )
        assert (snapshot.from_number, snapshot.to_number, snapshot.is_mms) == (DID_1, ALEX, True)
        assert [file.mime_type for file in snapshot.media] == ["image/jpeg"]

        await panel.get_by_test_id("attach").click()
        await panel.get_by_test_id("attach-media").click()
        browser = panel.get_by_test_id("media-browser")
        await browser.get_by_test_id("media-item").filter(has_text="My media").click()
        await browser.get_by_test_id("media-item").filter(has_text=file_name).click()
        await panel.get_by_test_id("attachment").wait_for()
        await panel.get_by_test_id("send").click()  # the picture alone, no text
        picture = await eventually(
            lambda: [r for r in simulator.state.sent_messages() if r.is_mms and not r.body],
            "the media folder's MMS reached Flowroute",
        )
        assert [file.sha256 for file in picture[0].media] == [
            hashlib.sha256(CAMERA_PICTURE.read_bytes()).hexdigest()
        ]
        sent = panel.locator('[data-testid="message"][data-direction="out"]')
        await sent.last.locator('[data-state="delivered"]').wait_for()
    finally:
        await websocket.command(
            {"type": "media_source/local_source/remove", "media_content_id": uploaded}
        )


async def _upload_to_my_media(hass: HassProcess, file_name: str) -> str:
    """Upload demo/camera.jpg into "My media", as its Upload button does; the new id."""
    form = aiohttp.FormData()
    form.add_field("media_content_id", "media-source://media_source/local")
    form.add_field(
        "file", CAMERA_PICTURE.read_bytes(), filename=file_name, content_type="image/jpeg"
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{hass.url}/api/media_source/local_source/upload",
            data=form,
            headers={"Authorization": f"Bearer {await hass.access_token()}"},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        media_content_id: str = (await response.json())["media_content_id"]
    return media_content_id


async def test_stop_from_the_phone_page_shows_the_badge_and_the_send_is_refused(
    hass_process: HassProcess,
    simulator: RunningSimulator,
    flowroute_entry: str,
    page: Page,
    expected_log_problems: list[str],
) -> None:
    # The action called below to compare its refusal: Home Assistant logs that.
    expected_log_problems.append("Nothing was sent to +1 206 555 0111: they opted out")
    panel = _panel(page)
    await _conversation(page, SAM).click()
    await panel.get_by_test_id("thread").get_by_text(REPLY).wait_for()

    # Sam texts STOP as the phone page does (test_browser.py drives that page); the
    # panel is not reloaded.
    await text_from_handset(simulator, SAM, DID_1, "STOP")
    await _conversation(page, SAM).get_by_test_id("stop-badge").wait_for()
    await panel.locator(".thread-header").get_by_test_id("stop-badge").wait_for()
    note = panel.get_by_test_id("opted-out-note")
    await note.wait_for()
    send = panel.get_by_test_id("send")
    compose = panel.get_by_test_id("compose-input")
    await compose.fill("Are you still there?")
    assert await send.is_disabled()

    # The action's own translated refusal, shown before anything is tried.
    websocket = await hass_process.websocket()
    with pytest.raises(CommandError) as refused:
        await websocket.call_service(
            "flowroute", "send_message", {"from": DID_1, "to": SAM, "message": "Still there?"}
        )
    assert refused.value.translation_key == "opted_out"
    # Home Assistant's message drops the translation's final full stop.
    message = refused.value.message.removeprefix("Validation error: ")
    assert (await note.inner_text()).removesuffix(".") == message
    attempts = len(simulator.state.send_attempts)
    await compose.press("Enter")
    # Refused in the panel: the note is raised as an alert, and nothing is tried.
    await panel.locator('[data-testid="opted-out-note"][data-refused][role="alert"]').wait_for()
    assert len(simulator.state.send_attempts) == attempts
    assert not outbound(simulator, body="Are you still there?")
    thread = await websocket.command(
        {
            "type": "flowroute/conversations/thread",
            "config_entry_id": flowroute_entry,
            "did": DID_1,
            "number": SAM,
        }
    )
    assert "Are you still there?" not in [message["body"] for message in thread["messages"]]
    await _shot(page, "panel-stop")


async def test_a_new_conversation_from_the_form(page: Page) -> None:
    panel = _panel(page)
    await panel.get_by_test_id("new-conversation").click()
    form = panel.get_by_test_id("new-form")
    await form.get_by_test_id("new-number").fill("(206) 555-01")
    await form.get_by_test_id("new-start").click()
    # The integration's own refusal of a number that is not one.
    await form.get_by_role("alert").wait_for()
    await form.get_by_test_id("new-number").fill("(206) 555-0123")
    await form.get_by_test_id("new-start").click()
    await panel.get_by_test_id("thread-name").filter(has_text="+1 206 555 0123").wait_for()
    await panel.get_by_text(_strings("en")["thread"]["empty"]).wait_for()


async def test_the_panel_speaks_the_users_language(hass_process: HassProcess, page: Page) -> None:
    """A browser in French: the panel's strings from fr.json, the refusal from the integration's."""
    french = _strings("fr")
    refusal = json.loads((INTEGRATION / "translations" / "fr.json").read_text(encoding="utf-8"))[
        "exceptions"
    ]["opted_out"]["message"]
    browser = page.context.browser
    assert browser is not None
    context = await browser.new_context(
        locale="fr-FR", viewport=WIDE, storage_state=await page.context.storage_state()
    )
    try:
        tab = await context.new_page()
        await tab.goto(f"{hass_process.url}/flowroute-texts")
        panel = _panel(tab)
        await panel.get_by_placeholder(french["list"]["search"]).wait_for()
        await _conversation(tab, SAM).click()
        note = panel.get_by_test_id("opted-out-note")
        expected = refusal.replace("{to}", "+1 206 555 0111").replace("{from}", "+1 206 555 0199")
        await note.filter(has_text=re.compile(re.escape(expected[:40]))).wait_for()
        assert await note.inner_text() == expected
        await panel.get_by_text(french["state"]["delivered"], exact=True).first.wait_for()
    finally:
        await context.close()


async def test_with_conversations_not_kept_the_panel_says_so(
    hass_process: HassProcess, flowroute_entry: str, page: Page
) -> None:
    # Options are changed in Settings, away from the panel (the entry reloads).
    await page.goto(f"{hass_process.url}/config/integrations/integration/flowroute")
    result = await hass_process.run_options_flow(
        flowroute_entry, {"init": {"keep_conversations": False}}
    )
    assert result["type"] == "create_entry"
    await wait_until_loaded(hass_process, flowroute_entry)
    await page.goto(f"{hass_process.url}/flowroute-texts")
    note = _panel(page).get_by_test_id("not-stored")
    await note.wait_for()
    assert await note.inner_text() == _strings("en")["list"]["not_stored"]
