"""The blueprints in blueprints/automation/flowroute/, each run by a real automation.

Each test copies the repository's blueprints where Home Assistant looks for them, fills
an automation's inputs as the blueprint editor would (every value checked against its
input's selector), triggers it, and watches the outcome at the simulator: the text that
was sent, or the reply that came back through the entry's real webhook.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.camera import Camera
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import selector
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from PIL import Image
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    setup_test_component_platform,
)

from .conftest import DID_1, DID_2

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.state import MessageRecord
    from simulator.testing import RunningSimulator

REPOSITORY = Path(__file__).parent.parent
BLUEPRINTS = REPOSITORY / "blueprints" / "automation" / "flowroute"
HANDSET = "12065550100"
HANDSET_2 = "12065550101"
OTHER = "12065550111"
IMPORT_BUTTON = "https://my.home-assistant.io/redirect/blueprint_import/"


@pytest.fixture(autouse=True)
async def blueprint_folder(hass: HomeAssistant, tmp_path: Path) -> None:
    """Give Home Assistant a config folder of its own with the repository's blueprints."""
    hass.config.config_dir = str(tmp_path)
    await hass.async_add_executor_job(
        shutil.copytree, BLUEPRINTS, hass.config.path("blueprints/automation/flowroute")
    )


async def _automate(hass: HomeAssistant, blueprint: str, inputs: dict[str, Any]) -> None:
    """Set up an automation that uses `blueprint`, as the blueprint editor saves one.

    Fails when an input is unknown, missing or does not fit its selector, and when the
    blueprint does not give a working automation.
    """
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "from_blueprint",
                "alias": "From blueprint",
                "use_blueprint": {"path": f"flowroute/{blueprint}", "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    loaded = await async_get_blueprints(hass).async_get_blueprint(f"flowroute/{blueprint}")
    assert set(inputs) <= set(loaded.inputs), "an input the blueprint does not have"
    for key, value in inputs.items():
        selector.selector(loaded.inputs[key]["selector"])(value)
    state = hass.states.get("automation.from_blueprint")
    assert state is not None
    assert state.state == "on"


def _sent_to(simulator: RunningSimulator, number: str) -> list[MessageRecord]:
    return [record for record in simulator.state.sent_messages() if record.to_number == number]


async def _until[T](probe: Callable[[], T]) -> T:
    """Wait until `probe()` is truthy (what it waits for happens over real HTTP)."""
    async with asyncio.timeout(20):
        while not (result := probe()):
            await asyncio.sleep(0.01)
    return result


async def _text_in(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    body: str,
    *,
    sender: str = HANDSET,
    to: str = DID_1,
) -> None:
    """A handset texts one of the house's numbers; return once the automation ran."""
    simulator.inject_inbound(from_=sender, to=to, body=body)
    await simulator.idle()
    await hass.async_block_till_done()


# What the blueprints are


def test_each_blueprint_says_where_it_lives_and_the_readme_imports_it() -> None:
    manifest = json.loads(
        (REPOSITORY / "custom_components" / "flowroute" / "manifest.json").read_text()
    )
    readme = (REPOSITORY / "README.md").read_text()
    files = sorted(path.name for path in BLUEPRINTS.glob("*.yaml"))
    assert files == [
        "ask_and_act.yaml",
        "forward_texts_to_phone.yaml",
        "keyword_reply_summary.yaml",
        "text_camera_snapshot_on_motion.yaml",
    ]
    for name in files:
        text = (BLUEPRINTS / name).read_text()
        path = f"blueprints/automation/flowroute/{name}"
        assert f"source_url: {manifest['documentation']}/blob/main/{path}\n" in text
        raw = manifest["documentation"].replace("github.com", "raw.githubusercontent.com")
        raw = f"{raw}/main/{path}"
        button = f"{IMPORT_BUTTON}?blueprint_url={quote(raw, safe='')}"
        assert button in readme, name


# Forward texts to a phone: a real companion-app registration, its push caught


@dataclass(frozen=True, slots=True)
class Phone:
    """A phone registered with the companion app, and the pushes its gateway received."""

    device_id: str
    pushes: list[dict[str, Any]]


@pytest.fixture
async def mobile_app(hass: HomeAssistant) -> None:
    """The companion app's integration (set up before the HTTP server starts)."""
    assert await async_setup_component(hass, "mobile_app", {})


@pytest.fixture
async def phone(
    hass: HomeAssistant,
    mobile_app: None,
    listening: MockConfigEntry,
    hass_client_no_auth: Any,
    hass_access_token: str,
) -> AsyncIterator[Phone]:
    """A phone registered as the companion app registers one.

    Its push gateway is played on loopback: it keeps every push it is sent.
    """
    pushes: list[dict[str, Any]] = []

    async def push(request: web.Request) -> web.Response:
        pushes.append(await request.json())
        return web.json_response({}, status=201)

    gateway = web.Application()
    gateway.router.add_post("/push", push)
    server = TestServer(gateway, host="127.0.0.1")
    await server.start_server()
    client = await hass_client_no_auth()
    response = await client.post(
        "/api/mobile_app/registrations",
        headers={"Authorization": f"Bearer {hass_access_token}"},
        json={
            "app_id": "io.homeassistant.companion.android",
            "app_name": "Home Assistant",
            "app_version": "2026.1.0",
            "device_id": "pats-phone",
            "device_name": "Pat's phone",
            "manufacturer": "Google",
            "model": "Pixel 9",
            "os_name": "Android",
            "os_version": "16",
            "supports_encryption": False,
            "app_data": {"push_token": "push-token-1", "push_url": str(server.make_url("/push"))},
        },
    )
    assert response.status == 201
    await hass.async_block_till_done()
    [entry] = hass.config_entries.async_entries("mobile_app")
    [device] = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    yield Phone(device.id, pushes)
    await server.close()


async def test_forward_texts_to_phone(
    hass: HomeAssistant, phone: Phone, simulator: RunningSimulator
) -> None:
    await _automate(
        hass,
        "forward_texts_to_phone.yaml",
        {"notify_device": phone.device_id, "only_to": "(206) 555-0199"},
    )

    # To the other number: not forwarded. Then one to the chosen number is.
    await _text_in(hass, simulator, "Wrong door", to=DID_2)
    await _text_in(hass, simulator, "Door code?")
    [push] = await _until(lambda: phone.pushes)
    assert push["title"] == "Text from +1 206 555 0100"
    assert push["message"] == "Door code? · to +1 206 555 0199"
    assert push["push_token"] == "push-token-1"
    await hass.async_block_till_done()
    assert len(phone.pushes) == 1


async def test_forward_only_from_one_sender_and_skip_what_was_handled(
    hass: HomeAssistant, phone: Phone, simulator: RunningSimulator
) -> None:
    await _automate(
        hass,
        "forward_texts_to_phone.yaml",
        {"notify_device": phone.device_id, "only_from": "+1 206 555 0100", "skip_handled": True},
    )

    await _text_in(hass, simulator, "From someone else", sender=OTHER)
    await _text_in(hass, simulator, "HELP")  # a keyword Home Assistant answered itself
    await _text_in(hass, simulator, "Parcel at the door", to=DID_2)
    [push] = await _until(lambda: phone.pushes)
    assert push["message"] == "Parcel at the door · to +1 206 555 0188"
    await hass.async_block_till_done()
    assert len(phone.pushes) == 1


# Text a camera snapshot on motion


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 160, 60)).save(out, format="JPEG")
    return out.getvalue()


