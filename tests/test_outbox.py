"""Tests of the outbox, sending through the real client to the simulator over loopback.

Time-dependent checks assert counts, orderings and lower bounds only: a loaded machine
makes everything slower, never faster.
"""

from __future__ import annotations

import asyncio
import copy
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.util.file import WriteError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.flowroute import outbox as outbox_module
from custom_components.flowroute import pacing
from custom_components.flowroute.api import (
    FlowrouteAuthenticationError,
    FlowrouteClient,
    FlowrouteConnectionError,
    FlowrouteError,
    FlowrouteForbiddenError,
    FlowrouteRequestRejectedError,
    FlowrouteUnavailableError,
)
from custom_components.flowroute.const import DOMAIN
from custom_components.flowroute.outbox import (
    FailureReason,
    OutboundMessage,
    Outbox,
    OutboxExpiredError,
    OutboxNotSavedError,
    RecipientOptedOutError,
)
from custom_components.flowroute.storage import EntryStore, async_remove_entry_stores
from simulator.app import serve
from simulator.core import InboundMedia
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.state import DEFAULT_ACCOUNT
from simulator.testing import TEST_SETTINGS, RunningSimulator, run_simulator

from .conftest import ACCESS_KEY, DID_1, DID_2, SECRET_KEY

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

ENTRY_ID = "01OUTBOXTESTENTRY"
STORE_KEY = f"{DOMAIN}.{ENTRY_ID}.outbox"
NOT_ENABLED_DID = "12065550177"  # on the account, not enabled for messaging
FAST_SMS = 40  # limits of the fast simulator, used on both sides
FAST_MMS = 8


def handset(index: int) -> str:
    """A recipient's number."""
    return f"1206555{1000 + index:04d}"


def sms(index: int, body: str | None = None, **kwargs: Any) -> OutboundMessage:
    return OutboundMessage(
        to=handset(index), from_did=DID_1, body=body or f"message {index}", **kwargs
    )


@dataclass
class Outcomes:
    """What the outbox reported through its callbacks."""

    sent: list[tuple[str, str]] = field(default_factory=list)  # (local id, message id)
    failed: list[tuple[OutboundMessage, FailureReason, FlowrouteError | None]] = field(
        default_factory=list
    )
    auth_failures: int = 0

    def async_accepted(self, message: OutboundMessage, message_id: str) -> None:
        self.sent.append((message.id, message_id))

    def async_failed(
        self, message: OutboundMessage, reason: FailureReason, error: FlowrouteError | None
    ) -> None:
        self.failed.append((message, reason, error))

    def async_auth_failed(self) -> None:
        self.auth_failures += 1


@dataclass
class Gate:
    """Stands in for the opt-out list: what it says before each attempt."""

    opted_out: Callable[[OutboundMessage], bool] = lambda _: False
    readable: Callable[[], bool] = lambda: True
    asked: list[tuple[str, str]] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.readable()

    def is_opted_out(self, did: str, number: str) -> bool:
        self.asked.append((did, number))
        return self.opted_out(OutboundMessage(to=number, from_did=did, body=""))


type StartOutbox = Callable[..., Awaitable[tuple[Outbox, Outcomes]]]


async def wait_until(predicate: Callable[[], bool], within: float = 60.0) -> None:
    """Poll until `predicate` holds; `within` only bounds a broken test."""
    async with asyncio.timeout(within):
        while not predicate():
            await asyncio.sleep(0.01)


def sent_bodies(sim: RunningSimulator) -> list[str | None]:
    return [record.body for record in sim.state.sent_messages()]


def limiter_429s(sim: RunningSimulator) -> int:
    """429s the simulator's own rate limiter answered (not injected by a fault)."""
    return sum(1 for a in sim.state.send_attempts if a.status == 429 and a.fault is None)


