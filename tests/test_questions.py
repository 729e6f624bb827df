"""`flowroute.ask`: a question texted and its answer waited for (questions.py and its callers).

The simulator plays Flowroute and the handset: the question goes out to it over HTTP,
and the reply comes back through the entry's real webhook (the simulator's callback).
Each test starts the action as a task, waits until the question reached the
simulator, replies, then awaits the action's response.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_NAME
from homeassistant.core import SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.flowroute.const import (
    CONF_ALLOW_ASSIST,
    CONF_ASSIST_PASSPHRASE,
    CONF_ASSIST_PIPELINE,
    CONF_ASSIST_USER,
    CONF_NUMBER,
    DOMAIN,
    EVENT_ASSIST_EXCHANGE,
    EVENT_MESSAGE_RECEIVED,
    SUBENTRY_CONTACT,
)
from custom_components.flowroute.questions import (
    DATA_QUESTIONS,
    MAX_WAITING_PER_NUMBER,
    Choice,
    list_choices,
    match_choice,
    normalize_reply,
)

from .conftest import DID_1, DID_2

if TYPE_CHECKING:
    from homeassistant.core import Event, HomeAssistant

    from simulator.state import MessageRecord
    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
OTHER = "12065550111"
QUESTION = "The garage has been open for an hour. Close it?"
YES_NO: list[Any] = [
    {"id": "close", "sentences": ["Yes", "close it"]},
    {"id": "keep", "sentences": ["No", "leave it"]},
]


@pytest.fixture
def subentries_data(
    request: pytest.FixtureRequest, hass_admin_user: MockUser
) -> list[ConfigSubentryData]:
    """No contacts; with `indirect=True` and True: Alice, who may talk to Assist."""
    if not getattr(request, "param", False):
        return []
    return [
        ConfigSubentryData(
            data={
                CONF_NAME: "Alice",
                CONF_NUMBER: HANDSET,
                CONF_ALLOW_ASSIST: True,
                CONF_ASSIST_USER: hass_admin_user.id,
                CONF_ASSIST_PIPELINE: None,
                CONF_ASSIST_PASSPHRASE: None,
            },
            subentry_type=SUBENTRY_CONTACT,
            title="Alice",
            unique_id=HANDSET,
        )
    ]


@pytest.fixture
async def assist_agent(hass: HomeAssistant) -> None:
    """Home Assistant's built-in conversation agent (set up before the HTTP server starts)."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})


@pytest.fixture
def received(hass: HomeAssistant) -> list[Event]:
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED)


def _ask(hass: HomeAssistant, **data: Any) -> asyncio.Task[Any]:
    """Start `flowroute.ask` (it waits for the answer) as a task."""
    return hass.async_create_task(
        hass.services.async_call(
            DOMAIN,
            "ask",
            {"to": HANDSET, "question": QUESTION, **data},
            blocking=True,
            return_response=True,
        )
    )


async def _call_ask(hass: HomeAssistant, **data: Any) -> Any:
    """Call `flowroute.ask` and wait for it (for calls that are refused at once)."""
    return await hass.services.async_call(
        DOMAIN,
        "ask",
        {"to": HANDSET, "question": QUESTION, **data},
        blocking=True,
        return_response=True,
    )


def _sent(simulator: RunningSimulator, number: str = HANDSET) -> list[MessageRecord]:
    return [record for record in simulator.state.sent_messages() if record.to_number == number]


async def _texts_to(
    simulator: RunningSimulator, count: int, number: str = HANDSET
) -> list[MessageRecord]:
    """Wait until `count` texts to `number` reached the simulator (sends are real HTTP)."""
    async with asyncio.timeout(20):
        while len(records := _sent(simulator, number)) < count:
            await asyncio.sleep(0.01)
    return records


async def _reply(
    simulator: RunningSimulator, body: str, *, sender: str = HANDSET, to: str = DID_1
) -> MessageRecord:
    """The handset texts the house; return once the webhook has routed it."""
    record = simulator.inject_inbound(from_=sender, to=to, body=body)
    await simulator.idle()
    return record


async def _response(task: asyncio.Task[Any]) -> Any:
    """The action's response; a wait that never ends fails the test (and is cancelled)."""
    async with asyncio.timeout(10):
        return await task


