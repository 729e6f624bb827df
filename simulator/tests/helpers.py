"""Helpers for the simulator's tests: a plain HTTP client, a callback sink, manual clocks."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from simulator import RunningSimulator

JSON_API = "application/vnd.api+json"
HANDSET = "12065550100"  # a phone outside the simulator
OTHER_HANDSET = "12065550111"
NUMBER = "12065550199"  # DEFAULT_ACCOUNT's numbers
NUMBER_2 = "12065550188"
DISABLED_NUMBER = "12065550177"


class ManualClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ManualWallClock:
    """A UTC wall clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 18, 22, 41, 520000, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any
    headers: CIMultiDictProxy[str]

    @property
    def error(self) -> dict[str, Any]:
        """The first Flowroute error object, checked for the documented shape."""
        errors = self.body["errors"]
        assert isinstance(errors, list)
        assert len(errors) == 1
        error = errors[0]
        assert isinstance(error, dict)
        assert {"id", "status", "title", "detail"} <= error.keys()
        assert error["status"] == self.status
        assert len(error["id"]) == 36  # a uuid
        return error


def message(**attributes: Any) -> dict[str, Any]:
    """A send body; `from_` becomes `from`, defaults make a valid SMS."""
    attributes = {"to": HANDSET, "from": NUMBER, "body": "Garage door is open"} | {
        ("from" if key == "from_" else key): value for key, value in attributes.items()
    }
    return {"data": {"type": "message", "attributes": attributes}}


@dataclass(slots=True)
class Api:
    """A plain aiohttp client for one simulator (not the integration's client)."""

    session: aiohttp.ClientSession
    sim: RunningSimulator

    async def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        auth: str | None = None,
        anonymous: bool = False,
        content_type: str | None = JSON_API,
        time_limit: float = 5.0,
    ) -> Reply:
        headers = {"Accept": JSON_API}
        if not anonymous:
            headers["Authorization"] = auth or self.sim.authorization
        if content_type is not None:
            headers["Content-Type"] = content_type
        if json_body is not None:
            data = json.dumps(json_body).encode()
        async with self.session.request(
            method,
            self.sim.url + path,
            data=data,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=time_limit),
        ) as response:
            raw = await response.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            return Reply(response.status, body, response.headers)

    async def send(self, body: dict[str, Any] | None = None, **options: Any) -> Reply:
        return await self.call("POST", "/v2.1/messages", json_body=body or message(), **options)

    async def get(self, path: str, **options: Any) -> Reply:
        return await self.call("GET", path, **options)

    async def set_number_callback(self, number: str, kind: str, url: str) -> Reply:
        body = {"data": {"attributes": {"callback_url": url}}}
        return await self.call("POST", f"/v2/numbers/{number}/relationships/{kind}", json_body=body)

    async def set_account_callback(self, kind: str, url: str) -> Reply:
        body = {"data": {"attributes": {"callback_url": url}}}
        return await self.call("PUT", f"/v2.1/messages/{kind}", json_body=body)

    async def control(self, method: str, path: str, body: Any = None) -> Reply:
        return await self.call(
            method, "/sim" + path, json_body=body, anonymous=True, content_type="application/json"
        )


@dataclass(frozen=True, slots=True)
class Post:
    path: str
    body: Any
    content_type: str


@dataclass(slots=True)
class Sink:
    """A callback receiver and media host on 127.0.0.1."""

    url: str = ""
    posts: list[Post] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)  # answers per path, then 200
    delay: float = 0.0
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set at every post

    def at(self, path: str) -> str:
        return self.url + path

    def bodies(self, path: str) -> list[Any]:
        return [post.body for post in self.posts if post.path == path]

    async def handle_post(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.posts.append(Post(request.path, json.loads(raw), request.content_type))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        answers = self.statuses.get(request.path)
        return web.Response(status=answers.pop(0) if answers else 200)

    async def handle_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        if self.delay:
            await asyncio.sleep(self.delay)
        content, mime_type = self.files[name]
        return web.Response(body=content, content_type=mime_type)


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
