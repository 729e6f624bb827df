"""The inbound router: the one place where a parsed text is routed, then published.

Every text to one of the entry's numbers goes through the routing steps in order, and
the first step that handles it ends the routing: keywords (STOP, START, HELP: STOP
always wins), then the answer to a question `flowroute.ask` is waiting for
(questions.py), then Assist for an allowed contact (assist.py), then nothing more.
Adding a route is adding one step to `InboundRouter._steps`. Whatever the route, every
text is then published once, with the step that handled it (`handled_by`): the
`flowroute_message_received` event and the number's dispatcher signal.

A text is published at once, inside the webhook request. An MMS with media is published
after its media is downloaded (the links Flowroute sends expire), in a background task of
the entry: if unloading the entry cuts the download short, it is published with the
remote links. A text to another number of the account goes through the keyword step
only (a STOP is kept for that number) and is not published.

The bus events carry the body (automations need it), and the recorder stores events:
unless the user opted in to recording bodies, the message event and the Assist exchange
event are kept out of the recorder while the entry is loaded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

import aiohttp
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import format_number
from .const import (
    CONF_HELP_REPLY,
    CONF_NUMBERS,
    CONF_RECORD_BODIES,
    CONF_REPLY_COOLDOWN,
    CONF_REPLY_INTERNATIONAL,
    CONF_START_REPLY,
    DEFAULT_HELP_REPLY,
    DEFAULT_REPLY_COOLDOWN_MINUTES,
    EVENT_ASSIST_EXCHANGE,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
    SIGNAL_MESSAGE_RECEIVED,
)
from .conversations import Origin
from .keywords import classify_keyword, is_stop_all
from .messages import Keyword, ReceivedMessage, Route, remote_media
from .pacing import Cooldown
from .plain_text import async_house_text
from .questions import Taken, list_choices

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from .api import InboundMessage
    from .assist import AssistRelay
    from .conversations import ConversationStore
    from .data import FlowrouteConfigEntry
    from .inbound_media import MediaDownloader
    from .messages import ReceivedMedia
    from .opt_out import OptOutList
    from .questions import QuestionBoard

# Numbers remembered by the keyword-reply cooldown: a flood of forged HELPs from new
# numbers fills it (and then gets no reply) instead of growing it.
MAX_REPLY_COOLDOWN_NUMBERS: Final = 10_000

# The events that carry what people texted: kept out of the recorder unless opted in.
BODY_EVENTS: Final = (EVENT_MESSAGE_RECEIVED, EVENT_ASSIST_EXCHANGE)

# The loaded entries that keep those events out of the recorder (the exclusion is global),
# and the events the integration excluded (not those the user's configuration excludes).
_UNRECORDED_BY: HassKey[set[str]] = HassKey("flowroute_unrecorded_by")
_UNRECORDED: HassKey[set[str]] = HassKey("flowroute_unrecorded")


@callback
def async_keep_bodies_out_of_recorder(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Exclude the events with bodies from the recorder while the entry is loaded.

    Unless the user opted in to keeping bodies. One entry that did not opt in keeps the
    events out for every entry: privacy wins. An exclusion the user configured
    themselves is left alone.
    """
    if entry.options.get(CONF_RECORD_BODIES, False) or "recorder" not in hass.config.components:
        return
    # Imported only when loaded: the recorder pulls in SQLAlchemy.
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    excluded = getattr(get_instance(hass), "exclude_event_types", None)
    if not isinstance(excluded, set):
        LOGGER.warning(
            "Could not keep %s out of the recorder; exclude them in the recorder's configuration",
            ", ".join(BODY_EVENTS),
        )
        return
    users = hass.data.setdefault(_UNRECORDED_BY, set())
    ours = hass.data.setdefault(_UNRECORDED, set())
    if not users:
        ours.update(event_type for event_type in BODY_EVENTS if event_type not in excluded)
    users.add(entry.entry_id)
    excluded.update(ours)

    @callback
    def release() -> None:
        users.discard(entry.entry_id)
        if not users:
            excluded.difference_update(ours)
            ours.clear()

    entry.async_on_unload(release)


