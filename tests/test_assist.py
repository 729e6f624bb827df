"""Assist over SMS: allowed contacts text the house, and Assist's answers are texted back.

The real pieces: the simulator on loopback posts each text to the loaded entry's webhook,
Home Assistant's built-in conversation agent answers (a template light and switch are
exposed to Assist), and the answers are read from what the simulator received. A
scripted agent (its own Assist pipeline) stands in only where the built-in one cannot
be made to fail, to be slow, or to answer at length.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

import pytest
from homeassistant.auth.const import GROUP_ID_READ_ONLY, GROUP_ID_USER
from homeassistant.components import conversation
from homeassistant.components.assist_pipeline.pipeline import KEY_ASSIST_PIPELINE
from homeassistant.components.conversation.models import AbstractConversationAgent
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigSubentryData
from homeassistant.const import CONF_NAME, MAJOR_VERSION, MATCH_ALL, MINOR_VERSION
from homeassistant.core import Context, Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import chat_session, intent
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.flowroute import assist, logbook
from custom_components.flowroute.assist import AGENT_TIMEOUT, MAX_WAITING_PER_SENDER
from custom_components.flowroute.const import (
    CONF_ALLOW_ASSIST,
    CONF_ASSIST_CONVERSATION_MINUTES,
    CONF_ASSIST_PASSPHRASE,
    CONF_ASSIST_PIPELINE,
    CONF_ASSIST_RATE_LIMIT,
    CONF_ASSIST_USER,
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_RECORD_BODIES,
    DOMAIN,
    EVENT_ASSIST_EXCHANGE,
    EVENT_MESSAGE_RECEIVED,
    SECTION_ASSIST,
    SUBENTRY_CONTACT,
)

from . import recorder_helpers
from .conftest import DID_1, DID_2

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from homeassistant.auth.models import User

    from simulator.state import MessageRecord
    from simulator.testing import RunningSimulator

ALEX = "12065550100"  # may talk to Assist; the preferred pipeline (the built-in agent)
PAT = "12065550101"  # may talk to Assist, with a passphrase
BOB = "12065550102"  # a contact who may not talk to Assist
KIM = "12065550103"  # Assist on but no user (stored data the contact flow refuses)
SAM = "12065550104"  # may talk to Assist; the scripted agent's pipeline
LEE = "12065550105"  # may talk to Assist as a read-only user
STRANGER = "12065550111"  # no contact at all
PASSPHRASE = "Open Sesame"
PORCH = "light.porch_light"
PUMP = "switch.garden_pump"
# The integration's own texts (translations/en.json, "exceptions").
APOLOGY = "Sorry, that did not work. An action may or may not have run."
PLEASE_WAIT = "That is a lot of texts at once. Please wait a few minutes before the next one."
NEW_CONFIRMED = "OK, a new conversation."
EXCHANGE_KEYS = {
    "config_entry_id",
    "did",
    "number",
    "contact",
    "text",
    "reply",
    "agent_id",
    "conversation_id",
    "success",
}


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Let a test ask for the recorder (it must be prepared before hass)."""


