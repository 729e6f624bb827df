"""Delivery receipts: the state machine, persistence, repairs and wait_for_delivery."""

from __future__ import annotations

import asyncio
import copy
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.flowroute import receipts as receipts_module
from custom_components.flowroute.api import DeliveryReceipt, DeliveryState, parse_callback
from custom_components.flowroute.const import (
    CONF_NUMBERS,
    DOMAIN,
    EVENT_DELIVERY_RECEIPT,
    SIGNAL_RECEIPT,
)
from custom_components.flowroute.messages import ReceiptUpdate
from custom_components.flowroute.opt_out import OptOutList
from custom_components.flowroute.receipts import ReceiptTracker, correlation_key
from custom_components.flowroute.repairs import GUIDE_10DLC, REGISTRATION_PROBLEMS, number_key
from custom_components.flowroute.storage import async_remove_entry_stores
from simulator.receipts import ReceiptMode, ReceiptRule

from .api.payloads import LEGACY_RECEIPT, RECEIPT_LEVEL_1, RECEIPT_LEVEL_2
from .conftest import DID_1, DID_2, WEBHOOK_ID

try:  # Home Assistant 2026 validates action data with probatio
    from probatio import Invalid
except ImportError:
    from voluptuous import Invalid

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

    from simulator.testing import RunningSimulator

HEX = "0123456789abcdef0123456789abcdef"
MESSAGE_ID = f"mdr2-{HEX}"
HANDSET = "12065550100"
HANDSET_2 = "12065550101"
TOLL_FREE_DID = "18885550123"

DELIVERED = {"level": 2, "status": "delivery success", "status_code": 1004}
FAILED = {"level": 2, "status": "delivery failure", "status_code": 1116}
BUFFERED = {"level": 2, "status": "message buffered", "status_code": 1003}
OPTED_OUT = {"level": 2, "status": "delivery failure", "status_code": 1110}
SUBMITTED = {"level": 1, "status": "smsc submit", "status_code": None}


def receipt(message_id: str = MESSAGE_ID, **attributes: Any) -> DeliveryReceipt:
    """Parse a Flowroute v2.1 receipt for `message_id` (level 2 unless told)."""
    template = RECEIPT_LEVEL_1 if attributes.get("level") == 1 else RECEIPT_LEVEL_2
    payload = copy.deepcopy(template)
    payload["data"]["id"] = message_id
    payload["data"]["attributes"].update(attributes)
    parsed = parse_callback(payload)
    assert isinstance(parsed, DeliveryReceipt)
    return parsed


def legacy_receipt(message_id: str, **attributes: Any) -> DeliveryReceipt:
    """Parse a Messaging v2 receipt (no envelope, mdr1- id)."""
    payload = copy.deepcopy(LEGACY_RECEIPT)
    payload["id"] = message_id
    payload["attributes"].update(attributes)
    parsed = parse_callback(payload)
    assert isinstance(parsed, DeliveryReceipt)
    return parsed


@pytest.fixture
def entry(hass: HomeAssistant) -> MockConfigEntry:
    """A two-number entry; the tracker needs nothing else of it."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Flowroute +1 206 555 0199", data={CONF_NUMBERS: [DID_1, DID_2]}
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def tracker(hass: HomeAssistant, entry: MockConfigEntry) -> AsyncIterator[ReceiptTracker]:
    """A loaded tracker, unloaded at the end like the entry will."""
    tracker = ReceiptTracker(hass, entry, opt_outs=OptOutList(hass, entry))
    await tracker.async_load()
    yield tracker
    await tracker.async_unload()


@pytest.fixture
def updates(hass: HomeAssistant, entry: MockConfigEntry) -> list[ReceiptUpdate]:
    """What the tracker dispatches to the entry's entities."""
    received: list[ReceiptUpdate] = []

    @callback
    def receive(update: ReceiptUpdate) -> None:
        received.append(update)

    for did in entry.data[CONF_NUMBERS]:
        async_dispatcher_connect(
            hass, SIGNAL_RECEIPT.format(entry_id=entry.entry_id, did=did), receive
        )
    return received


# State machine


