"""What the end-to-end tests share: numbers, waiting, texting from a handset, entity ids."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from demo.configure import CONTACTS, messaging_numbers

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from demo.hass import HassProcess
    from simulator.state import MessageRecord
    from simulator.testing import RunningSimulator

DID_1, DID_2 = messaging_numbers()
ALEX, SAM = (contact.number for contact in CONTACTS)
WITHIN = 60.0  # seconds: generous, the machine is shared; nothing here measures time


async def eventually[T](
    check: Callable[[], T | Awaitable[T]], what: str, *, within: float = WITHIN
) -> T:
    """Poll `check` (plain or async) until it returns something truthy; return that.

    Fails saying `what` did not happen.
    """
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Not within {within:.0f} s: {what}")
        await asyncio.sleep(0.1)


def outbound(simulator: RunningSimulator, *, body: str) -> list[MessageRecord]:
    """Return the messages the simulated account sent with this body, oldest first."""
    return [
        record
        for record in simulator.state.messages.values()
        if record.direction == "outbound" and record.body == body
    ]


async def control(
    simulator: RunningSimulator, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """Call the simulator's control API (/sim/...) over HTTP; return its JSON answer, if any."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{simulator.url}{path}", json=body) as response,
    ):
        assert response.status < 300, f"{method} {path}: {response.status} {await response.text()}"
        return await response.json() if response.content_length else None


async def text_from_handset(simulator: RunningSimulator, handset: str, did: str, body: str) -> str:
    """Text a DID from a handset, as Flowroute would deliver it; return the message id."""
    answer = await control(
        simulator, "POST", "/sim/inbound", {"from": handset, "to": did, "body": body}
    )
    message_id: str = answer["id"]
    return message_id


async def registry(hass: HassProcess) -> list[dict[str, Any]]:
    """Return the integration's entries of the entity registry."""
    websocket = await hass.websocket()
    items: list[dict[str, Any]] = await websocket.command({"type": "config/entity_registry/list"})
    return [item for item in items if item["platform"] == "flowroute"]


async def entity_id(hass: HassProcess, unique_id: str) -> str:
    """Return the entity id of one of the integration's entities by its unique id."""
    for item in await registry(hass):
        if item.get("unique_id") == unique_id:
            found: str = item["entity_id"]
            return found
    raise AssertionError(f"No flowroute entity has the unique id {unique_id}")


async def wait_for_state(
    hass: HassProcess, entity: str, check: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    """Poll an entity's state until `check` accepts it; return that state."""

    async def accepted() -> dict[str, Any] | None:
        state = await hass.state(entity)
        return state if check(state) else None

    return await eventually(accepted, what)