@pytest.fixture
def quiet_sqlalchemy() -> Iterator[None]:
    """The test Home Assistant logs at INFO, at which SQLAlchemy prints every statement."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


# The house: the built-in agent, two things exposed to Assist, a scripted agent


@pytest.fixture
async def house(hass: HomeAssistant) -> None:
    """Assist as a real install has it, with a porch light and a garden pump exposed."""
    for component in ("homeassistant", "intent", "conversation", "assist_pipeline"):
        assert await async_setup_component(hass, component, {})
    # Optimistic template entities: their state is what the last command set.
    noop = [{"event": "flowroute_test_noop"}]
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "light": [
                        {
                            "name": "Porch light",
                            "unique_id": "porch_light",
                            "turn_on": noop,
                            "turn_off": noop,
                        }
                    ],
                    "switch": [
                        {
                            "name": "Garden pump",
                            "unique_id": "garden_pump",
                            "turn_on": noop,
                            "turn_off": noop,
                        }
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()
    for entity_id in (PORCH, PUMP):
        async_expose_entity(hass, conversation.DOMAIN, entity_id, True)
        domain = entity_id.split(".")[0]
        await hass.services.async_call(domain, "turn_off", {"entity_id": entity_id}, blocking=True)


@pytest.fixture
async def people(hass: HomeAssistant) -> dict[str, User]:
    """A Home Assistant user for each contact allowed to talk to Assist.

    Made as the user settings make them: after the owner (the first user is the owner,
    an administrator), people who are not administrators, and Lee, who may only look.
    """
    await hass.auth.async_create_user("Owner")
    people = {
        name: await hass.auth.async_create_user(name, group_ids=[GROUP_ID_USER])
        for name in ("Alex", "Pat", "Sam")
    }
    people["Lee"] = await hass.auth.async_create_user("Lee", group_ids=[GROUP_ID_READ_ONLY])
    assert not any(user.is_admin for user in people.values())
    return people


class ScriptedAgent(AbstractConversationAgent):
    """A conversation agent the test controls: what it answers, when, or that it fails."""

    def __init__(self) -> None:
        """Answer "You said: ..." at once, until told otherwise."""
        self.heard: list[str] = []
        self.contexts: list[Context] = []
        self.answer: Callable[[str], str] = lambda said: f"You said: {said}"
        self.error: Exception | None = None
        self.gate: asyncio.Event | None = None  # set: the agent may answer
        self.called = asyncio.Event()
        self.running = 0
        self.most_running = 0

    @property
    def supported_languages(self) -> Literal["*"]:
        """Any language."""
        return MATCH_ALL

    async def async_process(
        self, user_input: conversation.ConversationInput
    ) -> conversation.ConversationResult:
        """Answer (or fail) once the gate opens."""
        self.heard.append(user_input.text)
        self.contexts.append(user_input.context)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self.called.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.error is not None:
                raise self.error
            response = intent.IntentResponse(language=user_input.language)
            response.async_set_speech(self.answer(user_input.text))
            return conversation.ConversationResult(
                response=response, conversation_id=user_input.conversation_id
            )
        finally:
            self.running -= 1

    async def async_wait_called(self) -> None:
        """Wait until the agent was asked (again, after `called` was cleared)."""
        async with asyncio.timeout(10):
            await self.called.wait()


@dataclass
class Scripted:
    """The scripted agent, the id it answers as, and the pipeline that uses it."""

    agent: ScriptedAgent
    agent_id: str
    pipeline_id: str


@pytest.fixture
async def scripted(hass: HomeAssistant, house: None) -> Scripted:
    """A scripted agent, registered with conversation, in a pipeline of its own."""
    agent_entry = MockConfigEntry(domain="flowroute_test_agent", title="Scripted agent")
    agent_entry.add_to_hass(hass)
    agent = ScriptedAgent()
    conversation.async_set_agent(hass, agent_entry, agent)
    pipeline = await hass.data[KEY_ASSIST_PIPELINE].pipeline_store.async_create_item(
        {
            "conversation_engine": agent_entry.entry_id,
            "conversation_language": "en",
            "language": "en",
            "name": "Scripted",
            "stt_engine": None,
            "stt_language": None,
            "tts_engine": None,
            "tts_language": None,
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )
    return Scripted(agent, agent_entry.entry_id, pipeline.id)


def _contact(name: str, number: str, **assist: Any) -> ConfigSubentryData:
    """A contact subentry as the contact flow stores it: Assist's settings flat."""
    return ConfigSubentryData(
        data={CONF_NAME: name, CONF_NUMBER: number, CONF_ALLOW_ASSIST: False, **assist},
        subentry_type=SUBENTRY_CONTACT,
        title=name,
        unique_id=number,
    )


@pytest.fixture
def subentries_data(people: dict[str, User], scripted: Scripted) -> list[ConfigSubentryData]:
    """The entry's contacts (overrides conftest's: none)."""
    return [
        _contact("Alex", ALEX, allow_assist=True, user_id=people["Alex"].id),
        _contact("Pat", PAT, allow_assist=True, user_id=people["Pat"].id, passphrase=PASSPHRASE),
        _contact("Bob", BOB),
        _contact("Kim", KIM, allow_assist=True),
        _contact(
            "Sam",
            SAM,
            allow_assist=True,
            user_id=people["Sam"].id,
            pipeline_id=scripted.pipeline_id,
        ),
        _contact("Lee", LEE, allow_assist=True, user_id=people["Lee"].id),
    ]


@pytest.fixture
def extra_options() -> dict[str, Any]:
    """Options a test adds to the entry's (parametrize to change)."""
    return {}


@pytest.fixture
def config_entry(
    config_entry: MockConfigEntry,
    subentries_data: list[ConfigSubentryData],
    extra_options: dict[str, Any],
) -> MockConfigEntry:
    """Conftest's entry (not yet added to hass), with the test's options on top."""
    if not extra_options:
        return config_entry
    return MockConfigEntry(
        subentries_data=subentries_data,
        domain=DOMAIN,
        title=config_entry.title,
        unique_id=config_entry.unique_id,
        data=dict(config_entry.data),
        options={**config_entry.options, **extra_options},
    )


# Phones and what reached the bus