@pytest.mark.parametrize(
    ("receipts", "states", "changed"),
    [
        pytest.param([SUBMITTED, DELIVERED], ["sent", "delivered"], [False, True], id="1-then-2"),
        pytest.param(
            [DELIVERED, SUBMITTED], ["delivered", "delivered"], [True, False], id="2-then-1"
        ),
        pytest.param([SUBMITTED], ["sent"], [False], id="level-2-missing"),
        pytest.param(
            [SUBMITTED, BUFFERED, DELIVERED],
            ["sent", "sent", "delivered"],
            [False, False, True],
            id="buffered-then-delivered",
        ),
        pytest.param(
            [FAILED, DELIVERED], ["failed", "failed"], [True, False], id="first-final-level-2-wins"
        ),
        pytest.param(
            [DELIVERED, FAILED], ["delivered", "delivered"], [True, False], id="delivered-stays"
        ),
        pytest.param(
            [SUBMITTED, FAILED], ["sent", "failed"], [False, True], id="failure-code-1116"
        ),
        pytest.param(
            [{"level": 1, "status": "smsc reject", "status_code": 1005}],
            ["failed"],
            [True],
            id="rejected-at-level-1",
        ),
        pytest.param(
            [{"level": 2, "status": "expired", "status_code": 1006}],
            ["failed"],
            [True],
            id="expired",
        ),
        pytest.param([SUBMITTED, OPTED_OUT], ["sent", "opted_out"], [False, True], id="1110"),
        pytest.param(
            [DELIVERED, OPTED_OUT], ["delivered", "opted_out"], [True, True], id="1110-wins"
        ),
        pytest.param(
            [OPTED_OUT, DELIVERED, FAILED],
            ["opted_out", "opted_out", "opted_out"],
            [True, False, False],
            id="1110-stays",
        ),
        pytest.param(
            [{"level": 1, "status": "smsc submit", "status_code": 1110}],
            ["opted_out"],
            [True],
            id="1110-at-level-1",
        ),
    ],
)
async def test_orderings(
    hass: HomeAssistant,
    *,
    entry: MockConfigEntry,
    tracker: ReceiptTracker,
    updates: list[ReceiptUpdate],
    receipts: list[dict[str, Any]],
    states: list[str],
    changed: list[bool],
) -> None:
    events = async_capture_events(hass, EVENT_DELIVERY_RECEIPT)
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    returned = [await tracker.async_handle(receipt(**attributes)) for attributes in receipts]
    await hass.async_block_till_done()

    assert [update.state for update in returned if update] == states
    assert [update.changed for update in returned if update] == changed
    assert updates == returned
    assert [event.data["state"] for event in events] == states
    assert tracker.state(MESSAGE_ID) == states[-1]
    last = receipts[-1]
    assert events[-1].data == {
        "message_id": MESSAGE_ID,
        "to": HANDSET,
        "from": DID_1,
        "level": last["level"],
        "status": last["status"],
        "status_code": last["status_code"],
        "status_description": returned[-1].status_description if returned[-1] else None,
        "state": states[-1],
        "timestamp": events[-1].data["timestamp"],
        "config_entry_id": entry.entry_id,
    }


async def test_duplicates_publish_once(
    hass: HomeAssistant, tracker: ReceiptTracker, updates: list[ReceiptUpdate]
) -> None:
    events = async_capture_events(hass, EVENT_DELIVERY_RECEIPT)
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    results = [
        await tracker.async_handle(receipt(**attributes))
        for attributes in (SUBMITTED, SUBMITTED, DELIVERED, DELIVERED)
    ]
    await hass.async_block_till_done()
    assert [result is None for result in results] == [False, True, False, True]
    assert [event.data["level"] for event in events] == [1, 2]
    assert len(updates) == 2


async def test_receipt_fields_and_timestamp(hass: HomeAssistant, tracker: ReceiptTracker) -> None:
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    update = await tracker.async_handle(receipt(**DELIVERED))
    assert update is not None
    assert update.status_description == "Message delivered to handset"
    assert update.timestamp.isoformat() == "2026-11-02T18:22:44+00:00"


