"""Usage and spend from the message records: incremental reads, rollovers, outages, statistics.

Home Assistant runs with the real recorder and the time zone America/Los_Angeles, whose
midnight is not UTC's; Flowroute is the simulator, and the records are put in its state
at the moments a test needs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import list_statistic_ids
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from custom_components.flowroute.api import FlowrouteClient, MessageRecord
from custom_components.flowroute.const import CONF_USAGE_INTERVAL, DOMAIN
from custom_components.flowroute.usage import (
    MAX_INTERVAL,
    OVERLAP,
    Tally,
    UsageLedger,
    backoff_interval,
    record_segments,
)
from simulator import Direction, Fault, FaultKind, FaultTarget
from simulator import MessageRecord as SimRecord
from simulator.seeding import SeedPlan
from simulator.testing import RunningSimulator

from .conftest import ACCESS_KEY, DID_1, DID_2, SECRET_KEY

TIME_ZONE = "America/Los_Angeles"
HANDSET = "12065550100"
OTHER_DID = "12065550177"  # the account's, but not the entry's
SMS = 4_000_000  # the simulator's prices, in nanodollars
MMS = 19_500_000
INTERVAL = timedelta(minutes=15)
CURLY = "Don\u2019t forget: " + "x" * 60  # 76 characters of UCS-2: two segments


@pytest.fixture
def quiet_sqlalchemy() -> Iterator[None]:
    """The test Home Assistant logs at INFO, at which SQLAlchemy prints every statement."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    quiet_sqlalchemy: None, recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Override the suite's autouse fixture: the recorder must start before `hass`."""


@pytest.fixture(autouse=True)
async def time_zone(hass: HomeAssistant) -> None:
    """Home Assistant's time zone, whose midnight is 08:00 UTC (07:00 in summer)."""
    await hass.config.async_set_time_zone(TIME_ZONE)


def local(text: str) -> datetime:
    """A moment in Los Angeles, written without its offset."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TIME_ZONE))


def add_record(
    sim: RunningSimulator,
    at: datetime,
    *,
    direction: Direction = Direction.OUTBOUND,
    did: str = DID_1,
    body: str = "Garage door is open",
    is_mms: bool = False,
) -> SimRecord:
    """Put a record in Flowroute's records as if the text had gone (or come) at `at`."""
    outbound = direction is Direction.OUTBOUND
    record = SimRecord.create(
        access_key=ACCESS_KEY,
        direction=direction,
        from_number=did if outbound else HANDSET,
        to_number=HANDSET if outbound else did,
        body=body,
        media=(),
        is_mms=is_mms,
        timestamp=at,
        message_type="longcode",
    )
    sim.state.add_message(record)
    return record


async def reads_done(hass: HomeAssistant) -> None:
    """Wait until the usage reads under way are over (the outbox's tasks never are)."""
    await hass.async_block_till_done()
    while reads := [
        task
        for task in hass._background_tasks
        if task.get_name().startswith(f"{DOMAIN} ") and "usage" in task.get_name()
    ]:
        await asyncio.wait(reads)
        await hass.async_block_till_done()


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Set up the entry and wait for its first read of the records."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await reads_done(hass)
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Let `delta` pass: what falls due in it runs (reads, midnight)."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await reads_done(hass)


def entity_id(hass: HomeAssistant, key: str, did: str | None = None) -> str:
    if did is None:
        [entry] = hass.config_entries.async_entries(DOMAIN)
        unique_id = f"account_{entry.entry_id}_{key}"  # never the access key
    else:
        unique_id = f"{did}_{key}"
    found = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert found is not None, unique_id
    return found


def usage(hass: HomeAssistant, key: str, did: str | None = None) -> State:
    found = hass.states.get(entity_id(hass, key, did))
    assert found is not None
    return found


def figures(hass: HomeAssistant, did: str | None = None) -> dict[str, str]:
    """Every usage sensor's state, of the account or of one number."""
    keys = (
        ("texts_sent_month", "texts_received_month")
        if did is not None
        else (
            "texts_sent_today",
            "texts_sent_month",
            "texts_received_today",
            "texts_received_month",
            "segments_sent_month",
            "spend_today",
            "spend_month",
        )
    )
    return {key: usage(hass, key, did).state for key in keys}


