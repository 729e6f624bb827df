"""The one send path: validate, resolve media, queue in the outbox, report per recipient.

The `flowroute.send_message` action, the contacts' notify entities, the legacy
`notify.flowroute` service, `flowroute.ask`, keyword replies and Assist's answers all
send through `Sender.async_send`, so every check happens before anything leaves,
whichever way a message was asked for: the opt-out list, smart punctuation made plain
(option), the guard rails (guards.py: flood guard, daily budget).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import (
    FlowrouteAuthenticationError,
    FlowrouteError,
    FlowrouteForbiddenError,
    FlowrouteResponseError,
    InvalidPhoneNumberError,
    count_segments,
    format_number,
    normalize_number,
    sms_encoding,
)
from .const import (
    CONF_DEFAULT_FROM,
    CONF_NUMBERS,
    CONF_PLAIN_PUNCTUATION,
    CONF_RETRY_HORIZON,
    DEFAULT_RETRY_HORIZON_HOURS,
    DOMAIN,
    SIGNAL_BLOCKED,
)
from .conversations import MessageState, sent_media
from .messages import SentNotice
from .opt_out import is_opt_out_refusal
from .outbound_media import (
    GRACE_AFTER_ACCEPTED,
    MediaFile,
    async_fit_media,
    async_host_media,
    check_media_urls,
)
from .outbox import (
    OutboundMessage,
    OutboxExpiredError,
    OutboxNotSavedError,
    RecipientOptedOutError,
)
from .plain_text import first_unplain, make_plain
from .webhook import async_callback_url

if TYPE_CHECKING:
    from homeassistant.core import Context, HomeAssistant

    from .conversations import ConversationStore, MessageMedia, Origin
    from .data import FlowrouteConfigEntry
    from .guards import SendGuards
    from .opt_out import OptOutList
    from .outbound_media import MediaHost
    from .outbox import Outbox
    from .receipts import ReceiptTracker

# How long an action waits for Flowroute's 202 before answering "queued".
ACCEPT_WAIT: Final = 10.0

STATUS_ACCEPTED: Final = "accepted"
STATUS_QUEUED: Final = "queued"
STATUS_BLOCKED: Final = "blocked_opted_out"
STATUS_FLOOD_GUARD: Final = "blocked_flood_guard"
DELIVERY_UNKNOWN: Final = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """What happened to one recipient (the action's response data item)."""

    to: str
    message_id: str | None
    status: str
    segments: int
    encoding: str
    ucs2_character: str | None = None  # the first character that made the text UCS-2
    delivery_state: str | None = None  # only when the caller waited for delivery

    def as_dict(self) -> dict[str, Any]:
        """Return the response-data form."""
        data: dict[str, Any] = {
            "to": self.to,
            "message_id": self.message_id,
            "status": self.status,
            "segments": self.segments,
            "encoding": self.encoding,
        }
        if self.ucs2_character is not None:
            data["ucs2_character"] = self.ucs2_character
        if self.delivery_state is not None:
            data["delivery_state"] = self.delivery_state
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class TextCost:
    """What a body costs as an SMS: segments, encoding, the first character made it UCS-2."""

    segments: int
    encoding: str
    ucs2_character: str | None

    @classmethod
    def of(cls, body: str, *, is_mms: bool = False) -> TextCost:
        """Count a body as it is sent (an MMS is one message, whatever its text)."""
        return cls(
            segments=1 if is_mms else count_segments(body),
            encoding=str(sms_encoding(body)),
            ucs2_character=None if is_mms else first_unplain(body),
        )


def normalize_recipient(raw: str) -> str:
    """Normalise a number a user typed, or raise a translated validation error."""
    try:
        return normalize_number(raw)
    except InvalidPhoneNumberError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_number",
            translation_placeholders={"number": raw, "reason": str(err)},
        ) from err