async def test_untracked_messages_are_published_from_the_receipt_alone(
    hass: HomeAssistant, tracker: ReceiptTracker, updates: list[ReceiptUpdate]
) -> None:
    events = async_capture_events(hass, EVENT_DELIVERY_RECEIPT)
    await tracker.async_handle(legacy_receipt("mdr1-" + "a" * 32))  # sent by another system
    await tracker.async_handle(receipt("mdr2-" + "b" * 32, **FAILED))
    await hass.async_block_till_done()
    legacy, failed = (event.data for event in events)
    assert (legacy["message_id"], legacy["state"]) == ("mdr1-" + "a" * 32, "delivered")
    # Messaging v2 receipts name the numbers; v2.1 receipts do not.
    assert (legacy["from"], legacy["to"]) == ("18551231234", "19144401234")
    assert (failed["state"], failed["from"], failed["to"]) == ("failed", None, None)
    # Unsigned receipts of messages this entry never sent change nothing.
    assert updates == []
    assert tracker.state("mdr1-" + "a" * 32) is None
    assert tracker._data()["messages"] == []


async def test_a_forged_receipt_naming_an_entry_number_changes_nothing(
    hass: HomeAssistant, tracker: ReceiptTracker, updates: list[ReceiptUpdate]
) -> None:
    forged = legacy_receipt(
        "mdr1-" + "f" * 32, status="undelivered", status_code="1103", **{"from": DID_1}
    )
    assert forged.from_number == DID_1
    assert (await tracker.async_handle(forged)) is not None  # the event fires...
    assert updates == []  # ...but no entity, opt-out or repair issue hears of it
    assert not [issue for issue in ir.async_get(hass).issues.values() if issue.domain == DOMAIN]
    assert tracker.state("mdr1-" + "f" * 32) is None


async def test_repeated_receipts_of_unknown_messages_publish_once(
    hass: HomeAssistant, tracker: ReceiptTracker
) -> None:
    events = async_capture_events(hass, EVENT_DELIVERY_RECEIPT)
    for attributes in (SUBMITTED, DELIVERED, SUBMITTED, DELIVERED):
        await tracker.async_handle(receipt("mdr2-" + "9" * 32, **attributes))
    await hass.async_block_till_done()
    assert [event.data["level"] for event in events] == [1, 2]


async def test_receipts_held_for_unknown_messages_are_bounded(
    hass: HomeAssistant, tracker: ReceiptTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receipts_module, "MAX_EARLY", 3)
    for n in range(5):
        await tracker.async_handle(receipt(f"mdr2-{n:032x}", **DELIVERED))
    assert len(tracker._early) == 3
    # The oldest were forgotten: confirming their send later finds nothing held.
    tracker.async_track_sent(f"mdr2-{0:032x}", HANDSET, DID_1)
    tracker.async_track_sent(f"mdr2-{4:032x}", HANDSET, DID_1)
    assert tracker.state(f"mdr2-{0:032x}") is DeliveryState.SENT
    assert tracker.state(f"mdr2-{4:032x}") is DeliveryState.DELIVERED


async def test_receipts_per_message_are_bounded(
    hass: HomeAssistant, tracker: ReceiptTracker
) -> None:
    events = async_capture_events(hass, EVENT_DELIVERY_RECEIPT)
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    limit = receipts_module.MAX_RECEIPTS_PER_MESSAGE
    for n in range(limit + 5):  # distinct statuses: no two are duplicates
        await tracker.async_handle(receipt(level=2, status=f"message buffered {n}"))
    await hass.async_block_till_done()
    assert len(events) == limit
    [stored] = tracker._data()["messages"]
    assert len(stored["seen"]) == limit


async def test_receipt_before_the_send_is_known(
    hass: HomeAssistant, tracker: ReceiptTracker
) -> None:
    await tracker.async_handle(receipt(**DELIVERED))
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)  # the 202 was processed late
    assert tracker.state(MESSAGE_ID) is DeliveryState.DELIVERED
    update = await tracker.async_handle(receipt(**SUBMITTED))
    assert update is not None
    assert (update.state, update.to_number, update.from_number) == ("delivered", HANDSET, DID_1)