async def _until(predicate: Any) -> None:
    """Wait until `predicate()` holds (what it waits for happens over real HTTP)."""
    async with asyncio.timeout(20):
        while not predicate():
            await asyncio.sleep(0.01)


def _waiting(hass: HomeAssistant) -> int:
    """How many questions are on the board."""
    return len(hass.data[DATA_QUESTIONS])


def _unanswered(hass: HomeAssistant) -> int:
    """How many questions still wait: not answered, timed out or ended.

    Answering, timing out and ending resolve a question at once (the action's task
    only returns later), so this tells without waiting whether a reply answered.
    """
    board = hass.data[DATA_QUESTIONS]
    return sum(
        not question.future.done() for queue in board._waiting.values() for question in queue
    )


# Answers


async def test_answered_by_id_and_response_fields(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    """A reply that is an answer's id answers with it; the response has every field."""
    task = _ask(hass, to="(206) 555-0100", answers=YES_NO)
    [question] = await _texts_to(simulator, 1)
    assert question.from_number == DID_1
    record = await _reply(simulator, "Close")
    response = await _response(task)
    await hass.async_block_till_done()
    [event] = received
    assert response == {
        "answer": {"id": "close", "text": "Close"},
        "matched": True,
        "from": HANDSET,
        "to": DID_1,
        "message_id": record.message_id,
        "received_at": event.data["timestamp"],
    }
    # The reply's own time (Flowroute gives it to the centisecond), not when it was read.
    received_at = dt_util.parse_datetime(response["received_at"])
    assert received_at is not None
    assert abs(received_at - record.timestamp) < timedelta(milliseconds=10)
    assert event.data["handled_by"] == "question"
    assert _waiting(hass) == 0


@pytest.mark.parametrize(
    ("reply", "answer_id"),
    [("close it", "close"), ("Leave it!", "keep"), ("no thanks", "keep"), ("NO", "keep")],
)
async def test_answered_by_sentence(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    reply: str,
    answer_id: str,
) -> None:
    """Any sentence of an answer means it, in any case, with punctuation or words after."""
    task = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    await _reply(simulator, reply)
    response = await _response(task)
    assert response["answer"] == {"id": answer_id, "text": reply}
    assert response["matched"] is True


async def test_yes_answers_although_it_is_a_start_keyword(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    """A "Yes" answers, although it is a START synonym: nobody was opted out to opt in."""
    task = _ask(hass, answers=["yes", "no"])
    await _texts_to(simulator, 1)
    await _reply(simulator, "Yes")
    response = await _response(task)
    await hass.async_block_till_done()
    assert response["answer"] == {"id": "yes", "text": "Yes"}
    [event] = received
    assert (event.data["keyword"], event.data["handled_by"]) == ("start", "question")
    # With no question waiting it is a plain text (still flagged as the keyword).
    await _reply(simulator, "Yes")
    await hass.async_block_till_done()
    assert (received[1].data["keyword"], received[1].data["handled_by"]) == ("start", None)


async def test_plain_string_answers_and_the_listed_choices(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Plain strings are answers whose id is the string; the question lists them."""
    task = _ask(hass, question="  Which door?  ", answers=["Front door", "Back door", "Garage"])
    [question] = await _texts_to(simulator, 1)
    assert question.body == "Which door?\nReply Front door, Back door, Garage"
    await _reply(simulator, "back door.")
    response = await _response(task)
    assert response["answer"] == {"id": "Back door", "text": "back door."}
    assert response["matched"] is True


async def test_the_question_lists_each_answers_first_sentence_or_its_id(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    task = _ask(
        hass,
        answers=[{"id": "close", "sentences": ["Yes", "close it"]}, {"id": "later"}],
    )
    [question] = await _texts_to(simulator, 1)
    assert question.body == f"{QUESTION}\nReply Yes, later"
    await _reply(simulator, "later")
    assert (await _response(task))["answer"]["id"] == "later"


async def test_free_text(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Without answers any reply is the answer, unmatched; the question is sent as given."""
    task = _ask(hass, question="What should I tell the plumber?")
    [question] = await _texts_to(simulator, 1)
    assert question.body == "What should I tell the plumber?"
    await _reply(simulator, "Come Tuesday after 3, the side door is open.")
    response = await _response(task)
    assert response["answer"] == {
        "id": None,
        "text": "Come Tuesday after 3, the side door is open.",
    }
    assert response["matched"] is False
    assert (response["from"], response["to"]) == (HANDSET, DID_1)


# Replies that match none of the answers


async def test_a_wrong_reply_gets_one_reprompt_then_the_right_one_answers(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    task = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    await _reply(simulator, "maybe later?")
    # The wrong reply did not answer: the action still waits.
    assert _unanswered(hass) == 1
    reprompt = (await _texts_to(simulator, 2))[1]
    assert reprompt.body == "Sorry, please reply Yes, No"
    assert reprompt.from_number == DID_1
    await _reply(simulator, "yes please")
    response = await _response(task)
    assert response["answer"] == {"id": "close", "text": "yes please"}
    await hass.async_block_till_done()
    assert [event.data["handled_by"] for event in received] == ["question", "question"]


async def test_a_second_wrong_reply_gets_no_second_reprompt(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    task = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    await _reply(simulator, "what?")
    await _texts_to(simulator, 2)
    await _reply(simulator, "I said what?")
    assert _unanswered(hass) == 1
    await _reply(simulator, "No")
    assert (await _response(task))["answer"]["id"] == "keep"
    # A send after the second wrong reply, through the same outbox: a re-prompt would
    # have been queued before it.
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": HANDSET, "message": "marker"},
        blocking=True,
        return_response=True,
    )
    bodies = [record.body for record in await _texts_to(simulator, 3)]
    assert bodies == [f"{QUESTION}\nReply Yes, No", "Sorry, please reply Yes, No", "marker"]
    await hass.async_block_till_done()
    assert [event.data["handled_by"] for event in received] == ["question"] * 3


# The end of a wait without an answer


async def test_timeout(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    """The wait ends after `timeout` seconds; a later reply is a plain text again."""
    task = _ask(hass, answers=YES_NO, timeout=60)
    await _texts_to(simulator, 1)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=30))
    assert _unanswered(hass) == 1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=61))
    assert await _response(task) == {"timed_out": True}
    assert _waiting(hass) == 0
    await _reply(simulator, "close it")
    await hass.async_block_till_done()
    [event] = received
    assert event.data["handled_by"] is None


async def test_default_timeout_is_five_minutes(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    task = _ask(hass)
    await _texts_to(simulator, 1)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=290))
    assert _unanswered(hass) == 1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=301))
    assert await _response(task) == {"timed_out": True}