class _PorchCamera(Camera):
    _attr_name = "Porch"
    _attr_unique_id = "porch"

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        return _jpeg()


@pytest.fixture
async def porch(hass: HomeAssistant) -> None:
    """A camera, and a motion sensor (a template binary sensor) that a switch drives."""
    setup_test_component_platform(hass, "camera", [_PorchCamera()])
    assert await async_setup_component(hass, "camera", {"camera": {"platform": "test"}})
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"someone_on_the_porch": {}}}
    )
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "binary_sensor": [
                        {
                            "name": "Porch motion",
                            "device_class": "motion",
                            "state": "{{ is_state('input_boolean.someone_on_the_porch', 'on') }}",
                        }
                    ]
                }
            ]
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.porch_motion") is not None


async def _motion(hass: HomeAssistant) -> None:
    """Someone walks up to the porch, and away.

    Not followed by hass.async_block_till_done(): it would wait for the cooldown's end.
    """
    for service, state in (("turn_on", "on"), ("turn_off", "off")):
        await hass.services.async_call(
            "input_boolean",
            service,
            {"entity_id": "input_boolean.someone_on_the_porch"},
            blocking=True,
        )
        await _until(lambda state=state: hass.states.is_state("binary_sensor.porch_motion", state))


def _running(hass: HomeAssistant) -> int:
    """How many runs of the automation are under way (a cooldown is one)."""
    state = hass.states.get("automation.from_blueprint")
    assert state is not None
    current: int = state.attributes["current"]
    return current


async def test_text_camera_snapshot_on_motion_with_a_cooldown(
    hass: HomeAssistant,
    porch: None,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    public_url: str,
) -> None:
    # A real, short cooldown: firing time changes cannot tell when the run reached it.
    await _automate(
        hass,
        "text_camera_snapshot_on_motion.yaml",
        {
            "motion_entity": "binary_sensor.porch_motion",
            "camera_entity": "camera.porch",
            "recipients": ["+1 206 555 0100", "(206) 555-0101"],
            "cooldown": {"hours": 0, "minutes": 0, "seconds": 3},
        },
    )

    await _motion(hass)
    await _until(lambda: len(simulator.state.sent_messages()) >= 2)
    records = simulator.state.sent_messages()
    assert sorted(record.to_number for record in records) == [HANDSET, HANDSET_2]
    for record in records:
        assert record.is_mms
        assert record.body == "Motion: Porch motion"
        [media] = record.media
        # The simulator fetched the snapshot from Home Assistant's short-lived URL.
        assert media.url.startswith(f"{public_url}/api/flowroute/media/")
        assert (media.mime_type, media.size) == ("image/jpeg", len(_jpeg()))

    # Within the cooldown motion texts nothing; after it, the next motion texts again.
    await _motion(hass)
    assert _running(hass) == 1
    await _until(lambda: _running(hass) == 0)
    assert len(simulator.state.sent_messages()) == 2
    await _motion(hass)
    await _until(lambda: len(simulator.state.sent_messages()) >= 4)
    await _until(lambda: _running(hass) == 0)
    await simulator.idle()
    assert len(simulator.state.sent_messages()) == 4


