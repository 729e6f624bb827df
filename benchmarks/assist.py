"""Assist over SMS: a text to the house until Assist's answer reaches the simulator.

Home Assistant runs in this process with its real HTTP server on a loopback port, the
real built-in conversation agent with an input_boolean "porch light" exposed to Assist,
the Assist pipeline integration (the contacts use the preferred pipeline: its agent and
language), and a Flowroute entry for an in-process simulator. Its contacts (config
subentries) may talk to Assist, each as a Home Assistant user of its own. Measured:

- one text at a time: the inbound text posted to the entry's webhook over HTTP, until
  the simulator has accepted Assist's answer (an outbound SMS from the outbox), against
  `conversation.async_converse` on the same sentence with the same agent, language and
  user, timed in the same run, round by round, in alternating order. Before each timed
  exchange the light is put in the state the sentence changes, so both change it.
  Goal: the integration adds under 20 ms at the median.
- 20 contacts texting at once, 3 texts each (each contact's texts one after the other,
  as fast as the webhook answers): every text answered, in order per sender; against
  the agent answering the same texts in 20 lanes of its own (one exchange at a time
  per sender, as the relay runs them).
- the same burst at Flowroute's default 5 SMS per second: the outbox paces the answers;
  against the theoretical minimum under that limit, with the simulator's 429s counted.

For the first two the entry's `sms_per_second` and the simulator's limit are raised (to
1000 per second), so that the rate limit is not what is measured, and the output says
how close the busiest second came to it. In every part the contacts' Assist rate limit
(`assist_texts_per_10_minutes`) is raised and the flood guard (`flood_guard_per_hour`)
is off: the benchmark texts one number far more than a person would.

    python benchmarks/assist.py [--rounds 200] [--texts 3] [--bursts 5]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (
    WEBHOOK_ID,
    Row,
    async_add_entry,
    async_build_hass,
    flowroute_entry,
    ms,
    percentile,
    quiet_logging,
    table,
)
from homeassistant import config_entries
from homeassistant.auth import auth_manager_from_config
from homeassistant.components import conversation
from homeassistant.components.assist_pipeline import pipeline as assist_pipeline
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_NAME
from homeassistant.core import Context
from homeassistant.setup import async_setup_component
from send_burst import minimum_seconds

from custom_components.flowroute.const import (
    CONF_ALLOW_ASSIST,
    CONF_ASSIST_RATE_LIMIT,
    CONF_ASSIST_USER,
    CONF_FLOOD_GUARD,
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_SMS_RATE,
    DEFAULT_SMS_RATE,
    DOMAIN,
    SUBENTRY_CONTACT,
)
from demo.hass import free_port
from simulator.app import serve
from simulator.payloads import JSON_API, inbound_document
from simulator.settings import Settings
from simulator.state import DEFAULT_ACCOUNT, Direction, MessageRecord
from simulator.testing import TEST_SETTINGS, RunningSimulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from homeassistant.core import HomeAssistant

    from simulator.core import SendRequest
    from simulator.state import Account

PORCH_LIGHT = "input_boolean.porch_light"
TURN_ON, TURN_OFF = "turn on the porch light", "turn off the porch light"
# A burst's texts per sender, in order: their answers differ, so the order shows.
BURST_SENTENCES = (TURN_ON, TURN_OFF, "what is the date")
SENDERS = 20
RAISED_RATE = 1000  # SMS per second, the entry's and the simulator's, while not measured
ASSIST_LIMIT = 1_000_000  # texts per ten minutes per contact: never reached
WARM_UP_ROUNDS = 10
ANSWER_TIMEOUT = 30.0  # seconds a text may wait for its answer before the run fails


@dataclass(frozen=True, slots=True)
class Answer:
    """A text the simulator accepted: when (perf_counter) and what it said."""

    at: float
    body: str


class ObservedSimulator(RunningSimulator):
    """The simulator, noting when it accepts each outbound text (Assist's answers)."""

    def __init__(self, settings: Settings) -> None:
        """Simulate the default account with `settings`."""
        super().__init__([DEFAULT_ACCOUNT], settings)
        self.answers: defaultdict[str, list[Answer]] = defaultdict(list)
        self._accepted = asyncio.Condition()

    async def send(self, account: Account, request: SendRequest) -> MessageRecord:
        """Accept the send as the simulator does, then note it."""
        record = await super().send(account, request)
        self.answers[record.to_number].append(Answer(time.perf_counter(), record.body or ""))
        async with self._accepted:
            self._accepted.notify_all()
        return record

    async def wait_for(self, counts: Mapping[str, int], within: float) -> bool:
        """Wait until each number has been sent `count` texts; False after `within` s."""

        def arrived() -> bool:
            return all(len(self.answers[number]) >= count for number, count in counts.items())

        try:
            async with asyncio.timeout(within), self._accepted:
                await self._accepted.wait_for(arrived)
        except TimeoutError:
            return False
        return True

    def rejected(self) -> int:
        """How many sends the simulator answered with 429 so far."""
        return sum(1 for attempt in self.state.send_attempts if attempt.status == 429)


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact that may talk to Assist, and its Home Assistant user."""

    name: str
    handset: str
    user_id: str
    # The baseline's own conversation (the relay keeps one per DID and sender).
    conversation_id: str = dataclasses.field(
        default_factory=lambda: f"benchmark-{uuid.uuid4().hex}"
    )

    def subentry(self) -> ConfigSubentryData:
        """Return the contact as the contact flow stores it, allowed to talk to Assist."""
        return ConfigSubentryData(
            data={
                CONF_NAME: self.name,
                CONF_NUMBER: self.handset,
                CONF_ALLOW_ASSIST: True,
                CONF_ASSIST_USER: self.user_id,
            },
            subentry_type=SUBENTRY_CONTACT,
            title=self.name,
            unique_id=self.handset,
        )


@dataclass(slots=True)
class House:
    """Home Assistant with the entry, the simulator, and what texting the house takes."""

    hass: HomeAssistant
    entry: ConfigEntry
    sim: ObservedSimulator
    session: aiohttp.ClientSession
    webhook_url: str
    did: str
    agent_id: str | None
    language: str | None
    contacts: list[Contact]

    async def text(self, contact: Contact, body: str) -> float:
        """Post an inbound SMS as Flowroute does; return when the post started."""
        record = MessageRecord.create(
            access_key=self.sim.account.access_key,
            direction=Direction.INBOUND,
            from_number=contact.handset,
            to_number=self.did,
            body=body,
            media=(),
            is_mms=False,
            timestamp=datetime.now(UTC),
            message_type="longcode",
        )
        data = json.dumps(inbound_document(record, self.webhook_url, self.sim.url)).encode()
        started = time.perf_counter()
        async with self.session.post(
            self.webhook_url, data=data, headers={"Content-Type": JSON_API}
        ) as response:
            await response.read()
            if response.status != HTTPStatus.OK:
                raise RuntimeError(f"the webhook answered HTTP {response.status}")
        return started

    async def converse(self, contact: Contact, sentence: str) -> str:
        """Ask the agent directly, as the relay does for `contact`; return the speech."""
        result = await conversation.async_converse(
            self.hass,
            sentence,
            contact.conversation_id,
            Context(user_id=contact.user_id),
            language=self.language,
            agent_id=self.agent_id,
        )
        return str(result.response.speech.get("plain", {}).get("speech") or "")

    async def settle(self) -> None:
        """Let the receipts and every other consequence of the last texts finish."""
        await self.sim.idle()
        await self.hass.async_block_till_done()

    async def ready_for(self, sentence: str) -> None:
        """Put the porch light in the state the sentence changes (on for "turn off")."""
        if sentence in (TURN_ON, TURN_OFF):
            service = "turn_off" if sentence == TURN_ON else "turn_on"
            await self.hass.services.async_call(
                "input_boolean", service, {"entity_id": PORCH_LIGHT}, blocking=True
            )
        await self.settle()

    def busiest_second(self, since: float) -> int:
        """Most texts the simulator accepted in any one second since `since`."""
        times = sorted(answer.at for answers in self.sim.answers.values() for answer in answers)
        times = [at for at in times if at >= since]
        busiest, first = 0, 0
        for last, at in enumerate(times):
            while times[first] <= at - 1.0:
                first += 1
            busiest = max(busiest, last - first + 1)
        return busiest


# One text at a time


@dataclass(frozen=True, slots=True)
class Overhead:
    """Texting Assist one text at a time, against the agent alone."""

    rounds: int
    sms: list[float]  # seconds, text posted -> answer accepted by the simulator
    agent: list[float]  # seconds, async_converse on the same sentence
    wrong_answers: int  # answers that were not what the agent said
    other_user: int  # state changes whose context was not the contact's user
    busiest_second: int
    rejected: int  # 429s

    @property
    def added(self) -> float:
        """What the integration adds at the median."""
        return percentile(self.sms, 0.5) - percentile(self.agent, 0.5)

    def details(self) -> list[str]:
        """Describe the part."""
        paired = statistics.median(s - a for s, a in zip(self.sms, self.agent, strict=True))
        return [
            (
                f"one text at a time, {self.rounds} rounds (after {WARM_UP_ROUNDS} to warm up), "
                f'"{TURN_ON}" / "{TURN_OFF}" in turn'
            ),
            (
                f"text -> answer at the simulator: p50 {ms(percentile(self.sms, 0.5))}, "
                f"p95 {ms(percentile(self.sms, 0.95))}"
            ),
            (
                f"agent alone (async_converse):    p50 {ms(percentile(self.agent, 0.5))}, "
                f"p95 {ms(percentile(self.agent, 0.95))}"
            ),
            (
                f"added by the integration: {ms(self.added)} at the median "
                f"(median of the rounds' differences {ms(paired)}), goal < 20 ms"
            ),
            (
                f"answers as the agent said: {self.rounds - self.wrong_answers}/{self.rounds}; "
                f"light changed as the contact's user: {self.rounds - self.other_user}/"
                f"{self.rounds}"
            ),
            (
                f"rate limits (raised to {RAISED_RATE} SMS/s): busiest second "
                f"{self.busiest_second} answers, {self.rejected} x 429 -> "
                + ("not hit" if self.busiest_second < RAISED_RATE and not self.rejected else "HIT")
            ),
        ]

    def rows(self) -> list[Row]:
        """Return the median and p95 against the agent's."""
        rows = []
        for label, fraction, goal in (("p50", 0.5, "< +20 ms"), ("p95", 0.95, "-")):
            sms, agent = percentile(self.sms, fraction), percentile(self.agent, fraction)
            rows.append(
                Row(
                    f"Assist over SMS {label}, text -> answer at simulator vs agent alone",
                    f"{ms(sms)} (+{ms(sms - agent)})",
                    ms(agent),
                    sms / agent,
                    goal,
                )
            )
        return rows


async def time_sms(house: House, contact: Contact, sentence: str) -> tuple[float, str]:
    """Text the house; return the seconds until the answer and the answer."""
    answers = house.sim.answers[contact.handset]
    before = len(answers)
    started = await house.text(contact, sentence)
    if not await house.sim.wait_for({contact.handset: before + 1}, ANSWER_TIMEOUT):
        raise SystemExit(f"{sentence!r} got no answer in {ANSWER_TIMEOUT:g} s")
    return answers[before].at - started, answers[before].body


async def time_agent(house: House, contact: Contact, sentence: str) -> tuple[float, str]:
    """Ask the agent; return the seconds it took and its answer."""
    started = time.perf_counter()
    speech = await house.converse(contact, sentence)
    return time.perf_counter() - started, speech


async def measure_overhead(house: House, contact: Contact, rounds: int) -> Overhead:
    """Time texting and the agent alone on the same sentences, in alternating order."""
    sms: list[float] = []
    agent: list[float] = []
    wrong = other_user = 0
    rejected = house.sim.rejected()
    since = time.perf_counter()
    for index in range(WARM_UP_ROUNDS + rounds):
        sentence = (TURN_ON, TURN_OFF)[index % 2]
        # Both orders for both sentences: on, off first by SMS, then on, off first by agent.
        sms_first = index // 2 % 2 == 0
        timings: dict[str, tuple[float, str]] = {}
        user_ok = False
        for by_sms in (sms_first, not sms_first):
            await house.ready_for(sentence)
            if by_sms:
                timings["sms"] = await time_sms(house, contact, sentence)
                state = house.hass.states.get(PORCH_LIGHT)
                user_ok = state is not None and state.context.user_id == contact.user_id
            else:
                timings["agent"] = await time_agent(house, contact, sentence)
        if index < WARM_UP_ROUNDS:
            continue
        sms.append(timings["sms"][0])
        agent.append(timings["agent"][0])
        wrong += timings["sms"][1] != timings["agent"][1]
        other_user += not user_ok
    await house.settle()
    return Overhead(
        rounds=rounds,
        sms=sms,
        agent=agent,
        wrong_answers=wrong,
        other_user=other_user,
        busiest_second=house.busiest_second(since),
        rejected=house.sim.rejected() - rejected,
    )


# Many senders at once


@dataclass(frozen=True, slots=True)
class Burst:
    """One burst of texts from many senders: when each was answered."""

    seconds: float  # first text posted -> last answer (or the timeout)
    latencies: list[float]  # per answered text: posted -> answered
    texts: int
    answered: int
    in_order: int  # senders whose answers came back in the order they texted


async def burst_sms(house: House, contacts: Sequence[Contact], expected: list[str]) -> Burst:
    """Every contact texts its sentences at once (each its own, one after the other)."""
    sentences = BURST_SENTENCES[: len(expected)]
    answers = house.sim.answers
    before = {contact.handset: len(answers[contact.handset]) for contact in contacts}

    async def texts_of(contact: Contact) -> list[float]:
        return [await house.text(contact, sentence) for sentence in sentences]

    timeout = ANSWER_TIMEOUT + len(contacts) * len(sentences) / DEFAULT_SMS_RATE
    started = time.perf_counter()
    posted = await asyncio.gather(*(texts_of(contact) for contact in contacts))
    all_answered = await house.sim.wait_for(
        {handset: count + len(sentences) for handset, count in before.items()}, timeout
    )
    finished = time.perf_counter()
    latencies: list[float] = []
    in_order = 0
    last = started
    for contact, posts in zip(contacts, posted, strict=True):
        got = answers[contact.handset][before[contact.handset] :][: len(sentences)]
        latencies.extend(answer.at - at for answer, at in zip(got, posts, strict=False))
        in_order += [answer.body for answer in got] == expected
        last = max([last, *(answer.at for answer in got)])
    await house.settle()
    return Burst(
        seconds=(last if all_answered else finished) - started,
        latencies=latencies,
        texts=len(contacts) * len(sentences),
        answered=len(latencies),
        in_order=in_order,
    )


async def burst_agent(house: House, contacts: Sequence[Contact], texts: int) -> Burst:
    """Let the agent answer the same texts: a lane per sender, an exchange at a time."""
    sentences = BURST_SENTENCES[:texts]
    started = time.perf_counter()

    async def lane(contact: Contact) -> list[float]:
        done = []
        for sentence in sentences:
            await house.converse(contact, sentence)
            done.append(time.perf_counter() - started)
        return done

    lanes = await asyncio.gather(*(lane(contact) for contact in contacts))
    seconds = time.perf_counter() - started
    await house.settle()
    latencies = [latency for done in lanes for latency in done]
    return Burst(seconds, latencies, len(latencies), len(latencies), len(contacts))


@dataclass(frozen=True, slots=True)
class ManySenders:
    """Many senders at once with raised limits, against the agent alone."""

    senders: int
    texts_per_sender: int
    sms: list[Burst]
    agent: list[Burst]
    busiest_second: int
    rejected: int

    @property
    def texts(self) -> int:
        """Texts in one burst."""
        return self.senders * self.texts_per_sender

    def details(self) -> list[str]:
        """Describe the part."""
        sms_latencies = [latency for burst in self.sms for latency in burst.latencies]
        agent_latencies = [latency for burst in self.agent for latency in burst.latencies]
        return [
            (
                f"{self.senders} senders x {self.texts_per_sender} texts at once, "
                f"{len(self.sms)} burst(s) by SMS alternating with the agent alone"
            ),
            (
                f"by SMS: {median_seconds(self.sms):.3f} s a burst (median), per text "
                f"p50 {ms(percentile(sms_latencies, 0.5))}, "
                f"p95 {ms(percentile(sms_latencies, 0.95))}"
            ),
            (
                f"agent alone, {self.senders} lanes: {median_seconds(self.agent):.3f} s, per "
                f"text p50 {ms(percentile(agent_latencies, 0.5))}, "
                f"p95 {ms(percentile(agent_latencies, 0.95))}"
            ),
            answered_line(self.sms, self.senders),
            (
                f"rate limits (raised to {RAISED_RATE} SMS/s): busiest second "
                f"{self.busiest_second} answers, {self.rejected} x 429 -> "
                + ("not hit" if self.busiest_second < RAISED_RATE and not self.rejected else "HIT")
            ),
        ]

    def rows(self) -> list[Row]:
        """Return the burst against the agent's."""
        sms, agent = median_seconds(self.sms), median_seconds(self.agent)
        return [
            Row(
                f"Assist over SMS, {self.senders} senders x {self.texts_per_sender} texts "
                "at once vs agent alone",
                f"{sms:.3f} s, {answered_figure(self.sms, self.senders)}",
                f"{agent:.3f} s",
                sms / agent,
                "all answered in order",
            )
        ]


@dataclass(frozen=True, slots=True)
class Paced:
    """Many senders at once at Flowroute's default limits."""

    senders: int
    texts_per_sender: int
    sms_rate: float
    sim_limit: int
    window: float
    burst: Burst
    rejected: int

    @property
    def minimum(self) -> float:
        """Theoretical minimum: the answers at the simulator's limit."""
        return minimum_seconds(self.burst.texts, self.sim_limit, self.window)

    def details(self) -> list[str]:
        """Describe the part."""
        latencies = self.burst.latencies
        return [
            (
                f"{self.senders} senders x {self.texts_per_sender} texts at once at "
                f"Flowroute's limits: the entry's sms_per_second {self.sms_rate:g}, the "
                f"simulator's {self.sim_limit} SMS per {self.window:g} s"
            ),
            (
                f"completion {self.burst.seconds:.3f} s, theoretical minimum "
                f"{self.minimum:.3f} s; per text p50 {ms(percentile(latencies, 0.5))}, "
                f"p95 {ms(percentile(latencies, 0.95))} (the outbox paces: limit reached "
                "by design)"
            ),
            answered_line([self.burst], self.senders),
            f"429s from the simulator: {self.rejected}",
        ]

    def rows(self) -> list[Row]:
        """Return the burst against the theoretical minimum."""
        return [
            Row(
                f"Assist over SMS, {self.senders} senders x {self.texts_per_sender} texts at "
                f"{self.sim_limit} SMS/s vs theoretical minimum",
                f"{self.burst.seconds:.2f} s, {answered_figure([self.burst], self.senders)}, "
                f"{self.rejected} x 429",
                f"{self.minimum:.2f} s",
                self.burst.seconds / self.minimum,
                "all answered in order, 0 x 429",
            )
        ]


def median_seconds(bursts: list[Burst]) -> float:
    """Return the median burst's seconds."""
    return statistics.median(burst.seconds for burst in bursts)


def answered_figure(bursts: list[Burst], senders: int) -> str:
    """E.g. "60/60 in order": answered texts and senders answered in order, worst burst."""
    worst = min(bursts, key=lambda burst: (burst.answered, burst.in_order))
    if worst.answered == worst.texts and worst.in_order == senders:
        return f"{worst.answered}/{worst.texts} in order"
    return f"{worst.answered}/{worst.texts} answered, {worst.in_order}/{senders} in order"


def answered_line(bursts: list[Burst], senders: int) -> str:
    """Whether every text of every burst was answered, in order per sender."""
    complete = all(burst.answered == burst.texts and burst.in_order == senders for burst in bursts)
    verdict = "yes" if complete else "NO"
    return (
        f"every text answered, in order per sender: {verdict} (worst burst: "
        f"{answered_figure(bursts, senders)})"
    )


async def measure_many(
    house: House, contacts: Sequence[Contact], expected: list[str], bursts: int
) -> ManySenders:
    """Bursts by SMS and by the agent alone, alternating which goes first."""
    texts = len(expected)
    await house.ready_for(TURN_ON)
    await burst_sms(house, contacts, expected)  # warm up: new lanes, conversations
    rejected = house.sim.rejected()
    since = time.perf_counter()
    sms: list[Burst] = []
    agent: list[Burst] = []
    for index in range(bursts):
        for by_sms in (index % 2 == 0, index % 2 == 1):
            await house.ready_for(TURN_ON)
            if by_sms:
                sms.append(await burst_sms(house, contacts, expected))
            else:
                agent.append(await burst_agent(house, contacts, texts))
    return ManySenders(
        senders=len(contacts),
        texts_per_sender=texts,
        sms=sms,
        agent=agent,
        busiest_second=house.busiest_second(since),
        rejected=house.sim.rejected() - rejected,
    )


async def measure_paced(house: House, contacts: Sequence[Contact], expected: list[str]) -> Paced:
    """Run the burst once more at Flowroute's default limits (the entry reloads)."""
    hass, entry = house.hass, house.entry
    raised = entry.runtime_data
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_SMS_RATE: DEFAULT_SMS_RATE}
    )
    await hass.async_block_till_done()
    if entry.state is not ConfigEntryState.LOADED or entry.runtime_data is raised:
        raise SystemExit(f"the entry did not reload: {entry.state}")
    flowroute = Settings()
    house.sim.settings = dataclasses.replace(
        house.sim.settings,
        sms_rate_limit=flowroute.sms_rate_limit,
        rate_window=flowroute.rate_window,
    )
    # The raised part's sends are not to count against the default limit.
    house.sim.state.rate_limiter.reset()
    await house.ready_for(TURN_ON)
    rejected = house.sim.rejected()
    burst = await burst_sms(house, contacts, expected)
    return Paced(
        senders=len(contacts),
        texts_per_sender=len(expected),
        sms_rate=DEFAULT_SMS_RATE,
        sim_limit=flowroute.sms_rate_limit,
        window=flowroute.rate_window,
        burst=burst,
        rejected=house.sim.rejected() - rejected,
    )


