"""End to end: set up through the UI's REST API, send, receive, receipts, the demo's automations."""

from __future__ import annotations

import hashlib

import pytest

from demo.configure import (
    CAMERA_PICTURE,
    CONTACTS,
    add_automations,
    add_camera,
    add_contact,
    add_flowroute,
    add_garage_door,
)
from demo.hass import HassProcess
from simulator.state import MessageRecord
from simulator.testing import RunningSimulator

from .helpers import ALEX, DID_1, DID_2, SAM, eventually, outbound, registry, text_from_handset

pytestmark = pytest.mark.asyncio(loop_scope="module")

CALLBACK_KINDS = {"sms_callback", "mms_callback", "sms_dlr_callback", "mms_dlr_callback"}


async def test_config_flow_adds_the_account_and_points_callbacks_home(
    hass_process: HassProcess, simulator: RunningSimulator, flowroute_entry: str
) -> None:
    [entry] = await hass_process.config_entries("flowroute")
    assert entry["entry_id"] == flowroute_entry
    assert entry["state"] == "loaded"
    assert entry["title"] == "Flowroute +1 206 555 0199"
    callbacks = {
        (number, str(kind)): url for (number, kind), url in simulator.state.number_callbacks.items()
    }
    assert {key[0] for key in callbacks} == {DID_1, DID_2}
    assert {kind for _, kind in callbacks} == CALLBACK_KINDS
    [webhook] = set(callbacks.values())
    assert webhook.startswith(f"{hass_process.url}/api/webhook/")


async def test_next_demo_run_reconfigures_the_entry_and_its_callbacks(
    hass_process: HassProcess, simulator: RunningSimulator, flowroute_entry: str
) -> None:
    # A new simulator knows no callbacks: the demo's next run reconfigures the entry.
    simulator.state.number_callbacks.clear()

    assert await add_flowroute(hass_process, simulator.url) == flowroute_entry

    assert len(await hass_process.config_entries("flowroute")) == 1
    assert {number for number, _ in simulator.state.number_callbacks} == {DID_1, DID_2}
    assert len(simulator.state.number_callbacks) == 2 * len(CALLBACK_KINDS)


async def test_contact_added_through_the_subentry_flow_can_be_texted(
    hass_process: HassProcess, simulator: RunningSimulator, flowroute_entry: str
) -> None:
    alex = CONTACTS[0]
    assert await add_contact(hass_process, flowroute_entry, alex)
    assert not await add_contact(hass_process, flowroute_entry, alex)  # the flow aborts

    async def notify_entities() -> list[str]:
        return [
            item["entity_id"]
            for item in await registry(hass_process)
            if item["entity_id"].startswith("notify.")
        ]

    [notify] = await eventually(notify_entities, "the contact got its notify entity")
    await hass_process.call_service(
        "notify", "send_message", {"entity_id": notify, "message": "Dinner is ready"}
    )

    [record] = await eventually(
        lambda: outbound(simulator, body="Dinner is ready"), "the contact's text was sent"
    )
    assert record.to_number == ALEX
    assert record.from_number == DID_1  # the default sender


async def test_send_message_reaches_flowroute_and_its_receipts_come_back(
    hass_process: HassProcess, simulator: RunningSimulator, flowroute_entry: str
) -> None:
    websocket = await hass_process.websocket()
    receipts = await websocket.subscribe_events("flowroute_delivery_receipt")

    response = await hass_process.call_service(
        "flowroute",
        "send_message",
        {"to": "+1 206 555 0111", "from": "+1 206 555 0188", "message": "Garage door is open"},
        return_response=True,
    )

    [item] = response["messages"]
    assert item["to"] == SAM
    assert item["status"] == "accepted"
    assert item["message_id"].startswith("mdr2-")
    record = simulator.state.messages[item["message_id"]]
    assert (record.from_number, record.to_number) == (DID_2, SAM)
    assert record.body == "Garage door is open"
    assert record.dlr_callback is not None
    assert record.dlr_callback.startswith(f"{hass_process.url}/api/webhook/")

    receipt = await receipts.wait_for(
        lambda data: data["message_id"] == item["message_id"] and data["state"] == "delivered"
    )
    assert receipt["to"] == SAM
    assert receipt["from"] == DID_2
    assert receipt["status_code"] == 1004
    assert receipt["config_entry_id"] == flowroute_entry


async def test_inbound_text_fires_the_event(
    hass_process: HassProcess, simulator: RunningSimulator, flowroute_entry: str
) -> None:
    websocket = await hass_process.websocket()
    received = await websocket.subscribe_events("flowroute_message_received")

    message_id = await text_from_handset(simulator, SAM, DID_1, "Is the garage door closed?")

    event = await received.wait_for(lambda data: data["message_id"] == message_id)
    assert event["from"] == SAM
    assert event["to"] == DID_1
    assert event["body"] == "Is the garage door closed?"
    assert event["is_mms"] is False
    assert event["keyword"] is None
    assert event["config_entry_id"] == flowroute_entry


async def test_demo_automations_answer_status_and_photo(
    hass_process: HassProcess, simulator: RunningSimulator, flowroute_entry: str
) -> None:
    """STATUS and PHOTO are answered, except texts that Assist answers (Alex's, added above)."""
    camera = await add_camera(hass_process)
    garage_door = await add_garage_door(hass_process)
    assert await add_automations(
        hass_process, camera_entity_id=camera, garage_door_entity_id=garage_door
    )
    websocket = await hass_process.websocket()
    exchanges = await websocket.subscribe_events("flowroute_assist_exchange")

    await text_from_handset(simulator, ALEX, DID_1, "status")
    await exchanges.wait_for(lambda data: data["text"] == "status")  # Assist answered Alex
    await text_from_handset(simulator, SAM, DID_2, " Status ")
    await text_from_handset(simulator, SAM, DID_1, "PHOTO")

    def status_replies() -> list[MessageRecord]:
        return [
            record
            for record in simulator.state.messages.values()
            if (record.body or "").startswith("Home Assistant is")
        ]

    [status] = await eventually(status_replies, "the STATUS automation answered")
    assert (status.from_number, status.to_number) == (DID_2, SAM)  # from the number texted
    [photo] = await eventually(
        lambda: outbound(simulator, body="The front of the house, just now."),
        "the PHOTO automation answered",
    )
    assert (photo.from_number, photo.to_number) == (DID_1, SAM)
    assert photo.is_mms
    [picture] = photo.media
    assert picture.mime_type == "image/jpeg"
    assert picture.sha256 == hashlib.sha256(CAMERA_PICTURE.read_bytes()).hexdigest()