def dollars(nanodollars: int) -> str:
    return str(Decimal(nanodollars) / 1_000_000_000)


def requests(sim: RunningSimulator) -> int:
    """How many record listings were asked for: answered, or failed by a fault."""
    faults = sim.state.faults.active(now=sim.settings.monotonic())
    return len(sim.state.record_listings) + sum(item.hits for item in faults)


def listings(sim: RunningSimulator) -> list[tuple[datetime, datetime]]:
    """The windows of the record listings Flowroute answered (first pages only)."""
    return [(item.start, item.end) for item in sim.state.record_listings if item.offset == 0]


async def test_the_first_read_counts_the_month_so_far(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Texts, segments and spend of this month and of today, per account and per number."""
    freezer.move_to(local("2026-11-14 12:00"))
    add_record(simulator, local("2026-10-31 23:59"))  # last month: not counted
    add_record(simulator, local("2026-11-01 00:00"))  # the month's first moment
    add_record(simulator, local("2026-11-05 09:00"), body=CURLY)  # 2 segments
    add_record(simulator, local("2026-11-13 23:59"), did=DID_2, is_mms=True)
    add_record(simulator, local("2026-11-14 00:00"), direction=Direction.INBOUND)
    add_record(simulator, local("2026-11-14 08:00"), did=OTHER_DID)  # the account's only
    add_record(simulator, local("2026-11-14 11:59"), direction=Direction.INBOUND, did=DID_2)

    await load(hass, config_entry)

    # One read, from the start of November in Los Angeles (PDT until the 1st's 2 am).
    [(start, end)] = listings(simulator)
    assert start == datetime(2026, 11, 1, 7, tzinfo=UTC)
    assert end == datetime(2026, 11, 14, 20, tzinfo=UTC)
    assert figures(hass) == {
        "texts_sent_today": "1",
        "texts_sent_month": "4",
        "texts_received_today": "2",
        "texts_received_month": "2",
        "segments_sent_month": "5",  # 1 + 2 + 1 (the MMS) + 1
        "spend_today": dollars(3 * SMS),
        "spend_month": dollars(SMS + 2 * SMS + MMS + SMS + SMS + SMS),
    }
    assert figures(hass, DID_1) == {"texts_sent_month": "2", "texts_received_month": "1"}
    assert figures(hass, DID_2) == {"texts_sent_month": "1", "texts_received_month": "1"}

    spend = usage(hass, "spend_month")
    assert spend.attributes["device_class"] == "monetary"
    assert spend.attributes["unit_of_measurement"] == "USD"
    assert spend.attributes["state_class"] == "total"
    assert spend.attributes["last_reset"] == "2026-11-01T00:00:00-07:00"
    assert usage(hass, "texts_sent_today").attributes["last_reset"] == "2026-11-14T00:00:00-08:00"
    assert usage(hass, "texts_sent_today").attributes["state_class"] == "total"

    # The account's sensors are on the account's device, each number's on its own.
    [account] = [
        device
        for device in dr.async_entries_for_config_entry(device_registry, config_entry.entry_id)
        if (DOMAIN, f"account_{config_entry.entry_id}") in device.identifiers
    ]
    assert (account.name, account.model) == (config_entry.title, "Account")
    registry = er.async_get(hass)
    entry = registry.async_get(entity_id(hass, "spend_month"))
    assert entry is not None
    assert entry.device_id == account.id
    segments = registry.async_get(entity_id(hass, "segments_sent_month"))
    assert segments is not None
    assert segments.entity_category == "diagnostic"
    number = registry.async_get(entity_id(hass, "texts_sent_month", DID_1))
    assert number is not None
    assert number.device_id != account.id


async def test_later_reads_take_only_what_is_new_and_count_late_records_once(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """The next read starts OVERLAP before the cursor: late records count, none twice."""
    freezer.move_to(local("2026-11-14 12:00"))
    add_record(simulator, local("2026-11-14 11:57"))  # read now, and again in the overlap
    await load(hass, config_entry)
    assert figures(hass)["texts_sent_today"] == "1"

    add_record(simulator, local("2026-11-14 11:55"))  # listed late, inside the overlap
    add_record(simulator, local("2026-11-14 12:05"), direction=Direction.INBOUND)
    await tick(hass, freezer, INTERVAL)

    assert listings(simulator)[1] == (
        datetime(2026, 11, 14, 20, tzinfo=UTC) - OVERLAP,
        datetime(2026, 11, 14, 20, 15, tzinfo=UTC),
    )
    assert figures(hass)["texts_sent_today"] == "2"
    assert figures(hass)["texts_received_today"] == "1"
    assert figures(hass)["spend_month"] == dollars(3 * SMS)

    # A read with nothing new changes nothing.
    await tick(hass, freezer, INTERVAL)
    assert len(listings(simulator)) == 3
    assert figures(hass)["spend_month"] == dollars(3 * SMS)


async def test_a_restart_reads_on_from_the_stored_cursor(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """After a reload the month is not read again, and the overlap counts nothing twice."""
    freezer.move_to(local("2026-11-14 12:00"))
    add_record(simulator, local("2026-11-02 10:00"))
    add_record(simulator, local("2026-11-14 11:58"))  # inside the next read's overlap
    await load(hass, config_entry)
    before = figures(hass)
    assert before["texts_sent_month"] == "2"

    freezer.tick(timedelta(minutes=3))
    add_record(simulator, local("2026-11-14 12:02"), body=CURLY)
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await reads_done(hass)

    assert listings(simulator)[1] == (
        datetime(2026, 11, 14, 20, tzinfo=UTC) - OVERLAP,
        datetime(2026, 11, 14, 20, 3, tzinfo=UTC),
    )
    after = figures(hass)
    assert after["texts_sent_month"] == "3"
    assert after["segments_sent_month"] == "4"
    assert after["spend_month"] == dollars(4 * SMS)


async def test_restored_totals_show_until_a_read_fails(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """The stored totals come back with the entry; Flowroute down, the sensors go unavailable."""
    freezer.move_to(local("2026-11-14 12:00"))
    add_record(simulator, local("2026-11-14 09:00"))
    await load(hass, config_entry)
    assert await hass.config_entries.async_unload(config_entry.entry_id)

    simulator.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.RECORDS))
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    # Before the first read: what was stored.
    assert figures(hass)["texts_sent_today"] == "1"
    await reads_done(hass)
    assert config_entry.state is ConfigEntryState.LOADED  # setup does not wait for Flowroute
    assert usage(hass, "texts_sent_today").state == STATE_UNAVAILABLE

    simulator.clear_faults()
    await tick(hass, freezer, 2 * INTERVAL)
    assert figures(hass)["texts_sent_today"] == "1"


async def test_a_new_day_in_the_configured_time_zone(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """Today's totals start again at midnight in Los Angeles, not at midnight UTC."""
    freezer.move_to(local("2026-11-14 15:55"))  # 23:55 UTC
    add_record(simulator, local("2026-11-14 15:50"))
    await load(hass, config_entry)
    assert figures(hass)["texts_sent_today"] == "1"

    add_record(simulator, local("2026-11-14 16:02"))  # 00:02 UTC: still the 14th here
    await tick(hass, freezer, INTERVAL)
    assert figures(hass)["texts_sent_today"] == "2"
    assert usage(hass, "texts_sent_today").attributes["last_reset"] == "2026-11-14T00:00:00-08:00"

    # Midnight here: today starts from zero at once, the month goes on.
    freezer.move_to(local("2026-11-14 23:59:59"))
    add_record(simulator, local("2026-11-14 23:58"))
    async_fire_time_changed(hass)
    await reads_done(hass)
    await tick(hass, freezer, timedelta(seconds=1))
    today = usage(hass, "texts_sent_today")
    assert today.state == "0"
    assert today.attributes["last_reset"] == "2026-11-15T00:00:00-08:00"
    assert figures(hass)["spend_today"] == "0"

    add_record(simulator, local("2026-11-15 00:02"), is_mms=True)
    await tick(hass, freezer, INTERVAL)
    after = figures(hass)
    assert after["texts_sent_today"] == "1"
    assert after["spend_today"] == dollars(MMS)
    # Yesterday's last text, read after midnight, counts for the month only.
    assert after["texts_sent_month"] == "4"
    assert after["spend_month"] == dollars(3 * SMS + MMS)


async def test_a_new_month(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """On the first, every total starts again; November's late records stay November's."""
    freezer.move_to(local("2026-11-30 23:50"))
    add_record(simulator, local("2026-11-30 23:45"), did=DID_2)
    await load(hass, config_entry)
    assert figures(hass, DID_2)["texts_sent_month"] == "1"

    add_record(simulator, local("2026-11-30 23:55"), did=DID_2)  # read only in December
    await tick(hass, freezer, timedelta(minutes=10))  # midnight
    month = usage(hass, "texts_sent_month")
    assert month.state == "0"
    assert month.attributes["last_reset"] == "2026-12-01T00:00:00-08:00"
    assert figures(hass, DID_2)["texts_sent_month"] == "0"

    add_record(simulator, local("2026-12-01 00:03"), did=DID_2, direction=Direction.INBOUND)
    await tick(hass, freezer, INTERVAL)
    assert figures(hass, DID_2) == {"texts_sent_month": "0", "texts_received_month": "1"}
    assert figures(hass)["spend_month"] == dollars(SMS)
    # The read began at the cursor less the overlap, but no earlier than December.
    assert listings(simulator)[-1][0] == datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param(
            (Fault(kind=FaultKind.RATE_LIMITED, target=FaultTarget.RECORDS), 2 * INTERVAL),
            id="429",
        ),
        pytest.param(
            (
                Fault(kind=FaultKind.RATE_LIMITED, target=FaultTarget.RECORDS, retry_after=5400),
                timedelta(minutes=90),
            ),
            id="429-retry-after",
        ),
        pytest.param(
            (Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.RECORDS), 2 * INTERVAL),
            id="503",
        ),
    ],
)
async def test_failed_reads_back_off_and_recover(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
    outage: tuple[Fault, timedelta],
) -> None:
    """429 and 503: unavailable, the interval doubles (or follows Retry-After), then recovers."""
    fault, first_wait = outage
    freezer.move_to(local("2026-11-14 12:00"))
    add_record(simulator, local("2026-11-14 11:00"))
    await load(hass, config_entry)
    coordinator = config_entry.runtime_data.usage
    simulator.add_fault(fault)

    await tick(hass, freezer, INTERVAL)
    assert usage(hass, "texts_sent_today").state == STATE_UNAVAILABLE
    assert usage(hass, "spend_month").state == STATE_UNAVAILABLE
    assert coordinator.update_interval == first_wait
    assert requests(simulator) == 2

    # Nothing is asked before the longer interval is over; then the interval doubles again.
    add_record(simulator, local("2026-11-14 12:20"), direction=Direction.INBOUND)
    await tick(hass, freezer, first_wait - timedelta(minutes=1))
    assert requests(simulator) == 2
    await tick(hass, freezer, timedelta(minutes=1))
    assert requests(simulator) == 3
    assert coordinator.update_interval == max(4 * INTERVAL, first_wait)

    simulator.clear_faults()
    await tick(hass, freezer, coordinator.update_interval)
    assert coordinator.update_interval == INTERVAL
    assert figures(hass)["texts_sent_today"] == "1"
    assert figures(hass)["texts_received_today"] == "1"
    # Reading never sends: nothing went through the outbox.
    assert simulator.state.send_attempts == []
    assert config_entry.runtime_data.outbox.pending == 0