@dataclass
class Phones:
    """Handsets texting the house through the simulator, and what they got back."""

    hass: HomeAssistant
    simulator: RunningSimulator
    entry: MockConfigEntry
    received: list[Event] = field(default_factory=list)
    exchanges: list[Event] = field(default_factory=list)

    async def text(self, sender: str, body: str, *, did: str = DID_1) -> None:
        """Text the house; return once its webhook answered (Assist may still work)."""
        self.simulator.inject_inbound(from_=sender, to=did, body=body)
        await self.simulator.idle()
        await self.hass.async_block_till_done()

    async def settle(self) -> None:
        """Wait for Assist's work: every exchange and reply, and Flowroute's receipts."""
        async with asyncio.timeout(30):
            while tasks := self._assist_tasks():
                await asyncio.wait(tasks)
        await self.simulator.idle()
        await self.hass.async_block_till_done()

    def _assist_tasks(self) -> list[asyncio.Future[Any]]:
        # The relay runs each sender's exchanges and its own replies as background tasks
        # of the entry named "flowroute assist ...".
        return [
            task
            for task in self.entry._background_tasks
            if isinstance(task, asyncio.Task) and task.get_name().startswith("flowroute assist")
        ]

    def texts_to(self, number: str) -> list[MessageRecord]:
        """What the house texted `number`, in the order Flowroute accepted it."""
        return [r for r in self.simulator.state.sent_messages() if r.to_number == number]

    def bodies_to(self, number: str) -> list[str | None]:
        return [record.body for record in self.texts_to(number)]

    def received_from(self, number: str) -> list[Mapping[str, Any]]:
        """The `flowroute_message_received` data of the texts from `number`."""
        return [event.data for event in self.received if event.data["from"] == number]


@pytest.fixture
async def phones(
    hass: HomeAssistant, simulator: RunningSimulator, listening: MockConfigEntry
) -> Phones:
    """Phones for the loaded entry, whose numbers' callbacks reach its webhook."""
    return Phones(
        hass,
        simulator,
        listening,
        received=async_capture_events(hass, EVENT_MESSAGE_RECEIVED),
        exchanges=async_capture_events(hass, EVENT_ASSIST_EXCHANGE),
    )


def _speech(result: conversation.ConversationResult) -> str:
    return str(result.response.speech["plain"]["speech"])


# Questions and commands


async def test_a_question_is_answered_from_the_number_texted(
    hass: HomeAssistant, phones: Phones, listening: MockConfigEntry
) -> None:
    """The built-in agent's answer is texted back from the DID that was texted."""
    await hass.services.async_call("light", "turn_on", {"entity_id": PORCH}, blocking=True)
    # What Home Assistant's agent answers to the question, asked directly.
    direct = await conversation.async_converse(
        hass, "is the porch light on?", None, Context(), language="en"
    )
    assert direct.response.response_type is intent.IntentResponseType.QUERY_ANSWER

    await phones.text(ALEX, "Is the porch light on?", did=DID_2)
    await phones.settle()

    [answer] = phones.texts_to(ALEX)
    assert answer.from_number == DID_2  # not the default sender
    assert answer.body == _speech(direct)
    assert hass.states.get(PORCH).state == "on"  # type: ignore[union-attr]
    [received] = phones.received_from(ALEX)
    assert received["handled_by"] == "assist"
    assert received["body"] == "Is the porch light on?"
    [exchange] = phones.exchanges
    assert set(exchange.data) == EXCHANGE_KEYS
    assert exchange.data == {
        "config_entry_id": listening.entry_id,
        "did": DID_2,
        "number": ALEX,
        "contact": "Alex",
        "text": "Is the porch light on?",
        "reply": _speech(direct),
        "agent_id": "conversation.home_assistant",  # the preferred pipeline's
        "conversation_id": exchange.data["conversation_id"],
        "success": True,
    }
    assert exchange.data["conversation_id"]


async def test_a_command_runs_as_the_contacts_user(
    hass: HomeAssistant, phones: Phones, people: dict[str, User]
) -> None:
    """Texting "turn on the porch light" turns it on, in a context of the contact's user."""
    await phones.text(ALEX, "Turn on the porch light")
    await phones.settle()

    porch = hass.states.get(PORCH)
    assert porch is not None
    assert porch.state == "on"
    assert porch.context.user_id == people["Alex"].id
    assert hass.states.get(PUMP).state == "off"  # type: ignore[union-attr]
    [exchange] = phones.exchanges
    assert exchange.data["success"] is True
    assert exchange.data["reply"]
    assert phones.bodies_to(ALEX) == [exchange.data["reply"]]


