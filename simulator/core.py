"""The Simulator: Flowroute's behaviour over the state, plus the operations tests drive."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import mimetypes
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from uuid import uuid4

import aiohttp
from aiohttp import web

from .callbacks import CallbackPoster
from .errors import ApiError
from .media import fetch_media, png_image, too_large, unreachable
from .payloads import (
    inbound_document,
    legacy_inbound_document,
    legacy_receipt_document,
    receipt_document,
)
from .receipts import DELIVERED, OPTED_OUT, Receipt, ReceiptRule, make_receipt, receipt_schedule
from .rules import OptKeyword, number_problem
from .seeding import SeedPlan, SeedSummary, seed_records
from .settings import OptOutMode, Settings
from .state import (
    DEFAULT_ACCOUNT,
    Account,
    CallbackEvent,
    CallbackKind,
    Direction,
    MediaFile,
    MessageKind,
    MessageRecord,
    SimulatorState,
    StoredMedia,
)
from .tasks import BackgroundTasks

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .faults import Endpoint, Fault

DEFAULT_URL = "http://127.0.0.1:8089"
_SMIL = (
    '<smil><head><layout><root-layout/></layout></head><body><par dur="5000ms">'
    '<img src="image"/></par></body></smil>'
)
_PICTURE_COLOURS = ((30, 144, 255), (255, 99, 71), (60, 179, 113), (238, 130, 238))


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest:
    """A validated POST /v2.1/messages."""

    to: str
    from_: str
    body: str | None
    media_urls: tuple[str, ...]
    is_mms: bool
    dlr_callback: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMedia:
    """A media part of an inbound MMS; without content it is a generated PNG."""

    content: bytes | None = None
    mime_type: str = "image/png"
    file_name: str | None = None


# The presentation part carriers add to an MMS; clients must skip it.
_SMIL_PART = InboundMedia(
    content=_SMIL.encode(), mime_type="application/smil", file_name="smil.xml"
)


class Simulator:
    """A simulated Flowroute: its accounts, behaviour and the knobs tests turn."""

    def __init__(
        self,
        accounts: Sequence[Account] | None = None,
        settings: Settings | None = None,
        *,
        url: str = DEFAULT_URL,
    ) -> None:
        """Simulate `accounts` (default: DEFAULT_ACCOUNT), reachable at `url`."""
        self.state = SimulatorState(accounts or [DEFAULT_ACCOUNT])
        self.settings = settings or Settings()
        self.url = url  # set by whoever binds the socket; used in links and media URLs
        self._tasks = BackgroundTasks()
        self._closing = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._poster: CallbackPoster | None = None
        for number in self.settings.handsets:
            if self.state.owner(number) is not None:
                raise ValueError(f"handset {number} is a number of a simulated account")

    # Lifecycle

    async def start(self) -> None:
        """Open the outbound session (callbacks, media fetching)."""
        self._closing.clear()
        self._tasks.reopen()
        self._session = aiohttp.ClientSession()
        self._poster = CallbackPoster(
            session=self._session,
            log=self.state.callback_log,
            tasks=self._tasks,
            settings=lambda: self.settings,
        )

    def begin_shutdown(self) -> None:
        """Wake requests held by a slow fault, so the server can stop at once."""
        self._closing.set()

    async def close(self) -> None:
        """Cancel every background task, then close the outbound session."""
        self._closing.set()
        await self._tasks.close()
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._poster = None

    async def idle(self) -> None:
        """Wait until every callback post, retry, receipt and auto-reply has finished."""
        await self._tasks.idle()

    async def pause(self, seconds: float) -> None:
        """Sleep `seconds`, or less if the simulator is shutting down."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._closing.wait()

    # Flowroute's behaviour

    def take_fault(self, endpoint: Endpoint) -> Fault | None:
        """Return the fault that hits this request to `endpoint`, if any."""
        return self.state.faults.take(endpoint, now=self.settings.monotonic())

    def count_send_attempt(self, account: Account, kind: MessageKind) -> None:
        """Count a send attempt against the account's window; 429 if over the limit."""
        settings = self.settings
        limit = settings.mms_rate_limit if kind is MessageKind.MMS else settings.sms_rate_limit
        allowed = self.state.rate_limiter.attempt(
            (account.access_key, kind),
            limit=limit,
            window=settings.rate_window,
            now=settings.monotonic(),
        )
        if not allowed:
            raise ApiError(
                429,
                f"Rate limit exceeded: at most {limit} {kind.upper()} requests per "
                f"{settings.rate_window:g} s per account; rejected attempts count too",
            )

    async def send(self, account: Account, request: SendRequest) -> MessageRecord:
        """Accept a send from `account`, or raise the ApiError Flowroute would answer."""
        owner = self.state.owner(request.from_)
        if owner is None or owner[0].access_key != account.access_key:
            raise ApiError(
                403,
                f"You are not authorized to send from {request.from_}: "
                "it is not a number of this account",
            )
        number = owner[1]
        if not number.messaging_enabled:
            raise ApiError(403, f"{request.from_} is not enabled for messaging")
        opted_out = self.state.is_opted_out(request.from_, request.to)
        if opted_out and self.settings.opt_out_mode is OptOutMode.REJECT:
            raise ApiError(
                400,
                f"Error 1110: {request.to} has opted out (texted STOP) of messages "
                f"from {request.from_}",
                code=OPTED_OUT,
            )
        media = await self._fetch_media(request) if request.is_mms else ()
        record = MessageRecord.create(
            access_key=account.access_key,
            direction=Direction.OUTBOUND,
            from_number=request.from_,
            to_number=request.to,
            body=request.body,
            media=media,
            is_mms=request.is_mms,
            timestamp=self.settings.utcnow(),
            message_type=number.number_type,
            dlr_callback=request.dlr_callback,
        )
        self.state.add_message(record)
        rule = self.state.receipts.pick(record.to_number)
        code = OPTED_OUT if opted_out else rule.code
        self._tasks.spawn(self._deliver_receipts(record, rule, code))
        if self.settings.auto_reply and code == DELIVERED:
            self._tasks.spawn(self._auto_reply(record))
        return record

    def inject_inbound(
        self,
        *,
        from_: str,
        to: str,
        body: str | None = None,
        media: Sequence[InboundMedia] = (),
        legacy: bool = False,
        smil: bool = False,
    ) -> MessageRecord:
        """Receive a text from a handset: record it, apply STOP/UNSTOP, post it to the callback.

        With `media` it is an MMS (`smil` adds the SMIL part carriers include); `legacy`
        posts the flat format instead of v2.1 JSON:API.
        """
        _, poster = self._outbound()
        if problem := number_problem(from_):
            raise ApiError(400, f"from {from_!r} {problem}")
        owner = self.state.owner(to)
        if owner is None:
            raise ApiError(400, f"{to} is not a number of any simulated account")
        account, number = owner
        if not number.messaging_enabled:
            raise ApiError(400, f"{to} is not enabled for messaging")
        is_mms = bool(media)
        if not is_mms and not body:
            raise ApiError(400, "an SMS needs a body")
        parts = [*media, _SMIL_PART] if smil and is_mms else list(media)
        files = [self._store_media(item, index) for index, item in enumerate(parts)]
        record = MessageRecord.create(
            access_key=account.access_key,
            direction=Direction.INBOUND,
            from_number=from_,
            to_number=to,
            body=body,
            media=tuple(files),
            is_mms=is_mms,
            timestamp=self.settings.utcnow(),
            message_type=number.number_type,
        )
        self.state.add_message(record)
        keyword = self.state.apply_keyword(to, from_, body)
        if keyword is OptKeyword.OPT_OUT and not self.settings.forward_stop:
            return record
        url = self.state.callback_url(to, CallbackKind.inbound(record.kind))
        if url is not None:
            record.posted_to = url
            payload = (
                legacy_inbound_document(record)
                if legacy
                else inbound_document(record, url, self.url)
            )
            self._tasks.spawn(poster.post(CallbackEvent.INBOUND, record.message_id, url, payload))
        return record

    # Test controls

    def seed_records(self, plan: SeedPlan) -> SeedSummary:
        """Add made-up history (see seeding.py); nothing is posted anywhere.

        Raises ValueError for numbers that are not the accounts' or are handsets.
        """
        picture = (self._store_media(InboundMedia(), 0),) if plan.mms_share else ()
        return seed_records(self.state, plan, now=self.settings.utcnow(), picture=picture)

    def add_fault(self, fault: Fault) -> int:
        """Put a fault in force; returns its id."""
        return self.state.faults.add(fault, now=self.settings.monotonic())

    def remove_fault(self, fault_id: int) -> bool:
        """End one fault; False if it was no longer in force."""
        return self.state.faults.remove(fault_id)

    def clear_faults(self) -> None:
        """End every fault."""
        self.state.faults.clear()

    def set_receipts(self, rule: ReceiptRule) -> None:
        """Change how receipts behave (see ReceiptRule for the scope)."""
        self.state.receipts.set(rule)

    async def reset(self) -> None:
        """Cancel pending posts and receipts, then forget everything but the accounts."""
        await self._tasks.cancel_all()
        self.state.reset()

    # Internals

    def _outbound(self) -> tuple[aiohttp.ClientSession, CallbackPoster]:
        """Return the session and poster, which exist while the simulator is served."""
        if self._session is None or self._poster is None:
            raise RuntimeError("the simulator is not started: serve it first")
        return self._session, self._poster

    async def _fetch_media(self, request: SendRequest) -> tuple[MediaFile, ...]:
        session, _ = self._outbound()
        limit = self.settings.max_media_bytes
        fetched: list[tuple[MediaFile, bytes]] = []
        for url in request.media_urls:
            try:
                async with asyncio.timeout(self.settings.media_fetch_timeout):
                    fetched.append(await fetch_media(session, url, max_bytes=limit))
            except TimeoutError:
                raise unreachable(url, "timed out") from None
        total = sum(file.size for file, _ in fetched) + len((request.body or "").encode())
        if total > limit:
            raise too_large("the MMS (media and text together)", total, limit)
        # A copy at /sim/media/{media_id}: the sender's links may expire before anyone looks.
        for file, content in fetched:
            self.state.media[file.media_id] = StoredMedia(
                media_id=file.media_id,
                content=content,
                mime_type=file.mime_type,
                file_name=file.file_name,
            )
        return tuple(file for file, _ in fetched)

    def _store_media(self, item: InboundMedia, index: int) -> MediaFile:
        media_id = "m-" + uuid4().hex
        content = item.content
        if content is None:
            content = png_image(rgb=_PICTURE_COLOURS[index % len(_PICTURE_COLOURS)])
        extension = mimetypes.guess_extension(item.mime_type) or ".bin"
        file_name = item.file_name or f"IMG_{index + 1:04d}{extension}"
        self.state.media[media_id] = StoredMedia(
            media_id=media_id, content=content, mime_type=item.mime_type, file_name=file_name
        )
        return MediaFile(
            media_id=media_id,
            url=f"{self.url}/sim/media/{media_id}",
            mime_type=item.mime_type,
            file_name=file_name,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )

    async def _deliver_receipts(self, record: MessageRecord, rule: ReceiptRule, code: int) -> None:
        settings = self.settings
        loop = asyncio.get_running_loop()
        accepted = loop.time()
        schedule = receipt_schedule(
            rule.mode,
            level1_delay=settings.level1_receipt_delay,
            level2_delay=settings.level2_receipt_delay,
            extra=rule.delay,
        )
        built: dict[int, Receipt] = {}  # a duplicate is the same receipt posted again
        for offset, level in schedule:
            await asyncio.sleep(max(0.0, accepted + offset - loop.time()))
            receipt = built.get(level)
            if receipt is None:
                receipt = make_receipt(
                    level,
                    code=rule.level1_code if level == 1 else code,
                    timestamp=self.settings.utcnow(),
                )
                built[level] = receipt
                record.receipts.append(receipt)
            url = self.state.receipt_url(record)
            if url is None:
                continue
            payload = (
                legacy_receipt_document(record, receipt)
                if rule.legacy
                else receipt_document(record, receipt, self.url)
            )
            await self._outbound()[1].post(CallbackEvent.RECEIPT, record.message_id, url, payload)

    async def _auto_reply(self, record: MessageRecord) -> None:
        await asyncio.sleep(self.settings.auto_reply_delay)
        preview = (record.body or "your picture")[:60]
        self.inject_inbound(
            from_=record.to_number,
            to=record.from_number,
            body=f'Auto-reply from {record.to_number}: got "{preview}"',
        )


SIMULATOR_KEY: Final = web.AppKey("simulator", Simulator)