@pytest.fixture
async def fast_sim(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """A simulator with higher limits, so bursts take a fraction of a second."""
    async with run_simulator(sms_rate_limit=FAST_SMS, mms_rate_limit=FAST_MMS) as sim:
        yield sim


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink backoff and the reconciliation delay, keeping their order of magnitude apart."""
    monkeypatch.setattr(pacing, "BACKOFF_BASE", 0.02)
    monkeypatch.setattr(outbox_module, "RECONCILE_DELAY", 0.3)
    monkeypatch.setattr(outbox_module, "SAVE_DELAY", 0.05)


@pytest.fixture
async def start_outbox(hass: HomeAssistant) -> AsyncIterator[StartOutbox]:
    """Start outboxes on the entry's store; every one is stopped after the test."""
    started: list[Outbox] = []

    async def start(
        sim_url: str,
        *,
        outcomes: Outcomes | None = None,
        secret_key: str = SECRET_KEY,
        **options: Any,
    ) -> tuple[Outbox, Outcomes]:
        outcomes = outcomes or Outcomes()
        client = FlowrouteClient(
            ACCESS_KEY, secret_key, session=async_get_clientsession(hass), base_url=sim_url
        )
        outbox = Outbox(
            hass,
            MockConfigEntry(domain=DOMAIN, entry_id=ENTRY_ID),
            client,
            reporter=outcomes,
            **options,
        )
        await outbox.async_start()
        started.append(outbox)
        return outbox, outcomes

    yield start
    for outbox in started:
        await outbox.async_stop()


# Sending


async def test_burst_stays_within_the_limits(
    fast_sim: RunningSimulator, start_outbox: StartOutbox
) -> None:
    """SMS and MMS lanes run side by side; the simulator's limiter never has to refuse."""
    picture = fast_sim.inject_inbound(from_=handset(0), to=DID_1, media=[InboundMedia()])
    outbox, outcomes = await start_outbox(
        fast_sim.url, sms_per_second=FAST_SMS, mms_per_second=FAST_MMS
    )
    messages = [sms(i) for i in range(3 * FAST_SMS)]
    messages += [
        OutboundMessage(
            to=handset(i),
            from_did=DID_2,
            body="",
            media_urls=(picture.media[0].url,),
            is_mms=True,
        )
        for i in range(2 * FAST_MMS)
    ]
    futures = [await outbox.async_submit(message) for message in messages]
    ids = await asyncio.gather(*futures)

    assert len(set(ids)) == len(messages)
    records = fast_sim.state.sent_messages()
    assert sorted(r.message_id for r in records) == sorted(ids)
    assert sum(r.is_mms for r in records) == 2 * FAST_MMS
    assert [a.status for a in fast_sim.state.send_attempts] == [202] * len(messages)
    assert sorted(outcomes.sent) == sorted(zip((m.id for m in messages), ids, strict=True))
    assert outbox.pending == 0


async def test_submit_saves_before_returning(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    fast_sim: RunningSimulator,
    start_outbox: StartOutbox,
    quick_retries: None,
) -> None:
    outbox, _ = await start_outbox(fast_sim.url)
    message = sms(1)
    future = await outbox.async_submit(message)
    assert not future.done()
    assert [m["id"] for m in hass_storage[STORE_KEY]["data"]["messages"]] == [message.id]
    assert outbox.pending == 1

    message_id = await future
    # Removed from storage a moment later, without waiting for a stop.
    await wait_until(lambda: hass_storage[STORE_KEY]["data"]["messages"] == [])
    assert [item[0] for item in hass_storage[STORE_KEY]["data"]["accepted"]] == [message_id]

    await async_remove_entry_stores(hass, ENTRY_ID)
    assert STORE_KEY not in hass_storage


async def test_claimed_ids_are_bounded(
    hass_storage: dict[str, Any],
    fast_sim: RunningSimulator,
    start_outbox: StartOutbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_module, "ACCEPTED_IDS_MAX", 2)
    outbox, _ = await start_outbox(fast_sim.url)
    ids = [await (await outbox.async_submit(sms(i))) for i in range(3)]
    await outbox.async_stop()
    assert [item[0] for item in hass_storage[STORE_KEY]["data"]["accepted"]] == ids[1:]


async def test_restart_in_the_middle_of_a_burst(
    hass_storage: dict[str, Any],
    fast_sim: RunningSimulator,
    start_outbox: StartOutbox,
    quick_retries: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stop with requests cut off in flight, start a new outbox: none lost, none twice."""
    # Requests held 0.5 s are recorded by the simulator after we gave up on them; the
    # reconciliation looks only later, as it waits for Flowroute in real life.
    monkeypatch.setattr(outbox_module, "RECONCILE_DELAY", 1.0)
    total = 4 * FAST_SMS
    first, outcomes = await start_outbox(fast_sim.url, sms_per_second=FAST_SMS)
    messages = [sms(i) for i in range(total)]
    futures = [await first.async_submit(message) for message in messages]
    await wait_until(lambda: len(outcomes.sent) >= FAST_SMS)
    # Hold the next few requests in the simulator, which records them after we gave up.
    fast_sim.add_fault(Fault(kind=FaultKind.SLOW, target=FaultTarget.SEND_SMS, count=3, delay=0.5))
    await wait_until(lambda: not fast_sim.state.faults.active(now=time.monotonic()))
    await first.async_stop()

    stored = hass_storage[STORE_KEY]["data"]["messages"]
    assert 0 < len(stored) < total
    assert sum(item["outcome_unknown"] for item in stored) >= 3
    assert all(f.cancelled() for f in futures if not f.done())

    second, _ = await start_outbox(fast_sim.url, sms_per_second=FAST_SMS, outcomes=outcomes)
    assert second.pending == len(stored)
    await wait_until(lambda: second.pending == 0)

    assert sorted(sent_bodies(fast_sim)) == sorted(m.body for m in messages)
    assert sorted(local for local, _ in outcomes.sent) == sorted(m.id for m in messages)
    assert len({message_id for _, message_id in outcomes.sent}) == total
    assert outcomes.failed == []


async def test_crash_after_acceptance_does_not_send_twice(
    hass_storage: dict[str, Any],
    fast_sim: RunningSimulator,
    start_outbox: StartOutbox,
    quick_retries: None,
) -> None:
    """The store is written before each attempt: a crash before the removal is saved
    leaves the message marked unknown, and it is reconciled instead of resent."""
    crashed: dict[str, Any] = {}

    class Crash(Outcomes):
        def async_accepted(self, message: OutboundMessage, message_id: str) -> None:
            super().async_accepted(message, message_id)
            crashed.update(copy.deepcopy(hass_storage[STORE_KEY]))

    first, outcomes = await start_outbox(fast_sim.url, outcomes=Crash())
    message = sms(1)
    message_id = await (await first.async_submit(message))
    await first.async_stop()
    assert crashed["data"]["messages"][0]["outcome_unknown"] is True

    hass_storage[STORE_KEY] = crashed  # what the disk held when the power went
    second, outcomes = await start_outbox(fast_sim.url)
    await wait_until(lambda: second.pending == 0)

    assert outcomes.sent == [(message.id, message_id)]
    assert len(fast_sim.state.send_attempts) == 1


async def test_lost_reply_is_reconciled(
    fast_sim: RunningSimulator, start_outbox: StartOutbox, quick_retries: None
) -> None:
    """Flowroute took the message but the reply was lost: its record is found, no resend.

    An identical message accepted earlier must not be mistaken for it.
    """
    outbox, _ = await start_outbox(fast_sim.url)
    earlier = await (await outbox.async_submit(sms(1, "Garage door is open")))
    fast_sim.add_fault(Fault(kind=FaultKind.LOST_REPLY, target=FaultTarget.SEND_SMS, count=1))
    message = sms(1, "Garage door is open")

    message_id = await (await outbox.async_submit(message))

    records = fast_sim.state.sent_messages()
    assert [r.message_id for r in records] == [earlier, message_id]
    assert [a.fault for a in fast_sim.state.send_attempts] == [None, "lost_reply"]
    assert message.attempts == 1


async def test_dropped_request_is_sent_again(
    fast_sim: RunningSimulator, start_outbox: StartOutbox, quick_retries: None
) -> None:
    """The connection dropped before Flowroute processed it: no record, so it is resent.

    An identical message accepted earlier is already claimed and does not count.
    """
    outbox, _ = await start_outbox(fast_sim.url)
    earlier = await (await outbox.async_submit(sms(1, "Garage door is open")))
    fast_sim.add_fault(Fault(kind=FaultKind.DROP, target=FaultTarget.SEND_SMS, count=1))
    message = sms(1, "Garage door is open")

    message_id = await (await outbox.async_submit(message))

    assert [r.message_id for r in fast_sim.state.sent_messages()] == [earlier, message_id]
    assert [a.status for a in fast_sim.state.send_attempts] == [202, None, 202]
    assert message.attempts == 2


async def test_reconciliation_retries_when_records_fail(
    fast_sim: RunningSimulator, start_outbox: StartOutbox, quick_retries: None
) -> None:
    outbox, _ = await start_outbox(fast_sim.url)
    fast_sim.add_fault(Fault(kind=FaultKind.LOST_REPLY, target=FaultTarget.SEND_SMS, count=1))
    fast_sim.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.RECORDS, count=2))

    message_id = await (await outbox.async_submit(sms(1)))

    assert [r.message_id for r in fast_sim.state.sent_messages()] == [message_id]
    assert len(fast_sim.state.send_attempts) == 1


async def test_unreachable_flowroute_is_retried(
    start_outbox: StartOutbox, socket_enabled: None, quick_retries: None
) -> None:
    """Connection refused (the request certainly never left): retried until Flowroute is up."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    outbox, outcomes = await start_outbox(url)
    message = sms(1)
    future = await outbox.async_submit(message)
    await wait_until(lambda: message.attempts >= 2)
    assert not future.done()

    sim = RunningSimulator([DEFAULT_ACCOUNT], TEST_SETTINGS)
    async with serve(sim, port=port):
        message_id = await future
        assert [r.message_id for r in sim.state.sent_messages()] == [message_id]
        # Refused attempts never reached it, and none was mistaken for a lost reply.
        assert len(sim.state.send_attempts) == 1
    assert outcomes.failed == []


async def test_server_error_is_retried(
    fast_sim: RunningSimulator, start_outbox: StartOutbox, quick_retries: None
) -> None:
    outbox, _ = await start_outbox(fast_sim.url)
    fast_sim.add_fault(
        Fault(kind=FaultKind.STATUS, status=500, target=FaultTarget.SEND_SMS, count=2)
    )
    message = sms(1)
    message_id = await (await outbox.async_submit(message))
    assert [a.status for a in fast_sim.state.send_attempts] == [500, 500, 202]
    assert [r.message_id for r in fast_sim.state.sent_messages()] == [message_id]
    assert message.attempts == 3


@dataclass(frozen=True)
class Refusal:
    setup: str | None
    from_number: str
    error: type[FlowrouteError]
    code: int | None


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param(Refusal("opted_out", DID_1, FlowrouteRequestRejectedError, 1110), id="1110"),
        pytest.param(Refusal(None, NOT_ENABLED_DID, FlowrouteForbiddenError, None), id="403"),
        pytest.param(Refusal("422", DID_1, FlowrouteRequestRejectedError, None), id="422"),
    ],
)
async def test_permanent_refusal_fails_at_once(
    fast_sim: RunningSimulator, start_outbox: StartOutbox, quick_retries: None, refusal: Refusal
) -> None:
    """A 4xx is never retried; the messages behind it still go."""
    if refusal.setup == "opted_out":
        fast_sim.inject_inbound(from_=handset(1), to=DID_1, body="STOP")
    elif refusal.setup == "422":
        fast_sim.add_fault(
            Fault(kind=FaultKind.STATUS, status=422, target=FaultTarget.SEND_SMS, count=1)
        )
    outbox, outcomes = await start_outbox(fast_sim.url)
    message = OutboundMessage(to=handset(1), from_did=refusal.from_number, body="Hello")
    failing = await outbox.async_submit(message)
    following = await outbox.async_submit(sms(2))

    with pytest.raises(refusal.error) as raised:
        await failing
    await following

    assert raised.value.code == refusal.code
    assert outcomes.failed == [(message, FailureReason.REJECTED, raised.value)]
    assert outcomes.auth_failures == 0
    assert message.attempts == 1
    assert len(fast_sim.state.send_attempts) == 2
    assert len(fast_sim.state.sent_messages()) == 1