async def test_refused_keys_start_reauthentication(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    freezer.move_to(local("2026-11-14 12:00"))
    await load(hass, config_entry)
    simulator.add_fault(Fault(kind=FaultKind.STATUS, status=401, target=FaultTarget.RECORDS))
    await tick(hass, freezer, INTERVAL)
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert usage(hass, "texts_sent_today").state == STATE_UNAVAILABLE


async def test_the_interval_is_an_option_and_texts_do_not_trigger_reads(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """Reads come every `usage_interval_minutes`, however many texts come and go."""
    freezer.move_to(local("2026-11-14 12:00"))
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_USAGE_INTERVAL: 60}
    )
    await load(hass, config_entry)
    for index in range(5):
        simulator.inject_inbound(from_=HANDSET, to=DID_1, body=f"text {index}")
    await simulator.idle()
    await tick(hass, freezer, timedelta(minutes=59))
    assert len(listings(simulator)) == 1
    await tick(hass, freezer, timedelta(minutes=1))
    assert len(listings(simulator)) == 2
    assert figures(hass)["texts_received_today"] == "5"


async def test_unknown_before_the_first_read(
    hass: HomeAssistant, simulator: RunningSimulator, config_entry: MockConfigEntry
) -> None:
    """Nothing stored, Flowroute down: unknown, then unavailable; setup goes on."""
    simulator.add_fault(Fault(kind=FaultKind.SLOW, delay=60, target=FaultTarget.RECORDS))
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert usage(hass, "spend_month").state == STATE_UNKNOWN
    assert "last_reset" not in usage(hass, "spend_month").attributes
    assert config_entry.runtime_data.usage.spend_today() is None
    simulator.clear_faults()
    assert await hass.config_entries.async_unload(config_entry.entry_id)


