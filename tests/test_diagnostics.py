"""Diagnostics of the entry and of its devices: what they hold, and nothing private.

The entry runs against the simulator over loopback, with its webhook reachable: texts are
sent, one arrives, a handset opts out, Flowroute refuses one send, a callback is refused,
and one text waits in the outbox while Flowroute answers 429. Then the downloads are
snapshotted, and searched for every secret, number and body the test put in.
"""

from __future__ import annotations

import asyncio
import json
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryDataWithId
from homeassistant.const import CONF_NAME
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from syrupy.matchers import path_type

from custom_components.flowroute.const import (
    CONF_ALLOW_ASSIST,
    CONF_ASSIST_PASSPHRASE,
    CONF_ASSIST_USER,
    CONF_NUMBER,
    CONF_PREFERRED_DID,
    DOMAIN,
    SUBENTRY_CONTACT,
)
from custom_components.flowroute.outbox import OutboundMessage
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.receipts import ReceiptRule

from .conftest import ACCESS_KEY, DID_1, DID_2, SECRET_KEY, WEBHOOK_ID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
    from syrupy.assertion import SnapshotAssertion

    from simulator.testing import RunningSimulator

ALEX = "12065550100"  # a contact who prefers the second number
PAT = "12065550101"  # a contact who may talk to Assist, with a passphrase
STRANGER = "12065550111"  # no contact: Flowroute refuses a text to them, then they STOP
PASSPHRASE = "Open Sesame"
PAT_USER = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
BODIES = (
    "Dinner is at seven",
    "Bring the blue umbrella",
    "This text is refused",
    "See you at the harbour",
    "Still waiting in the outbox",
)
# What the snapshot cannot hold still: ports, clocks, Flowroute's message ids.
VOLATILE = path_type(
    {
        r"entry\.data\.base_url": (str,),
        r"recent_errors\.\d+\.time": (str,),
        r"(.*\.)?usage\.cursor": (str,),
        r"(.*\.)?outbox\.oldest_age_seconds": (float,),
        r"(by_number\.\d+|this_number)\.receipts\.last\.\d+\.message_id": (str,),
    },
    regex=True,
)


@pytest.fixture
def subentries_data() -> list[ConfigSubentryDataWithId]:
    """Two contacts: Alex, and Pat who talks to Assist with a passphrase."""
    return [
        ConfigSubentryDataWithId(
            subentry_id="01JFR0VTE0CONTACT0000ALEX",
            data={CONF_NAME: "Alex", CONF_NUMBER: ALEX, CONF_PREFERRED_DID: DID_2},
            subentry_type=SUBENTRY_CONTACT,
            title="Alex",
            unique_id=ALEX,
        ),
        ConfigSubentryDataWithId(
            subentry_id="01JFR0VTE0CONTACT00000PAT",
            data={
                CONF_NAME: "Pat",
                CONF_NUMBER: PAT,
                CONF_ALLOW_ASSIST: True,
                CONF_ASSIST_USER: PAT_USER,
                CONF_ASSIST_PASSPHRASE: PASSPHRASE,
            },
            subentry_type=SUBENTRY_CONTACT,
            title="Pat",
            unique_id=PAT,
        ),
    ]


@pytest.fixture
async def config_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """Conftest's entry, with diagnostics set up first: its views must exist before the server."""
    assert await async_setup_component(hass, "diagnostics", {})
    return config_entry


async def _send(hass: HomeAssistant, to: str, message: str, **data: str) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": to, "message": message, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response


