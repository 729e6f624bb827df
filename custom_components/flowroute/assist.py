"""Assist over SMS: texts from allowed contacts to Assist, and its answers texted back.

A contact the user allowed (subentry options) may text one of the entry's numbers and
talk to Assist as the Home Assistant user chosen for them. The relay checks the
passphrase (a wrong or missing one: no reply at all), the per-sender rate limit (one
polite reply, then silence), and runs one exchange at a time per sender, in order.

The conversation runs with `conversation.async_converse` and the agent and language of
the contact's Assist pipeline: one conversation id per DID and sender, kept for the
entry's option (30 minutes by default). Home Assistant forgets a chat session after
five idle minutes, so the relay keeps the sessions of its live conversations awake.
The answer goes back through `Sender` (outbox, rate limits, opt-out check), with its
smart punctuation made plain and split at sentence ends.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import re
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_NAME
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_time_interval

from .api import canonical_number, format_number
from .const import (
    CONF_ALLOW_ASSIST,
    CONF_ASSIST_CONVERSATION_MINUTES,
    CONF_ASSIST_PASSPHRASE,
    CONF_ASSIST_PIPELINE,
    CONF_ASSIST_RATE_LIMIT,
    CONF_ASSIST_USER,
    CONF_NUMBER,
    DEFAULT_ASSIST_CONVERSATION_MINUTES,
    DEFAULT_ASSIST_RATE_LIMIT,
    EVENT_ASSIST_EXCHANGE,
    LOGGER,
    SUBENTRY_CONTACT,
)
from .conversations import Origin
from .pacing import WindowLimit
from .plain_text import async_house_text, make_plain, split_for_sms

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.components.conversation import ConversationResult

    from .data import FlowrouteConfigEntry
    from .inbound import ReplySender
    from .opt_out import OptOutList

RATE_WINDOW: Final = 600.0  # the rate limit counts texts in any ten minutes
# Texts waiting behind the running exchange: per sender, and over the whole entry.
MAX_WAITING_PER_SENDER: Final = 3
MAX_WAITING: Final = 50
# An agent that has not answered by then is given up on (the sender gets the apology).
AGENT_TIMEOUT: Final = 60.0
# Home Assistant forgets a chat session after five idle minutes: touch live ones sooner.
KEEP_AWAKE_INTERVAL: Final = timedelta(minutes=4)
NEW_CONVERSATION: Final = "new"
_SEPARATOR: Final = re.compile(r"[\s:;,.!?-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistContact:
    """A contact allowed to talk to Assist."""

    name: str
    number: str
    user_id: str
    pipeline_id: str | None
    passphrase: str | None

    @classmethod
    def from_subentry(cls, data: Mapping[str, Any]) -> AssistContact | None:
        """Return the contact's Assist settings, or None when they may not use Assist."""
        user_id = data.get(CONF_ASSIST_USER)
        if not data.get(CONF_ALLOW_ASSIST) or not user_id:
            return None
        return cls(
            name=str(data[CONF_NAME]),
            number=canonical_number(str(data[CONF_NUMBER])),
            user_id=str(user_id),
            pipeline_id=data.get(CONF_ASSIST_PIPELINE) or None,
            passphrase=data.get(CONF_ASSIST_PASSPHRASE) or None,
        )

    def strip_passphrase(self, body: str) -> str | None:
        """Return what the text asks, without the passphrase; None when it lacks it.

        The passphrase (when set) must begin the text, in any case, followed by a
        separator (a space, a colon, a comma...) or by nothing.
        """
        text = body.strip()
        if self.passphrase is None:
            return text
        given = text[: len(self.passphrase)]
        if not hmac.compare_digest(given.casefold().encode(), self.passphrase.casefold().encode()):
            return None
        rest = text[len(self.passphrase) :]
        separator = _SEPARATOR.match(rest)
        if rest and separator is None:
            return None  # "open sesame" is not "open sesameseed"
        return rest[separator.end() :].strip() if separator else ""


@dataclass(slots=True)
class _Conversation:
    """One DID and sender's conversation with Assist."""

    conversation_id: str
    last_used: float


@dataclass(slots=True)
class _Lane:
    """One sender's texts to Assist: the running exchange and those waiting behind it."""

    waiting: deque[str] = field(default_factory=deque)
    running: bool = False


@dataclass(frozen=True, slots=True)
class _Agent:
    """Who answers a contact: an agent id and a language (None: Home Assistant's)."""

    agent_id: str | None
    language: str | None