async def test_stop_while_waiting(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    """STOP wins over the question: the action answers that they opted out."""
    first = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    second = _ask(hass)
    await _texts_to(simulator, 2)
    await _reply(simulator, "STOP")
    assert await _response(first) == {"opted_out": True}
    assert await _response(second) == {"opted_out": True}
    assert _waiting(hass) == 0
    assert listening.runtime_data.opt_outs.is_opted_out(DID_1, HANDSET)
    await hass.async_block_till_done()
    assert [event.data["handled_by"] for event in received] == ["keyword"]


async def test_opting_out_of_another_did_does_not_end_the_wait(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    task = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    await _reply(simulator, "STOP", to=DID_2)
    assert listening.runtime_data.opt_outs.is_opted_out(DID_2, HANDSET)
    assert _unanswered(hass) == 1
    await _reply(simulator, "yes")
    assert (await _response(task))["answer"]["id"] == "close"


# Whose reply answers


async def test_two_questions_are_answered_in_the_order_asked(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    first = _ask(hass, question="Close the garage?", answers=YES_NO)
    await _texts_to(simulator, 1)
    second = _ask(hass, question="Anything for the shopping list?")
    await _texts_to(simulator, 2)
    await _reply(simulator, "No")
    assert (await _response(first))["answer"] == {"id": "keep", "text": "No"}
    assert _unanswered(hass) == 1
    await _reply(simulator, "Milk")
    assert (await _response(second))["answer"] == {"id": None, "text": "Milk"}


async def test_a_reply_from_another_number_or_to_another_did_does_not_answer(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    task = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    await _reply(simulator, "close it", sender=OTHER)
    await _reply(simulator, "close it", to=DID_2)
    assert _unanswered(hass) == 1
    assert [event.data["handled_by"] for event in received] == [None, None]
    # Neither was a wrong answer either: no re-prompt went anywhere.
    await _reply(simulator, "leave it")
    assert (await _response(task))["answer"]["id"] == "keep"
    assert [record.to_number for record in simulator.state.sent_messages()] == [HANDSET]


async def test_asked_from_another_did_the_answer_comes_to_it(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    task = _ask(hass, answers=YES_NO, **{"from": "+1 206 555 0188"})
    [question] = await _texts_to(simulator, 1)
    assert question.from_number == DID_2
    await _reply(simulator, "yes")  # to DID_1: not the number that asked
    assert _unanswered(hass) == 1
    await _reply(simulator, "yes", to=DID_2)
    response = await _response(task)
    assert (response["answer"]["id"], response["to"]) == ("close", DID_2)


@pytest.mark.parametrize("subentries_data", [True], indirect=True)
async def test_the_answer_never_reaches_assist(
    assist_agent: None,
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    received: list[Event],
) -> None:
    """Alice may talk to Assist (the real built-in agent); her answer is the question's."""
    exchanges = async_capture_events(hass, EVENT_ASSIST_EXCHANGE)
    task = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    await _reply(simulator, "close it")
    assert (await _response(task))["answer"]["id"] == "close"
    # The next text is hers to Assist again: Assist answers it, and only it (one
    # exchange at a time per sender, in order: an answer to "close it" would come first).
    await _reply(simulator, "hello")
    await _until(lambda: exchanges)
    await _texts_to(simulator, 2)
    await hass.async_block_till_done()
    assert [event.data["text"] for event in exchanges] == ["hello"]
    assert [record.body for record in _sent(simulator)][1:] == [exchanges[0].data["reply"]]
    assert [event.data["handled_by"] for event in received] == ["question", "assist"]


# The board outlives its entry


async def test_a_wait_survives_a_reload_of_its_entry(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Any new contact or option reloads the entry; the question it asked still waits."""
    task = _ask(hass, answers=YES_NO)
    await _texts_to(simulator, 1)
    assert await hass.config_entries.async_reload(listening.entry_id)
    assert listening.state is ConfigEntryState.LOADED
    assert _unanswered(hass) == 1
    await _reply(simulator, "yes")
    assert (await _response(task))["answer"] == {"id": "close", "text": "yes"}


# Refused


async def test_ask_always_returns_data(hass: HomeAssistant, listening: MockConfigEntry) -> None:
    assert hass.services.supports_response(DOMAIN, "ask") is SupportsResponse.ONLY


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"to": "call me"},
            ("invalid_number", '"call me" is not a phone number Flowroute can text: '),
        ),
        (
            {"timeout": 5},
            (
                "ask_timeout_out_of_range",
                "A question can wait 10 to 86400 seconds for its answer, not 5",
            ),
        ),
        (
            {"timeout": 86_401},
            (
                "ask_timeout_out_of_range",
                "A question can wait 10 to 86400 seconds for its answer, not 86401",
            ),
        ),
        (
            {"from": "+1 312 555 0199"},
            (
                "unknown_did",
                "+1 312 555 0199 is not one of the Flowroute numbers configured in Home Assistant",
            ),
        ),
        (
            {"config_entry_id": "nope"},
            ("entry_not_loaded", "The Flowroute account nope is not loaded"),
        ),
    ],
)
async def test_bad_input_is_refused_with_a_translated_error(
    hass: HomeAssistant,
    listening: MockConfigEntry,
    simulator: RunningSimulator,
    data: dict[str, Any],
    expected: tuple[str, str],
) -> None:
    """Refused before anything is sent or waited for, with the translated message."""
    key, message = expected
    with pytest.raises(ServiceValidationError) as err:
        await _call_ask(hass, **data)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    # The translation, placeholders filled in (Home Assistant drops its final period).
    assert str(err.value).startswith(message)
    assert simulator.state.sent_messages() == []
    assert _waiting(hass) == 0


async def test_the_timeout_bounds_are_allowed(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    short = _ask(hass, timeout=10)
    long = _ask(hass, timeout=86_400, **{"from": DID_2})
    await _texts_to(simulator, 2)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    assert await _response(short) == {"timed_out": True}
    assert _unanswered(hass) == 1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(days=1, seconds=1))
    assert await _response(long) == {"timed_out": True}


async def test_an_opted_out_recipient_is_not_asked(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _reply(simulator, "STOP")
    with pytest.raises(ServiceValidationError) as err:
        await _call_ask(hass, answers=YES_NO)
    assert err.value.translation_key == "opted_out"
    assert "+1 206 555 0100" in str(err.value)
    assert simulator.state.sent_messages() == []
    assert _waiting(hass) == 0
    # Opted out of DID_1 only: asking from DID_2 is fine.
    task = _ask(hass, **{"from": DID_2})
    await _texts_to(simulator, 1)
    await _reply(simulator, "ok", to=DID_2)
    assert (await _response(task))["answer"]["text"] == "ok"


async def test_too_many_questions_waiting_on_one_number(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    tasks = [_ask(hass, question=f"Question {n}?") for n in range(MAX_WAITING_PER_NUMBER)]
    await _texts_to(simulator, MAX_WAITING_PER_NUMBER)
    with pytest.raises(ServiceValidationError) as err:
        await _call_ask(hass)
    assert err.value.translation_key == "too_many_questions"
    assert str(err.value) == (
        "10 questions already wait for an answer from +1 206 555 0100; "
        "wait for one before asking another"
    )
    assert len(_sent(simulator)) == MAX_WAITING_PER_NUMBER
    # The bound is per number and DID: the same number may still be asked from DID_2.
    other = _ask(hass, **{"from": DID_2})
    await _texts_to(simulator, MAX_WAITING_PER_NUMBER + 1)
    # A reply answers the first asked, which frees a place.
    await _reply(simulator, "one")
    assert (await _response(tasks[0]))["answer"]["text"] == "one"
    tasks.append(_ask(hass, question="One more?"))
    await _texts_to(simulator, MAX_WAITING_PER_NUMBER + 2)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=301))
    responses = [await _response(task) for task in [*tasks[1:], other]]
    assert responses == [{"timed_out": True}] * (MAX_WAITING_PER_NUMBER + 1)
    assert _waiting(hass) == 0


# Matching a reply to the accepted answers (no Home Assistant needed)


CHOICES = (
    Choice("close", ("Yes", "Close it")),
    Choice("keep", ("No", "Leave it open")),
)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("YES", "yes"),
        ("  Yes!!  ", "yes"),
        ("Close   it.", "close it"),
        ("close,it", "close it"),
        ("\u201cNo\u201d", "no"),  # phones send smart quotes
        ("Don\u2019t", "don t"),
        ("Stra\u00dfe", "strasse"),  # case folded, not just lowered
        ("S\u00ed", "s\u00ed"),  # letters stay
        ("!!!", ""),
        ("", ""),
    ],
)
def test_normalize_reply(text: str, normalized: str) -> None:
    assert normalize_reply(text) == normalized


@pytest.mark.parametrize(
    ("reply", "answer_id"),
    [
        ("yes", "close"),
        ("YES!", "close"),
        ("close it.", "close"),
        ("  Close   IT ", "close"),
        ("close", "close"),  # the id itself
        ("keep", "keep"),
        ("yes please", "close"),  # begins with an answer, and no other
        ("No, thank you", "keep"),
        ("leave it open please", "keep"),
        ("yesterday", None),  # begins with "yes" but not as a word
        ("nope", None),
        ("maybe", None),
        ("please close it", None),  # contains an answer, does not begin with it
        ("", None),
        ("?!", None),
    ],
)
def test_match_choice(reply: str, answer_id: str | None) -> None:
    choice = match_choice(CHOICES, reply)
    assert (None if choice is None else choice.id) == answer_id


def test_an_exact_sentence_wins_over_a_prefix() -> None:
    choices = (Choice("open", ("open",)), Choice("wide", ("open wide",)))
    assert match_choice(choices, "Open wide!") == choices[1]
    assert match_choice(choices, "open it") == choices[0]


def test_an_ambiguous_prefix_matches_nothing() -> None:
    """A reply that begins with sentences of two answers means neither."""
    choices = (Choice("open", ("open",)), Choice("wide", ("open wide",)))
    assert match_choice(choices, "open wide please") is None


def test_no_choices_match_nothing() -> None:
    assert match_choice((), "yes") is None


def test_list_choices() -> None:
    assert list_choices(CHOICES) == "Yes, No"
    assert list_choices((Choice("later", ()),)) == "later"
    assert list_choices(()) == ""
