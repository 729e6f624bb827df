"""Run the simulator on 127.0.0.1 inside a test: run_simulator() yields a RunningSimulator."""

from __future__ import annotations

import base64
import dataclasses
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from .app import serve
from .core import Simulator
from .settings import Settings
from .state import DEFAULT_ACCOUNT, Account

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

# Fast timings so tests wait milliseconds, not the real 30 s retry interval.
TEST_SETTINGS = Settings(
    callback_retry_interval=0.05,
    callback_timeout=2.0,
    level1_receipt_delay=0.01,
    level2_receipt_delay=0.02,
    media_fetch_timeout=2.0,
    auto_reply_delay=0.01,
)


def basic_authorization(access_key: str, secret_key: str) -> str:
    """Return an HTTP Basic Authorization header value (aiohttp 3.14 deprecates BasicAuth)."""
    token = base64.b64encode(f"{access_key}:{secret_key}".encode()).decode()
    return f"Basic {token}"


class RunningSimulator(Simulator):
    """A Simulator served on 127.0.0.1; `url` is where it answers."""

    @property
    def account(self) -> Account:
        """The first simulated account."""
        return self.state.accounts[0]

    @property
    def authorization(self) -> str:
        """The Authorization header value for the first account."""
        return basic_authorization(self.account.access_key, self.account.secret_key)


@asynccontextmanager
async def run_simulator(
    accounts: Sequence[Account] | None = None, **settings: Any
) -> AsyncIterator[RunningSimulator]:
    """Serve a simulator on a free 127.0.0.1 port for the block; every task ends with it.

    `settings` override TEST_SETTINGS (fields of Settings). Use `socket_enabled` in tests.
    """
    simulator = RunningSimulator(
        accounts or [DEFAULT_ACCOUNT], dataclasses.replace(TEST_SETTINGS, **settings)
    )
    async with serve(simulator):
        yield simulator