async def test_long_term_statistics_are_compiled(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    simulator: RunningSimulator,
    config_entry: MockConfigEntry,
) -> None:
    """After a compile, the statistics tables hold the usage sensors' sums, in USD."""
    freezer.move_to(datetime(2026, 11, 14, 19, 56, tzinfo=UTC))
    add_record(simulator, local("2026-11-14 09:00"), is_mms=True)
    await load(hass, config_entry)
    add_record(simulator, local("2026-11-14 11:57"), body=CURLY)
    await tick(hass, freezer, INTERVAL)  # 20:11 UTC, a second read
    assert figures(hass)["spend_month"] == dollars(MMS + 2 * SMS)
    await async_wait_recording_done(hass)

    do_adhoc_statistics(hass, start=datetime(2026, 11, 14, 19, 55, tzinfo=UTC))
    do_adhoc_statistics(hass, start=datetime(2026, 11, 14, 20, 10, tzinfo=UTC))
    await async_wait_recording_done(hass)

    spend, sent = entity_id(hass, "spend_month"), entity_id(hass, "texts_sent_month")
    instance = get_instance(hass)
    listed = await instance.async_add_executor_job(list_statistic_ids, hass, {spend, sent})
    units = {item["statistic_id"]: item["statistics_unit_of_measurement"] for item in listed}
    assert units == {spend: "USD", sent: None}
    assert all(item["has_sum"] for item in listed)

    hourly = await instance.async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2026, 11, 14, 19, tzinfo=UTC),
        None,
        {spend, sent},
        "hour",
        None,
        {"sum", "state"},
    )
    [row] = hourly[spend]
    assert row["state"] == pytest.approx(float(dollars(MMS)))
    assert row["sum"] == 0  # the zero point: what was spent before counting began
    short = await instance.async_add_executor_job(
        statistics_during_period,
        hass,
        datetime(2026, 11, 14, 20, 10, tzinfo=UTC),
        None,
        {spend, sent},
        "5minute",
        None,
        {"sum", "state"},
    )
    assert [row["sum"] for row in short[spend]] == [pytest.approx(2 * SMS / 1e9)]
    assert [row["state"] for row in short[sent]] == [2]
    assert [row["sum"] for row in short[sent]] == [1]


