"""Notify: a contact's entity and the legacy `notify.flowroute` service, to the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.components.notify import NotifyEntityFeature
from homeassistant.config_entries import ConfigSubentryData, ConfigSubentryDataWithId
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform

from custom_components.flowroute.const import CONF_PREFERRED_DID, DOMAIN
from custom_components.flowroute.opt_out import OptOutReason
from simulator.media import png_image

from .conftest import DID_1, DID_2, contact
from .entity_helpers import only_platform
from .media_servers import MediaServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from syrupy.assertion import SnapshotAssertion

    from simulator.testing import RunningSimulator

ALICE = "12065550100"
BOB = "12065550101"
CAROL = "12065550102"
NOT_OURS = "12065550177"
# Fixed ids: a contact's unique id is made of the entry's and the subentry's, and the
# snapshots must not change from one run to the next.
ENTRY_ID = "01JFLOWROUTETESTENTRY00000"
PICTURE = png_image()


@pytest.fixture(autouse=True)
async def notify_only(hass: HomeAssistant) -> AsyncIterator[None]:
    """Set up the notify platform alone (the legacy service comes from async_setup)."""
    async with only_platform(hass, Platform.NOTIFY):
        yield


def _with_id(subentry: ConfigSubentryData, subentry_id: str) -> ConfigSubentryDataWithId:
    return ConfigSubentryDataWithId(**subentry, subentry_id=subentry_id)


@pytest.fixture
def subentries_data() -> list[ConfigSubentryData]:
    """Alice prefers the second number, Bob has no preference, Carol's is not ours."""
    return [
        _with_id(
            contact("Alice", ALICE, **{CONF_PREFERRED_DID: DID_2}), "01JCONTACTALICE00000000000"
        ),
        _with_id(contact("Bob", BOB), "01JCONTACTBOB0000000000000"),
        _with_id(
            contact("Carol", CAROL, **{CONF_PREFERRED_DID: NOT_OURS}), "01JCONTACTCAROL00000000000"
        ),
    ]


@pytest.fixture
def config_entry(
    config_entry: MockConfigEntry, subentries_data: list[ConfigSubentryData]
) -> MockConfigEntry:
    """The suite's entry, with a fixed entry id."""
    return MockConfigEntry(
        entry_id=ENTRY_ID,
        domain=DOMAIN,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        data=dict(config_entry.data),
        options=dict(config_entry.options),
        subentries_data=subentries_data,
    )


@pytest.fixture
async def picture_url(socket_enabled: None) -> AsyncIterator[str]:
    """A picture on a web server the simulator can fetch, for media_urls."""
    async with MediaServer(tls=False, files={"snap.png": PICTURE}) as server:
        yield server.url("/m/snap.png")


async def _notify(hass: HomeAssistant, entity_id: str, **data: str) -> None:
    await hass.services.async_call(
        "notify", "send_message", {"entity_id": entity_id, **data}, blocking=True
    )


async def test_notify_entities(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One entity per contact, named after the contact, as registered and before a send."""
    await snapshot_platform(hass, entity_registry, snapshot, loaded.entry_id)


async def test_the_entity_texts_the_contact(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    assert hass.states.get("notify.alice").state == STATE_UNKNOWN  # type: ignore[union-attr]
    await _notify(hass, "notify.alice", message="Dinner is ready")
    [record] = simulator.state.sent_messages()
    assert (record.to_number, record.from_number, record.body, record.is_mms) == (
        ALICE,
        DID_2,  # her preferred number
        "Dinner is ready",
        False,
    )
    # The entity's state is when it last texted.
    assert hass.states.get("notify.alice").state != STATE_UNKNOWN  # type: ignore[union-attr]


async def test_a_title_is_the_first_line(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    alice = hass.states.get("notify.alice")
    assert alice is not None
    assert alice.attributes["supported_features"] == NotifyEntityFeature.TITLE
    await _notify(hass, "notify.alice", message="The garage door is open", title="House")
    [record] = simulator.state.sent_messages()
    assert record.body == "House\nThe garage door is open"


async def test_without_a_preferred_number_of_ours_the_default_sends(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _notify(hass, "notify.bob", message="For Bob")
    await _notify(hass, "notify.carol", message="For Carol")
    assert sorted(
        (record.to_number, record.from_number, record.body)
        for record in simulator.state.sent_messages()
    ) == [(BOB, DID_1, "For Bob"), (CAROL, DID_1, "For Carol")]


async def test_an_opted_out_contact_is_refused(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    loaded.runtime_data.opt_outs.async_set(
        DID_2, ALICE, opted_out=True, reason=OptOutReason.KEYWORD
    )
    with pytest.raises(ServiceValidationError) as err:
        await _notify(hass, "notify.alice", message="Anyone home?")
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "opted_out"
    assert err.value.translation_placeholders == {
        "to": "+1 206 555 0100",
        "from": "+1 206 555 0188",
    }
    assert str(err.value).startswith(
        "Nothing was sent to +1 206 555 0100: they opted out of texts from +1 206 555 0188"
    )
    assert simulator.state.send_attempts == []


async def test_legacy_service_targets_from_and_media(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    picture_url: str,
) -> None:
    await hass.services.async_call(
        "notify",
        DOMAIN,
        {
            "message": "Alarm",
            "title": "House",
            "target": ["+1 206 555 0100", "206.555.0101"],
            "data": {"from": DID_2, "media_urls": picture_url},
        },
        blocking=True,
    )
    records = simulator.state.sent_messages()
    assert sorted(record.to_number for record in records) == [ALICE, BOB]
    for record in records:
        assert (record.from_number, record.body, record.is_mms) == (DID_2, "House\nAlarm", True)
        assert [(media.url, media.size) for media in record.media] == [(picture_url, len(PICTURE))]


async def test_legacy_service_defaults(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """No title, no sender, no media: a plain text from the default number."""
    await hass.services.async_call(
        "notify", DOMAIN, {"message": "Alarm", "target": [CAROL]}, blocking=True
    )
    [record] = simulator.state.sent_messages()
    assert (record.to_number, record.from_number, record.body, record.is_mms) == (
        CAROL,
        DID_1,
        "Alarm",
        False,
    )