class ReplySender(Protocol):
    """Sends the keyword replies (sending.Sender: the one send path, opt-outs checked)."""

    async def async_send(
        self, *, to: list[str], body: str, from_did: str | None, origin: Origin | None = None
    ) -> Any:
        """Send `body` to `to` from `from_did`; `origin` says what sent it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundText:
    """A parsed text as the routing steps see it."""

    message: InboundMessage
    keyword: Keyword | None
    ours: bool  # to one of the entry's numbers; else to another number of the account

    @property
    def did(self) -> str:
        """The number that was texted."""
        return self.message.to_number

    @property
    def number(self) -> str:
        """Who texted."""
        return self.message.from_number


@dataclass(frozen=True, slots=True)
class Routed:
    """How a step handled a text: its route, and its body as published when it changed.

    Assist strips the passphrase: it never reaches an event, an entity or the recorder.
    """

    route: Route
    body: str | None = None


type Step = Callable[[InboundText], Routed | None]


class InboundRouter:
    """Routes the entry's inbound texts, then publishes them as events and signals."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        downloader: MediaDownloader | None,
        opt_outs: OptOutList,
        replies: ReplySender,
        questions: QuestionBoard,
        assist: AssistRelay,
        account_numbers: Collection[str] = (),
        conversations: ConversationStore | None = None,
    ) -> None:
        """Route for `entry`; `downloader` is None when media is not to be downloaded.

        `account_numbers` are the account's DIDs as Flowroute listed them at setup: a STOP
        to one the entry does not use is still kept, for the day it is added. Published
        texts are kept in `conversations` (the Texts panel's).
        """
        self._hass = hass
        self._entry = entry
        self._downloader = downloader
        self._opt_outs = opt_outs
        self._sender = replies
        self._replies = _KeywordReplies(hass, entry, replies)
        self._questions = questions
        self._assist = assist
        self._conversations = conversations
        # The entry's numbers (digits only) and the signal of each number's entities.
        self._signals = {
            did: SIGNAL_MESSAGE_RECEIVED.format(entry_id=entry.entry_id, did=did)
            for did in entry.data[CONF_NUMBERS]
        }
        self._account_numbers = frozenset(account_numbers)
        # In order: the first step that handles a text ends its routing.
        self._steps: tuple[Step, ...] = (
            self._keyword_step,
            self._question_step,
            self._assist_step,
        )

    @callback
    def async_start(self) -> None:
        """Start what routing needs while the entry is loaded."""
        async_keep_bodies_out_of_recorder(self._hass, self._entry)
        self._assist.async_start()

    @callback
    def async_handle(self, message: InboundMessage) -> None:
        """Route a text, then publish it now or once its media is downloaded."""
        ours = message.to_number in self._signals
        if not ours and message.to_number not in self._account_numbers:
            # Another system's number sharing the callback URL: not ours to act on.
            LOGGER.debug("Ignoring message %s to a number of no entry", message.message_id)
            return
        text = InboundText(message=message, keyword=classify_keyword(message.body), ours=ours)
        routed = next(filter(None, (step(text) for step in self._steps)), None)
        if not ours:
            return
        if message.media and self._downloader is not None:
            self._entry.async_create_background_task(
                self._hass,
                self._async_download_and_publish(self._downloader, text, routed),
                name=f"flowroute inbound media {message.message_id}",
            )
            return
        self._publish(text, routed, remote_media(message))

    # The routing steps, in the order of `_steps`

    @callback
    def _keyword_step(self, text: InboundText) -> Routed | None:
        """STOP and START change the opt-out list (opt_out.py); HELP and START get a reply.

        No reply to STOP: Flowroute and the carriers already send one. A confirmation
        follows only a START that lifted a block: "yes" is also an everyday answer.
        """
        if text.keyword is None:
            return None
        lifted = self._opt_outs.async_apply_keyword(
            text.did, text.number, text.keyword, every_did=is_stop_all(text.message.body)
        )
        if text.ours:
            if text.keyword is Keyword.HELP:
                self._replies.async_help(text.did, text.number)
            elif lifted:
                self._replies.async_start(text.did, text.number)
        if text.keyword is Keyword.START and not lifted:
            # Nobody to opt back in: "yes" is an everyday answer (to a question, to Assist).
            return None
        return Routed(Route.KEYWORD)

    @callback
    def _question_step(self, text: InboundText) -> Routed | None:
        """Answer the question `flowroute.ask` waits on with the next text from that number.

        A reply that means none of the accepted answers gets one re-prompt; after that
        the wait goes on. Either way the text is the question's, never Assist's.
        """
        if not text.ours:
            return None
        taken = self._questions.async_take(self._entry.entry_id, text.message)
        if taken is None:
            return None
        outcome, question = taken
        if outcome is Taken.REPROMPT:
            self._entry.async_create_background_task(
                self._hass,
                self._async_reprompt(text, list_choices(question.choices)),
                name="flowroute question re-prompt",
            )
        return Routed(Route.QUESTION)

    @callback
    def _assist_step(self, text: InboundText) -> Routed | None:
        """Hand an allowed contact's text to Assist (assist.py), the passphrase stripped."""
        if not text.ours:
            return None
        body = self._assist.async_accept(text.did, text.number, text.message.body)
        return None if body is None else Routed(Route.ASSIST, body)

    async def _async_reprompt(self, text: InboundText, answers: str) -> None:
        body = await async_house_text(self._hass, "question_reprompt", answers=answers)
        try:
            await self._sender.async_send(
                to=[text.number], body=body, from_did=text.did, origin=Origin.QUESTION
            )
        except HomeAssistantError as err:  # opted out meanwhile, refused, not saved
            LOGGER.info("No re-prompt to %s: %s", format_number(text.number), err)

    # Publishing

    async def _async_download_and_publish(
        self, downloader: MediaDownloader, text: InboundText, routed: Routed | None
    ) -> None:
        message = text.message
        try:
            media = await downloader.async_download(message)
        except asyncio.CancelledError:
            # Unloading the entry (any options change reloads it) cut the download short;
            # the id is already answered and remembered, so this is the text's last chance.
            self._publish(text, routed, remote_media(message))
            raise
        except (aiohttp.ClientError, OSError, ValueError) as err:
            # The downloader handles its own failures; this only keeps the message from
            # being lost if one escapes: the event still fires with the remote URLs.
            LOGGER.warning("Could not download the media of %s: %s", message.message_id, err)
            media = remote_media(message)
        self._publish(text, routed, media)

    @callback
    def _publish(
        self, text: InboundText, routed: Routed | None, media: tuple[ReceivedMedia, ...]
    ) -> None:
        message = text.message
        received = ReceivedMessage(
            config_entry_id=self._entry.entry_id,
            message_id=message.message_id,
            from_number=message.from_number,
            to_number=message.to_number,
            body=message.body if routed is None or routed.body is None else routed.body,
            is_mms=message.is_mms,
            media=media,
            timestamp=message.timestamp or dt_util.utcnow(),
            keyword=text.keyword,
            handled_by=None if routed is None else routed.route,
        )
        if self._conversations is not None:
            self._conversations.async_received(received)
        self._hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, received.as_event_data())
        async_dispatcher_send(self._hass, self._signals[received.to_number], received)


