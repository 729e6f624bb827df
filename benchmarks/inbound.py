"""Post inbound SMS to the Flowroute webhook of a running Home Assistant over real HTTP.

Home Assistant runs in this process with its real HTTP server on a loopback port. The
same run also registers a no-op webhook (reads the body, fires one event, answers 200)
and posts the same bodies to it; every figure is printed as a ratio against it.

    python benchmarks/inbound.py [--messages 2000] [--concurrency 8] [--rounds 3]

Latency is POST sent -> event observed on the bus (`flowroute_message_received`, or the
no-op handler's one event). Goal: throughput ratio >= 0.9.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homeassistant import bootstrap, config_entries, loader
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.setup import async_setup_component

from custom_components.flowroute.const import CONF_NUMBERS, EVENT_MESSAGE_RECEIVED
from custom_components.flowroute.dedup import RecentIds
from custom_components.flowroute.inbound import InboundPipeline
from custom_components.flowroute.opt_out import OptOutList
from custom_components.flowroute.webhook import WebhookManager

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from custom_components.flowroute.api import DeliveryReceipt

DID = "12065550199"
FLOWROUTE_HOOK = "flowroute-benchmark"
NOOP_HOOK = "noop-benchmark"
NOOP_EVENT = "benchmark_noop"
ID_HEADER = "X-Benchmark-Id"


@dataclass
class BenchmarkEntry:
    """What the webhook manager and the pipeline use of a config entry."""

    entry_id: str = "benchmark"
    title: str = "Flowroute benchmark"
    data: dict[str, Any] = field(
        default_factory=lambda: {CONF_NUMBERS: [DID], CONF_WEBHOOK_ID: FLOWROUTE_HOOK}
    )
    options: dict[str, Any] = field(default_factory=dict)
    on_unload: list[Callable[[], Any]] = field(default_factory=list)

    def async_on_unload(self, func: Callable[[], Any]) -> None:
        """Keep what the entry would run on unload."""
        self.on_unload.append(func)

    def async_create_background_task[R](
        self, hass: HomeAssistant, target: Coroutine[Any, Any, R], name: str
    ) -> asyncio.Task[R]:
        """Start a task the way a config entry does."""
        return hass.async_create_background_task(target, name)


class NoReplies:
    """Keyword replies are not part of this benchmark (its texts are no keywords)."""

    async def async_send(self, *, to: list[str], body: str, from_number: str | None) -> None:
        """Send nothing."""


class NoReceipts:
    """Receipts are not posted by this benchmark."""

    async def async_handle(self, receipt: DeliveryReceipt) -> None:
        """Ignore the receipt."""


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sms_body(index: int, tag: str) -> bytes:
    """Return an inbound SMS in Flowroute's v2.1 shape with a unique id."""
    return json.dumps(
        {
            "data": {
                "id": f"mdr2-{tag}-{index:08x}",
                "type": "message",
                "attributes": {
                    "body": f"Door code? {index}",
                    "direction": "inbound",
                    "from": "12065550100",
                    "to": DID,
                    "is_mms": False,
                    "timestamp": "2026-11-02T18:22:41.52Z",
                    "amount_nanodollars": "4000000",
                    "message_encoding": 0,
                    "message_type": "longcode",
                },
            }
        }
    ).encode()


@dataclass
class Result:
    """One timed run."""

    seconds: float
    latencies: list[float]

    def throughput(self) -> float:
        """Messages per second."""
        return len(self.latencies) / self.seconds


