"""Set up the demo's Home Assistant the way a person would in its UI.

The Flowroute account through the config flow, pointed at the simulator; contacts through
the subentry flow (Alex may talk to Assist, as the demo user); a camera that shows a
bundled picture; a porch light and a coffee maker for Assist (template entities in
templates.yaml, exposed to Assist); a garage door (a toggle helper, not exposed: the
house asks before closing it); the example automations; Sam's and Alex's first texts, so
that the Texts panel opens with two conversations. Every step finds what a previous run
left in place and keeps it, so a second start is quick.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from simulator.rules import display_number
from simulator.state import DEFAULT_ACCOUNT, Account

from .hass import FlowError, HassError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .hass import HassProcess

DOMAIN: Final = "flowroute"
CAMERA_PICTURE: Final = Path(__file__).with_name("camera.jpg")
CAMERA_NAME: Final = "Demo camera"
# Home Assistant 2026.11 names a Local file camera after its file (its form lost the name).
CAMERA_FILE: Final = f"{CAMERA_NAME}.jpg"
LEGACY_CAMERA_FILE: Final = "camera.jpg"  # what folders made before that hold
LOAD_TIMEOUT: Final = 120.0
GARAGE_DOOR_NAME: Final = "Garage door"
PORCH_LIGHT_UNIQUE_ID: Final = "flowroute_demo_porch_light"
COFFEE_MAKER_UNIQUE_ID: Final = "flowroute_demo_coffee_maker"
ASSIST: Final = "conversation"  # Assist, as Home Assistant's exposure settings name it


@dataclass(frozen=True, slots=True)
class Contact:
    """A person with a handset: a contact in Home Assistant and a phone on the phone page."""

    name: str
    number: str  # v2.1 digits
    assist: bool = False  # may talk to Assist, as the demo user, with the preferred pipeline


CONTACTS: Final = (Contact("Alex", "12065550100", assist=True), Contact("Sam", "12065550111"))
ALEX: Final = CONTACTS[0]

# Written once into templates.yaml, like the automations.
TEMPLATES: Final = f"""\
# Template entities of the Flowroute demo (python -m demo writes this file once): things
# for Assist to switch. No hardware behind them, so they are optimistic (no state
# template: they are what they were last told) and their actions have nothing to do.
- light:
    - name: Porch light
      unique_id: {PORCH_LIGHT_UNIQUE_ID}
      icon: mdi:outdoor-lamp
      turn_on: []
      turn_off: []
- switch:
    - name: Coffee maker
      unique_id: {COFFEE_MAKER_UNIQUE_ID}
      icon: mdi:coffee-maker
      turn_on: []
      turn_off: []
