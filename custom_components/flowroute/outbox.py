"""The outbox: one persistent, rate-limited send queue per Flowroute account.

Every message is written to storage before it is accepted into the queue and again
(marked `outcome_unknown`) before each attempt, so whatever stops Home Assistant, a
message is either still queued or reconciled against Flowroute's message records
before it is sent again: nothing is lost and nothing is sent twice. A write that fails
is never taken for one that worked: the message is refused (OutboxNotSavedError), or
the attempt waits until the write succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
import itertools
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypedDict
from uuid import uuid4

from homeassistant.const import EVENT_HOMEASSISTANT_STOP

from .api import (
    FlowrouteAuthenticationError,
    FlowrouteConnectionError,
    FlowrouteError,
    FlowrouteRateLimitError,
    FlowrouteResponseError,
    FlowrouteUnavailableError,
)
from .const import DEFAULT_MMS_RATE, DEFAULT_RETRY_HORIZON_HOURS, DEFAULT_SMS_RATE, DOMAIN, LOGGER
from .pacing import Attempt, LanePause, SlidingWindowLimiter, backoff_delay
from .storage import OUTBOX, StoreWriteError, entry_store

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from homeassistant.core import Event, HomeAssistant

    from .api import FlowrouteClient, MessageRecord, SentMessage
    from .storage import EntryStore

STORAGE_VERSION = 1

# A request cut off on our side may still be processed (and recorded) by Flowroute a
# moment later: look at the records only after this delay.
RECONCILE_DELAY = 5.0
# Clock skew between us and Flowroute's record timestamps.
RECONCILE_SKEW = timedelta(minutes=5)
# Completed messages are removed from storage in batches: the write before each
# attempt already guarantees a crash cannot make them send twice.
SAVE_DELAY = 1.0
# The write before an attempt failed (disk full): the lane tries again after this long.
WRITE_RETRY_DELAY = 5.0
ACCEPTED_IDS_MAX = 10_000


class FailureReason(StrEnum):
    """Why a message left the outbox without being accepted."""

    REJECTED = "rejected"  # Flowroute refused it (4xx, 401, 403): resending cannot help
    EXPIRED = "expired"  # still not accepted when the retry horizon ran out
    OPTED_OUT = "opted_out"  # the recipient opted out while the message waited


class RecipientOptedOutError(Exception):
    """The recipient opted out of the sending number before the message could go."""

    def __init__(self, message: OutboundMessage) -> None:
        """Keep the message."""
        super().__init__(f"message {message.id}: the recipient opted out")
        self.message = message


class OutboxNotSavedError(Exception):
    """A message was not queued: the outbox could not be written to storage."""

    def __init__(self, message: OutboundMessage, error: StoreWriteError) -> None:
        """Keep the message and the write error."""
        super().__init__(f"message {message.id} was not queued: {error}")
        self.message = message
        self.error = error


class OutboxExpiredError(Exception):
    """A message could not be sent within the retry horizon."""

    def __init__(self, message: OutboundMessage, last_error: FlowrouteError | None) -> None:
        """Keep the message and the error of its last attempt."""
        super().__init__(f"message {message.id} to {message.to} expired unsent: {last_error}")
        self.message = message
        self.last_error = last_error


@dataclass(slots=True, kw_only=True)
class OutboundMessage:
    """A message queued for sending; what the outbox persists."""

    to: str
    from_did: str  # one of the entry's numbers
    body: str
    media_urls: tuple[str, ...] = ()
    is_mms: bool = False
    dlr_callback: str | None = None
    id: str = field(default_factory=lambda: uuid4().hex)
    created_at: float = field(default_factory=time.time)  # wall clock: horizon, records
    attempts: int = 0
    outcome_unknown: bool = False  # an attempt may have reached Flowroute: reconcile first

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {
            "id": self.id,
            "to": self.to,
            "from_number": self.from_did,  # the stored name since the first version
            "body": self.body,
            "media_urls": list(self.media_urls),
            "is_mms": self.is_mms,
            "dlr_callback": self.dlr_callback,
            "created_at": self.created_at,
            "attempts": self.attempts,
            "outcome_unknown": self.outcome_unknown,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboundMessage:
        """Rebuild a message from `to_dict` output."""
        return cls(
            id=str(data["id"]),
            to=str(data["to"]),
            from_did=str(data["from_number"]),
            body=str(data["body"]),
            media_urls=tuple(str(url) for url in data["media_urls"]),
            is_mms=bool(data["is_mms"]),
            dlr_callback=data["dlr_callback"],
            created_at=float(data["created_at"]),
            attempts=int(data["attempts"]),
            outcome_unknown=bool(data["outcome_unknown"]),
        )


class OutboxReporter(Protocol):
    """Hears the outcome of every message (outcomes.SendOutcomes)."""

    def async_accepted(self, message: OutboundMessage, message_id: str) -> None:
        """Report that Flowroute accepted `message` as `message_id`."""

    def async_failed(
        self, message: OutboundMessage, reason: FailureReason, error: FlowrouteError | None
    ) -> None:
        """Report that the outbox gave up on `message`."""

    def async_auth_failed(self) -> None:
        """Report that Flowroute refused the keys."""


class SendGate(Protocol):
    """Who may be texted (opt_out.OptOutList)."""

    @property
    def available(self) -> bool:
        """False while nobody may be texted (the list cannot be read)."""

    def is_opted_out(self, did: str, number: str) -> bool:
        """Whether `number` must not get texts from `did`."""


class OutboxEntry(Protocol):
    """What the outbox needs of its config entry."""

    @property
    def entry_id(self) -> str:
        """The config entry id (names the store)."""

    def async_create_background_task[R](
        self,
        hass: HomeAssistant,
        target: Coroutine[Any, Any, R],
        name: str,
        eager_start: bool = True,
    ) -> asyncio.Task[R]:
        """Start a task that the entry cancels when it is unloaded."""

    def async_on_unload(self, func: Callable[[], Coroutine[Any, Any, None] | None]) -> None:
        """Run `func` when the entry is unloaded."""


class _StoredData(TypedDict):
    messages: list[dict[str, Any]]
    accepted: list[tuple[str, float]]  # recently accepted message ids, oldest first


@dataclass(slots=True)
class _Pending:
    """A message in the outbox with its runtime state."""

    message: OutboundMessage
    seq: int  # FIFO position
    future: asyncio.Future[str] | None
    last_error: FlowrouteError | None = None
    reconcile_failures: int = 0


class _Lane:
    """Scheduling state of one send endpoint (SMS or MMS): FIFO, limiter, pause."""

    def __init__(self, name: str, rate: float, clock: Callable[[], float]) -> None:
        self.name = name
        self.limiter = SlidingWindowLimiter(rate, clock=clock)
        # Enough requests in flight that round trips do not cap the rate.
        self.slots = asyncio.Semaphore(math.ceil(rate))
        self.ready: list[tuple[int, str]] = []  # heap of (seq, message id)
        self.later: list[tuple[float, int, str]] = []  # heap of (due time, seq, message id)
        self.wake = asyncio.Event()
        self.pause = LanePause()

    def push(self, pending: _Pending) -> None:
        heapq.heappush(self.ready, (pending.seq, pending.message.id))
        self.wake.set()

    def push_later(self, pending: _Pending, due: float) -> None:
        heapq.heappush(self.later, (due, pending.seq, pending.message.id))
        self.wake.set()

    def pop_ready(self, now: float) -> str | None:
        """Return the oldest message that may go now."""
        while self.later and self.later[0][0] <= now:
            _, seq, message_id = heapq.heappop(self.later)
            heapq.heappush(self.ready, (seq, message_id))
        return heapq.heappop(self.ready)[1] if self.ready else None


async def _async_wait_event(event: asyncio.Event, at_most: float | None) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(at_most):
            await event.wait()


def _retrieve_exception(future: asyncio.Future[str]) -> None:
    # Failures are also reported through on_failed; a caller that stopped waiting
    # (the action returned "queued") must not make asyncio log the error as lost.
    if not future.cancelled():
        future.exception()


class Outbox:
    """A persistent, rate-limited send queue for one Flowroute account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: OutboxEntry,
        client: FlowrouteClient,
        *,
        sms_per_second: float = DEFAULT_SMS_RATE,
        mms_per_second: float = DEFAULT_MMS_RATE,
        horizon: timedelta = timedelta(hours=DEFAULT_RETRY_HORIZON_HOURS),
        reporter: OutboxReporter | None = None,
        gate: SendGate | None = None,
    ) -> None:
        """Prepare the queue; nothing runs before `async_start`.

        `reporter` hears the outcome of every message (outcomes.SendOutcomes). `gate` (the
        opt-out list) is asked right before each attempt: a message to a recipient who
        opted out fails with FailureReason.OPTED_OUT and is never sent; while the gate is
        not available (the list cannot be read) nothing is sent and nothing fails: the
        queue waits, in storage too, for an outbox that may send.
        """
        self._hass = hass
        self._entry = entry
        self._client = client
        self._horizon = horizon.total_seconds()
        self._reporter = reporter
        self._gate = gate
        self._store: EntryStore[_StoredData] = entry_store(
            hass, entry.entry_id, OUTBOX, STORAGE_VERSION
        )
        self._write_failing = False
        clock = hass.loop.time
        self._clock = clock
        self._sms = _Lane("sms", sms_per_second, clock)
        self._mms = _Lane("mms", mms_per_second, clock)
        self._pending: dict[str, _Pending] = {}
        self._accepted: dict[str, float] = {}  # message id -> wall time, oldest first
        self._seq = itertools.count()
        self._lane_tasks: list[asyncio.Task[None]] = []
        self._jobs: set[asyncio.Task[None]] = set()
        self._running = False
        self._stopped = False

    @property
    def pending(self) -> int:
        """Messages not yet accepted or failed (queued, in flight or being reconciled)."""
        return len(self._pending)

    def waiting(self) -> list[tuple[OutboundMessage, FlowrouteError | None]]:
        """Return the pending messages, oldest first, each with its last error (diagnostics)."""
        pending = sorted(self._pending.values(), key=lambda item: item.seq)
        return [(item.message, item.last_error) for item in pending]

    async def async_start(self) -> None:
        """Load what a previous run left in storage and start sending.

        It stops (and saves) when its entry is unloaded, and when Home Assistant stops:
        entries are not unloaded then.
        """
        if self._stopped:
            raise RuntimeError("a stopped outbox cannot start again: create a new one")
        if self._running:
            return
        if stored := await self._store.async_load():
            self._accepted = {message_id: float(at) for message_id, at in stored["accepted"]}
            for item in stored["messages"]:
                message = OutboundMessage.from_dict(item)
                pending = self._add(message, None, queue=not message.outcome_unknown)
                if message.outcome_unknown:
                    # The cut-off request may still be on its way into Flowroute's records.
                    self._lane(message).push_later(pending, self._clock() + RECONCILE_DELAY)
            LOGGER.debug("Outbox %s resumes %d messages", self._entry.entry_id, self.pending)
        self._running = True
        for lane in (self._sms, self._mms):
            lane.wake.set()
            self._lane_tasks.append(
                self._entry.async_create_background_task(
                    self._hass,
                    self._async_run_lane(lane),
                    f"{DOMAIN} outbox {lane.name} {self._entry.entry_id}",
                )
            )
        self._entry.async_on_unload(self.async_stop)
        self._entry.async_on_unload(
            self._hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_stop_at_exit)
        )

    async def _async_stop_at_exit(self, _: Event) -> None:
        await self.async_stop()

    async def async_stop(self) -> None:
        """Stop sending and save everything not yet accepted, for the next start.

        Requests cut off in flight keep `outcome_unknown` and are reconciled after the
        next start. Futures of messages still queued are cancelled.
        """
        self._running = False
        self._stopped = True
        tasks = [*self._lane_tasks, *self._jobs]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._lane_tasks.clear()
        for pending in self._pending.values():
            if pending.future is not None:
                pending.future.cancel()
        await self._store.async_save(self._snapshot())

    async def async_submit(self, message: OutboundMessage) -> asyncio.Future[str]:
        """Queue `message` once it is saved; return a future of Flowroute's message id.

        Raises OutboxNotSavedError when the save failed: the message is not queued. A
        caller cancelled during the save cancels the message too: it is removed, and
        saved away in the background (the cancellation is not held up by a write).

        The future fails with the permanent FlowrouteError (rejected, forbidden,
        authentication) or OutboxExpiredError, and never while the message is retrying.
        Wait on it with asyncio.wait or asyncio.shield: wait_for would cancel it.
        """
        if not self._running:
            raise RuntimeError("the outbox is not running")
        if message.id in self._pending:
            raise ValueError(f"message {message.id} is already queued")
        future: asyncio.Future[str] = self._hass.loop.create_future()
        future.add_done_callback(_retrieve_exception)
        pending = self._add(message, future, queue=False)
        try:
            await self._async_save_now()
        except StoreWriteError as err:
            del self._pending[message.id]
            raise OutboxNotSavedError(message, err) from err
        except asyncio.CancelledError:
            # The shielded write goes on with the message in it: write again after it.
            del self._pending[message.id]
            self._entry.async_create_background_task(
                self._hass,
                self._async_save_dropped(),
                f"{DOMAIN} outbox {self._entry.entry_id} save",
            )
            raise
        self._lane(message).push(pending)
        return future

    def _add(
        self, message: OutboundMessage, future: asyncio.Future[str] | None, *, queue: bool = True
    ) -> _Pending:
        pending = _Pending(message, next(self._seq), future)
        self._pending[message.id] = pending
        if queue:
            self._lane(message).push(pending)
        return pending

    def _lane(self, message: OutboundMessage) -> _Lane:
        return self._mms if message.is_mms else self._sms

    # Scheduling

    async def _async_run_lane(self, lane: _Lane) -> None:
        """Start jobs (sends and reconciliations) in order, within the lane's limits."""
        while True:
            await lane.slots.acquire()
            try:
                job = await self._async_next_job(lane)
            except BaseException:
                lane.slots.release()
                raise
            task = self._entry.async_create_background_task(
                self._hass, job, f"{DOMAIN} outbox {lane.name} job"
            )
            self._jobs.add(task)
            task.add_done_callback(functools.partial(self._job_done, lane))

    def _job_done(self, lane: _Lane, task: asyncio.Task[None]) -> None:
        self._jobs.discard(task)
        lane.slots.release()
        if not task.cancelled() and (err := task.exception()) is not None:
            LOGGER.error("Outbox %s job failed", lane.name, exc_info=err)

    async def _async_next_job(self, lane: _Lane) -> Coroutine[Any, Any, None]:
        """Wait for the next message that may go; return the job that sends or checks it."""
        while True:
            pending = await self._async_next_pending(lane)
            message = pending.message
            if message.outcome_unknown:
                return self._async_reconcile(lane, pending)
            if self._expired(message):
                self._fail(pending, FailureReason.EXPIRED, pending.last_error)
                continue
            # Write ahead: from here on a crash must not lead to a blind resend.
            message.outcome_unknown = True
            try:
                await self._async_save_now()
                # Polled: a reply to a request in flight may extend the pause meanwhile.
                while (delay := self._lane_delay(lane)) > 0:  # noqa: ASYNC110
                    await asyncio.sleep(delay)
            except StoreWriteError:
                # Not on disk: an attempt now could be sent again blindly after a crash.
                message.outcome_unknown = False
                lane.push(pending)
                await asyncio.sleep(WRITE_RETRY_DELAY)
                continue
            except asyncio.CancelledError:
                message.outcome_unknown = False  # stopping: this attempt never started
                raise
            if self._is_held():
                message.outcome_unknown = False
                lane.push(pending)
                self._save_soon()
                continue
            # Asked last, right before the request: a STOP may arrive while the lane waits.
            if self._gate is not None and self._gate.is_opted_out(message.from_did, message.to):
                message.outcome_unknown = False
                self._fail(pending, FailureReason.OPTED_OUT, None)
                continue
            attempt = lane.limiter.record()
            message.attempts += 1
            return self._async_send(lane, pending, attempt)

    def _lane_delay(self, lane: _Lane) -> float:
        """Seconds until the lane may make an attempt: its pause and its rate limit."""
        return max(lane.pause.until - self._clock(), lane.limiter.delay())

    def _is_held(self) -> bool:
        return self._gate is not None and not self._gate.available

    async def _async_next_pending(self, lane: _Lane) -> _Pending:
        while True:
            lane.wake.clear()
            if self._is_held():
                # Only a reload makes the opt-out list readable again: a new outbox sends.
                await lane.wake.wait()
                continue
            now = self._clock()
            if (message_id := lane.pop_ready(now)) is not None:
                return self._pending[message_id]
            await _async_wait_event(lane.wake, lane.later[0][0] - now if lane.later else None)

    # Jobs

    async def _async_send(self, lane: _Lane, pending: _Pending, attempt: Attempt) -> None:
        """Make one attempt and decide what comes next."""
        try:
            sent = await self._async_post(pending.message)
        except FlowrouteError as err:
            self._attempt_failed(lane, pending, err, attempt.start)
        else:
            if lane.pause.recovered():
                LOGGER.info("Flowroute accepts %s again", lane.name.upper())
            self._accept(pending, sent.message_id)
        finally:
            lane.limiter.settle(attempt)

    async def _async_post(self, message: OutboundMessage) -> SentMessage:
        if message.is_mms:
            return await self._client.send_mms(
                to=message.to,
                from_=message.from_did,
                body=message.body or None,
                media_urls=message.media_urls,
                dlr_callback=message.dlr_callback,
            )
        return await self._client.send_sms(
            to=message.to,
            from_=message.from_did,
            body=message.body,
            dlr_callback=message.dlr_callback,
        )

    def _attempt_failed(
        self, lane: _Lane, pending: _Pending, err: FlowrouteError, started: float
    ) -> None:
        """Retry what can be retried, reconcile what may have gone through, fail the rest."""
        match err:
            case FlowrouteRateLimitError():
                self._retry(lane, pending, err, started, err.retry_after)
            case FlowrouteUnavailableError():
                self._retry(lane, pending, err, started, None)
            case FlowrouteConnectionError(may_have_reached=False):
                self._retry(lane, pending, err, started, None)
            case FlowrouteAuthenticationError():
                if self._reporter is not None:
                    self._reporter.async_auth_failed()
                self._fail(pending, FailureReason.REJECTED, err)
            case FlowrouteResponseError():  # any other 4xx, 403
                self._fail(pending, FailureReason.REJECTED, err)
            case _:
                # A lost reply, a timeout after sending, a 2xx we could not read.
                self._reconcile_later(lane, pending, err, RECONCILE_DELAY)

    async def _async_reconcile(self, lane: _Lane, pending: _Pending) -> None:
        """Find out from Flowroute's records whether an unanswered attempt took."""
        message = pending.message
        now = time.time()
        start = datetime.fromtimestamp(message.created_at, UTC) - RECONCILE_SKEW
        end = datetime.fromtimestamp(now, UTC) + RECONCILE_SKEW
        try:
            records = await self._client.list_messages(start, end)
        except FlowrouteError as err:
            if isinstance(err, FlowrouteAuthenticationError) and self._reporter is not None:
                self._reporter.async_auth_failed()
            if self._expired(message):
                self._fail(pending, FailureReason.EXPIRED, err)
                return
            pending.reconcile_failures += 1
            self._reconcile_later(lane, pending, err, backoff_delay(pending.reconcile_failures))
            return
        if (record := self._find_record(message, records)) is not None:
            LOGGER.debug("Message %s was accepted as %s", message.id, record.message_id)
            self._accept(pending, record.message_id)
            return
        message.outcome_unknown = False
        pending.reconcile_failures = 0
        if self._expired(message):
            self._fail(pending, FailureReason.EXPIRED, pending.last_error)
            return
        LOGGER.debug("Message %s never reached Flowroute; sending it again", message.id)
        lane.push(pending)
        self._save_soon()

    def _find_record(
        self, message: OutboundMessage, records: list[MessageRecord]
    ) -> MessageRecord | None:
        """Return the record of `message` that no other message of ours has claimed."""
        for record in records:
            if (
                record.direction == "outbound"
                and record.to_number == message.to
                and record.from_number == message.from_did
                and (record.body or "") == message.body
                and record.is_mms == message.is_mms
                and record.message_id not in self._accepted
            ):
                return record
        return None

    # Outcomes

    def _retry(
        self,
        lane: _Lane,
        pending: _Pending,
        err: FlowrouteError,
        started: float,
        retry_after: float | None,
    ) -> None:
        """Put the message back at its place and pause the lane (the limit is per account)."""
        pending.last_error = err
        pending.message.outcome_unknown = False
        first = not lane.pause.failures
        pause = lane.pause.pause(self._clock(), started, retry_after)
        if first:
            LOGGER.info(
                "Flowroute does not accept %s for now, retrying: %s", lane.name.upper(), err
            )
        LOGGER.debug("Outbox %s pauses %.1f s after: %s", lane.name, pause, err)
        lane.push(pending)
        self._save_soon()

    def _reconcile_later(
        self, lane: _Lane, pending: _Pending, err: FlowrouteError, delay: float
    ) -> None:
        pending.last_error = err
        pending.message.outcome_unknown = True  # already saved so before the attempt
        LOGGER.debug("Outcome of message %s unknown (%s)", pending.message.id, err)
        lane.push_later(pending, self._clock() + delay)

    def _accept(self, pending: _Pending, message_id: str) -> None:
        message = pending.message
        del self._pending[message.id]
        self._remember_accepted(message_id)
        self._save_soon()
        if pending.future is not None and not pending.future.done():
            pending.future.set_result(message_id)
        if self._reporter is not None:
            self._reporter.async_accepted(message, message_id)

    def _fail(self, pending: _Pending, reason: FailureReason, err: FlowrouteError | None) -> None:
        message = pending.message
        del self._pending[message.id]
        self._save_soon()
        LOGGER.debug("Message %s to %s failed (%s): %s", message.id, message.to, reason, err)
        if pending.future is not None and not pending.future.done():
            if reason is FailureReason.OPTED_OUT:
                pending.future.set_exception(RecipientOptedOutError(message))
            elif reason is FailureReason.EXPIRED or err is None:
                pending.future.set_exception(OutboxExpiredError(message, err))
            else:
                pending.future.set_exception(err)
        if self._reporter is not None:
            self._reporter.async_failed(message, reason, err)

    def _expired(self, message: OutboundMessage) -> bool:
        return time.time() - message.created_at > self._horizon

    # Storage

    def _remember_accepted(self, message_id: str) -> None:
        """Claim a record id, so reconciliation never matches it to another message."""
        now = time.time()
        self._accepted[message_id] = now
        # Reconciliation looks back at most this far: older ids cannot be confused.
        oldest = now - self._horizon - 2 * RECONCILE_SKEW.total_seconds()
        for old_id, accepted_at in list(self._accepted.items()):
            if len(self._accepted) <= ACCEPTED_IDS_MAX and accepted_at >= oldest:
                break
            del self._accepted[old_id]

    def _snapshot(self) -> _StoredData:
        """Return what to store, built now: the store may serialise it in another thread."""
        messages = sorted(self._pending.values(), key=lambda pending: pending.seq)
        return {
            "messages": [pending.message.to_dict() for pending in messages],
            "accepted": list(self._accepted.items()),
        }

    async def _async_save_now(self) -> None:
        """Write the outbox now; raise StoreWriteError (logged once in a row) if it failed."""
        try:
            # Shielded: a write cut off by a stop could otherwise land after the final one.
            await asyncio.shield(self._store.async_save_checked(self._snapshot()))
        except StoreWriteError as err:
            if not self._write_failing:
                self._write_failing = True
                LOGGER.error(
                    "The outbox of %s cannot be saved, so nothing new is queued or sent"
                    " until it can: %s",
                    self._entry.entry_id,
                    err.error,
                )
            raise
        if self._write_failing:
            self._write_failing = False
            LOGGER.info("The outbox of %s is saved again", self._entry.entry_id)

    async def _async_save_dropped(self) -> None:
        """Write the outbox without a message whose caller was cancelled during its save."""
        with contextlib.suppress(StoreWriteError):  # logged; the next write tries again
            await self._async_save_now()

    def _save_soon(self) -> None:
        snapshot = self._snapshot()

        def data() -> _StoredData:
            return snapshot

        self._store.async_delay_save(data, SAVE_DELAY)