# Setting up


def assist_entry(sim: RunningSimulator, contacts: Sequence[Contact]) -> ConfigEntry:
    """Return the simulator's account as the config flow makes it, contacts on Assist.

    The SMS rate and the contacts' Assist rate limit are raised, the flood guard is off
    (see the module's docstring).
    """
    base = flowroute_entry(sim)
    return ConfigEntry(
        domain=DOMAIN,
        title=base.title,
        data=base.data,
        options={
            **base.options,
            CONF_SMS_RATE: float(RAISED_RATE),
            CONF_ASSIST_RATE_LIMIT: ASSIST_LIMIT,
            CONF_FLOOD_GUARD: 0,
        },
        source=config_entries.SOURCE_USER,
        unique_id=base.unique_id,
        version=1,
        minor_version=1,
        discovery_keys=MappingProxyType({}),
        subentries_data=[contact.subentry() for contact in contacts],
    )


async def async_set_up_assist(hass: HomeAssistant) -> None:
    """Set up the porch light, the conversation agent and the Assist pipelines."""
    # The machine may have no ffmpeg binary: speech is no part of this benchmark.
    logging.getLogger("haffmpeg").setLevel(logging.CRITICAL)
    for domain, config in (
        ("homeassistant", {}),
        ("input_boolean", {"input_boolean": {"porch_light": {"name": "Porch light"}}}),
        ("conversation", {}),
        ("assist_pipeline", {}),
    ):
        if not await async_setup_component(hass, domain, config):
            raise SystemExit(f"{domain} did not set up")
    async_expose_entity(hass, conversation.DOMAIN, PORCH_LIGHT, should_expose=True)