async def test_authentication_failure(
    fast_sim: RunningSimulator, start_outbox: StartOutbox
) -> None:
    outbox, outcomes = await start_outbox(fast_sim.url, secret_key="wrong")
    message = sms(1)
    with pytest.raises(FlowrouteAuthenticationError) as raised:
        await (await outbox.async_submit(message))
    assert outcomes.auth_failures == 1
    assert outcomes.failed == [(message, FailureReason.REJECTED, raised.value)]
    assert len(fast_sim.state.send_attempts) == 1
    assert outbox.pending == 0


async def test_message_expires_at_the_horizon(
    fast_sim: RunningSimulator, start_outbox: StartOutbox, quick_retries: None
) -> None:
    fast_sim.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.SEND_SMS))
    outbox, outcomes = await start_outbox(fast_sim.url, horizon=timedelta(seconds=0.5))
    message = sms(1)
    started = time.time()
    with pytest.raises(OutboxExpiredError) as raised:
        await (await outbox.async_submit(message))

    assert time.time() - started >= 0.5
    assert isinstance(raised.value.last_error, FlowrouteUnavailableError)
    assert outcomes.failed == [(message, FailureReason.EXPIRED, raised.value.last_error)]
    assert message.attempts >= 2
    assert fast_sim.state.sent_messages() == []
    assert outbox.pending == 0


