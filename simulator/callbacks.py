"""Posting JSON to callback URLs with Flowroute's retry policy, logging every attempt."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import aiohttp

from .state import CallbackAttempt, CallbackEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from .settings import Settings
    from .tasks import BackgroundTasks

_OK = 200  # Flowroute resends on anything but 200


class CallbackPoster:
    """Posts callbacks: the first attempt at once, up to four retries in the background."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        log: list[CallbackAttempt],
        tasks: BackgroundTasks,
        settings: Callable[[], Settings],
    ) -> None:
        """Post with `session`, append attempts to `log`, run retries as `tasks`."""
        self._session = session
        self._log = log
        self._tasks = tasks
        self._settings = settings

    async def post(
        self, event: CallbackEvent, message_id: str, url: str, payload: dict[str, Any]
    ) -> None:
        """Post `payload` to `url`; if that fails, keep retrying in the background."""
        if not await self._attempt(event, message_id, url, payload, 1):
            self._tasks.spawn(self._retry(event, message_id, url, payload))

    async def _retry(
        self, event: CallbackEvent, message_id: str, url: str, payload: dict[str, Any]
    ) -> None:
        settings = self._settings()
        for attempt in range(2, settings.callback_retries + 2):
            await asyncio.sleep(settings.callback_retry_interval)
            if await self._attempt(event, message_id, url, payload, attempt):
                return

    async def _attempt(
        self,
        event: CallbackEvent,
        message_id: str,
        url: str,
        payload: dict[str, Any],
        attempt: int,
    ) -> bool:
        settings = self._settings()
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(
                url,
                data=json.dumps(payload).encode(),
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=settings.callback_timeout),
                allow_redirects=False,
            ) as response:
                status = response.status
                await response.read()
        except TimeoutError:
            error = "timed out"
        except aiohttp.ClientError as exc:
            error = str(exc) or type(exc).__name__
        self._log.append(
            CallbackAttempt(
                timestamp=settings.utcnow(),
                event=event,
                message_id=message_id,
                url=url,
                attempt=attempt,
                payload=payload,
                status=status,
                error=error,
            )
        )
        return status == _OK