async def _settle(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Let the simulator post what it has to post, and Home Assistant deal with it."""
    await simulator.idle()
    await hass.async_block_till_done()


@pytest.fixture
async def busy(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> MockConfigEntry:
    """The entry after a little of everything: sends, a refusal, a text in, a STOP, a wait."""
    simulator.set_receipts(ReceiptRule(code=1116, to=PAT, count=1))  # the carrier fails it
    await _send(hass, ALEX, BODIES[0])
    await _send(hass, PAT, BODIES[1], **{"from": DID_2})
    # Flowroute's own words name the recipient: diagnostics must not repeat them.
    simulator.add_fault(
        Fault(
            kind=FaultKind.STATUS,
            status=422,
            target=FaultTarget.SEND_SMS,
            count=1,
            detail="Cannot deliver to (206) 555-0111 from +1 206 555 0199",
        )
    )
    with pytest.raises(HomeAssistantError):
        await _send(hass, STRANGER, BODIES[2])
    simulator.inject_inbound(from_=ALEX, to=DID_1, body=BODIES[3])
    simulator.inject_inbound(from_=STRANGER, to=DID_1, body="STOP")
    await _settle(hass, simulator)
    # Not a Flowroute callback: refused, and remembered as a recent error.
    client = await hass_client_no_auth()
    response = await client.post(f"/api/webhook/{WEBHOOK_ID}", data=b"not json at all")
    assert response.status == HTTPStatus.BAD_REQUEST

    data = listening.runtime_data
    # Told to come back in ten minutes: the text waits, between attempts, while we look.
    simulator.add_fault(
        Fault(kind=FaultKind.RATE_LIMITED, target=FaultTarget.SENDS, retry_after=600)
    )
    await data.outbox.async_submit(
        OutboundMessage(to=ALEX, from_did=DID_1, body=BODIES[4], created_at=time.time() - 90)
    )
    async with asyncio.timeout(20):
        while not any(error is not None for _, error in data.outbox.waiting()):
            await asyncio.sleep(0.05)
    # Record queries end at a whole second: let the last record fall before the next one.
    await asyncio.sleep(1.1)
    await data.usage.async_refresh()
    return listening


def _device(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> dr.DeviceEntry:
    [device] = [
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if (DOMAIN, identifier) in device.identifiers
    ]
    return device


def _private_strings() -> list[str]:
    """Every secret, number (in the forms people write them) and body of the test."""
    numbers = [DID_1, DID_2, ALEX, PAT, STRANGER]
    forms = [
        form
        for n in numbers
        for form in (
            n,
            n[1:],
            f"+{n}",
            f"+1 {n[1:4]} {n[4:7]} {n[7:]}",
            f"({n[1:4]}) {n[4:7]}-{n[7:]}",
            f"{n[1:4]}-{n[4:7]}-{n[7:]}",
            f"{n[1:4]}.{n[4:7]}.{n[7:]}",
            f"1_{n[1:4]}_{n[4:7]}_{n[7:]}",  # in entity ids
        )
    ]
    return [ACCESS_KEY, SECRET_KEY, WEBHOOK_ID, PASSPHRASE, *forms, *BODIES]


def _assert_nothing_private(download: Any) -> None:
    text = json.dumps(download).casefold()
    leaked = [secret for secret in _private_strings() if secret.casefold() in text]
    assert leaked == []


async def test_entry_diagnostics(
    hass: HomeAssistant,
    busy: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, busy)
    assert diagnostics == snapshot(matcher=VOLATILE)

    # What a support request needs, there and right.
    assert diagnostics["entry"]["title"] == "Flowroute **REDACTED**"
    assert diagnostics["outbox"]["depth"] == 1
    assert diagnostics["outbox"]["oldest_age_seconds"] >= 90
    assert diagnostics["webhook"] == {
        "mode": "local",
        "external_url": True,
        "flowroute_addresses_only": False,
    }
    assert [(e["kind"], e["code"]) for e in diagnostics["recent_errors"]] == [
        ("rejected", None),
        ("callback_rejected", 400),
    ]
    assert diagnostics["recent_errors"][0]["description"] == (
        "HTTP 422: Cannot deliver to **REDACTED** from **REDACTED**"
    )
    assert diagnostics["receipts"]["states"] == {
        "sent": 0,
        "delivered": 1,
        "failed": 1,
        "opted_out": 0,
    }
    assert diagnostics["opt_outs"] == {"readable": True, "count": 1}
    assert diagnostics["subentries"][1]["data"][CONF_ASSIST_PASSPHRASE] == "**REDACTED**"
    assert diagnostics["subentries"][1]["data"][CONF_ASSIST_USER] == PAT_USER

    # The whole download, as the user would attach it to an issue.
    client = await hass_client()
    response = await client.get(f"/api/diagnostics/config_entry/{busy.entry_id}")
    assert response.status == HTTPStatus.OK
    _assert_nothing_private(await response.json())


async def test_device_diagnostics(
    hass: HomeAssistant,
    busy: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    number = await get_diagnostics_for_device(hass, hass_client, busy, _device(hass, busy, DID_1))
    assert number == snapshot(name="number", matcher=VOLATILE)
    assert number["device"]["identifiers"] == [[DOMAIN, "**REDACTED**"]]
    assert number["this_number"]["opt_outs"] == 1
    assert number["this_number"]["counters"]["messages_failed"] == 1
    assert [item["state"] for item in number["this_number"]["receipts"]["last"]] == ["delivered"]

    account = await get_diagnostics_for_device(
        hass, hass_client, busy, _device(hass, busy, f"account_{busy.entry_id}")
    )
    assert account == snapshot(name="account", matcher=VOLATILE)
    assert "this_number" not in account
    assert account["usage"]["today"]["sent"] == 2

    client = await hass_client()
    for device in (_device(hass, busy, DID_1), _device(hass, busy, DID_2)):
        response = await client.get(
            f"/api/diagnostics/config_entry/{busy.entry_id}/device/{device.id}"
        )
        assert response.status == HTTPStatus.OK
        _assert_nothing_private(await response.json())


async def test_diagnostics_of_an_entry_that_did_not_load(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Keys refused at setup: the entry and its contacts are still shown, redacted."""
    simulator.add_fault(Fault(kind=FaultKind.STATUS, status=401, target=FaultTarget.NUMBERS))
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, config_entry)
    assert set(diagnostics) == {"entry", "subentries"}
    assert diagnostics["entry"]["state"] == "setup_error"
    _assert_nothing_private(diagnostics)
