"""End to end: `flowroute.ask` and Assist over SMS, in a real Home Assistant, with the simulator.

The demo's set-up (demo/configure.py): Alex may talk to Assist as the demo user, Sam may
not; a porch light exposed to Assist, a garage door not exposed; the example automations. Texts
come from the simulated handsets through Flowroute's callbacks, answers go out through
the simulated account; Assist is Home Assistant's own agent and pipeline.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import pytest_asyncio

from demo.configure import (
    CONTACTS,
    add_automations,
    add_camera,
    add_contact,
    add_garage_door,
    add_things_for_assist,
    current_user_id,
)
from demo.hass import HassProcess
from simulator.state import MessageRecord
from simulator.testing import RunningSimulator

from .helpers import (
    ALEX,
    DID_1,
    DID_2,
    SAM,
    WITHIN,
    eventually,
    outbound,
    text_from_handset,
    wait_for_state,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True, slots=True)
class Home:
    """What the demo set up for Assist to act on, and whose permissions Alex's texts have."""

    porch_light: str
    garage_door: str
    demo_user_id: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def home(hass_process: HassProcess, flowroute_entry: str) -> Home:
    """The demo's contacts, things for Assist, and automations, set up as the demo does."""
    for contact in CONTACTS:
        assert await add_contact(hass_process, flowroute_entry, contact)
    porch_light = (await add_things_for_assist(hass_process)).porch_light
    garage_door = await add_garage_door(hass_process)
    assert await add_automations(
        hass_process,
        camera_entity_id=await add_camera(hass_process),
        garage_door_entity_id=garage_door,
    )
    return Home(porch_light, garage_door, await current_user_id(hass_process))


def texts_to(simulator: RunningSimulator, number: str, *, starting: str) -> list[MessageRecord]:
    """Return what the simulated account texted `number` that begins with `starting`."""
    return [
        record
        for record in simulator.state.sent_messages()
        if record.to_number == number and (record.body or "").startswith(starting)
    ]


async def test_ask_over_the_websocket_returns_the_answer_texted_back(
    hass_process: HassProcess, simulator: RunningSimulator, home: Home
) -> None:
    """The frontend's call_service with return_response waits for Alex's reply and returns it.

    "Yes!" is also an opt-in keyword: from someone who never opted out it answers the
    question, and (Alex being allowed to talk to Assist) it does not reach Assist.
    """
    websocket = await hass_process.websocket()
    received = await websocket.subscribe_events("flowroute_message_received")
    asking = asyncio.create_task(
        websocket.call_service(
            "flowroute",
            "ask",
            {
                "to": "+1 206 555 0100",
                "from": "+1 206 555 0188",
                "question": "Shall I start the dishwasher?",
                "answers": [
                    {"id": "start", "sentences": ["yes", "start it"]},
                    {"id": "wait", "sentences": ["no", "later"]},
                ],
            },
            return_response=True,
        )
    )

    [question] = await eventually(
        lambda: texts_to(simulator, ALEX, starting="Shall I start the dishwasher?"),
        "the question reached Alex",
    )
    assert question.from_number == DID_2
    listed = (question.body or "").splitlines()[-1]
    assert "yes" in listed
    assert "no" in listed
    assert not asking.done()  # it waits for the answer
    message_id = await text_from_handset(simulator, ALEX, DID_2, "Yes!")

    async with asyncio.timeout(WITHIN):
        response = await asking
    assert response == {
        "answer": {"id": "start", "text": "Yes!"},
        "matched": True,
        "from": ALEX,
        "to": DID_2,
        "message_id": message_id,
        "received_at": response["received_at"],
    }
    assert response["received_at"]
    event = await received.wait_for(lambda data: data["message_id"] == message_id)
    assert event["handled_by"] == "question"


async def test_assist_command_texted_from_a_phone_turns_on_the_light(
    hass_process: HassProcess, simulator: RunningSimulator, home: Home
) -> None:
    """Alex's text reaches Assist, which acts as the demo user; its answer reaches Alex."""
    websocket = await hass_process.websocket()
    exchanges = await websocket.subscribe_events("flowroute_assist_exchange")
    assert (await hass_process.state(home.porch_light))["state"] != "on"

    await text_from_handset(simulator, ALEX, DID_1, "Turn on the porch light")

    state = await wait_for_state(
        hass_process, home.porch_light, lambda state: state["state"] == "on", "the light is on"
    )
    assert state["context"]["user_id"] == home.demo_user_id  # Alex's texts act as that user
    [answer] = await eventually(
        lambda: outbound(simulator, body="Turned on the light"), "Assist's answer reached Alex"
    )
    assert (answer.from_number, answer.to_number) == (DID_1, ALEX)  # from the number texted
    exchange = await exchanges.wait_for(lambda data: data["number"] == ALEX)
    assert exchange["contact"] == "Alex"
    assert exchange["did"] == DID_1
    assert exchange["text"] == "Turn on the porch light"
    assert exchange["reply"] == "Turned on the light"
    assert exchange["success"] is True


async def test_sam_may_not_talk_to_assist(
    hass_process: HassProcess, simulator: RunningSimulator, home: Home
) -> None:
    """A contact without Assist texts a command: a plain text, Assist never sees it."""
    websocket = await hass_process.websocket()
    received = await websocket.subscribe_events("flowroute_message_received")

    message_id = await text_from_handset(simulator, SAM, DID_1, "Turn off the porch light")

    event = await received.wait_for(lambda data: data["message_id"] == message_id)
    assert event["handled_by"] is None
    assert event["body"] == "Turn off the porch light"
    assert (await hass_process.state(home.porch_light))["state"] == "on"


async def test_the_garage_door_is_out_of_assists_reach(
    hass_process: HassProcess, simulator: RunningSimulator, home: Home
) -> None:
    """The demo does not expose the garage door: Assist answers Alex but cannot open it."""
    websocket = await hass_process.websocket()
    exchanges = await websocket.subscribe_events("flowroute_assist_exchange")

    await text_from_handset(simulator, ALEX, DID_1, "Turn on the garage door")

    exchange = await exchanges.wait_for(lambda data: data["text"] == "Turn on the garage door")
    assert exchange["success"] is False
    assert texts_to(simulator, ALEX, starting=exchange["reply"])  # Alex was told
    assert (await hass_process.state(home.garage_door))["state"] == "off"


async def test_demo_automation_asks_alex_and_closes_the_garage_on_yes(
    hass_process: HassProcess, simulator: RunningSimulator, home: Home
) -> None:
    """The demo's flowroute.ask automation: the garage opens, Alex is asked, "yes" closes it."""
    await hass_process.call_service("input_boolean", "turn_on", {"entity_id": home.garage_door})

    [question] = await eventually(
        lambda: texts_to(simulator, ALEX, starting="The garage door is open. Close it?"),
        "the automation asked Alex",
    )
    assert (await hass_process.state(home.garage_door))["state"] == "on"  # it waits
    await text_from_handset(simulator, ALEX, question.from_number, "yes")

    await wait_for_state(
        hass_process,
        home.garage_door,
        lambda state: state["state"] == "off",
        "the automation closed the garage door",
    )
    [told] = await eventually(
        lambda: outbound(simulator, body="Closing the garage door."), "Alex was told"
    )
    assert (told.from_number, told.to_number) == (question.from_number, ALEX)
