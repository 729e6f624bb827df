"""Post inbound SMS to a real Flowroute config entry's webhook over real HTTP.

Home Assistant runs in this process with its real HTTP server on a loopback port and a
Flowroute entry set up for the simulator's account, so every text also updates the
entry's entities. The same Home Assistant also serves, as baselines:

- a no-op webhook: reads the body, fires one event, answers 200;
- Home Assistant's own `twilio` webhook handler (what a Twilio user runs), fed
  Twilio-shaped form posts;
- the integration's pipeline without entities (webhook manager and inbound router wired
  to a fake entry), which shows what the entities cost.

    python benchmarks/inbound.py [--messages 2000] [--concurrency 8] [--rounds 12]

Latency is POST sent -> event observed on the bus. The client runs in the same process
(and event loop) as Home Assistant. No goal against the no-op: one state write of the
event entity per text is the contract (the old goal of 0.9 is retired); the figures must
not get worse from one change to the next.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import FakeEntry, Row, flowroute_hass, ms, percentile, quiet_logging, table
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Event, HomeAssistant, callback

from custom_components.flowroute.assist import AssistRelay
from custom_components.flowroute.const import CONF_NUMBERS, EVENT_MESSAGE_RECEIVED
from custom_components.flowroute.dedup import RecentIds
from custom_components.flowroute.inbound import InboundRouter
from custom_components.flowroute.opt_out import OptOutList
from custom_components.flowroute.questions import QuestionBoard
from custom_components.flowroute.webhook import WebhookManager
from simulator.payloads import JSON_API, inbound_document
from simulator.state import Direction, MessageRecord

try:
    # The module imports twilio.rest.Client: requirements/bench.txt installs it.
    from homeassistant.components.twilio import RECEIVED_DATA as TWILIO_EVENT
    from homeassistant.components.twilio import handle_webhook as twilio_handle_webhook
except ImportError as err:
    raise SystemExit(
        f"{err}: install requirements/bench.txt (scripts/benchmark does) for the twilio baseline"
    ) from err

if TYPE_CHECKING:
    from collections.abc import Callable

    from custom_components.flowroute.api import DeliveryReceipt

HANDSET = "12065550100"
NOOP_EVENT = "benchmark_noop"
ID_HEADER = "X-Benchmark-Id"
TWILIO_ACCOUNT = "AC" + "0" * 32


class NoReplies:
    """Keyword replies are not part of this benchmark (its texts are no keywords)."""

    async def async_send(
        self, *, to: list[str], body: str, from_did: str | None, origin: object = None
    ) -> None:
        """Send nothing."""


class NoReceipts:
    """Receipts are not posted by this benchmark."""

    async def async_handle(self, receipt: DeliveryReceipt) -> None:
        """Ignore the receipt."""


type Post = tuple[str, bytes, str]  # message id, body, content type


def flowroute_post(did: str, index: int, callback_url: str, sim_url: str) -> Post:
    """Return an inbound SMS exactly as the simulator (and so Flowroute) posts it."""
    record = MessageRecord.create(
        access_key="benchmark",
        direction=Direction.INBOUND,
        from_number=HANDSET,
        to_number=did,
        body=f"Door code? {index}",
        media=(),
        is_mms=False,
        timestamp=datetime.now(UTC),
        message_type="longcode",
    )
    body = json.dumps(inbound_document(record, callback_url, sim_url)).encode()
    return record.message_id, body, JSON_API


def twilio_post(did: str, index: int) -> Post:
    """Return an inbound SMS as Twilio posts it to a messaging webhook (form-encoded)."""
    sid = "SM" + uuid.uuid4().hex
    fields = {
        "ToCountry": "US",
        "ToState": "WA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "SEATTLE",
        "FromZip": "98101",
        "SmsSid": sid,
        "FromState": "WA",
        "SmsStatus": "received",
        "FromCity": "SEATTLE",
        "Body": f"Door code? {index}",
        "FromCountry": "US",
        "To": f"+{did}",
        "ToZip": "98101",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": TWILIO_ACCOUNT,
        "From": f"+{HANDSET}",
        "ApiVersion": "2010-04-01",
    }
    return sid, urlencode(fields).encode(), "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Hook:
    """A webhook under test and how to make the posts it expects."""

    name: str
    webhook_id: str
    make_post: Callable[[int], Post]


@dataclass(frozen=True, slots=True)
class Round:
    """One timed round of posts to one hook."""

    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        """Messages per second."""
        return len(self.latencies) / self.seconds


@dataclass(frozen=True, slots=True)
class HookFigures:
    """A hook's figures over every round."""

    throughput: float  # median of the rounds, messages per second
    p50: float  # seconds, over every post of every round
    p99: float

    @classmethod
    def of(cls, rounds: list[Round]) -> HookFigures:
        """Summarise the rounds."""
        latencies = [latency for round_ in rounds for latency in round_.latencies]
        return cls(
            throughput=statistics.median(round_.throughput for round_ in rounds),
            p50=percentile(latencies, 0.50),
            p99=percentile(latencies, 0.99),
        )