"""

# Written once: a file someone changed is kept. {camera}, {garage_door} and {alex} are
# filled in: the camera's and the garage door's entity ids, Alex's number.
AUTOMATIONS: Final = """\
# Example automations of the Flowroute demo (python -m demo writes this file once).
- id: flowroute_demo_status
  alias: "Flowroute demo: answer STATUS"
  description: >-
    A text saying STATUS gets a short status back, from the number it went to (unless
    Assist answers it: Alex's texts go to Assist).
  mode: queued
  triggers:
    - trigger: event
      event_type: flowroute_message_received
  conditions:
    - condition: template
      value_template: "{{{{ (trigger.event.data.body or '') | trim | lower == 'status' }}}}"
    # Not a text that Assist (Alex's), a question or a keyword already handled.
    - condition: template
      value_template: "{{{{ trigger.event.data.handled_by is none }}}}"
  actions:
    - action: flowroute.send_message
      data:
        to: "{{{{ trigger.event.data.from }}}}"
        from: "{{{{ trigger.event.data.to }}}}"
        message: >-
          Home Assistant is running: {{{{ states | count }}}} entities, local time
          {{{{ now().strftime('%H:%M') }}}}.
- id: flowroute_demo_photo
  alias: "Flowroute demo: answer PHOTO with a camera picture"
  description: >-
    A text saying PHOTO gets the camera's picture back as an MMS (unless Assist answers
    it: Alex's texts go to Assist).
  mode: queued
  triggers:
    - trigger: event
      event_type: flowroute_message_received
  conditions:
    - condition: template
      value_template: "{{{{ (trigger.event.data.body or '') | trim | lower == 'photo' }}}}"
    # Not a text that Assist (Alex's), a question or a keyword already handled.
    - condition: template
      value_template: "{{{{ trigger.event.data.handled_by is none }}}}"
  actions:
    - action: flowroute.send_message
      data:
        to: "{{{{ trigger.event.data.from }}}}"
        from: "{{{{ trigger.event.data.to }}}}"
        message: "The front of the house, just now."
        media: {camera}
- id: flowroute_demo_garage_door
  alias: "Flowroute demo: ask Alex whether to close the garage door"
  description: >-
    When the garage door opens, flowroute.ask texts Alex "Close it?" and waits up to ten
    minutes for the answer; "yes" closes it, "no" (or no answer) leaves it open. A real
    one would wait a while first (a "for:" on the trigger).
  mode: single
  triggers:
    - trigger: state
      entity_id: {garage_door}
      from: "off"
      to: "on"
  actions:
    - action: flowroute.ask
      data:
        to: "{alex}"
        question: "The garage door is open. Close it?"
        answers:
          - id: close
            sentences: ["yes", "close it"]
          - id: leave
            sentences: ["no", "leave it open"]
        timeout: 600
      response_variable: reply
    - if:
        - condition: template
          value_template: "{{{{ reply.answer is defined and reply.answer.id == 'close' }}}}"
      then:
        - action: input_boolean.turn_off
          target:
            entity_id: {garage_door}
        - action: flowroute.send_message
          data:
            to: "{alex}"
            from: "{{{{ reply.to }}}}"
            message: "Closing the garage door."
"""
EMPTY: Final = "[]\n"  # what HassProcess writes into a new folder's YAML files


def messaging_numbers(account: Account = DEFAULT_ACCOUNT) -> list[str]:
    """Return the account's numbers that can text (the ones the demo configures)."""
    return [number.number for number in account.numbers if number.messaging_enabled]


async def add_flowroute(
    hass: HassProcess, simulator_url: str, account: Account = DEFAULT_ACCOUNT
) -> str:
    """Add the account through the config flow, or reconfigure the entry a run left behind.

    Either way the numbers' callbacks are pointed at Home Assistant's webhook (the
    simulator forgets them when it stops) and the API URL at `simulator_url`. Returns
    the entry id once the entry is loaded.
    """
    account_form = {
        "access_key": account.access_key,
        "secret_key": account.secret_key,
        "advanced": {"base_url": simulator_url},
    }
    answers: dict[str, Mapping[str, Any]] = {
        "user": account_form,
        "reconfigure": account_form,
        "numbers": {"numbers": messaging_numbers(account)},
        "callbacks": {"set_callbacks": True},
    }
    if entries := await hass.config_entries(DOMAIN):
        entry_id: str = entries[0]["entry_id"]
        result = await hass.run_config_flow(DOMAIN, answers, entry_id=entry_id)
        _expect(result, "abort", "reconfigure_successful")
    else:
        result = await hass.run_config_flow(DOMAIN, answers)
        _expect(result, "create_entry")
        entry_id = result["result"]["entry_id"]
    await wait_until_loaded(hass, entry_id)
    return entry_id


async def add_contact(hass: HassProcess, entry_id: str, contact: Contact) -> bool:
    """Add a contact through the subentry flow; return False if it was there already.

    A contact that may talk to Assist does so as the signed-in user (the demo user),
    with the preferred pipeline (the form's pipeline left empty). Returns once the
    entry was reloaded with the contact (a new contact reloads it).
    """
    form: dict[str, Any] = {"name": contact.name, "number": contact.number}
    if contact.assist:
        form["assist"] = {"allow_assist": True, "user_id": await current_user_id(hass)}
    result = await hass.run_subentry_flow(entry_id, "contact", {"user": form})
    if result["type"] == "abort" and result.get("reason") == "already_configured":
        return False
    _expect(result, "create_entry")
    await _wait_until_reloaded_with(hass, entry_id, contact)
    return True


async def _wait_until_reloaded_with(hass: HassProcess, entry_id: str, contact: Contact) -> None:
    """Wait until the entry is loaded again with the new contact's notify entity."""
    websocket = await hass.websocket()
    subentries: list[dict[str, Any]] = await websocket.command(
        {"type": "config_entries/subentries/list", "entry_id": entry_id}
    )
    subentry_id = next(
        item["subentry_id"] for item in subentries if item["unique_id"] == contact.number
    )
    deadline = time.monotonic() + LOAD_TIMEOUT
    # The entity is registered while the reload sets the entry up; loaded comes after.
    while not any(
        item.get("config_subentry_id") == subentry_id
        for item in await websocket.command({"type": "config/entity_registry/list"})
    ):
        if time.monotonic() > deadline:
            raise HassError(
                f"The entry was not reloaded with {contact.name} within {LOAD_TIMEOUT:.0f} s"
            )
        await asyncio.sleep(0.2)
    await wait_until_loaded(hass, entry_id)


async def add_camera(hass: HassProcess) -> str:
    """Add a Local file camera showing the bundled picture; return its entity id.

    The picture is copied into the config folder once: replace it there to show another.
    """
    picture = hass.config_dir / LEGACY_CAMERA_FILE
    if not picture.exists():
        picture = hass.config_dir / CAMERA_FILE
    if not picture.exists():
        shutil.copyfile(CAMERA_PICTURE, picture)
    flow = await hass.post("/api/config/config_entries/flow", {"handler": "local_file"})
    answers = {"file_path": str(picture)}
    if any(field["name"] == "name" for field in flow.get("data_schema") or []):
        answers["name"] = CAMERA_NAME  # asked for before 2026.11
    result = await hass.post(f"/api/config/config_entries/flow/{flow['flow_id']}", answers)
    if result["type"] == "create_entry":
        entry_id: str = result["result"]["entry_id"]
    else:
        _expect(result, "abort", "already_configured")
        entries = await hass.config_entries("local_file")
        titles = {CAMERA_NAME, picture.stem}
        entry_id = next(entry["entry_id"] for entry in entries if entry["title"] in titles)
    await wait_until_loaded(hass, entry_id)
    websocket = await hass.websocket()
    registry: list[dict[str, Any]] = await websocket.command(
        {"type": "config/entity_registry/list"}
    )
    for item in registry:
        if item["config_entry_id"] == entry_id and item["entity_id"].startswith("camera."):
            entity_id: str = item["entity_id"]
            return entity_id
    raise HassError(f"The {CAMERA_NAME} entry has no camera entity")


@dataclass(frozen=True, slots=True)
class ForAssist:
    """The entity ids of the things Alex may switch by texting Assist."""

    porch_light: str
    coffee_maker: str


async def add_things_for_assist(hass: HassProcess) -> ForAssist:
    """Write a porch light and a coffee maker into a new folder's templates.yaml and load them.

    New ones are exposed to Assist (Settings > Voice assistants > Expose).
    """
    path = hass.config_dir / "templates.yaml"
    written = not path.exists() or path.read_text(encoding="utf-8") == EMPTY
    if written:
        path.write_text(TEMPLATES, encoding="utf-8")
        await hass.call_service("template", "reload")
    porch_light = await _registered(hass, "template", PORCH_LIGHT_UNIQUE_ID)
    coffee_maker = await _registered(hass, "template", COFFEE_MAKER_UNIQUE_ID)
    if porch_light is None or coffee_maker is None:
        raise HassError(f"No porch light or no coffee maker: are they still in {path}?")
    if written:
        await expose_to_assist(hass, porch_light, coffee_maker)
    return ForAssist(porch_light, coffee_maker)


async def add_garage_door(hass: HassProcess) -> str:
    """Add the garage door as a toggle helper (on: open) unless it exists; its entity id.

    Not exposed to Assist (a helper is not unless one says so): a garage door should not
    open for whoever fakes a text from Alex's number. The house asks Alex instead.
    """
    websocket = await hass.websocket()
    helpers: list[dict[str, Any]] = await websocket.command({"type": "input_boolean/list"})
    helper = next((item for item in helpers if item.get("name") == GARAGE_DOOR_NAME), None)
    if helper is None:
        helper = await websocket.command(
            {"type": "input_boolean/create", "name": GARAGE_DOOR_NAME, "icon": "mdi:garage"}
        )
    entity_id = await _registered(hass, "input_boolean", str(helper["id"]))
    if entity_id is None:
        raise HassError(f"The {GARAGE_DOOR_NAME} helper has no entity")
    return entity_id


async def expose_to_assist(hass: HassProcess, *entity_ids: str) -> None:
    """Expose entities to Assist, as Settings > Voice assistants > Expose does."""
    websocket = await hass.websocket()
    await websocket.command(
        {
            "type": "homeassistant/expose_entity",
            "assistants": [ASSIST],
            "entity_ids": list(entity_ids),
            "should_expose": True,
        }
    )


async def current_user_id(hass: HassProcess) -> str:
    """Return the id of the user Home Assistant is signed into (the demo user)."""
    websocket = await hass.websocket()
    user: dict[str, Any] = await websocket.command({"type": "auth/current_user"})
    user_id: str = user["id"]
    return user_id


async def add_automations(
    hass: HassProcess, *, camera_entity_id: str, garage_door_entity_id: str
) -> bool:
    """Write the example automations into a new folder and load them; False if kept."""
    path = hass.config_dir / "automations.yaml"
    if path.exists() and path.read_text(encoding="utf-8") != EMPTY:
        return False
    path.write_text(
        AUTOMATIONS.format(
            camera=camera_entity_id,
            garage_door=garage_door_entity_id,
            alex=display_number(ALEX.number),
        ),
        encoding="utf-8",
    )
    await hass.call_service("automation", "reload")
    return True


async def add_opening_conversations(hass: HassProcess, simulator_url: str, entry_id: str) -> bool:
    """Open the Texts panel on two conversations; False if it has some already.

    Sam texts a picture of the house to the first number and the house answers once;
    Alex asks Assist to turn on the porch light (Assist answers by itself).
    """
    websocket = await hass.websocket()
    listed = {"type": "flowroute/conversations/list", "config_entry_id": entry_id}
    if (await websocket.command(listed))["total"]:
        return False
    did = messaging_numbers()[0]
    sam = next(contact for contact in CONTACTS if not contact.assist)
    picture = {
        "content_base64": base64.b64encode(CAMERA_PICTURE.read_bytes()).decode(),
        "mime_type": "image/jpeg",
        "file_name": "house.jpg",
    }
    await _text_the_house(
        simulator_url,
        {
            "from": sam.number,
            "to": did,
            "body": "Walked past your place: all looks fine from the street.",
            "media": [picture],
        },
    )
    # The reply comes after Sam's text in the thread: wait until the house has it.
    deadline = time.monotonic() + LOAD_TIMEOUT
    while not (await websocket.command(listed))["total"]:
        if time.monotonic() > deadline:
            raise HassError(f"Sam's text did not reach Home Assistant within {LOAD_TIMEOUT:.0f} s")
        await asyncio.sleep(0.2)
    await hass.call_service(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry_id, "from": did, "to": sam.number, "message": "Thanks, Sam!"},
    )
    await _text_the_house(
        simulator_url, {"from": ALEX.number, "to": did, "body": "Turn on the porch light"}
    )
    return True