@dataclass(frozen=True, slots=True)
class AssistResult:
    """Every part's figures."""

    agent_id: str | None
    language: str | None
    overhead: Overhead
    many: ManySenders
    paced: Paced

    def details(self) -> list[str]:
        """Describe the run."""
        return [
            (
                f"built-in agent {self.agent_id} ({self.language}), {PORCH_LIGHT} exposed; "
                f"contacts' Assist limit raised to {ASSIST_LIMIT:,} texts per 10 minutes, "
                "flood guard off"
            ),
            *self.overhead.details(),
            *self.many.details(),
            *self.paced.details(),
        ]

    def rows(self) -> list[Row]:
        """Every part's rows."""
        return [*self.overhead.rows(), *self.many.rows(), *self.paced.rows()]


@asynccontextmanager
async def async_house(sim: ObservedSimulator, senders: int) -> AsyncIterator[House]:
    """Home Assistant with Assist and the entry for `senders` contacts, started."""
    port = free_port()
    with tempfile.TemporaryDirectory() as config_dir:
        hass = await async_build_hass(config_dir, port)
        hass.auth = await auth_manager_from_config(hass, [], [])
        await async_set_up_assist(hass)
        contacts = []
        for index in range(senders):
            name = f"Sender {index + 1:02d}"
            user = await hass.auth.async_create_user(name, group_ids=["system-users"])
            contacts.append(Contact(name, f"1206555{100 + index:04d}", user.id))
        entry = assist_entry(sim, contacts)
        await async_add_entry(hass, entry)
        await hass.async_start()
        pipeline = assist_pipeline.async_get_pipeline(hass, None)
        language = pipeline.conversation_language
        try:
            async with aiohttp.ClientSession() as session:
                yield House(
                    hass=hass,
                    entry=entry,
                    sim=sim,
                    session=session,
                    webhook_url=f"http://127.0.0.1:{port}/api/webhook/{WEBHOOK_ID}",
                    did=entry.data[CONF_NUMBERS][0],
                    agent_id=pipeline.conversation_engine,
                    language=pipeline.language if language in (None, "*") else language,
                    contacts=contacts,
                )
        finally:
            await hass.async_stop()