def opted_out_error(recipients: list[str], from_did: str) -> ServiceValidationError:
    """Return the error for a send refused because the recipients opted out."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="opted_out",
        translation_placeholders={
            "to": ", ".join(format_number(number) for number in recipients),
            "from": format_number(from_did),
        },
    )


class Sender:
    """Sends for one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        outbox: Outbox,
        opt_outs: OptOutList,
        receipts: ReceiptTracker,
        media_host: MediaHost,
        guards: SendGuards,
        conversations: ConversationStore,
    ) -> None:
        """Send through the entry's outbox, never to who opted out, within the guards.

        Every text queued or refused is kept in `conversations` (the Texts panel's).
        """
        self._hass = hass
        self._entry = entry
        self._outbox = outbox
        self._opt_outs = opt_outs
        self._receipts = receipts
        self._media_host = media_host
        self._guards = guards
        self._conversations = conversations

    @property
    def numbers(self) -> list[str]:
        """The entry's DIDs."""
        return list(self._entry.data[CONF_NUMBERS])

    def owns(self, number: str) -> bool:
        """Return whether this entry may send from the given DID."""
        return number in self._entry.data[CONF_NUMBERS]

    def resolve_from(self, raw: str | None) -> str:
        """Pick the sending DID: the one asked for, else the default, else the first."""
        if raw:
            number = normalize_recipient(raw)
            if not self.owns(number):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="unknown_did",
                    translation_placeholders={"number": format_number(number)},
                )
            return number
        default = self._entry.options.get(CONF_DEFAULT_FROM)
        return default if default and self.owns(default) else self.numbers[0]

    def prepare_body(self, body: str) -> str:
        """Return the body as it is sent: trimmed, smart punctuation plain (option)."""
        body = body.strip()
        if self._entry.options.get(CONF_PLAIN_PUNCTUATION, True):
            body = make_plain(body)
        return body

    async def async_send(
        self,
        *,
        to: list[str],
        body: str,
        from_did: str | None = None,
        media_urls: list[str] | None = None,
        media: list[MediaFile] | None = None,
        wait_for_delivery: float | None = None,
        context: Context | None = None,
        origin: Origin | None = None,
    ) -> list[SendResult]:
        """Validate, queue one message per recipient and wait briefly for Flowroute.

        Nothing is sent while the entry's opt-out list cannot be read, and nothing is
        reported queued that the outbox could not save (both raise). A recipient who
        opted out of the sending number gets nothing and a result with
        status "blocked_opted_out", one the flood guard holds back "blocked_flood_guard";
        when that is every recipient, the send is refused with a ServiceValidationError
        instead, as it is when the account's daily budget is reached. With
        `wait_for_delivery` (seconds), also wait that long for each accepted message's
        final delivery state; the results then carry it, or "unknown". `context` is
        whoever asked (an automation, a user): the guards' events carry it; `origin`
        is what sent it when that was the integration itself (the conversations show it).
        """
        self._check_opt_outs_readable()
        recipients = list(dict.fromkeys(normalize_recipient(raw) for raw in to))
        if not recipients:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_recipients")
        from_did = self.resolve_from(from_did)
        check_media_urls(list(media_urls or []))
        body = self.prepare_body(body)
        shown = sent_media(media or [], media_urls or [])
        not_sent = self._not_sent(recipients, from_did, body, context, (shown, origin))
        urls = list(media_urls or [])
        tokens: tuple[str, ...] = ()
        if media:
            fitted = await async_fit_media(self._hass, media, body)
            hosted, tokens = await async_host_media(
                self._hass, fitted, self._horizon + GRACE_AFTER_ACCEPTED
            )
            urls.extend(hosted)
        if not body and not urls:
            raise ServiceValidationError(translation_domain=DOMAIN, translation_key="empty_message")

        is_mms = bool(urls)
        sendable = [r for r in recipients if r not in not_sent]
        segments = TextCost.of(body, is_mms=is_mms).segments
        if (budget := self._guards.budget.exceeded_by(segments * len(sendable))) is not None:
            raise self._guards.budget.async_refuse(budget, context)
        # Counted now, before the outbox is awaited: sends at the same time see each other.
        for recipient in sendable:
            self._guards.flood.async_count(recipient)
        self._guards.budget.async_count(segments * len(sendable))
        dlr_callback = async_callback_url(self._hass, self._entry)
        futures: dict[str, asyncio.Future[str]] = {}
        for recipient in sendable:
            message = OutboundMessage(
                id=uuid.uuid4().hex,
                to=recipient,
                from_did=from_did,
                body=body,
                media_urls=tuple(urls),
                is_mms=is_mms,
                dlr_callback=dlr_callback,
                created_at=time.time(),
            )
            futures[recipient] = await self._async_submit(message)
            # Kept before the outbox can run: its outcome finds the message.
            self._conversations.async_queued(message, media=shown, origin=origin)

        await asyncio.wait(futures.values(), timeout=ACCEPT_WAIT)
        results = [
            self._result(
                recipient,
                body=body,
                is_mms=is_mms,
                future=futures.get(recipient),
                from_did=from_did,
                not_sent=not_sent.get(recipient, STATUS_BLOCKED),
            )
            for recipient in recipients
        ]
        if tokens and all(result.status == STATUS_ACCEPTED for result in results):
            self._media_host.async_expire_after(tokens, GRACE_AFTER_ACCEPTED)
        if wait_for_delivery is not None:
            results = await self._async_wait_for_delivery(results, wait_for_delivery)
        return results

    def _not_sent(
        self,
        recipients: list[str],
        from_did: str,
        body: str,
        context: Context | None,
        shown: tuple[tuple[MessageMedia, ...], Origin | None],
    ) -> dict[str, str]:
        """Return who gets nothing and why: opted out, or held back by the flood guard.

        When that is everyone, raise the error of the first reason instead. Each refused
        text is kept in the conversations (`shown`: its media and origin) all the same.
        """
        not_sent: dict[str, str] = {}
        for recipient in recipients:
            if self._opt_outs.is_opted_out(from_did, recipient):
                not_sent[recipient] = STATUS_BLOCKED
                self._count_blocked(recipient, from_did, body)
        if len(not_sent) == len(recipients):
            self._keep_refused(not_sent, from_did, body, shown)
            raise opted_out_error(recipients, from_did)
        refusal: ServiceValidationError | None = None
        for recipient in recipients:
            if recipient not in not_sent and not self._guards.flood.allows(recipient):
                not_sent[recipient] = STATUS_FLOOD_GUARD
                error = self._guards.flood.async_refuse(recipient, context)
                refusal = refusal or error
        self._keep_refused(not_sent, from_did, body, shown)
        if refusal is not None and len(not_sent) == len(recipients):
            raise refusal
        return not_sent

    def _keep_refused(
        self,
        not_sent: dict[str, str],
        from_did: str,
        body: str,
        shown: tuple[tuple[MessageMedia, ...], Origin | None],
    ) -> None:
        """Keep each refused text in the conversations, with why it was refused."""
        media, origin = shown
        for recipient, status in not_sent.items():
            self._conversations.async_blocked(
                to=recipient,
                from_did=from_did,
                body=body,
                media=media,
                state=MessageState(status),
                origin=origin,
            )

    def _check_opt_outs_readable(self) -> None:
        """Refuse every send while the opt-out list cannot be read (it fails closed)."""
        if not self._opt_outs.available:
            # Without the list, nobody can be told apart from who texted STOP.
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="opt_out_list_unavailable",
                translation_placeholders={"title": self._entry.title},
            )

    async def _async_submit(self, message: OutboundMessage) -> asyncio.Future[str]:
        """Queue one message; a message the outbox could not save is an error, not queued."""
        try:
            return await self._outbox.async_submit(message)
        except OutboxNotSavedError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="outbox_not_saved",
                translation_placeholders={
                    "to": format_number(message.to),
                    "detail": str(err.error.error),
                },
            ) from err

    async def _async_wait_for_delivery(
        self, results: list[SendResult], seconds: float
    ) -> list[SendResult]:
        """Wait for all recipients at once, so the whole call takes at most `seconds`."""
        receipts = self._receipts

        async def state_of(result: SendResult) -> str | None:
            if result.status in (STATUS_BLOCKED, STATUS_FLOOD_GUARD):
                return None
            if result.message_id is None:  # still queued: no receipt can come yet
                return DELIVERY_UNKNOWN
            return str(await receipts.async_wait(result.message_id, seconds))

        states = await asyncio.gather(*(state_of(result) for result in results))
        return [
            replace(result, delivery_state=state)
            for result, state in zip(results, states, strict=True)
        ]

    @property
    def _horizon(self) -> timedelta:
        hours = self._entry.options.get(CONF_RETRY_HORIZON, DEFAULT_RETRY_HORIZON_HOURS)
        return timedelta(hours=float(hours))

    def _count_blocked(self, recipient: str, from_did: str, body: str) -> None:
        """Tell the sending number's counter that a message was refused."""
        notice = SentNotice(
            config_entry_id=self._entry.entry_id,
            message_id=None,
            to_number=recipient,
            from_number=from_did,
            is_mms=False,
            segments=count_segments(body),
        )
        async_dispatcher_send(
            self._hass,
            SIGNAL_BLOCKED.format(entry_id=self._entry.entry_id, did=from_did),
            notice,
        )

    def _result(
        self,
        recipient: str,
        *,
        body: str,
        is_mms: bool,
        future: asyncio.Future[str] | None,
        from_did: str,
        not_sent: str,
    ) -> SendResult:
        """Return what happened to one recipient; `not_sent` is why, if nothing was queued."""
        if future is None:
            message_id, status = None, not_sent
        elif not future.done() or future.cancelled():
            # Cancelled: the outbox stopped (a reload); the message waits in its store.
            message_id, status = None, STATUS_QUEUED
        elif (error := future.exception()) is not None:
            if isinstance(error, RecipientOptedOutError) or is_opt_out_refusal(error):
                raise opted_out_error([recipient], from_did) from error
            raise self._translate(recipient, error)
        else:
            message_id, status = future.result(), STATUS_ACCEPTED
        cost = TextCost.of(body, is_mms=is_mms)
        return SendResult(
            to=recipient,
            message_id=message_id,
            status=status,
            segments=cost.segments,
            encoding=cost.encoding,
            ucs2_character=cost.ucs2_character,
        )

    def _translate(self, recipient: str, error: BaseException) -> HomeAssistantError:
        """Turn a permanent failure into the error the caller sees."""
        placeholders = {"to": format_number(recipient)}
        if isinstance(error, FlowrouteAuthenticationError):
            return HomeAssistantError(translation_domain=DOMAIN, translation_key="auth_failed")
        if isinstance(error, FlowrouteForbiddenError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="sender_not_allowed",
                translation_placeholders={**placeholders, "detail": error.reason},
            )
        if isinstance(error, FlowrouteResponseError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="flowroute_rejected",
                translation_placeholders={
                    **placeholders,
                    "status": str(error.status),
                    "code": str(error.code) if error.code is not None else "-",
                    "detail": error.reason,
                },
            )
        if isinstance(error, OutboxExpiredError):
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="send_expired",
                translation_placeholders=placeholders,
            )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="send_failed",
            translation_placeholders={
                **placeholders,
                "detail": str(error) if isinstance(error, FlowrouteError) else repr(error),
            },
        )