# Reply to a keyword with a summary


@pytest.fixture
async def things(hass: HomeAssistant) -> None:
    """A switch that is on and a number with a unit, to be summed up."""
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {"porch_light": {"name": "Porch light", "initial": True}}},
    )
    assert await async_setup_component(
        hass,
        "input_number",
        {
            "input_number": {
                "thermostat": {
                    "name": "Thermostat",
                    "min": 50,
                    "max": 90,
                    "initial": 68,
                    "unit_of_measurement": "°F",
                }
            }
        },
    )
    await hass.async_block_till_done()


async def test_keyword_reply_summary(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    things: None,
    simulator: RunningSimulator,
) -> None:
    await _automate(
        hass,
        "keyword_reply_summary.yaml",
        {
            "keyword": "Status",
            "entities": ["input_boolean.porch_light", "input_number.thermostat"],
        },
    )

    await _text_in(hass, simulator, "status please")  # not the keyword alone
    await _text_in(hass, simulator, "  STATUS ", to=DID_2)
    [reply] = await _until(lambda: _sent_to(simulator, HANDSET))
    assert reply.from_number == DID_2  # from the number that was texted
    assert reply.body == "Home:\nPorch light: On\nThermostat: 68.0 °F"
    await hass.async_block_till_done()
    assert len(simulator.state.sent_messages()) == 1


async def test_keyword_reply_only_to_chosen_numbers(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    things: None,
    simulator: RunningSimulator,
) -> None:
    await _automate(
        hass,
        "keyword_reply_summary.yaml",
        {
            "keyword": "lights",
            "entities": ["input_boolean.porch_light"],
            "heading": "Lights:",
            "senders": ["(206) 555-0100"],
        },
    )

    await _text_in(hass, simulator, "lights", sender=OTHER)
    await _text_in(hass, simulator, "Lights")
    [reply] = await _until(lambda: _sent_to(simulator, HANDSET))
    assert reply.body == "Lights:\nPorch light: On"
    await hass.async_block_till_done()
    assert _sent_to(simulator, OTHER) == []


# Ask by text, then act on the answer


@pytest.fixture
async def garage(hass: HomeAssistant) -> None:
    """A garage door (a toggle: on is open) and a note that it was left open."""
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {"garage_door": {"name": "Garage door"}, "left_open": {}}},
    )
    await hass.async_block_till_done()


async def _ask_about_the_garage(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Open the garage door; return once the question reached the handset."""
    await _automate(
        hass,
        "ask_and_act.yaml",
        {
            "trigger_entity": "input_boolean.garage_door",
            "trigger_state": "on",
            "recipient": "+1 206 555 0100",
            "question": "The garage door is open. Close it?",
            "timeout": 5,
            "yes_actions": [
                {
                    "action": "input_boolean.turn_off",
                    "target": {"entity_id": "input_boolean.garage_door"},
                }
            ],
            "no_actions": [
                {
                    "action": "input_boolean.turn_on",
                    "target": {"entity_id": "input_boolean.left_open"},
                }
            ],
        },
    )
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.garage_door"}, blocking=True
    )
    [question] = await _until(lambda: _sent_to(simulator, HANDSET))
    assert question.from_number == DID_1
    assert question.body == "The garage door is open. Close it?\nReply yes, no"


async def test_ask_and_act_on_yes(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    garage: None,
    simulator: RunningSimulator,
) -> None:
    await _ask_about_the_garage(hass, simulator)
    await _text_in(hass, simulator, "Yes please")
    await _until(lambda: hass.states.is_state("input_boolean.garage_door", "off"))
    assert hass.states.is_state("input_boolean.left_open", "off")


@pytest.mark.parametrize("reply", ["no", None])
async def test_ask_and_act_on_no_or_no_answer(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    garage: None,
    simulator: RunningSimulator,
    reply: str | None,
) -> None:
    await _ask_about_the_garage(hass, simulator)
    if reply is None:
        # Not hass.async_block_till_done(): it would wait for the question's end.
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=4))
        await asyncio.sleep(0.2)
        assert hass.states.is_state("input_boolean.left_open", "off")
        automation = hass.states.get("automation.from_blueprint")
        assert automation is not None
        assert automation.attributes["current"] == 1  # still waiting for the answer
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    else:
        await _text_in(hass, simulator, reply)
    await _until(lambda: hass.states.is_state("input_boolean.left_open", "on"))
    assert hass.states.is_state("input_boolean.garage_door", "on")