@pytest.mark.skipif(
    (MAJOR_VERSION, MINOR_VERSION) <= (2025, 4),
    reason="Home Assistant 2025.4's agent answers a refused command as done",
)
async def test_assist_acts_with_the_contacts_permissions(
    hass: HomeAssistant, phones: Phones
) -> None:
    """A contact whose user may only look cannot turn things on; they are told so."""
    await phones.text(LEE, "turn on the porch light")
    await phones.settle()

    assert hass.states.get(PORCH).state == "off"  # type: ignore[union-attr]
    [exchange] = phones.exchanges
    assert exchange.data["success"] is False
    [answer] = phones.bodies_to(LEE)
    assert answer == exchange.data["reply"]
    assert answer


async def test_what_assist_could_not_do_is_texted_as_assist_said_it(
    hass: HomeAssistant, phones: Phones
) -> None:
    """An agent's own explanation ("I couldn't understand") is texted, not the apology."""
    direct = await conversation.async_converse(
        hass, "blorp the fizzlewick", None, Context(), language="en"
    )
    assert direct.response.response_type is intent.IntentResponseType.ERROR

    await phones.text(ALEX, "blorp the fizzlewick")
    await phones.settle()

    assert phones.bodies_to(ALEX) == [_speech(direct)]
    [exchange] = phones.exchanges
    assert exchange.data["success"] is False
    assert exchange.data["reply"] == _speech(direct)


# Conversations


async def test_a_follow_up_continues_the_conversation_and_new_starts_another(
    hass: HomeAssistant, phones: Phones
) -> None:
    """One conversation id per DID and sender, until a text of just NEW."""
    await phones.text(ALEX, "turn on the porch light")
    await phones.settle()
    await phones.text(ALEX, "turn off the porch light")
    await phones.settle()
    await phones.text(ALEX, "to the other number", did=DID_2)
    await phones.settle()
    await phones.text(ALEX, " New ")
    await phones.settle()
    await phones.text(ALEX, "is the porch light on?")
    await phones.settle()

    first, follow_up, other_did, after_new = (e.data["conversation_id"] for e in phones.exchanges)
    assert follow_up == first
    assert other_did != first
    assert after_new not in (first, other_did)
    # NEW asks Assist nothing: the short confirmation, no exchange.
    assert len(phones.exchanges) == 4
    assert phones.bodies_to(ALEX)[3] == NEW_CONFIRMED
    assert phones.texts_to(ALEX)[3].from_number == DID_1
    assert [m["handled_by"] for m in phones.received_from(ALEX)] == ["assist"] * 5


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize("extra_options", [{CONF_ASSIST_CONVERSATION_MINUTES: 5}])
async def test_a_conversation_left_longer_than_the_option_starts_afresh(
    hass: HomeAssistant, phones: Phones, freezer: Any
) -> None:
    """A text after the option's minutes of silence starts a new conversation."""
    await phones.text(ALEX, "turn on the porch light")
    await phones.settle()
    freezer.tick(4 * 60)
    await phones.text(ALEX, "turn off the porch light")
    await phones.settle()
    freezer.tick(5 * 60 + 1)
    await phones.text(ALEX, "is the porch light on?")
    await phones.settle()

    first, within, after = (e.data["conversation_id"] for e in phones.exchanges)
    assert within == first
    assert after != first


@pytest.mark.freeze_time(tick=True)
async def test_the_chat_session_is_kept_awake_while_the_conversation_is_kept(
    hass: HomeAssistant, phones: Phones, freezer: Any
) -> None:
    """Home Assistant forgets a chat session after 5 idle minutes; the relay keeps it 30."""
    await phones.text(ALEX, "turn on the porch light")
    await phones.settle()
    [exchange] = phones.exchanges
    conversation_id = exchange.data["conversation_id"]
    sessions = hass.data[chat_session.DATA_CHAT_SESSION]
    assert conversation_id in sessions

    async def idle(minutes: int) -> None:
        for _ in range(minutes):
            freezer.tick(timedelta(minutes=1))
            async_fire_time_changed(hass)
            await hass.async_block_till_done()

    await idle(20)  # four times Home Assistant's own timeout
    assert conversation_id in sessions
    await idle(20)  # past the option's 30 minutes: the relay lets go, and so does HA
    assert conversation_id not in sessions


# Never answered