@pytest.mark.parametrize(
    ("attributes", "state"),
    [
        ({"status": "delivered", "status_code": "1003"}, "delivered"),
        ({"status": "undelivered", "status_code": "1116"}, "failed"),
        ({"status": "undelivered", "status_code": "1110"}, "opted_out"),
        ({"status": "sent", "status_code": None}, "sent"),
    ],
)
async def test_legacy_receipts_match_the_sent_message_by_hex(
    hass: HomeAssistant, tracker: ReceiptTracker, attributes: dict[str, Any], state: str
) -> None:
    events = async_capture_events(hass, EVENT_DELIVERY_RECEIPT)
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    await tracker.async_handle(legacy_receipt(f"mdr1-{HEX}", **attributes))
    await hass.async_block_till_done()
    [event] = events
    assert event.data["message_id"] == MESSAGE_ID  # the id the send action returned
    assert event.data["state"] == state
    assert tracker.state(f"mdr1-{HEX}") == tracker.state(MESSAGE_ID) == state


def test_correlation_key() -> None:
    assert correlation_key(f"mdr2-{HEX}") == correlation_key(f"mdr1-{HEX}") == HEX
    assert correlation_key("something-else") == "something-else"


# Waiting


async def test_wait_returns_when_the_final_receipt_comes(
    hass: HomeAssistant, tracker: ReceiptTracker
) -> None:
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    waiting = hass.async_create_task(tracker.async_wait(MESSAGE_ID, 30))
    await asyncio.sleep(0)
    await tracker.async_handle(receipt(**SUBMITTED))
    await asyncio.sleep(0)
    assert not waiting.done()
    await tracker.async_handle(receipt(**FAILED))
    assert await waiting == "failed"
    # Already final: answered at once, also for a zero wait.
    assert await tracker.async_wait(MESSAGE_ID, 0) == "failed"


async def test_wait_times_out_as_unknown(hass: HomeAssistant, tracker: ReceiptTracker) -> None:
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    await tracker.async_handle(receipt(**SUBMITTED))
    assert await tracker.async_wait(MESSAGE_ID, 0.05) == "unknown"
    assert await tracker.async_wait(MESSAGE_ID, 0) == "unknown"
    assert await tracker.async_wait("mdr2-never-sent", 0.01) == "unknown"
    assert not tracker._waiters


