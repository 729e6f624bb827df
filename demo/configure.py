"""Set up the demo's Home Assistant the way a person would in its UI.

The Flowroute account through the config flow, pointed at the simulator; contacts through
the subentry flow; a camera that shows a bundled picture; the example automations. Every
step finds what a previous run left in place and keeps it, so a second start is quick.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from simulator.state import DEFAULT_ACCOUNT, Account

from .hass import FlowError, HassError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .hass import HassProcess

DOMAIN: Final = "flowroute"
CAMERA_PICTURE: Final = Path(__file__).with_name("camera.jpg")
CAMERA_NAME: Final = "Demo camera"
LOAD_TIMEOUT: Final = 120.0


@dataclass(frozen=True, slots=True)
class Contact:
    """A person with a handset: a contact in Home Assistant and a phone on the phone page."""

    name: str
    number: str  # v2.1 digits


CONTACTS: Final = (Contact("Alex", "12065550100"), Contact("Sam", "12065550111"))

# Written once: a file someone changed is kept. The camera's entity id fills {camera}.
AUTOMATIONS: Final = """\
# Example automations of the Flowroute demo (python -m demo writes this file once).
- id: flowroute_demo_status
  alias: "Flowroute demo: answer STATUS"
  description: "A text saying STATUS gets a short status back, from the number it went to."
  mode: queued
  triggers:
    - trigger: event
      event_type: flowroute_message_received
  conditions:
    - condition: template
      value_template: "{{{{ (trigger.event.data.body or '') | trim | lower == 'status' }}}}"
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
  description: "A text saying PHOTO gets the camera's picture back as an MMS."
  mode: queued
  triggers:
    - trigger: event
      event_type: flowroute_message_received
  conditions:
    - condition: template
      value_template: "{{{{ (trigger.event.data.body or '') | trim | lower == 'photo' }}}}"
  actions:
    - action: flowroute.send_message
      data:
        to: "{{{{ trigger.event.data.from }}}}"
        from: "{{{{ trigger.event.data.to }}}}"
        message: "The front of the house, just now."
        media: {camera}
"""
EMPTY_AUTOMATIONS: Final = "[]\n"  # what HassProcess writes into a new folder


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
    """Add a contact through the subentry flow; return False if it was there already."""
    result = await hass.run_subentry_flow(
        entry_id, "contact", {"user": {"name": contact.name, "number": contact.number}}
    )
    if result["type"] == "abort" and result.get("reason") == "already_configured":
        return False
    _expect(result, "create_entry")
    return True


async def add_camera(hass: HassProcess) -> str:
    """Add a Local file camera showing the bundled picture; return its entity id.

    The picture is copied into the config folder once: replace it there to show another.
    """
    picture = hass.config_dir / "camera.jpg"
    if not picture.exists():
        shutil.copyfile(CAMERA_PICTURE, picture)
    result = await hass.run_config_flow(
        "local_file", {"user": {"name": CAMERA_NAME, "file_path": str(picture)}}
    )
    if result["type"] == "create_entry":
        entry_id: str = result["result"]["entry_id"]
    else:
        _expect(result, "abort", "already_configured")
        entries = await hass.config_entries("local_file")
        entry_id = next(entry["entry_id"] for entry in entries if entry["title"] == CAMERA_NAME)
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


async def add_automations(hass: HassProcess, camera_entity_id: str) -> bool:
    """Write the example automations into a new folder and load them; False if kept."""
    path = hass.config_dir / "automations.yaml"
    if path.exists() and path.read_text(encoding="utf-8") != EMPTY_AUTOMATIONS:
        return False
    path.write_text(AUTOMATIONS.format(camera=camera_entity_id), encoding="utf-8")
    await hass.call_service("automation", "reload")
    return True


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
