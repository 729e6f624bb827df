"""The actions (services.py): registered once, which account an action is for, their schemas.

What the actions do with a text is tested where it happens (sending, opt-outs, receipts);
here: the choice of the account among several, the validation of what is passed, and
the shape of the response data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute.const import (
    CONF_ACCESS_KEY,
    CONF_DEFAULT_FROM,
    CONF_NUMBERS,
    CONF_SECRET_KEY,
    DOMAIN,
)
from simulator.state import DEFAULT_ACCOUNT, Account
from simulator.testing import run_simulator

from .conftest import DID_1, DID_2, entry_data

try:  # Home Assistant 2026 validates action data with probatio
    from probatio import Invalid
except ImportError:
    from voluptuous import Invalid

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
OTHER_ACCESS_KEY = "87654321"
OTHER_SECRET_KEY = "other-secret-key"
OTHER_DID = "13125550199"


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """The simulator with two accounts: the default one and one in Chicago."""
    other = Account.with_numbers(OTHER_ACCESS_KEY, OTHER_SECRET_KEY, OTHER_DID)
    async with run_simulator([DEFAULT_ACCOUNT, other], callback_retry_interval=0.05) as sim:
        yield sim


@pytest.fixture
async def two_accounts(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> tuple[MockConfigEntry, MockConfigEntry]:
    """Both accounts loaded."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Flowroute +1 312 555 0199",
        unique_id=OTHER_ACCESS_KEY,
        data=entry_data(
            simulator,
            **{
                CONF_ACCESS_KEY: OTHER_ACCESS_KEY,
                CONF_SECRET_KEY: OTHER_SECRET_KEY,
                CONF_NUMBERS: [OTHER_DID],
                "webhook_id": "fedcba9876543210fedcba9876543210",
            },
        ),
        options={CONF_DEFAULT_FROM: OTHER_DID},
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(other.entry_id)
    assert other.state is ConfigEntryState.LOADED
    return loaded, other


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    supports = hass.services.supports_response(DOMAIN, service)
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=supports is not SupportsResponse.NONE,
    )


async def test_the_actions_exist_without_any_account(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.supports_response(DOMAIN, "send_message") is SupportsResponse.OPTIONAL
    assert hass.services.supports_response(DOMAIN, "list_opt_outs") is SupportsResponse.ONLY
    assert hass.services.supports_response(DOMAIN, "opt_out") is SupportsResponse.NONE
    assert hass.services.supports_response(DOMAIN, "opt_in") is SupportsResponse.NONE
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "send_message", to=HANDSET, message="x")
    assert err.value.translation_key == "not_loaded"


async def test_with_two_accounts_the_action_needs_a_choice(
    hass: HomeAssistant,
    two_accounts: tuple[MockConfigEntry, MockConfigEntry],
    simulator: RunningSimulator,
) -> None:
    first, second = two_accounts
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "send_message", to=HANDSET, message="which one?")
    assert err.value.translation_key == "ambiguous_entry"

    # By the sending number, its owner is chosen; by id, that entry.
    by_did = await _call(hass, "send_message", to=HANDSET, message="a", **{"from": OTHER_DID})
    by_id = await _call(
        hass, "send_message", to=HANDSET, message="b", config_entry_id=first.entry_id
    )
    assert by_did["messages"][0]["status"] == by_id["messages"][0]["status"] == "accepted"
    sent = {(record.from_number, record.body) for record in simulator.state.sent_messages()}
    assert sent == {(OTHER_DID, "a"), (DID_1, "b")}

    # A number of the other account, or an id of no loaded entry, is refused by name.
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            "send_message",
            to=HANDSET,
            message="c",
            config_entry_id=second.entry_id,
            **{"from": DID_2},
        )
    assert err.value.translation_key == "unknown_did"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "send_message", to=HANDSET, message="d", config_entry_id="nope")
    assert err.value.translation_key == "entry_not_loaded"
    assert len(simulator.state.sent_messages()) == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"message": "no recipient"}, "to"),
        ({"to": HANDSET, "media_urls": ["not a url"]}, "media_urls"),
        ({"to": HANDSET, "message": "x", "wait_for_delivery": 601}, "wait_for_delivery"),
        ({"to": HANDSET, "message": "x", "colour": "blue"}, "colour"),
    ],
)
async def test_send_message_validates_its_data(
    hass: HomeAssistant, loaded: MockConfigEntry, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid, match=field):
        await _call(hass, "send_message", **data)


async def test_opt_out_actions_and_their_list_across_accounts(
    hass: HomeAssistant, two_accounts: tuple[MockConfigEntry, MockConfigEntry]
) -> None:
    first, second = two_accounts
    # Without a DID: every number of the entry; with one: that number only.
    await _call(hass, "opt_out", number="(206) 555-0100", config_entry_id=first.entry_id)
    await _call(hass, "opt_out", number="+1 206 555 0111", did=OTHER_DID)
    listed = await _call(hass, "list_opt_outs")
    assert sorted(
        (item["config_entry_id"], item["did"], item["number"], item["reason"])
        for item in listed["opt_outs"]
    ) == sorted(
        [
            (first.entry_id, DID_1, HANDSET, "action"),
            (first.entry_id, DID_2, HANDSET, "action"),
            (second.entry_id, OTHER_DID, "12065550111", "action"),
        ]
    )
    assert all(item["since"] for item in listed["opt_outs"])
    only_did_2 = await _call(hass, "list_opt_outs", did=DID_2)
    assert [(item["did"], item["number"]) for item in only_did_2["opt_outs"]] == [(DID_2, HANDSET)]

    await _call(hass, "opt_in", number=HANDSET, did=DID_1)
    remaining = await _call(hass, "list_opt_outs", config_entry_id=first.entry_id)
    assert [(item["did"], item["number"]) for item in remaining["opt_outs"]] == [(DID_2, HANDSET)]


async def test_opt_out_refuses_what_is_not_a_number_or_not_the_entrys(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "opt_out", number="call me")
    assert err.value.translation_key == "invalid_number"
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "opt_out", number=HANDSET, did=OTHER_DID)
    assert err.value.translation_key == "unknown_did"
    assert loaded.runtime_data.opt_outs.entries() == []