@pytest.mark.parametrize(
    ("sender", "body"),
    [
        (STRANGER, "turn on the porch light"),
        (BOB, "turn on the porch light"),  # a contact without Assist
        (KIM, "turn on the porch light"),  # Assist allowed but nobody to act as
        (PAT, "turn on the porch light"),  # the passphrase missing
        (PAT, "open sesam turn on the porch light"),  # a wrong passphrase
        (PAT, "Open Says Me turn on the porch light"),  # as long as the right one
        (PAT, "Open Sesameturn on the porch light"),  # not followed by a separator
    ],
)
async def test_texts_not_for_assist_are_never_answered(
    hass: HomeAssistant,
    *,
    phones: Phones,
    simulator: RunningSimulator,
    scripted: Scripted,
    sender: str,
    body: str,
) -> None:
    """No reply at all, no exchange, the text a plain text, and Assist never acted."""
    await phones.text(sender, body)
    await phones.settle()

    assert simulator.state.send_attempts == []
    assert phones.exchanges == []
    assert [(m["body"], m["handled_by"]) for m in phones.received_from(sender)] == [(body, None)]
    assert hass.states.get(PORCH).state == "off"  # type: ignore[union-attr]
    assert scripted.agent.heard == []


# The passphrase


@pytest.mark.parametrize(
    "extra_options",
    [{CONF_RECORD_BODIES: False}, {CONF_RECORD_BODIES: True}],
    ids=["private", "bodies"],
)
async def test_the_passphrase_opens_assist_and_is_kept_nowhere(
    recorder_mock: Any,
    quiet_sqlalchemy: None,
    *,
    hass: HomeAssistant,
    phones: Phones,
    people: dict[str, User],
    extra_options: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """In any case, then a separator, it opens Assist; no event, log or history keeps it."""
    caplog.set_level(logging.DEBUG)
    await phones.text(PAT, "open sesame turn on the porch light")
    await phones.settle()
    await phones.text(PAT, "OPEN SESAME, is the porch light on?")
    await phones.settle()
    await phones.text(PAT, "Open Sesame")  # the passphrase alone asks nothing
    await phones.text(PAT, "Open Sesam, turn on the garden pump")  # not the passphrase
    await phones.settle()

    porch = hass.states.get(PORCH)
    assert porch is not None
    assert porch.state == "on"
    assert porch.context.user_id == people["Pat"].id
    asked = ["turn on the porch light", "is the porch light on?"]
    assert [e.data["text"] for e in phones.exchanges] == asked
    assert [(m["body"], m["handled_by"]) for m in phones.received_from(PAT)] == [
        (asked[0], "assist"),
        (asked[1], "assist"),
        ("", "assist"),
        ("Open Sesam, turn on the garden pump", None),
    ]
    assert len(phones.texts_to(PAT)) == 2  # nothing answers the passphrase alone
    assert hass.states.get(PUMP).state == "off"  # type: ignore[union-attr]

    await async_wait_recording_done(hass)
    recorder = get_instance(hass)
    types, recorded = await recorder.async_add_executor_job(recorder_helpers.recorded, hass)
    if extra_options[CONF_RECORD_BODIES]:
        assert {EVENT_MESSAGE_RECEIVED, EVENT_ASSIST_EXCHANGE} <= set(types)
        assert asked[0] in recorded  # what was asked is there: the search below can fail
    else:
        assert EVENT_MESSAGE_RECEIVED not in types
        assert EVENT_ASSIST_EXCHANGE not in types
        assert asked[0] not in recorded
    seen = [
        repr([e.data for e in phones.received]),
        repr([e.data for e in phones.exchanges]),
        repr(phones.bodies_to(PAT)),
        caplog.text,
        recorded,
    ]
    # The log was captured at DEBUG: the integration's line about the wrong one is there.
    assert "Text from Pat not passed to Assist: no passphrase" in caplog.text
    for place in seen:
        assert "sesame" not in place.casefold()


# Guard rails


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize("extra_options", [{CONF_ASSIST_RATE_LIMIT: 2}])
async def test_beyond_the_rate_limit_one_polite_reply_then_silence(
    hass: HomeAssistant, phones: Phones, freezer: Any
) -> None:
    """The third text in ten minutes gets the one reply asking to wait, the fourth nothing."""
    for _ in range(4):
        await phones.text(ALEX, "is the porch light on?")
        await phones.settle()

    assert len(phones.exchanges) == 2
    bodies = phones.bodies_to(ALEX)
    assert len(bodies) == 3
    assert bodies[2] == PLEASE_WAIT
    assert [m["handled_by"] for m in phones.received_from(ALEX)] == ["assist"] * 4

    freezer.tick(601)  # the window clears
    await phones.text(ALEX, "is the porch light on?")
    await phones.settle()
    assert len(phones.exchanges) == 3
    assert phones.bodies_to(ALEX)[3:] == [phones.exchanges[2].data["reply"]]


async def test_an_opted_out_sender_is_never_answered_on_that_number(
    hass: HomeAssistant, phones: Phones, simulator: RunningSimulator
) -> None:
    """After STOP to one DID: no answer there; a text to the other DID is answered."""
    for sender in (ALEX, PAT):
        await phones.text(sender, "STOP")
    await phones.text(ALEX, "turn on the porch light")
    await phones.text(PAT, "open sesame turn on the porch light")
    await phones.settle()

    assert simulator.state.send_attempts == []
    assert phones.exchanges == []
    assert hass.states.get(PORCH).state == "off"  # type: ignore[union-attr]
    # Still Assist's texts (so the passphrase is stripped), but nothing answers them.
    assert [(m["body"], m["handled_by"]) for m in phones.received_from(ALEX)] == [
        ("STOP", "keyword"),
        ("turn on the porch light", "assist"),
    ]
    assert phones.received_from(PAT)[1]["body"] == "turn on the porch light"

    await phones.text(ALEX, "turn on the porch light", did=DID_2)
    await phones.settle()
    [answer] = phones.texts_to(ALEX)
    assert answer.from_number == DID_2
    assert hass.states.get(PORCH).state == "on"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "error", [RuntimeError("agent crashed"), HomeAssistantError("agent refused")]
)
async def test_an_agent_that_fails_gives_the_apology(
    phones: Phones,
    scripted: Scripted,
    people: dict[str, User],
    error: Exception,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whatever the agent raises, the sender gets the short apology; the event says so."""
    scripted.agent.error = error
    await phones.text(SAM, "open the garage")
    await phones.settle()

    assert phones.bodies_to(SAM) == [APOLOGY]
    [exchange] = phones.exchanges
    assert exchange.data["success"] is False
    assert exchange.data["reply"] == APOLOGY
    assert exchange.data["agent_id"] == scripted.agent_id  # the contact's pipeline's agent
    assert scripted.agent.heard == ["open the garage"]
    assert [c.user_id for c in scripted.agent.contexts] == [people["Sam"].id]
    if isinstance(error, RuntimeError):
        assert "Assist failed to answer Sam: RuntimeError" in caplog.text


@pytest.mark.freeze_time(tick=True)
async def test_an_agent_that_never_answers_gives_the_apology(
    phones: Phones, scripted: Scripted, freezer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An agent still silent after the timeout is given up on: the apology."""
    scripted.agent.gate = asyncio.Event()  # never opened
    await phones.text(SAM, "open the garage")
    await scripted.agent.async_wait_called()
    assert phones.texts_to(SAM) == []

    freezer.tick(AGENT_TIMEOUT + 1)
    await phones.settle()
    assert phones.bodies_to(SAM) == [APOLOGY]
    [exchange] = phones.exchanges
    assert exchange.data["success"] is False
    assert "Assist did not answer Sam in time" in caplog.text


async def test_stop_during_an_exchange_wins(
    hass: HomeAssistant, phones: Phones, simulator: RunningSimulator, scripted: Scripted
) -> None:
    """STOP while the agent works: its answer, and the texts waiting, are never sent."""
    agent = scripted.agent
    agent.gate = asyncio.Event()
    await phones.text(SAM, "turn on the porch light")
    await agent.async_wait_called()
    await phones.text(SAM, "and the garden pump")  # waits behind the first
    await phones.text(SAM, "STOP")
    agent.gate.set()
    await phones.settle()

    assert agent.heard == ["turn on the porch light"]
    assert phones.texts_to(SAM) == []
    assert simulator.state.send_attempts == []
    assert [m["handled_by"] for m in phones.received_from(SAM)] == ["assist", "assist", "keyword"]


# One exchange at a time per sender


async def test_one_exchange_at_a_time_per_sender_in_order(
    phones: Phones, scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    """Texts wait for the running exchange and are answered in order; too many are dropped."""
    agent = scripted.agent
    agent.gate = asyncio.Event()
    await phones.text(SAM, "one")
    await agent.async_wait_called()
    waiting = [f"then {n}" for n in range(MAX_WAITING_PER_SENDER)]
    for body in [*waiting, "one too many"]:
        await phones.text(SAM, body)
    assert agent.heard == ["one"]  # the others wait
    assert "Text from Sam to Assist dropped" in caplog.text

    agent.gate.set()
    await phones.settle()
    asked = ["one", *waiting]
    assert agent.heard == asked
    assert agent.most_running == 1
    assert phones.bodies_to(SAM) == [f"You said: {said}" for said in asked]
    assert [e.data["text"] for e in phones.exchanges] == asked


async def test_texts_waiting_are_bounded_over_the_whole_entry(
    phones: Phones,
    scripted: Scripted,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past the entry's bound of waiting texts, another sender's text is dropped too."""
    monkeypatch.setattr(assist, "MAX_WAITING", 1)
    agent = scripted.agent
    agent.gate = asyncio.Event()
    await phones.text(SAM, "one")
    await agent.async_wait_called()
    await phones.text(SAM, "two")  # the one text waiting
    await phones.text(ALEX, "is the porch light on?")  # dropped: the entry's bound
    agent.gate.set()
    await phones.settle()

    assert [e.data["text"] for e in phones.exchanges] == ["one", "two"]
    assert phones.texts_to(ALEX) == []
    assert "Text from Alex to Assist dropped" in caplog.text


async def test_a_long_answer_is_split_at_sentence_ends_and_made_plain(
    phones: Phones, scripted: Scripted
) -> None:
    """Several texts, each a few segments, cut between sentences, all GSM-7."""
    sentences = [
        (
            "\u201cPorch light\u201d is on \u2014 it\u2019s been on since dusk, and it will"
            " stay on until midnight unless somebody turns it off before then, which you can do."
        ),
        (
            "The garden pump ran for twenty minutes this morning\u2026 then it stopped by"
            " itself, as the schedule says it should on a day when the soil is still wet."
        ),
        (
            "The garage door is closed, the back door is locked, and the heating is set to"
            " nineteen degrees until six in the morning, when it warms the house for you."
        ),
        (
            "Nothing else needs your attention tonight; the next thing scheduled is the"
            " sprinkler at five, which will be skipped if it rains overnight as forecast."
        ),
    ]
    scripted.agent.answer = lambda _said: " ".join(sentences)
    await phones.text(SAM, "how is the house?")
    await phones.settle()

    plain = [
        (
            '"Porch light" is on - it\'s been on since dusk, and it will'
            " stay on until midnight unless somebody turns it off before then, which you can do."
        ),
        (
            "The garden pump ran for twenty minutes this morning... then it stopped by"
            " itself, as the schedule says it should on a day when the soil is still wet."
        ),
        sentences[2],
        sentences[3],
    ]
    texts = phones.texts_to(SAM)
    assert len(texts) > 1
    rest = list(plain)
    for record in texts:
        assert record.from_number == DID_1
        assert str(record.encoding) == "GSM-7"
        assert record.segments <= 3
        # Whole sentences, in order: the text is the next few of them.
        taken: list[str] = []
        while rest and " ".join(taken) != record.body:
            taken.append(rest.pop(0))
        assert " ".join(taken) == record.body
    assert rest == []
    [exchange] = phones.exchanges
    # The event has what was texted: the answer made plain, before it was split.
    assert exchange.data["reply"] == " ".join(plain)


# The contact flow


def _assist_section(result: Any) -> section:
    """The contact form's Assist section."""
    [assist_section] = [
        value for key, value in result["data_schema"].schema.items() if str(key) == SECTION_ASSIST
    ]
    assert isinstance(assist_section, section)
    return assist_section


def _assist_fields(result: Any) -> dict[str, tuple[Any, Any]]:
    """The Assist section's fields by name: their schema marker and selector."""
    schema = _assist_section(result).schema.schema
    return {str(marker): (marker, selector) for marker, selector in schema.items()}


def _suggested(result: Any) -> dict[str, Any]:
    """The suggested values of the Assist section's fields."""
    return {
        name: marker.description["suggested_value"]
        for name, (marker, _) in _assist_fields(result).items()
        if marker.description and "suggested_value" in marker.description
    }


@pytest.fixture
def flow_entry(hass: HomeAssistant) -> MockConfigEntry:
    """An entry the contact flows add to (not loaded: the flow does not need it)."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_NUMBERS: [DID_1, DID_2]}, options={})
    entry.add_to_hass(hass)
    return entry


async def test_the_contact_flow_sets_up_assist(
    hass: HomeAssistant, flow_entry: MockConfigEntry
) -> None:
    """A user is required; only active people are offered; the data is stored flat."""
    alex = await hass.auth.async_create_user("Alex")
    gone = await hass.auth.async_create_user("Former tenant")
    await hass.auth.async_deactivate_user(gone)
    robot = await hass.auth.async_create_system_user("Automation robot")

    result = await hass.config_entries.subentries.async_init(
        (flow_entry.entry_id, SUBENTRY_CONTACT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert _assist_section(result).options == {"collapsed": True}
    fields = _assist_fields(result)
    assert set(fields) == {
        CONF_ALLOW_ASSIST,
        CONF_ASSIST_USER,
        CONF_ASSIST_PIPELINE,
        CONF_ASSIST_PASSPHRASE,
    }
    offered = {
        option["value"]: option["label"] for option in fields[CONF_ASSIST_USER][1].config["options"]
    }
    assert offered[alex.id] == "Alex"
    assert gone.id not in offered
    assert robot.id not in offered
    assert all(
        not user.system_generated and user.is_active
        for user in await hass.auth.async_get_users()
        if user.id in offered
    )

    form = {CONF_NAME: "Alex", CONF_NUMBER: "+1 206 555 0100"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**form, SECTION_ASSIST: {CONF_ALLOW_ASSIST: True}}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {SECTION_ASSIST: "assist_user_required"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            **form,
            SECTION_ASSIST: {
                CONF_ALLOW_ASSIST: True,
                CONF_ASSIST_USER: alex.id,
                CONF_ASSIST_PIPELINE: "01jabcdefpipeline",
                CONF_ASSIST_PASSPHRASE: f" {PASSPHRASE} ",
            },
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    [stored] = flow_entry.subentries.values()
    assert dict(stored.data) == {
        CONF_NAME: "Alex",
        CONF_NUMBER: ALEX,
        CONF_ALLOW_ASSIST: True,
        CONF_ASSIST_USER: alex.id,
        CONF_ASSIST_PIPELINE: "01jabcdefpipeline",
        CONF_ASSIST_PASSPHRASE: PASSPHRASE,
    }

    # Reconfiguring shows what is stored, in the Assist section.
    result = await hass.config_entries.subentries.async_init(
        (flow_entry.entry_id, SUBENTRY_CONTACT),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": stored.subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    assert _suggested(result) == {
        CONF_ALLOW_ASSIST: True,
        CONF_ASSIST_USER: alex.id,
        CONF_ASSIST_PIPELINE: "01jabcdefpipeline",
        CONF_ASSIST_PASSPHRASE: PASSPHRASE,
    }

    # Turned off, the pipeline and passphrase cleared: the cleared fields are left out.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            **form,
            SECTION_ASSIST: {
                CONF_ALLOW_ASSIST: False,
                CONF_ASSIST_USER: alex.id,
                CONF_ASSIST_PASSPHRASE: "  ",
            },
        },
    )
    assert result["reason"] == "reconfigure_successful"
    assert dict(flow_entry.subentries[stored.subentry_id].data) == {
        CONF_NAME: "Alex",
        CONF_NUMBER: ALEX,
        CONF_ALLOW_ASSIST: False,
        CONF_ASSIST_USER: alex.id,
    }


# The logbook


class _LogbookEvent:
    """What the logbook hands to describe callbacks: the event's data, read lazily."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


def _describe_exchange(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def describe(domain: str, event_type: str, describe_callback: Any) -> None:
        assert domain == DOMAIN
        found[event_type] = describe_callback

    logbook.async_describe_events(hass, describe)
    result: dict[str, Any] = found[EVENT_ASSIST_EXCHANGE](_LogbookEvent(data))
    return result


def _exchange(entry_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "config_entry_id": entry_id,
        "did": DID_1,
        "number": ALEX,
        "contact": "Alex",
        "text": "Is the garage door closed?",
        "reply": "The garage door is closed.",
        "agent_id": "conversation.home_assistant",
        "conversation_id": "flowroute-0123",
        "success": True,
    } | overrides


@pytest.mark.parametrize(
    ("record_bodies", "overrides", "expected"),
    [
        (
            True,
            {},
            "Alex asked Assist: Is the garage door closed? - answered: The garage door is closed.",
        ),
        (
            True,
            {"contact": None, "reply": "x" * 200},
            "+1 206 555 0100 asked Assist: Is the garage door closed? - answered: "
            + "x" * 79
            + "\u2026",
        ),
        (False, {}, "Alex asked Assist by text (answered)"),
        (
            False,
            {"success": False, "reply": APOLOGY},
            "Alex asked Assist by text (it did not work)",
        ),
    ],
)
def test_the_logbook_sentence_of_an_exchange(
    hass: HomeAssistant,
    record_bodies: bool,
    overrides: dict[str, Any],
    expected: str,
) -> None:
    """Words show only where the user allowed keeping bodies."""
    entry = MockConfigEntry(domain=DOMAIN, options={CONF_RECORD_BODIES: record_bodies})
    entry.add_to_hass(hass)
    described = _describe_exchange(hass, _exchange(entry.entry_id, **overrides))
    assert described == {LOGBOOK_ENTRY_NAME: "Flowroute", LOGBOOK_ENTRY_MESSAGE: expected}
    # An entry that no longer exists shows no words either.
    gone = _describe_exchange(hass, _exchange("gone", **overrides))
    assert "asked Assist by text" in gone[LOGBOOK_ENTRY_MESSAGE]