async def test_unload_answers_pending_waits(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    tracker = ReceiptTracker(hass, entry, opt_outs=OptOutList(hass, entry))
    await tracker.async_load()
    waiting = hass.async_create_task(tracker.async_wait(MESSAGE_ID, 600))
    await asyncio.sleep(0)
    await tracker.async_unload()
    assert await waiting == "unknown"


# Persistence


async def test_state_survives_a_restart(
    hass: HomeAssistant, entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    first = ReceiptTracker(hass, entry, opt_outs=OptOutList(hass, entry))
    await first.async_load()
    first.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    await first.async_handle(receipt(**SUBMITTED))
    await first.async_unload()
    assert f"{DOMAIN}.{entry.entry_id}.receipts" in hass_storage

    second = ReceiptTracker(hass, entry, opt_outs=OptOutList(hass, entry))
    await second.async_load()
    assert second.state(MESSAGE_ID) is DeliveryState.SENT
    # The receipt already applied is still recognised; the next one keeps the numbers.
    assert await second.async_handle(receipt(**SUBMITTED)) is None
    update = await second.async_handle(receipt(**DELIVERED))
    assert update is not None
    assert (update.state, update.changed, update.to_number, update.from_number) == (
        "delivered",
        True,
        HANDSET,
        DID_1,
    )
    await second.async_unload()

    await async_remove_entry_stores(hass, entry.entry_id)
    assert f"{DOMAIN}.{entry.entry_id}.receipts" not in hass_storage


async def test_saves_are_delayed(
    hass: HomeAssistant, tracker: ReceiptTracker, entry: MockConfigEntry
) -> None:
    with patch.object(tracker._store, "async_delay_save") as delay_save:
        tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
        await tracker.async_handle(receipt(**DELIVERED))
    assert delay_save.call_count == 2
    data_func, delay = delay_save.call_args.args
    assert delay == receipts_module.SAVE_DELAY
    assert data_func()["messages"] == [
        {
            "key": HEX,
            "id": MESSAGE_ID,
            "to_number": HANDSET,
            "from_number": DID_1,
            "state": "delivered",
            "seen": ["2|delivery success|1004"],
        }
    ]


async def test_tracking_is_bounded(hass: HomeAssistant, tracker: ReceiptTracker) -> None:
    with patch.object(receipts_module, "MAX_TRACKED", 3):
        for n in range(5):
            tracker.async_track_sent(f"mdr2-{n:032x}", HANDSET, DID_1)
    assert [tracker.state(f"mdr2-{n:032x}") for n in range(5)] == [
        None,
        None,
        "sent",
        "sent",
        "sent",
    ]


async def test_stored_data_from_an_unknown_state_is_skipped(
    hass: HomeAssistant, entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    hass_storage[f"{DOMAIN}.{entry.entry_id}.receipts"] = {
        "version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.receipts",
        "data": {
            "messages": [
                {
                    "key": "a",
                    "id": "mdr2-a",
                    "to_number": None,
                    "from_number": None,
                    "state": "bounced",
                    "seen": [],
                },
                {
                    "key": "b",
                    "id": "mdr2-b",
                    "to_number": HANDSET,
                    "from_number": DID_1,
                    "state": "failed",
                    "seen": [],
                },
            ]
        },
    }
    tracker = ReceiptTracker(hass, entry, opt_outs=OptOutList(hass, entry))
    await tracker.async_load()
    assert (tracker.state("mdr2-a"), tracker.state("mdr2-b")) == (None, "failed")


# Registration repairs


@pytest.mark.parametrize("code", sorted(REGISTRATION_PROBLEMS))
async def test_registration_codes_raise_one_issue_per_number(
    hass: HomeAssistant, entry: MockConfigEntry, tracker: ReceiptTracker, code: int
) -> None:
    registry = ir.async_get(hass)
    for n in range(3):
        tracker.async_track_sent(f"mdr2-{n:032x}", HANDSET, DID_1)
        await tracker.async_handle(
            receipt(
                f"mdr2-{n:032x}",
                level=2,
                status="delivery failure",
                status_code=code,
                status_code_description="**Click here** to fix: https://example.invalid",
            )
        )
    issues = [issue for issue in registry.issues.values() if issue.domain == DOMAIN]
    assert [issue.issue_id for issue in issues] == [
        f"registration_{entry.entry_id}_{number_key(DID_1)}"
    ]
    [issue] = issues
    assert issue.translation_key == "registration_10dlc"
    assert issue.severity is ir.IssueSeverity.WARNING
    # Described in the integration's own words, never with the receipt's (unsigned) text.
    assert issue.translation_placeholders == {
        "title": entry.title,
        "number": "…0199",
        "code": str(code),
        "description": REGISTRATION_PROBLEMS[code],
        "guide_url": GUIDE_10DLC,
    }
    assert tracker.state(f"mdr2-{0:032x}") is DeliveryState.FAILED

    # A text from that number reaching a handset means registration is sorted.
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    await tracker.async_handle(receipt(**DELIVERED))
    assert not [issue for issue in registry.issues.values() if issue.domain == DOMAIN]


async def test_registration_issues_only_for_the_entry_numbers(
    hass: HomeAssistant, entry: MockConfigEntry, tracker: ReceiptTracker
) -> None:
    registry = ir.async_get(hass)
    hass.config_entries.async_update_entry(
        entry, data={CONF_NUMBERS: [DID_1, DID_2, TOLL_FREE_DID]}
    )
    tracker.async_track_sent(MESSAGE_ID, HANDSET, TOLL_FREE_DID)
    await tracker.async_handle(receipt(level=2, status="delivery failure", status_code=1160))
    # Another system's message (the v2.1 receipt does not say which number sent it), and
    # one sent from a number the entry does not configure: no issue for either.
    await tracker.async_handle(receipt("mdr2-" + "c" * 32, **FAILED | {"status_code": 1103}))
    tracker.async_track_sent("mdr2-" + "e" * 32, HANDSET, "12065550177")
    await tracker.async_handle(receipt("mdr2-" + "e" * 32, **FAILED | {"status_code": 1103}))
    keys = {
        issue.issue_id: issue.translation_key
        for issue in registry.issues.values()
        if issue.domain == DOMAIN
    }
    assert keys == {
        f"registration_{entry.entry_id}_{number_key(TOLL_FREE_DID)}": "registration_toll_free"
    }


async def test_other_failures_raise_no_issue(hass: HomeAssistant, tracker: ReceiptTracker) -> None:
    tracker.async_track_sent(MESSAGE_ID, HANDSET, DID_1)
    await tracker.async_handle(receipt(**FAILED))
    await tracker.async_handle(receipt("mdr2-" + "d" * 32, **OPTED_OUT))
    assert not [issue for issue in ir.async_get(hass).issues.values() if issue.domain == DOMAIN]


# wait_for_delivery, end to end with the simulator's receipts


async def _send(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True
    )
    assert response is not None
    items: list[dict[str, Any]] = response["messages"]
    return items


@pytest.mark.parametrize(
    ("rule", "state"),
    [
        pytest.param(ReceiptRule(), "delivered", id="delivered"),
        pytest.param(ReceiptRule(code=1116), "failed", id="failed"),
        pytest.param(ReceiptRule(code=1110), "opted_out", id="opted-out"),
        pytest.param(ReceiptRule(mode=ReceiptMode.REVERSE), "delivered", id="reverse"),
        pytest.param(ReceiptRule(mode=ReceiptMode.DUPLICATE), "delivered", id="duplicate"),
        pytest.param(ReceiptRule(legacy=True), "delivered", id="legacy-mdr1"),
        pytest.param(ReceiptRule(legacy=True, code=1116), "failed", id="legacy-failed"),
        pytest.param(ReceiptRule(mode=ReceiptMode.DROP), "unknown", id="dropped"),
        pytest.param(ReceiptRule(mode=ReceiptMode.LEVEL1_ONLY), "unknown", id="level-2-missing"),
    ],
)
async def test_wait_for_delivery(
    hass: HomeAssistant,
    *,
    simulator: RunningSimulator,
    public_url: str,
    rule: ReceiptRule,
    state: str,
) -> None:
    events = async_capture_events(hass, EVENT_DELIVERY_RECEIPT)
    simulator.set_receipts(rule)
    [item] = await _send(hass, to=HANDSET, message="Garage door is open", wait_for_delivery=0.5)
    assert item["status"] == "accepted"
    assert item["delivery_state"] == state
    [record] = simulator.state.sent_messages()
    assert record.dlr_callback == f"{public_url}/api/webhook/{WEBHOOK_ID}"
    await simulator.idle()
    await hass.async_block_till_done()
    assert {event.data["message_id"] for event in events} <= {item["message_id"]}
    assert all((event.data["from"], event.data["to"]) == (DID_1, HANDSET) for event in events)
    expected_events = {ReceiptMode.DROP: 0, ReceiptMode.LEVEL1_ONLY: 1}.get(rule.mode, 2)
    assert len(events) == expected_events


async def test_wait_for_delivery_per_recipient(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    public_url: str,
) -> None:
    simulator.set_receipts(ReceiptRule(to=HANDSET_2, code=1116))
    items = await _send(hass, to=[HANDSET, HANDSET_2], message="Hi", wait_for_delivery=5)
    assert [(item["to"], item["delivery_state"]) for item in items] == [
        (HANDSET, "delivered"),
        (HANDSET_2, "failed"),
    ]


async def test_wait_for_delivery_takes_at_most_the_given_time(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    public_url: str,
) -> None:
    simulator.set_receipts(ReceiptRule(delay=30))
    loop = asyncio.get_running_loop()
    started = loop.time()
    items = await _send(hass, to=[HANDSET, HANDSET_2], message="Hi", wait_for_delivery=0.3)
    # Bounded by the wait asked for, not by the receipts 30 s away (with room for a
    # busy machine).
    assert loop.time() - started < 15
    assert [item["delivery_state"] for item in items] == ["unknown", "unknown"]
    await simulator.reset()


async def test_without_wait_for_delivery_no_state_is_returned(
    hass: HomeAssistant, simulator: RunningSimulator, public_url: str
) -> None:
    [item] = await _send(hass, to=HANDSET, message="Hi")
    assert "delivery_state" not in item


@pytest.mark.parametrize("seconds", [-1, 601, "soon"])
async def test_wait_for_delivery_is_bounded(
    hass: HomeAssistant, loaded: MockConfigEntry, seconds: object
) -> None:
    with pytest.raises(Invalid, match="wait_for_delivery"):
        await _send(hass, to=HANDSET, message="Hi", wait_for_delivery=seconds)
