"""Background tasks the simulator starts (callback posts, retries, receipts, auto-replies)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Coroutine

_LOGGER = logging.getLogger(__name__)


class BackgroundTasks:
    """Tracks every task it starts, so shutdown can cancel and await all of them."""

    def __init__(self) -> None:
        """Start with no tasks, open for new ones."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the background; after close() it is discarded unrun."""
        if self._closed:
            coro.close()
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def idle(self) -> None:
        """Wait until no task is left, including the ones started meanwhile."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def cancel_all(self) -> None:
        """Cancel every task and wait until they have stopped."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def close(self) -> None:
        """Refuse new tasks, then cancel and await the running ones."""
        self._closed = True
        await self.cancel_all()

    def reopen(self) -> None:
        """Accept new tasks again (the simulator is starting)."""
        self._closed = False

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.error("Simulator background task failed", exc_info=error)