@pytest.mark.parametrize(
    ("faults", "last_error"),
    [
        pytest.param(
            [Fault(kind=FaultKind.DROP, target=FaultTarget.SEND_SMS, count=1)],
            FlowrouteConnectionError,
            id="not-found",
        ),
        pytest.param(
            [
                Fault(kind=FaultKind.LOST_REPLY, target=FaultTarget.SEND_SMS, count=1),
                Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.RECORDS),
            ],
            FlowrouteUnavailableError,
            id="records-unavailable",
        ),
    ],
)
async def test_unknown_outcome_expires_at_the_horizon(
    fast_sim: RunningSimulator,
    start_outbox: StartOutbox,
    quick_retries: None,
    faults: list[Fault],
    last_error: type[FlowrouteError],
) -> None:
    """Past the horizon an unanswered attempt is neither resent nor reconciled further."""
    for fault in faults:
        fast_sim.add_fault(fault)
    outbox, outcomes = await start_outbox(fast_sim.url, horizon=timedelta(seconds=0.2))
    message = sms(1)
    with pytest.raises(OutboxExpiredError) as raised:
        await (await outbox.async_submit(message))
    assert isinstance(raised.value.last_error, last_error)
    assert outcomes.failed == [(message, FailureReason.EXPIRED, raised.value.last_error)]
    assert len(fast_sim.state.send_attempts) == 1