async def measure(rounds: int = 200, texts: int = 3, bursts: int = 5) -> AssistResult:
    """Run the three parts in one Home Assistant and return their figures."""
    if not 1 <= texts <= len(BURST_SENTENCES):
        raise SystemExit(f"--texts is 1 to {len(BURST_SENTENCES)}")
    sim = ObservedSimulator(dataclasses.replace(TEST_SETTINGS, sms_rate_limit=RAISED_RATE))
    async with serve(sim), async_house(sim, SENDERS) as house:
        contacts = house.contacts
        # What the agent answers each of the burst's texts, in order.
        expected = [await house.converse(contacts[0], s) for s in BURST_SENTENCES[:texts]]
        await house.settle()
        overhead = await measure_overhead(house, contacts[0], rounds)
        many = await measure_many(house, contacts, expected, bursts)
        paced = await measure_paced(house, contacts, expected)
    return AssistResult(house.agent_id, house.language, overhead, many, paced)


def main() -> None:
    """Parse the arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="one-text rounds (200)")
    parser.add_argument("--texts", type=int, default=3, help="texts per sender, 1-3 (3)")
    parser.add_argument("--bursts", type=int, default=5, help="bursts of 20 senders (5)")
    args = parser.parse_args()
    quiet_logging()
    result = asyncio.run(measure(args.rounds, args.texts, args.bursts))
    print("\n".join(result.details()))
    print()
    print(table(result.rows()))


if __name__ == "__main__":
    main()