@dataclass(frozen=True, slots=True)
class InboundResult:
    """The figures of every hook in one run."""

    messages: int
    rounds: int
    concurrency: int
    noop: HookFigures
    twilio: HookFigures
    pipeline: HookFigures
    flowroute: HookFigures

    def details(self) -> list[str]:
        """Describe the run, one line per hook."""
        lines = [
            (
                f"{self.messages} inbound SMS x {self.rounds} rounds per webhook, "
                f"{self.concurrency} posts in flight, loopback HTTP"
            )
        ]
        for name, figures in (
            ("no-op webhook", self.noop),
            ("twilio webhook", self.twilio),
            ("flowroute pipeline only", self.pipeline),
            ("flowroute entry", self.flowroute),
        ):
            lines.append(
                f"{name:24} {figures.throughput:7.0f} msg/s  "
                f"p50 {ms(figures.p50):>8}  p99 {ms(figures.p99):>8}"
            )
        return lines

    def rows(self) -> list[Row]:
        """Return the rows: the entry against the no-op and twilio hooks, then the pipeline."""
        fr = self.flowroute
        rows: list[Row] = []
        for name, base, goal in (("no-op", self.noop, "-"), ("twilio", self.twilio, "-")):
            rows.append(
                Row(
                    f"inbound throughput, Flowroute entry vs {name} webhook",
                    f"{fr.throughput:,.0f} msg/s",
                    f"{base.throughput:,.0f} msg/s",
                    fr.throughput / base.throughput,
                    goal,
                )
            )
        for name, base in (("no-op", self.noop), ("twilio", self.twilio)):
            rows.extend(
                Row(
                    f"inbound {label} latency, Flowroute entry vs {name} webhook",
                    ms(figure),
                    ms(baseline),
                    figure / baseline,
                )
                for label, figure, baseline in (
                    ("p50", fr.p50, base.p50),
                    ("p99", fr.p99, base.p99),
                )
            )
        rows.append(
            Row(
                "inbound throughput, Flowroute pipeline without entities vs no-op",
                f"{self.pipeline.throughput:,.0f} msg/s",
                f"{self.noop.throughput:,.0f} msg/s",
                self.pipeline.throughput / self.noop.throughput,
            )
        )
        return rows


async def post_all(
    session: aiohttp.ClientSession,
    url: str,
    posts: list[Post],
    concurrency: int,
    observed: dict[str, float],
) -> Round:
    """Post everything with `concurrency` posts in flight; time each one."""
    latencies: list[float] = []
    queue = list(reversed(posts))

    async def worker() -> None:
        while queue:
            message_id, body, content_type = queue.pop()
            headers = {ID_HEADER: message_id, "Content-Type": content_type}
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{url}: HTTP {response.status}")
            latencies.append(observed.pop(message_id) - started)  # KeyError: never fired

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Round(time.perf_counter() - started, latencies)