async def name_handsets(simulator_url: str, contacts: Sequence[Contact] = CONTACTS) -> None:
    """Tell the simulator the contacts' names: the phone page shows Alex and Sam by name."""
    async with aiohttp.ClientSession() as session:
        for contact in contacts:
            async with session.put(
                f"{simulator_url}/sim/handsets/{contact.number}", json={"name": contact.name}
            ) as response:
                if response.status >= 300:  # noqa: PLR2004
                    raise HassError(f"The simulator refused a name: {await response.text()}")


async def _text_the_house(simulator_url: str, text: dict[str, Any]) -> None:
    """Text a number from a handset through the simulator's control API (as the phone page)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{simulator_url}/sim/inbound", json=text) as response,
    ):
        if response.status >= 300:  # noqa: PLR2004
            raise HassError(f"The simulator refused a text: {await response.text()}")


async def _registered(hass: HassProcess, platform: str, unique_id: str) -> str | None:
    """Return the entity id the entity registry gives a platform's unique id, if any."""
    websocket = await hass.websocket()
    registry: list[dict[str, Any]] = await websocket.command(
        {"type": "config/entity_registry/list"}
    )
    for item in registry:
        if item["platform"] == platform and item.get("unique_id") == unique_id:
            entity_id: str = item["entity_id"]
            return entity_id
    return None


async def wait_until_loaded(hass: HassProcess, entry_id: str) -> None:
    """Wait until a config entry is loaded (after its setup or a reload)."""
    deadline = time.monotonic() + LOAD_TIMEOUT
    while True:
        entries = await hass.get("/api/config/config_entries/entry")
        state = next((entry["state"] for entry in entries if entry["entry_id"] == entry_id), None)
        if state == "loaded":
            return
        if time.monotonic() > deadline:
            raise HassError(
                f"Config entry {entry_id} is {state!r}, not loaded, after {LOAD_TIMEOUT:.0f} s; "
                f"see {hass.log_file}"
            )
        await asyncio.sleep(0.2)


def _expect(result: dict[str, Any], kind: str, reason: str | None = None) -> None:
    """Raise FlowError unless the flow ended as expected."""
    if result["type"] != kind or (reason is not None and result.get("reason") != reason):
        raise FlowError(
            f"The {result.get('handler')} flow ended with {result['type']} "
            f"{result.get('reason') or ''}, expected {kind} {reason or ''}".rstrip()
        )