async def test_stored_message_past_the_horizon_is_dropped(
    hass_storage: dict[str, Any], fast_sim: RunningSimulator, start_outbox: StartOutbox
) -> None:
    old = sms(1, created_at=time.time() - 3 * 3600)
    fresh = sms(2)
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {"messages": [old.to_dict(), fresh.to_dict()], "accepted": []},
    }
    outbox, outcomes = await start_outbox(fast_sim.url, horizon=timedelta(hours=2))
    await wait_until(lambda: outbox.pending == 0)

    assert [(m.id, reason, err) for m, reason, err in outcomes.failed] == [
        (old.id, FailureReason.EXPIRED, None)
    ]
    assert [local for local, _ in outcomes.sent] == [fresh.id]
    assert sent_bodies(fast_sim) == [fresh.body]


async def test_retry_after_is_honoured(
    fast_sim: RunningSimulator, start_outbox: StartOutbox, quick_retries: None
) -> None:
    """With backoff shrunk to milliseconds, only Retry-After explains the wait."""
    fast_sim.add_fault(
        Fault(kind=FaultKind.RATE_LIMITED, target=FaultTarget.SEND_SMS, count=1, retry_after=1)
    )
    outbox, _ = await start_outbox(fast_sim.url)
    futures = [await outbox.async_submit(sms(0))]
    await wait_until(lambda: len(fast_sim.state.send_attempts) == 1)
    futures += [await outbox.async_submit(sms(i)) for i in (1, 2)]
    await asyncio.gather(*futures)

    attempts = fast_sim.state.send_attempts
    assert [a.status for a in attempts] == [429, 202, 202, 202]
    # The whole lane waited, not just the refused message.
    assert all((a.timestamp - attempts[0].timestamp).total_seconds() >= 1.0 for a in attempts[1:])
    assert len(fast_sim.state.sent_messages()) == 3