async def noop_handler(hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
    """Do the least a listener can observe: read the body, fire one event, answer 200."""
    await request.read()
    hass.bus.async_fire(NOOP_EVENT, {"message_id": request.headers[ID_HEADER]})
    return web.Response(status=200)


async def measure(messages: int = 2000, concurrency: int = 8, rounds: int = 12) -> InboundResult:
    """Set everything up, post `rounds` rounds of `messages` to each hook, summarise."""
    async with flowroute_hass() as running:
        hass, sim = running.hass, running.sim
        did = running.entry.data[CONF_NUMBERS][0]
        base = f"{running.url}/api/webhook/"
        webhook.async_register(
            hass, "benchmark", "no-op", "noop", noop_handler, allowed_methods=["POST"]
        )
        # Registered as HA's twilio config entry does, without needing a Twilio account.
        webhook.async_register(hass, "twilio", "Twilio", "twilio", twilio_handle_webhook)
        # The integration's pipeline on its own: what the entry does minus its entities.
        fake = FakeEntry(
            entry_id="pipeline", data={CONF_NUMBERS: [did], CONF_WEBHOOK_ID: "pipeline"}
        )
        fake_entry: Any = fake
        opt_outs = OptOutList(hass, fake_entry)
        await WebhookManager(
            hass,
            fake_entry,
            inbound=InboundRouter(
                hass,
                fake_entry,
                downloader=None,
                opt_outs=opt_outs,
                replies=NoReplies(),
                questions=QuestionBoard(hass),
                assist=AssistRelay(hass, fake_entry, sender=NoReplies(), opt_outs=opt_outs),
            ),
            receipts=NoReceipts(),
            recent=RecentIds(hass, fake.entry_id),
        ).async_register()

        observed: dict[str, float] = {}

        def listen(event_type: str, id_field: str) -> None:
            @callback
            def on_event(event: Event) -> None:
                observed[event.data[id_field]] = time.perf_counter()

            hass.bus.async_listen(event_type, on_event)

        listen(NOOP_EVENT, "message_id")
        listen(TWILIO_EVENT, "MessageSid")
        listen(EVENT_MESSAGE_RECEIVED, "message_id")

        def flowroute_posts(webhook_id: str) -> Callable[[int], Post]:
            return lambda i: flowroute_post(did, i, base + webhook_id, sim.url)

        entry_hook = str(running.entry.data[CONF_WEBHOOK_ID])
        hooks = [
            Hook("noop", "noop", flowroute_posts("noop")),
            Hook("twilio", "twilio", lambda i: twilio_post(did, i)),
            Hook("pipeline", "pipeline", flowroute_posts("pipeline")),
            Hook("flowroute", entry_hook, flowroute_posts(entry_hook)),
        ]
        results: dict[str, list[Round]] = {hook.name: [] for hook in hooks}
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            # Warm up every path (connections, caches), then rotate the order every round
            # so that drift and position are shared.
            for hook in hooks:
                posts = [hook.make_post(i) for i in range(min(messages, 200))]
                await post_all(session, base + hook.webhook_id, posts, concurrency, observed)
            for round_ in range(rounds):
                for hook in hooks[round_ % len(hooks) :] + hooks[: round_ % len(hooks)]:
                    posts = [hook.make_post(i) for i in range(messages)]
                    results[hook.name].append(
                        await post_all(
                            session, base + hook.webhook_id, posts, concurrency, observed
                        )
                    )
        await fake.async_unload()

    return InboundResult(
        messages=messages,
        rounds=rounds,
        concurrency=concurrency,
        noop=HookFigures.of(results["noop"]),
        twilio=HookFigures.of(results["twilio"]),
        pipeline=HookFigures.of(results["pipeline"]),
        flowroute=HookFigures.of(results["flowroute"]),
    )


def main() -> None:
    """Parse the arguments, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="posts per round (2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="posts in flight (8)")
    parser.add_argument("--rounds", type=int, default=12, help="rounds per webhook (12)")
    args = parser.parse_args()
    quiet_logging()
    result = asyncio.run(measure(args.messages, args.concurrency, args.rounds))
    print("\n".join(result.details()))
    print()
    print(table(result.rows()))


if __name__ == "__main__":
    main()