async def test_the_client_streams_pages(simulator: RunningSimulator, hass: HomeAssistant) -> None:
    """iter_message_pages yields each page as it comes, following links.next."""
    from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: PLC0415

    end = datetime.now(UTC)
    simulator.seed_records(SeedPlan(count=120, days=1, end=end, seed=3))
    client = FlowrouteClient(
        ACCESS_KEY, SECRET_KEY, session=async_get_clientsession(hass), base_url=simulator.url
    )
    pages = [
        page async for page in client.iter_message_pages(end - timedelta(days=2), end, page_size=50)
    ]
    assert [len(page) for page in pages] == [50, 50, 20]
    assert len({record.message_id for page in pages for record in page}) == 120
    assert [item.offset for item in simulator.state.record_listings] == [0, 50, 100]
    assert any(record.delivery_receipts for page in pages for record in page)
    # What the usage coordinator reads: the same records, without their receipts.
    bare = [
        record
        async for page in client.iter_message_pages(end - timedelta(days=2), end, receipts=False)
        for record in page
    ]
    assert [record.message_id for record in bare] == [r.message_id for p in pages for r in p]
    assert not any(record.delivery_receipts for record in bare)


# The ledger alone: no Home Assistant, no Flowroute.


def _record(message_id: str, at: datetime, **fields: Any) -> MessageRecord:
    return MessageRecord(
        message_id=message_id,
        direction=fields.pop("direction", "outbound"),
        from_number=fields.pop("from_number", DID_1),
        to_number=fields.pop("to_number", HANDSET),
        timestamp=at,
        amount_nanodollars=fields.pop("amount", SMS),
        **fields,
    )