async def test_outbox_refuses_work_when_stopped(
    fast_sim: RunningSimulator, start_outbox: StartOutbox
) -> None:
    outbox, _ = await start_outbox(fast_sim.url)
    message = sms(1)
    future = await outbox.async_submit(message)
    with pytest.raises(ValueError, match="already queued"):
        await outbox.async_submit(message)
    await future
    await outbox.async_stop()
    with pytest.raises(RuntimeError, match="not running"):
        await outbox.async_submit(sms(3))
    with pytest.raises(RuntimeError, match="create a new one"):
        await outbox.async_start()


# What protects people: the opt-out check, and nothing reported queued that is not saved


async def test_a_message_may_send_refuses_never_leaves(
    fast_sim: RunningSimulator, start_outbox: StartOutbox
) -> None:
    """The check right before each attempt (the opt-out list) is the last word."""
    gate = Gate(opted_out=lambda _: True)
    outbox, outcomes = await start_outbox(fast_sim.url, gate=gate)
    message = sms(1)
    with pytest.raises(RecipientOptedOutError):
        await (await outbox.async_submit(message))

    assert gate.asked == [(message.from_did, message.to)]
    assert outcomes.failed == [(message, FailureReason.OPTED_OUT, None)]
    assert message.attempts == 0
    assert fast_sim.state.send_attempts == []
    assert fast_sim.state.sent_messages() == []
    assert outbox.pending == 0


async def test_a_held_outbox_keeps_its_queue_and_sends_nothing(
    hass_storage: dict[str, Any], fast_sim: RunningSimulator, start_outbox: StartOutbox
) -> None:
    """While the opt-out list cannot be read, messages wait (in storage too); none fails."""
    holds: list[bool] = []

    def held() -> bool:
        holds.append(True)
        return True

    first, outcomes = await start_outbox(fast_sim.url, gate=Gate(readable=held))
    message = sms(1)
    future = await first.async_submit(message)
    await wait_until(lambda: len(holds) >= 2)  # asked at the start and for the new message
    await first.async_stop()
    assert future.cancelled()
    assert fast_sim.state.send_attempts == []
    assert outcomes.failed == []
    [stored] = hass_storage[STORE_KEY]["data"]["messages"]
    assert (stored["id"], stored["outcome_unknown"]) == (message.id, False)

    second, outcomes = await start_outbox(fast_sim.url, outcomes=outcomes)
    await wait_until(lambda: second.pending == 0)
    assert [local for local, _ in outcomes.sent] == [message.id]
    assert len(fast_sim.state.send_attempts) == 1


async def test_a_message_that_cannot_be_saved_is_not_queued(
    hass_storage: dict[str, Any], fast_sim: RunningSimulator, start_outbox: StartOutbox
) -> None:
    outbox, _ = await start_outbox(fast_sim.url)
    lost = sms(1, "disk full")
    with (
        patch.object(Store, "_async_write_data", side_effect=WriteError("No space left")),
        pytest.raises(OutboxNotSavedError) as raised,
    ):
        await outbox.async_submit(lost)
    assert raised.value.message is lost
    assert outbox.pending == 0

    # Writes work again: the next message goes, the refused one never does.
    kept = sms(2, "disk has room")
    await (await outbox.async_submit(kept))
    assert sent_bodies(fast_sim) == ["disk has room"]
    assert [m["id"] for m in hass_storage[STORE_KEY]["data"]["messages"]] == [kept.id]


