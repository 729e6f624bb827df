"""The config flow, reauth, reconfigure, options and contact subentries, against the simulator."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any
from unittest.mock import AsyncMock, patch

import pytest
import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType, section
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute import config_flow
from custom_components.flowroute.api import FlowrouteClient
from custom_components.flowroute.config_flow import (
    CONF_SET_CALLBACKS,
    CONF_TYPED_NUMBERS,
    SECTION_ADVANCED,
)
from custom_components.flowroute.const import (
    CONF_ACCESS_KEY,
    CONF_ALLOW_ASSIST,
    CONF_BASE_URL,
    CONF_CALLBACKS_POINTED,
    CONF_DEFAULT_FROM,
    CONF_MMS_RATE,
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_PREFERRED_DID,
    CONF_RETRY_HORIZON,
    CONF_SECRET_KEY,
    CONF_SMS_RATE,
    DOMAIN,
    SECTION_ASSIST,
    SUBENTRY_CONTACT,
)
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.state import Account, CallbackKind, SimNumber
from simulator.testing import run_simulator

from .conftest import ACCESS_KEY, DID_1, DID_2, SECRET_KEY, WEBHOOK_ID, contact, entry_data

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from homeassistant.core import HomeAssistant

    from simulator.testing import RunningSimulator

EXTERNAL_URL = "https://ha.example.org"
DID_3 = "12065550177"  # on the simulator's account, not enabled for messaging
CONTACT = "12065550100"
OTHER_ACCESS_KEY = "87654321"
OTHER_SECRET_KEY = "other-secret-key"
# The receiving, Assist, usage and guard options every entry starts with.
RECEIVING_DEFAULTS = {
    key: config_flow.DEFAULT_OPTIONS[key]
    for key in (
        "record_bodies",
        "download_media",
        "media_max_item_mb",
        "media_max_day_mb",
        "media_retention_days",
        "help_reply",
        "start_reply",
        "keyword_reply_cooldown_minutes",
        "keyword_replies_international",
        "flowroute_addresses_only",
        "assist_conversation_minutes",
        "assist_texts_per_10_minutes",
        "plain_punctuation",
        "usage_interval_minutes",
        "flood_guard_per_hour",
        "daily_segment_budget",
        "daily_spend_budget_usd",
        "keep_conversations",
        "conversation_days",
        "conversation_max_messages",
        "panel_for_everyone",
    )
}


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Keep the entry's own setup out of flow tests; reloads after reauth/reconfigure too."""
    with (
        patch(
            "custom_components.flowroute.async_setup_entry",
            new_callable=AsyncMock,
            return_value=True,
        ) as setup,
        patch(
            "custom_components.flowroute.async_unload_entry",
            new_callable=AsyncMock,
            return_value=True,
        ),
    ):
        yield setup


@pytest.fixture
async def external_url(hass: HomeAssistant) -> str:
    """Give Home Assistant an external URL, so the webhook can be reached by Flowroute."""
    await async_process_ha_core_config(hass, {"external_url": EXTERNAL_URL})
    return EXTERNAL_URL


@pytest.fixture
async def bare_simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """A simulator whose account lists no numbers: the typed fallback."""
    async with run_simulator([Account.with_numbers(OTHER_ACCESS_KEY, OTHER_SECRET_KEY)]) as sim:
        yield sim