NOW = datetime(2026, 11, 14, 12, tzinfo=UTC)


def test_a_read_counts_for_the_ledger_only_once_kept() -> None:
    """A read that fails half way leaves the totals and the cursor as they were."""
    ledger = UsageLedger([DID_1])
    read = ledger.begin(NOW)
    read.count([_record("a", NOW - timedelta(hours=1))])
    assert ledger.month == {}
    assert ledger.cursor is None
    ledger.keep(read)
    assert ledger.month[""].sent == 1
    assert ledger.cursor == NOW


def test_a_page_shifted_by_a_new_record_counts_nothing_twice() -> None:
    """The last record of one page, pushed onto the next by an insert, counts once."""
    ledger = UsageLedger([DID_1])
    read = ledger.begin(NOW)
    read.count([_record("a", NOW - timedelta(days=2)), _record("b", NOW - timedelta(days=1))])
    read.count([_record("b", NOW - timedelta(days=1)), _record("c", NOW - timedelta(hours=1))])
    ledger.keep(read)
    assert ledger.month[""] == Tally(sent=3, segments_sent=3, spend_nanodollars=3 * SMS)
    assert ledger.month[DID_1] == ledger.month[""]


def test_only_the_overlap_is_remembered() -> None:
    """What the ledger keeps of a month of records: the ids inside the overlap, bounded."""
    ledger = UsageLedger([DID_1], max_remembered=3)
    read = ledger.begin(NOW)
    read.count(
        [_record(f"old-{index}", NOW - timedelta(days=1, minutes=index)) for index in range(500)]
    )
    read.count([_record(f"new-{index}", NOW - timedelta(minutes=index)) for index in range(5)])
    ledger.keep(read)
    assert ledger.month[""].sent == 505
    assert list(ledger.remembered) == ["new-0", "new-1", "new-2"]


def test_stored_totals_of_other_numbers_read_the_month_again() -> None:
    """A number added since the totals were stored was not counted from the first."""
    ledger = UsageLedger([DID_1])
    read = ledger.begin(NOW)
    read.count([_record("a", NOW - timedelta(hours=1))])
    ledger.keep(read)
    stored = ledger.as_dict()
    assert UsageLedger([DID_1]).restore(stored)
    assert not UsageLedger([DID_1, DID_2]).restore(stored)
    assert not UsageLedger([DID_1]).restore({**stored, "cursor": "yesterday"})
    assert not UsageLedger([DID_1]).restore({**stored, "month": {"": [1, 2]}})
    assert not UsageLedger([DID_1]).restore(None)


def test_segments_of_a_record() -> None:
    assert record_segments(_record("a", NOW, body="x" * 160)) == 1
    assert record_segments(_record("a", NOW, body="x" * 161)) == 2
    assert record_segments(_record("a", NOW, body=CURLY)) == 2
    assert record_segments(_record("a", NOW, body="", is_mms=True)) == 1
    assert record_segments(_record("a", NOW, body="")) == 1  # a record without its body


def test_the_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_interval(INTERVAL, failures) for failures in (1, 2, 3)] == [
        timedelta(minutes=30),
        timedelta(hours=1),
        MAX_INTERVAL,
    ]
    assert backoff_interval(INTERVAL, 40) == MAX_INTERVAL
    assert backoff_interval(INTERVAL, 1, retry_after=3600) == timedelta(hours=1)
    assert backoff_interval(INTERVAL, 1, retry_after=10**9) == MAX_INTERVAL
    assert backoff_interval(timedelta(hours=3), 2) == timedelta(hours=3)