async def test_no_attempt_without_the_write_ahead(
    hass_storage: dict[str, Any],
    fast_sim: RunningSimulator,
    start_outbox: StartOutbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The write before an attempt failed: a crash could resend blindly, so no attempt yet."""
    monkeypatch.setattr(outbox_module, "WRITE_RETRY_DELAY", 0.05)
    real_write = Store._async_write_data
    failed_writes: list[bool] = []
    disk_full = True

    async def write(store: Store[Any], *args: Any) -> None:
        if disk_full and store.key == STORE_KEY:
            failed_writes.append(True)
            raise WriteError("No space left")
        await real_write(store, *args)

    outbox, outcomes = await start_outbox(fast_sim.url)
    message = sms(1)
    future = await outbox.async_submit(message)  # saved: the disk was still fine
    with patch.object(Store, "_async_write_data", write):
        await wait_until(lambda: len(failed_writes) >= 3)  # the lane tried, and again
        assert fast_sim.state.send_attempts == []
        assert message.attempts == 0
        disk_full = False
        message_id = await future
    assert [r.message_id for r in fast_sim.state.sent_messages()] == [message_id]
    assert len(fast_sim.state.send_attempts) == 1
    assert outcomes.failed == []


async def test_a_caller_cancelled_during_the_save_cancels_the_message(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    fast_sim: RunningSimulator,
    start_outbox: StartOutbox,
) -> None:
    """An automation in `mode: restart` cancels its action while the outbox writes."""
    real_write = EntryStore._async_write_data
    writing = asyncio.Event()
    disk = asyncio.Event()

    async def slow_write(store: EntryStore[Any], *args: Any) -> None:
        if store.key == STORE_KEY and not disk.is_set():
            writing.set()
            await disk.wait()
        await real_write(store, *args)

    first, _ = await start_outbox(fast_sim.url)
    cancelled = sms(1, "from a cancelled run")
    with patch.object(EntryStore, "_async_write_data", slow_write):
        caller = hass.async_create_task(first.async_submit(cancelled))
        await writing.wait()
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller  # at once: the write is still held up
        assert first.pending == 0
        disk.set()
        # Written with it (the write had begun), then again without it.
        await wait_until(
            lambda: STORE_KEY in hass_storage and hass_storage[STORE_KEY]["data"]["messages"] == []
        )

    # Not even after a reload.
    await first.async_stop()
    assert hass_storage[STORE_KEY]["data"]["messages"] == []
    second, outcomes = await start_outbox(fast_sim.url)
    assert second.pending == 0
    after = sms(2, "after the reload")
    await (await second.async_submit(after))
    assert sent_bodies(fast_sim) == ["after the reload"]
    assert [local for local, _ in outcomes.sent] == [after.id]


def test_message_round_trips_through_storage() -> None:
    message = OutboundMessage(
        to=handset(1),
        from_did=DID_1,
        body="",
        media_urls=("https://example.org/a.png",),
        is_mms=True,
        dlr_callback="https://ha.example.org/api/webhook/x",
        attempts=2,
        outcome_unknown=True,
    )
    assert OutboundMessage.from_dict(message.to_dict()) == message


# The acceptance test: default limits, a 30 s outage and a 429 storm.


@pytest.mark.timeout(180)
async def test_burst_survives_outage_and_429_storm(
    simulator: RunningSimulator, start_outbox: StartOutbox
) -> None:
    """200 SMS at the default limits through a 30 s 503 window and a 429 storm.

    Exactly 200 messages reach the simulator, none twice, and its own rate limiter never
    has to answer 429: every 429 is one the storm injected.
    """
    total = 200
    outbox, outcomes = await start_outbox(simulator.url)
    messages = [sms(i % 50, f"burst {i}") for i in range(total)]
    futures = [await outbox.async_submit(message) for message in messages]

    await wait_until(lambda: len(outcomes.sent) >= 10)
    simulator.add_fault(Fault(kind=FaultKind.UNAVAILABLE, target=FaultTarget.SENDS, duration=30))
    accepted_before = len(outcomes.sent)
    await wait_until(lambda: len(outcomes.sent) >= accepted_before + 20, within=120)
    simulator.add_fault(Fault(kind=FaultKind.RATE_LIMITED, target=FaultTarget.SENDS, duration=3))
    ids = await asyncio.gather(*futures)

    assert len(set(ids)) == total
    assert sorted(sent_bodies(simulator)) == sorted(m.body for m in messages)
    faults = [a.fault for a in simulator.state.send_attempts if a.fault]
    assert "unavailable" in faults
    assert "rate_limited" in faults
    assert limiter_429s(simulator) == 0
    assert outcomes.failed == []
