"""Command line: python -m simulator [--host H] [--port P] [--account ...] [--phone N] [--demo]."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from .app import serve
from .core import Simulator
from .rules import parse_number
from .settings import Settings
from .state import DEFAULT_ACCOUNT, Account

if TYPE_CHECKING:
    from collections.abc import Sequence


def parse_account(text: str) -> Account:
    """Parse KEY:SECRET:NUMBER[,NUMBER...] (the secret may contain colons)."""
    access_key, _, rest = text.partition(":")
    secret_key, _, numbers = rest.rpartition(":")
    if not (access_key and secret_key and numbers):
        raise argparse.ArgumentTypeError("expected KEY:SECRET:NUMBER[,NUMBER...]")
    try:
        return Account.with_numbers(access_key, secret_key, *numbers.split(","))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_phone(text: str) -> str:
    """Parse a handset number as people write it ("+1 206 555 0100")."""
    try:
        return parse_number(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """Build the command line's parser."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="A local simulator of Flowroute's messaging API."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8089, help="port (0 picks a free one)")
    parser.add_argument(
        "--account",
        action="append",
        type=parse_account,
        metavar="KEY:SECRET:NUM,NUM",
        help="a simulated account (repeatable; default: the built-in demo account)",
    )
    parser.add_argument(
        "--phone",
        action="append",
        type=parse_phone,
        metavar="NUMBER",
        help="a handset shown on the phone page from the start (repeatable)",
    )
    parser.add_argument(
        "--demo", action="store_true", help="handsets answer every text they receive"
    )
    parser.add_argument(
        "--callback-retry-interval",
        type=float,
        default=Settings().callback_retry_interval,
        metavar="SECONDS",
        help="seconds between callback retries (Flowroute: 30)",
    )
    return parser


def describe(simulator: Simulator) -> list[str]:
    """Return the lines printed at start: where it listens and how to log in."""
    lines = [f"Flowroute simulator listening on {simulator.url}"]
    for account in simulator.state.accounts:
        numbers = ", ".join(
            number.number + ("" if number.messaging_enabled else " (messaging disabled)")
            for number in account.numbers
        )
        lines.append(
            f"Account: access key {account.access_key}, secret key {account.secret_key}, "
            f"numbers {numbers}"
        )
    lines.append(f"Phone page (text your numbers from simulated handsets): {simulator.url}/phone")
    if simulator.settings.auto_reply:
        first = simulator.state.accounts[0].numbers[0].number
        lines.append(
            "Demo: handsets answer every text. Text in with: "
            f"curl -X POST {simulator.url}/sim/inbound -H 'Content-Type: application/json' "
            f"""-d '{{"from": "12065550100", "to": "{first}", "body": "Hello"}}'"""
        )
    lines.append("Press Ctrl-C to stop.")
    return lines


async def run(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM."""
    settings = Settings(
        callback_retry_interval=args.callback_retry_interval,
        auto_reply=args.demo,
        handsets=tuple(args.phone or ()),
    )
    simulator = Simulator(args.account or [DEFAULT_ACCOUNT], settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve(simulator, args.host, args.port, access_log=True):
        print("\n".join(describe(simulator)), flush=True)  # noqa: T201 - the CLI's output
        await stop.wait()
    print("Flowroute simulator stopped.", flush=True)  # noqa: T201


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