class _KeywordReplies:
    """The HELP reply and the START confirmation: billed texts to whoever a callback names.

    So: North America only unless the user allows others, and at most one per number per
    cooldown, sent after the webhook has answered through the one send path.
    """

    def __init__(
        self, hass: HomeAssistant, entry: FlowrouteConfigEntry, sender: ReplySender
    ) -> None:
        self._hass = hass
        self._entry = entry
        self._sender = sender
        minutes = entry.options.get(CONF_REPLY_COOLDOWN, DEFAULT_REPLY_COOLDOWN_MINUTES)
        self.cooldown = Cooldown(
            float(minutes) * 60, max_keys=MAX_REPLY_COOLDOWN_NUMBERS, clock=hass.loop.time
        )

    @callback
    def async_help(self, did: str, number: str) -> None:
        self._reply(did, number, self._entry.options.get(CONF_HELP_REPLY, DEFAULT_HELP_REPLY))

    @callback
    def async_start(self, did: str, number: str) -> None:
        self._reply(did, number, self._entry.options.get(CONF_START_REPLY, ""))

    @callback
    def _reply(self, did: str, number: str, text: str) -> None:
        if not text.strip():
            return
        if not (_is_north_american(number) or self._entry.options.get(CONF_REPLY_INTERNATIONAL)):
            LOGGER.info("No keyword reply to %s: outside North America", format_number(number))
            return
        if not self.cooldown.allow(number):
            LOGGER.info("No keyword reply to %s: one was sent recently", format_number(number))
            return
        self._entry.async_create_background_task(
            self._hass, self._async_send(did, number, text), name="flowroute keyword reply"
        )

    async def _async_send(self, did: str, number: str, text: str) -> None:
        try:
            await self._sender.async_send(
                to=[number], body=text, from_did=did, origin=Origin.KEYWORD
            )
        except HomeAssistantError as err:  # opted out, refused by Flowroute, expired
            LOGGER.info("No keyword reply to %s: %s", format_number(number), err)


def _is_north_american(number: str) -> bool:
    """Whether a canonical number is in the North American Numbering Plan (+1)."""
    return len(number) == 11 and number.startswith("1")  # noqa: PLR2004 - 1 + ten digits
