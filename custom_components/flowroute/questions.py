"""Questions that wait for an answer: the waits of `flowroute.ask`, and the replies to them.

`flowroute.ask` texts a question and waits for the next text from that number to that
DID. The waits live here, one board for Home Assistant (so reloading an entry, which
any new contact or option does, does not drop them): the inbound router's question
step hands each text to `QuestionBoard.async_take`, which answers the first question
asked, or says that the reply matched none of the accepted answers (the router then
re-prompts, once). A STOP (or any opt-out of that number) ends the waits on it.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .const import EVENT_OPT_OUT_CHANGED

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Iterable

    from .api import InboundMessage

DATA_QUESTIONS: HassKey[QuestionBoard] = HassKey("flowroute_questions")
MAX_WAITING_PER_NUMBER: Final = 10  # questions one number and DID may have waiting
_NOT_WORD: Final = re.compile(r"[^\w\s]+")


@dataclass(frozen=True, slots=True)
class Choice:
    """One accepted answer: its id and the sentences that mean it."""

    id: str
    sentences: tuple[str, ...]

    @property
    def label(self) -> str:
        """How the answer is listed in the question: its first sentence."""
        return self.sentences[0] if self.sentences else self.id


def list_choices(choices: Iterable[Choice]) -> str:
    """Return the accepted answers as a question lists them: "Yes, No"."""
    return ", ".join(choice.label for choice in choices)


def normalize_reply(text: str) -> str:
    """Return a reply as it is compared: case folded, punctuation and spacing dropped."""
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


def match_choice(choices: Iterable[Choice], reply: str) -> Choice | None:
    """Return the answer a reply means, or None.

    A reply means an answer when it is one of its sentences (or its id), or when it
    begins with one and no other answer's sentence begins it ("yes please").
    """
    said = normalize_reply(reply)
    if not said:
        return None
    starts: list[Choice] = []
    for choice in choices:
        for sentence in (*choice.sentences, choice.id):
            meant = normalize_reply(sentence)
            if not meant:
                continue
            if said == meant:
                return choice
            if said.startswith(f"{meant} ") and choice not in starts:
                starts.append(choice)
    return starts[0] if len(starts) == 1 else None


class Taken(StrEnum):
    """What a waiting question made of a text."""

    ANSWERED = "answered"
    REPROMPT = "reprompt"  # matched none of the answers: ask again, once
    IGNORED = "ignored"  # matched none, already re-prompted: the wait goes on


@dataclass(slots=True, eq=False)
class Question:
    """A question texted by `flowroute.ask`, waiting for its answer."""

    entry_id: str
    did: str
    number: str
    choices: tuple[Choice, ...]
    future: asyncio.Future[dict[str, Any]]
    reprompted: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        """Entry, DID and number: whose next text answers it."""
        return (self.entry_id, self.did, self.number)

    def resolve(self, response: dict[str, Any]) -> None:
        """End the wait with `response` (once; later calls are ignored)."""
        if not self.future.done():
            self.future.set_result(response)


@dataclass(slots=True)
class QuestionBoard:
    """Every question waiting for an answer, first asked first answered per number."""

    hass: HomeAssistant
    _waiting: dict[tuple[str, str, str], deque[Question]] = field(default_factory=dict)
    _unlisten: Any = None

    def __len__(self) -> int:
        """Return how many questions wait."""
        return sum(len(queue) for queue in self._waiting.values())

    def waiting_on(self, entry_id: str, did: str, number: str) -> int:
        """Return how many questions wait for a text from `number` to `did`."""
        return len(self._waiting.get((entry_id, did, number), ()))

    def waiting_in(self, entry_id: str, did: str | None = None) -> int:
        """Return how many questions of an entry (to one of its DIDs) wait for an answer."""
        return sum(
            len(queue)
            for (entry, to, _), queue in self._waiting.items()
            if entry == entry_id and did in (None, to)
        )

    @callback
    def async_add(
        self, entry_id: str, did: str, number: str, choices: tuple[Choice, ...]
    ) -> Question:
        """Wait for the next text from `number` to `did` (answers queue behind earlier ones)."""
        question = Question(entry_id, did, number, choices, self.hass.loop.create_future())
        self._waiting.setdefault(question.key, deque()).append(question)
        if self._unlisten is None:
            self._unlisten = self.hass.bus.async_listen(
                EVENT_OPT_OUT_CHANGED, self._async_opted_out
            )
        return question

    @callback
    def async_remove(self, question: Question) -> None:
        """Stop waiting (answered, timed out, cancelled)."""
        queue = self._waiting.get(question.key)
        if queue is not None and question in queue:
            queue.remove(question)
            if not queue:
                del self._waiting[question.key]
        if not self._waiting and self._unlisten is not None:
            self._unlisten()
            self._unlisten = None

    @callback
    def async_take(self, entry_id: str, message: InboundMessage) -> tuple[Taken, Question] | None:
        """Hand a text to the first question waiting on it; None when none waits."""
        queue = self._waiting.get((entry_id, message.to_number, message.from_number))
        if not queue:
            return None
        question = queue[0]
        if question.choices:
            choice = match_choice(question.choices, message.body)
            if choice is None:
                if question.reprompted:
                    return Taken.IGNORED, question
                question.reprompted = True
                return Taken.REPROMPT, question
            answer: dict[str, Any] = {"id": choice.id, "text": message.body}
        else:
            answer = {"id": None, "text": message.body}
        question.resolve(
            {
                "answer": answer,
                "matched": bool(question.choices),
                "from": message.from_number,
                "to": message.to_number,
                "message_id": message.message_id,
                "received_at": (message.timestamp or dt_util.utcnow()).isoformat(),
            }
        )
        self.async_remove(question)
        return Taken.ANSWERED, question

    @callback
    def _async_opted_out(self, event: Event) -> None:
        """End the waits on a number that opted out of the DID they wait on."""
        data = event.data
        if not data.get("opted_out"):
            return
        key = (data.get("config_entry_id"), data.get("did"), data.get("number"))
        for question in list(self._waiting.get(key, ())):  # type: ignore[arg-type]
            question.resolve({"opted_out": True})
            self.async_remove(question)


@callback
def async_setup_questions(hass: HomeAssistant) -> None:
    """Create the board of waiting questions, once."""
    if DATA_QUESTIONS not in hass.data:
        hass.data[DATA_QUESTIONS] = QuestionBoard(hass)