class AssistRelay:
    """Relays the entry's allowed contacts' texts to Assist and texts back its answers."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        sender: ReplySender,
        opt_outs: OptOutList,
    ) -> None:
        """Relay for the contacts of `entry` that may talk to Assist."""
        self._hass = hass
        self._entry = entry
        self._sender = sender
        self._opt_outs = opt_outs
        self.contacts: dict[str, AssistContact] = {}
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_CONTACT and (
                contact := AssistContact.from_subentry(subentry.data)
            ):
                self.contacts[contact.number] = contact
        options = entry.options
        self._keep = 60.0 * float(
            options.get(CONF_ASSIST_CONVERSATION_MINUTES, DEFAULT_ASSIST_CONVERSATION_MINUTES)
        )
        self._limit = WindowLimit(
            int(options.get(CONF_ASSIST_RATE_LIMIT, DEFAULT_ASSIST_RATE_LIMIT)),
            RATE_WINDOW,
            clock=hass.loop.time,
        )
        self._told_to_wait: set[str] = set()
        self._conversations: dict[tuple[str, str], _Conversation] = {}
        self._lanes: dict[tuple[str, str], _Lane] = {}

    @callback
    def async_start(self) -> None:
        """Keep the live conversations' chat sessions awake while the entry is loaded."""
        if not self.contacts:
            return
        self._entry.async_on_unload(
            async_track_time_interval(
                self._hass, self._async_keep_awake, KEEP_AWAKE_INTERVAL, cancel_on_shutdown=True
            )
        )

    def activity(self, did: str | None = None) -> dict[str, int]:
        """Return the senders being answered, the texts waiting and the conversations kept."""
        lanes = [lane for (lane_did, _), lane in self._lanes.items() if did in (None, lane_did)]
        return {
            "active_lanes": len(lanes),
            "waiting_texts": sum(len(lane.waiting) for lane in lanes),
            "conversations": sum(did in (None, key[0]) for key in self._conversations),
        }

    @callback
    def async_accept(self, did: str, number: str, body: str) -> str | None:
        """Take a text for Assist; return it as it may be published (no passphrase).

        None: not for Assist (not an allowed contact, a wrong or missing passphrase),
        and nothing is answered. A sender who opted out of the DID gets no answer either,
        but their text still loses its passphrase.
        """
        contact = self.contacts.get(number)
        if contact is None:
            return None
        text = contact.strip_passphrase(body)
        if text is None:
            LOGGER.debug("Text from %s not passed to Assist: no passphrase", contact.name)
            return None
        if self._opt_outs.is_opted_out(did, number):
            LOGGER.info("Text from %s not passed to Assist: they opted out", contact.name)
            return text
        if not text:
            return text  # the passphrase alone asks nothing
        if not self._limit.allow(number):
            if number not in self._told_to_wait:
                self._told_to_wait.add(number)
                self._reply(did, number, "assist_rate_limited")
            LOGGER.info("Text from %s not passed to Assist: too many texts", contact.name)
            return text
        self._told_to_wait.discard(number)
        self._enqueue(contact, did, text)
        return text

    # One exchange at a time per sender

    @callback
    def _enqueue(self, contact: AssistContact, did: str, text: str) -> None:
        lane = self._lanes.setdefault((did, contact.number), _Lane())
        waiting = sum(len(other.waiting) for other in self._lanes.values())
        if len(lane.waiting) >= MAX_WAITING_PER_SENDER or waiting >= MAX_WAITING:
            LOGGER.warning(
                "Text from %s to Assist dropped: %s texts already wait for an answer",
                contact.name,
                len(lane.waiting),
            )
            return
        lane.waiting.append(text)
        if not lane.running:
            lane.running = True
            # Not started eagerly: the webhook answers Flowroute before the agent works.
            self._entry.async_create_background_task(
                self._hass,
                self._async_run_lane(contact, did, lane),
                name=f"flowroute assist {contact.name}",
                eager_start=False,
            )

    async def _async_run_lane(self, contact: AssistContact, did: str, lane: _Lane) -> None:
        try:
            while lane.waiting:
                text = lane.waiting.popleft()
                if self._opt_outs.is_opted_out(did, contact.number):
                    lane.waiting.clear()  # STOP while they waited: nothing more to answer
                    break
                await self._async_exchange(contact, did, text)
        finally:
            lane.running = False
            if not lane.waiting:
                self._lanes.pop((did, contact.number), None)

    async def _async_exchange(self, contact: AssistContact, did: str, text: str) -> None:
        """Ask Assist, text the answer back, tell the bus."""
        key = (did, contact.number)
        if text.strip().casefold() == NEW_CONVERSATION:
            self._conversations.pop(key, None)
            await self._async_send(
                did, contact.number, await async_house_text(self._hass, "assist_new")
            )
            return
        conversation = self._conversation(key)
        agent = self._agent(contact)
        success, reply = False, ""
        try:
            async with asyncio.timeout(AGENT_TIMEOUT):
                result = await _async_converse(
                    self._hass, text, conversation.conversation_id, contact, agent
                )
        except TimeoutError:
            LOGGER.warning("Assist did not answer %s in time", contact.name)
        except Exception as err:  # noqa: BLE001 - any agent may fail any way; they get the apology
            LOGGER.warning("Assist failed to answer %s: %s", contact.name, type(err).__name__)
        else:
            success, reply = _answer_of(result)
            if result.conversation_id:
                conversation.conversation_id = result.conversation_id
        # What is texted, and what the event and the logbook say was answered.
        reply = make_plain(reply) or await async_house_text(self._hass, "assist_failed")
        conversation.last_used = self._hass.loop.time()
        await self._async_send(did, contact.number, reply)
        self._hass.bus.async_fire(
            EVENT_ASSIST_EXCHANGE,
            {
                "config_entry_id": self._entry.entry_id,
                "did": did,
                "number": contact.number,
                "contact": contact.name,
                "text": text,
                "reply": reply,
                "agent_id": agent.agent_id,
                "conversation_id": conversation.conversation_id,
                "success": success,
            },
        )

    def _conversation(self, key: tuple[str, str]) -> _Conversation:
        """Return the DID and sender's conversation, a new one when it was left too long."""
        now = self._hass.loop.time()
        conversation = self._conversations.get(key)
        if conversation is None or now - conversation.last_used >= self._keep:
            # Not a ULID: Home Assistant keeps a conversation id it did not make itself.
            conversation = _Conversation(f"flowroute-{uuid.uuid4().hex}", now)
            self._conversations[key] = conversation
        return conversation

    def _agent(self, contact: AssistContact) -> _Agent:
        """Return the agent and language of the contact's pipeline (the preferred one)."""
        if "assist_pipeline" not in self._hass.config.components:
            return _Agent(None, None)
        # Imported only when used: Assist pipelines bring speech and wake word with them.
        from homeassistant.components.assist_pipeline import pipeline as assist_pipeline  # noqa: PLC0415

        try:
            pipeline = assist_pipeline.async_get_pipeline(self._hass, contact.pipeline_id)
        except assist_pipeline.PipelineNotFound:
            LOGGER.warning(
                "The Assist pipeline chosen for %s is gone; using the preferred one",
                contact.name,
            )
            pipeline = assist_pipeline.async_get_pipeline(self._hass, None)
        language = pipeline.conversation_language
        return _Agent(
            pipeline.conversation_engine,
            pipeline.language if language in (None, "*") else language,
        )

    async def _async_send(self, did: str, number: str, reply: str) -> None:
        """Text the answer back from the DID that was texted, a few segments a text."""
        for part in split_for_sms(make_plain(reply)):
            try:
                await self._sender.async_send(
                    to=[number], body=part, from_did=did, origin=Origin.ASSIST
                )
            except HomeAssistantError as err:  # opted out meanwhile, refused, not saved
                LOGGER.info("Assist's answer to %s not sent: %s", format_number(number), err)
                return

    @callback
    def _reply(self, did: str, number: str, key: str) -> None:
        """Text one of the integration's own texts, after the webhook has answered."""

        async def send() -> None:
            await self._async_send(did, number, await async_house_text(self._hass, key))

        self._entry.async_create_background_task(
            self._hass, send(), name="flowroute assist reply", eager_start=False
        )

    @callback
    def _async_keep_awake(self, _now: Any) -> None:
        """Touch the chat sessions of conversations still kept; forget the others."""
        now = self._hass.loop.time()
        for key, conversation in list(self._conversations.items()):
            if now - conversation.last_used >= self._keep:
                del self._conversations[key]
            else:
                _touch_chat_session(self._hass, conversation.conversation_id)