async def run_once(
    session: aiohttp.ClientSession,
    url: str,
    bodies: list[bytes],
    concurrency: int,
    observed: dict[str, float],
) -> Result:
    """Post every body with `concurrency` posts in flight; time each one."""
    latencies: list[float] = []
    queue = [(json.loads(body)["data"]["id"], body) for body in reversed(bodies)]

    async def worker() -> None:
        while queue:
            message_id, body = queue.pop()
            started = time.perf_counter()
            async with session.post(url, data=body, headers={ID_HEADER: message_id}) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
            latencies.append(observed.pop(message_id) - started)  # KeyError: never fired

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(time.perf_counter() - started, latencies)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def run(messages: int, concurrency: int, rounds: int) -> None:
    """Start Home Assistant, register both webhooks, post, print the ratios."""
    port = free_port()
    with tempfile.TemporaryDirectory() as config_dir:
        # What bootstrap does before integrations, minus logging and the default ones.
        hass = HomeAssistant(config_dir)
        loader.async_setup(hass)
        hass.config_entries = config_entries.ConfigEntries(hass, {})
        await bootstrap.async_load_base_functionality(hass)
        await async_process_ha_core_config(hass, {})
        http = {"server_host": ["127.0.0.1"], "server_port": port}
        if not await async_setup_component(hass, "http", {"http": http}):
            raise SystemExit("http did not set up")
        if not await async_setup_component(hass, "webhook", {}):
            raise SystemExit("webhook did not set up")

        async def noop(hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
            # The least a handler can do that a listener can observe: read, fire, answer.
            await request.read()
            hass.bus.async_fire(NOOP_EVENT, {"message_id": request.headers[ID_HEADER]})
            return web.Response(status=200)

        webhook.async_register(
            hass, "benchmark", "no-op", NOOP_HOOK, noop, local_only=False, allowed_methods=["POST"]
        )
        entry: Any = BenchmarkEntry()
        manager = WebhookManager(
            hass,
            entry,
            inbound=InboundPipeline(
                hass, entry, downloader=None, opt_outs=OptOutList(hass, entry), replies=NoReplies()
            ),
            receipts=NoReceipts(),
            recent=RecentIds(hass, entry.entry_id),
        )
        await manager.async_register()
        observed: dict[str, float] = {}

        @callback
        def on_event(event: Event) -> None:
            observed[event.data["message_id"]] = time.perf_counter()

        hass.bus.async_listen(EVENT_MESSAGE_RECEIVED, on_event)
        hass.bus.async_listen(NOOP_EVENT, on_event)
        await hass.async_start()

        base = f"http://127.0.0.1:{port}/api/webhook/"
        noop_results: list[Result] = []
        flowroute_results: list[Result] = []
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            # Warm up both paths (connections, caches), then alternate to share any drift.
            warm_up = [sms_body(i, "w") for i in range(200)]
            for hook in (NOOP_HOOK, FLOWROUTE_HOOK):
                await run_once(session, base + hook, warm_up, concurrency, observed)
            for round_ in range(rounds):
                bodies = [sms_body(i, f"r{round_}") for i in range(messages)]
                noop_results.append(
                    await run_once(session, base + NOOP_HOOK, bodies, concurrency, observed)
                )
                flowroute_results.append(
                    await run_once(session, base + FLOWROUTE_HOOK, bodies, concurrency, observed)
                )
        for func in reversed(entry.on_unload):
            if (result := func()) is not None:
                await result
        await hass.async_stop()

    def summary(results: list[Result]) -> tuple[float, float, float]:
        latencies = [latency for result in results for latency in result.latencies]
        return (
            statistics.median(result.throughput() for result in results),
            percentile(latencies, 0.50) * 1000,
            percentile(latencies, 0.99) * 1000,
        )

    noop_tput, noop_p50, noop_p99 = summary(noop_results)
    fr_tput, fr_p50, fr_p99 = summary(flowroute_results)
    print(f"{messages} inbound SMS x {rounds} rounds, {concurrency} posts in flight, loopback HTTP")
    print(
        f"no-op webhook:     {noop_tput:8.0f} msg/s  p50 {noop_p50:6.2f} ms  p99 {noop_p99:6.2f} ms"
    )
    print(f"flowroute webhook: {fr_tput:8.0f} msg/s  p50 {fr_p50:6.2f} ms  p99 {fr_p99:6.2f} ms")
    print(f"throughput ratio (flowroute / no-op, goal >= 0.9): {fr_tput / noop_tput:.3f}")
    print(f"p50 latency ratio (flowroute / no-op): {fr_p50 / noop_p50:.3f}")
    print(f"p99 latency ratio (flowroute / no-op): {fr_p99 / noop_p99:.3f}")


def main() -> None:
    """Parse the arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="posts per round (2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="posts in flight (8)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