@pytest.fixture
def closed_port_url(socket_enabled: None) -> str:
    """A loopback URL nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def account_form(
    base_url: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY
) -> dict[str, Any]:
    return {
        CONF_ACCESS_KEY: access_key,
        CONF_SECRET_KEY: secret_key,
        SECTION_ADVANCED: {CONF_BASE_URL: base_url},
    }


def suggested_values(schema: Any) -> dict[str, Any]:
    """The values a form shows pre-filled, sections included."""
    values: dict[str, Any] = {}
    for marker, validator in schema.schema.items():
        if isinstance(validator, section):
            if inner := suggested_values(validator.schema):
                values[marker.schema] = inner
        elif marker.description and "suggested_value" in marker.description:
            values[marker.schema] = marker.description["suggested_value"]
    return values


def selector_options(result: Any, field: str) -> list[dict[str, str]]:
    return list(result["data_schema"].schema[field].config["options"])


def number_callbacks(sim: RunningSimulator) -> dict[tuple[str, CallbackKind], str]:
    return dict(sim.state.number_callbacks)


def all_callbacks(numbers: list[str], url: str) -> dict[tuple[str, CallbackKind], str]:
    return {(number, kind): url for number in numbers for kind in CallbackKind}


async def start_user_flow(hass: HomeAssistant) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def configure(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    return await hass.config_entries.flow.async_configure(result["flow_id"], user_input)


# User flow


async def test_user_flow_sets_callbacks_and_creates_entry(
    hass: HomeAssistant, simulator: RunningSimulator, external_url: str
) -> None:
    result = await start_user_flow(hass)
    assert suggested_values(result["data_schema"]) == {}

    # Keys pasted with spaces around them still work.
    result = await configure(
        hass, result, account_form(simulator.url + "/", access_key=f" {ACCESS_KEY} ")
    )
    assert result["step_id"] == "numbers"
    assert selector_options(result, CONF_NUMBERS) == [
        {"value": DID_1, "label": "+1 206 555 0199"},
        {"value": DID_2, "label": "+1 206 555 0188"},
        {"value": DID_3, "label": "+1 206 555 0177"},
    ]

    result = await configure(hass, result, {CONF_NUMBERS: [DID_2, DID_1]})
    assert result["step_id"] == "callbacks"
    webhook_url = result["description_placeholders"]["webhook_url"]
    assert webhook_url.startswith(f"{external_url}/api/webhook/")
    assert result["description_placeholders"]["numbers"] == "+1 206 555 0188, +1 206 555 0199"
    assert number_callbacks(simulator) == {}

    result = await configure(hass, result, {CONF_SET_CALLBACKS: True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry: ConfigEntry = result["result"]
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert webhook_url == f"{external_url}/api/webhook/{webhook_id}"
    assert number_callbacks(simulator) == all_callbacks([DID_1, DID_2], webhook_url)
    assert entry.title == "Flowroute +1 206 555 0188"
    assert entry.unique_id == ACCESS_KEY
    assert entry.data == {
        CONF_ACCESS_KEY: ACCESS_KEY,
        CONF_SECRET_KEY: SECRET_KEY,
        CONF_BASE_URL: simulator.url,
        CONF_NUMBERS: [DID_2, DID_1],
        CONF_WEBHOOK_ID: webhook_id,
        # What the callbacks repair compares with (Flowroute cannot be asked).
        CONF_CALLBACKS_POINTED: {"url": webhook_url, "numbers": [DID_2, DID_1]},
    }
    assert entry.options == {
        CONF_DEFAULT_FROM: DID_2,
        CONF_SMS_RATE: 5.0,
        CONF_MMS_RATE: 1.0,
        CONF_RETRY_HORIZON: 24,
        **RECEIVING_DEFAULTS,
    }


async def test_numbers_are_labelled_with_their_alias(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    account = Account(
        access_key=OTHER_ACCESS_KEY,
        secret_key=OTHER_SECRET_KEY,
        numbers=(SimNumber(number=DID_1, alias="Front desk"), SimNumber(number=DID_2)),
    )
    async with run_simulator([account]) as sim:
        result = await start_user_flow(hass)
        result = await configure(
            hass,
            result,
            account_form(sim.url, access_key=OTHER_ACCESS_KEY, secret_key=OTHER_SECRET_KEY),
        )
    assert selector_options(result, CONF_NUMBERS) == [
        {"value": DID_1, "label": "+1 206 555 0199 (Front desk)"},
        {"value": DID_2, "label": "+1 206 555 0188"},
    ]


async def test_default_api_url_is_not_stored(
    hass: HomeAssistant, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand the simulator in for Flowroute itself: the entry then keeps no base URL.
    monkeypatch.setattr(config_flow, "DEFAULT_BASE_URL", simulator.url)
    result = await start_user_flow(hass)
    assert result["data_schema"](
        {CONF_ACCESS_KEY: "a", CONF_SECRET_KEY: "b", SECTION_ADVANCED: {}}
    )[SECTION_ADVANCED] == {CONF_BASE_URL: simulator.url}

    result = await configure(hass, result, account_form(simulator.url))
    result = await configure(hass, result, {CONF_NUMBERS: [DID_1]})
    assert result["step_id"] == "no_external_url"
    result = await configure(hass, result, {})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_BASE_URL not in result["result"].data
    assert result["result"].data[CONF_NUMBERS] == [DID_1]


@pytest.mark.parametrize(
    ("fault", "secret_key", "errors"),
    [
        (None, "wrong-secret", {CONF_SECRET_KEY: "invalid_auth"}),
        (
            Fault(kind=FaultKind.STATUS, status=403, target=FaultTarget.NUMBERS),
            SECRET_KEY,
            {CONF_SECRET_KEY: "invalid_auth"},
        ),
        (
            Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.NUMBERS),
            SECRET_KEY,
            {SECTION_ADVANCED: "cannot_connect"},
        ),
        (
            Fault(kind=FaultKind.RATE_LIMITED, target=FaultTarget.NUMBERS),
            SECRET_KEY,
            {SECTION_ADVANCED: "cannot_connect"},
        ),
        (
            Fault(kind=FaultKind.DROP, target=FaultTarget.NUMBERS),
            SECRET_KEY,
            {SECTION_ADVANCED: "cannot_connect"},
        ),
    ],
    ids=["wrong_secret", "forbidden", "unavailable", "rate_limited", "dropped"],
)
async def test_user_errors_then_recovery(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    fault: Fault | None,
    secret_key: str,
    errors: dict[str, str],
) -> None:
    if fault is not None:
        simulator.add_fault(fault)
    result = await start_user_flow(hass)
    typed = account_form(simulator.url, secret_key=secret_key)

    result = await configure(hass, result, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert suggested_values(result["data_schema"]) == typed

    simulator.clear_faults()
    result = await configure(hass, result, account_form(simulator.url))
    assert result["step_id"] == "numbers"


async def test_unreachable_api_url(
    hass: HomeAssistant, simulator: RunningSimulator, closed_port_url: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(closed_port_url))
    assert result["errors"] == {SECTION_ADVANCED: "cannot_connect"}

    result = await configure(hass, result, account_form(simulator.url))
    assert result["step_id"] == "numbers"


async def test_cannot_connect_to_default_url_is_not_blamed_on_the_url(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    closed_port_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(config_flow, "DEFAULT_BASE_URL", closed_port_url)
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(closed_port_url))
    assert result["errors"] == {"base": "cannot_connect"}


async def test_unexpected_error_then_recovery(
    hass: HomeAssistant, simulator: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    result = await start_user_flow(hass)
    with patch.object(FlowrouteClient, "list_numbers", side_effect=RuntimeError("boom")):
        result = await configure(hass, result, account_form(simulator.url))
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while checking the Flowroute account" in caplog.text

    result = await configure(hass, result, account_form(simulator.url))
    assert result["step_id"] == "numbers"


async def test_account_already_configured(
    hass: HomeAssistant, simulator: RunningSimulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(simulator.url, access_key=f"{ACCESS_KEY} "))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert simulator.state.number_callbacks == {}


# Numbers step


async def test_at_least_one_number(
    hass: HomeAssistant, simulator: RunningSimulator, external_url: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(simulator.url))

    result = await configure(hass, result, {CONF_NUMBERS: []})
    assert result["step_id"] == "numbers"
    assert result["errors"] == {CONF_NUMBERS: "no_numbers"}

    result = await configure(hass, result, {CONF_NUMBERS: [DID_1]})
    assert result["step_id"] == "callbacks"


async def test_typed_numbers_when_the_account_lists_none(
    hass: HomeAssistant, bare_simulator: RunningSimulator
) -> None:
    result = await start_user_flow(hass)
    result = await configure(
        hass,
        result,
        account_form(bare_simulator.url, access_key=OTHER_ACCESS_KEY, secret_key=OTHER_SECRET_KEY),
    )
    assert result["step_id"] == "numbers"
    assert list(result["data_schema"].schema) == [CONF_TYPED_NUMBERS]

    result = await configure(hass, result, {CONF_TYPED_NUMBERS: ["", "  "]})
    assert result["errors"] == {CONF_TYPED_NUMBERS: "no_numbers"}

    typed = ["+1 (206) 555-0100", "206 555 010"]
    result = await configure(hass, result, {CONF_TYPED_NUMBERS: typed})
    assert result["errors"] == {CONF_TYPED_NUMBERS: "invalid_number"}
    assert result["description_placeholders"] == {CONF_NUMBER: "206 555 010"}
    assert suggested_values(result["data_schema"]) == {CONF_TYPED_NUMBERS: typed}

    result = await configure(
        hass, result, {CONF_TYPED_NUMBERS: ["+1 (206) 555-0100", "", "206-555-0100", "2065550111"]}
    )
    assert result["step_id"] == "no_external_url"
    result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_NUMBERS] == [CONTACT, "12065550111"]
    assert result["result"].options[CONF_DEFAULT_FROM] == CONTACT


# Callbacks step


async def test_callbacks_left_alone(
    hass: HomeAssistant, simulator: RunningSimulator, external_url: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(simulator.url))
    result = await configure(hass, result, {CONF_NUMBERS: [DID_1]})
    assert result["step_id"] == "callbacks"
    assert suggested_values(result["data_schema"]) == {}
    assert result["data_schema"]({}) == {CONF_SET_CALLBACKS: False}

    result = await configure(hass, result, {CONF_SET_CALLBACKS: False})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert number_callbacks(simulator) == {}


async def test_no_external_url_offers_no_callbacks(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(simulator.url))
    result = await configure(hass, result, {CONF_NUMBERS: [DID_1]})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "no_external_url"
    assert result["data_schema"] is None

    result = await configure(hass, result, {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_WEBHOOK_ID]
    assert number_callbacks(simulator) == {}


async def test_callbacks_failure_then_continue_without(
    hass: HomeAssistant, simulator: RunningSimulator, external_url: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(simulator.url))
    result = await configure(hass, result, {CONF_NUMBERS: [DID_1, DID_2]})
    simulator.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.CALLBACKS))

    result = await configure(hass, result, {CONF_SET_CALLBACKS: True})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "callbacks"
    assert result["errors"] == {"base": "callbacks_failed"}
    assert suggested_values(result["data_schema"]) == {CONF_SET_CALLBACKS: True}

    result = await configure(hass, result, {CONF_SET_CALLBACKS: False})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert number_callbacks(simulator) == {}


async def test_callbacks_failure_then_retry(
    hass: HomeAssistant, simulator: RunningSimulator, external_url: str
) -> None:
    result = await start_user_flow(hass)
    result = await configure(hass, result, account_form(simulator.url))
    result = await configure(hass, result, {CONF_NUMBERS: [DID_1, DID_2]})
    # Flowroute fails the very first request; trying again sets every callback.
    simulator.add_fault(
        Fault(kind=FaultKind.STATUS, status=500, target=FaultTarget.CALLBACKS, count=1)
    )
    result = await configure(hass, result, {CONF_SET_CALLBACKS: True})
    assert result["errors"] == {"base": "callbacks_failed"}

    result = await configure(hass, result, {CONF_SET_CALLBACKS: True})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    url = f"{external_url}/api/webhook/{result['result'].data[CONF_WEBHOOK_ID]}"
    assert number_callbacks(simulator) == all_callbacks([DID_1, DID_2], url)


# Reauth


async def test_reauth(
    hass: HomeAssistant, simulator: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCESS_KEY,
        data=entry_data(simulator, **{CONF_SECRET_KEY: "old-secret"}),
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert (result["description_placeholders"] or {})[CONF_ACCESS_KEY] == ACCESS_KEY

    result = await configure(hass, result, {CONF_SECRET_KEY: "still-wrong"})
    assert result["errors"] == {CONF_SECRET_KEY: "invalid_auth"}
    assert suggested_values(result["data_schema"]) == {CONF_SECRET_KEY: "still-wrong"}

    # No URL field here: a connection problem is the form's, whatever the URL.
    simulator.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.NUMBERS, count=1))
    result = await configure(hass, result, {CONF_SECRET_KEY: SECRET_KEY})
    assert result["errors"] == {"base": "cannot_connect"}

    result = await configure(hass, result, {CONF_SECRET_KEY: f" {SECRET_KEY}\n"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == entry_data(simulator)
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 1  # reloaded with the new key


# Reconfigure


async def test_reconfigure_keys_numbers_and_callbacks(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
    external_url: str,
    mock_setup_entry: AsyncMock,
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert suggested_values(result["data_schema"]) == account_form(simulator.url)

    result = await configure(hass, result, account_form(simulator.url, secret_key="wrong"))
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_SECRET_KEY: "invalid_auth"}

    result = await configure(hass, result, account_form(simulator.url))
    assert result["step_id"] == "numbers"
    assert suggested_values(result["data_schema"]) == {CONF_NUMBERS: [DID_1, DID_2]}

    result = await configure(hass, result, {CONF_NUMBERS: [DID_2, DID_3]})
    assert result["step_id"] == "callbacks"
    result = await configure(hass, result, {CONF_SET_CALLBACKS: True})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert hass.config_entries.async_entries(DOMAIN) == [config_entry]
    url = f"{external_url}/api/webhook/{WEBHOOK_ID}"
    assert config_entry.data == entry_data(
        simulator,
        **{
            CONF_NUMBERS: [DID_2, DID_3],
            CONF_CALLBACKS_POINTED: {"url": url, "numbers": [DID_3, DID_2]},
        },
    )
    # The default sender was dropped: the first number takes over; other options stay.
    assert config_entry.options == {
        CONF_DEFAULT_FROM: DID_2,
        CONF_SMS_RATE: 5.0,
        CONF_MMS_RATE: 1.0,
        CONF_RETRY_HORIZON: 24,
    }
    assert number_callbacks(simulator) == all_callbacks([DID_2, DID_3], url)
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 1


async def test_reconfigure_keeps_default_sender_and_drops_default_url(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_DEFAULT_FROM: DID_2}
    )
    monkeypatch.setattr(config_flow, "DEFAULT_BASE_URL", simulator.url)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, account_form(simulator.url))
    result = await configure(hass, result, {CONF_NUMBERS: [DID_1, DID_2]})
    result = await configure(hass, result, {})

    assert result["reason"] == "reconfigure_successful"
    assert CONF_BASE_URL not in config_entry.data
    assert config_entry.data[CONF_NUMBERS] == [DID_1, DID_2]
    assert config_entry.options[CONF_DEFAULT_FROM] == DID_2


async def test_reconfigure_another_account(
    hass: HomeAssistant, simulator: RunningSimulator, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, account_form(simulator.url, access_key=OTHER_ACCESS_KEY))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert config_entry.data == entry_data(simulator)


async def test_reconfigure_offers_only_numbers_still_listed(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCESS_KEY,
        data=entry_data(simulator, **{CONF_NUMBERS: ["12065550111", DID_2]}),
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await configure(hass, result, account_form(simulator.url))
    assert suggested_values(result["data_schema"]) == {CONF_NUMBERS: [DID_2]}


async def test_reconfigure_typed_numbers(
    hass: HomeAssistant, bare_simulator: RunningSimulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=OTHER_ACCESS_KEY,
        data={
            CONF_ACCESS_KEY: OTHER_ACCESS_KEY,
            CONF_SECRET_KEY: OTHER_SECRET_KEY,
            CONF_BASE_URL: bare_simulator.url,
            CONF_NUMBERS: [CONTACT],
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        options={CONF_DEFAULT_FROM: CONTACT},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await configure(
        hass,
        result,
        account_form(bare_simulator.url, access_key=OTHER_ACCESS_KEY, secret_key=OTHER_SECRET_KEY),
    )
    assert suggested_values(result["data_schema"]) == {CONF_TYPED_NUMBERS: ["+1 206 555 0100"]}

    result = await configure(hass, result, {CONF_TYPED_NUMBERS: ["+1 206 555 0100", "2065550111"]})
    result = await configure(hass, result, {})
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_NUMBERS] == [CONTACT, "12065550111"]
    assert entry.options[CONF_DEFAULT_FROM] == CONTACT


# Options


async def test_options(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert suggested_values(result["data_schema"]) == {
        **config_entry.options,
        **RECEIVING_DEFAULTS,
    }
    assert selector_options(result, CONF_DEFAULT_FROM) == [
        {"value": DID_1, "label": "+1 206 555 0199"},
        {"value": DID_2, "label": "+1 206 555 0188"},
    ]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_DEFAULT_FROM: DID_2,
            CONF_SMS_RATE: 2.5,
            CONF_MMS_RATE: 0.5,
            CONF_RETRY_HORIZON: 48.0,
            **RECEIVING_DEFAULTS,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert config_entry.options == {
        CONF_DEFAULT_FROM: DID_2,
        CONF_SMS_RATE: 2.5,
        CONF_MMS_RATE: 0.5,
        CONF_RETRY_HORIZON: 48,
        **RECEIVING_DEFAULTS,
    }
    assert isinstance(config_entry.options[CONF_RETRY_HORIZON], int)


async def test_options_out_of_range(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    base = {
        CONF_DEFAULT_FROM: DID_1,
        CONF_SMS_RATE: 5,
        CONF_MMS_RATE: 1,
        CONF_RETRY_HORIZON: 24,
        **RECEIVING_DEFAULTS,
    }
    for key, value in [
        (CONF_SMS_RATE, 0),
        (CONF_SMS_RATE, 101),
        (CONF_MMS_RATE, 0.05),
        (CONF_RETRY_HORIZON, 169),
        (CONF_RETRY_HORIZON, 0),
        (CONF_DEFAULT_FROM, CONTACT),
        ("media_retention_days", -1),
        ("media_retention_days", 3651),
        ("keyword_reply_cooldown_minutes", -1),
        ("keyword_reply_cooldown_minutes", 10_081),
        ("assist_conversation_minutes", 0),
        ("assist_conversation_minutes", 1441),
        ("assist_texts_per_10_minutes", 0),
        ("assist_texts_per_10_minutes", 101),
        ("usage_interval_minutes", 4),
        ("flood_guard_per_hour", -1),
        ("flood_guard_per_hour", 1001),
        ("daily_segment_budget", -1),
        ("daily_spend_budget_usd", -0.01),
        ("daily_spend_budget_usd", 10_000.01),
    ]:
        with pytest.raises(vol.Invalid):
            schema({**base, key: value})


async def test_options_fill_in_defaults(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data=entry_data(simulator), options={CONF_DEFAULT_FROM: DID_1}
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested_values(result["data_schema"]) == {
        CONF_DEFAULT_FROM: DID_1,
        CONF_SMS_RATE: 5.0,
        CONF_MMS_RATE: 1.0,
        CONF_RETRY_HORIZON: 24,
        **RECEIVING_DEFAULTS,
    }


async def test_options_keyword_replies_can_be_cleared(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    submitted = {**config_entry.options, **RECEIVING_DEFAULTS, "start_reply": "  Welcome back! "}
    # A text field the user emptied is not sent by the frontend at all.
    del submitted["help_reply"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], submitted)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert config_entry.options["help_reply"] == ""
    assert config_entry.options["start_reply"] == "Welcome back!"


# Contacts


@pytest.fixture
def entry_with_contacts(simulator: RunningSimulator, hass: HomeAssistant) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=ACCESS_KEY,
        data=entry_data(simulator),
        options={CONF_DEFAULT_FROM: DID_1},
        subentries_data=[
            contact("Alice", CONTACT, **{CONF_PREFERRED_DID: DID_2}),
            contact("Bob", "12065550101"),
        ],
    )
    entry.add_to_hass(hass)
    return entry


def subentry_id(entry: ConfigEntry, name: str) -> str:
    return next(sub.subentry_id for sub in entry.subentries.values() if sub.title == name)


async def start_contact_flow(hass: HomeAssistant, entry: ConfigEntry) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONTACT), context={"source": SOURCE_USER}
    )


async def start_contact_reconfigure(hass: HomeAssistant, entry: ConfigEntry, name: str) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_CONTACT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id(entry, name)},
    )


async def configure_contact(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)


async def test_add_contact(hass: HomeAssistant, entry_with_contacts: MockConfigEntry) -> None:
    entry = entry_with_contacts
    result = await start_contact_flow(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert selector_options(result, CONF_PREFERRED_DID) == [
        {"value": DID_1, "label": "+1 206 555 0199"},
        {"value": DID_2, "label": "+1 206 555 0188"},
    ]

    result = await configure_contact(
        hass, result, {CONF_NAME: "Carol", CONF_NUMBER: "not a number", CONF_PREFERRED_DID: DID_2}
    )
    assert result["errors"] == {CONF_NUMBER: "invalid_number"}
    assert result["description_placeholders"] == {CONF_NUMBER: "not a number"}
    assert suggested_values(result["data_schema"]) == {
        CONF_NAME: "Carol",
        CONF_NUMBER: "not a number",
        CONF_PREFERRED_DID: DID_2,
        SECTION_ASSIST: {CONF_ALLOW_ASSIST: False},
    }

    result = await configure_contact(
        hass, result, {CONF_NAME: "Carol", CONF_NUMBER: "(206) 555-0102", CONF_PREFERRED_DID: DID_2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    carol = entry.subentries[subentry_id(entry, "Carol")]
    assert carol.unique_id == "12065550102"
    assert carol.subentry_type == SUBENTRY_CONTACT
    assert dict(carol.data) == {
        CONF_NAME: "Carol",
        CONF_NUMBER: "12065550102",
        CONF_PREFERRED_DID: DID_2,
        CONF_ALLOW_ASSIST: False,
    }


async def test_add_contact_without_preferred_did(
    hass: HomeAssistant, entry_with_contacts: MockConfigEntry
) -> None:
    entry = entry_with_contacts
    result = await start_contact_flow(hass, entry)
    result = await configure_contact(
        hass, result, {CONF_NAME: "Dan", CONF_NUMBER: "+44 20 7946 0958"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.subentries[subentry_id(entry, "Dan")].data) == {
        CONF_NAME: "Dan",
        CONF_NUMBER: "442079460958",
        CONF_ALLOW_ASSIST: False,
    }


async def test_add_contact_twice(hass: HomeAssistant, entry_with_contacts: MockConfigEntry) -> None:
    result = await start_contact_flow(hass, entry_with_contacts)
    result = await configure_contact(
        hass, result, {CONF_NAME: "Alice again", CONF_NUMBER: "+1 206 555 0100"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(entry_with_contacts.subentries) == 2


async def test_reconfigure_contact(
    hass: HomeAssistant, entry_with_contacts: MockConfigEntry
) -> None:
    entry = entry_with_contacts
    alice_id = subentry_id(entry, "Alice")
    result = await start_contact_reconfigure(hass, entry, "Alice")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert suggested_values(result["data_schema"]) == {
        CONF_NAME: "Alice",
        CONF_NUMBER: "+1 206 555 0100",
        CONF_PREFERRED_DID: DID_2,
    }

    result = await configure_contact(hass, result, {CONF_NAME: "Alice", CONF_NUMBER: "12345"})
    assert result["errors"] == {CONF_NUMBER: "invalid_number"}

    # Her own number is no duplicate; clearing the preferred DID removes it.
    result = await configure_contact(
        hass, result, {CONF_NAME: "Alice Smith", CONF_NUMBER: "206.555.0100"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    alice = entry.subentries[alice_id]
    assert alice.title == "Alice Smith"
    assert dict(alice.data) == {
        CONF_NAME: "Alice Smith",
        CONF_NUMBER: CONTACT,
        CONF_ALLOW_ASSIST: False,
    }

    result = await start_contact_reconfigure(hass, entry, "Alice Smith")
    result = await configure_contact(
        hass, result, {CONF_NAME: "Alice", CONF_NUMBER: "206 555 0109", CONF_PREFERRED_DID: DID_1}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[alice_id].unique_id == "12065550109"
    assert entry.subentries[alice_id].data[CONF_PREFERRED_DID] == DID_1


async def test_reconfigure_contact_to_another_contacts_number(
    hass: HomeAssistant, entry_with_contacts: MockConfigEntry
) -> None:
    entry = entry_with_contacts
    result = await start_contact_reconfigure(hass, entry, "Bob")
    result = await configure_contact(hass, result, {CONF_NAME: "Bob", CONF_NUMBER: CONTACT})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.subentries[subentry_id(entry, "Bob")].data[CONF_NUMBER] == "12065550101"