async def _async_converse(
    hass: HomeAssistant,
    text: str,
    conversation_id: str,
    contact: AssistContact,
    agent: _Agent,
) -> ConversationResult:
    from homeassistant.components import conversation  # noqa: PLC0415

    return await conversation.async_converse(
        hass,
        text,
        conversation_id,
        Context(user_id=contact.user_id),
        language=agent.language,
        agent_id=agent.agent_id,
    )


def _answer_of(result: ConversationResult) -> tuple[bool, str]:
    """Return whether Assist did what was asked, and what to text back ("": apologise).

    An error the agent explains itself ("no device called that") is texted as it said
    it; an agent that failed (error code "unknown": it raised) gets the apology.
    """
    from homeassistant.helpers import intent  # noqa: PLC0415

    response = result.response
    speech = str(response.speech.get("plain", {}).get("speech") or "").strip()
    if response.response_type is not intent.IntentResponseType.ERROR:
        return True, speech
    failed = response.error_code in (None, intent.IntentResponseErrorCode.UNKNOWN)
    return False, "" if failed else speech


def _touch_chat_session(hass: HomeAssistant, conversation_id: str) -> None:
    """Mark a chat session as used now, so Home Assistant keeps its history."""
    try:
        from homeassistant.helpers import chat_session  # noqa: PLC0415
    except ImportError:  # Home Assistant before chat sessions: nothing expires
        return
    # Home Assistant 2026.11 asks who acts (None: no user, as here) and warns when not
    # told (breaking in 2027.5); before, it takes no context.
    acting: dict[str, Any] = (
        {"context": None}
        if "context" in inspect.signature(chat_session.async_get_chat_session).parameters
        else {}
    )
    with chat_session.async_get_chat_session(hass, conversation_id, **acting):
        pass
