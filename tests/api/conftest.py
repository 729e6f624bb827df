"""Fixtures of the client tests: a programmable fake Flowroute on loopback HTTP."""

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from custom_components.flowroute.api import FlowrouteClient

from .payloads import error_body

ACCESS_KEY = "12345678"
SECRET_KEY = "fake-secret"
AUTHORIZATION = "Basic " + base64.b64encode(f"{ACCESS_KEY}:{SECRET_KEY}".encode()).decode()

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the integration tests' autouse fixture: the client needs no Home Assistant."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass(slots=True)
class FakeFlowroute:
    """Answers each route with what the test set, 401 for bad credentials, else 404.

    `release` lets a stalled handler finish when the test ends.
    """

    url: str = ""
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def reply(
        self,
        method: str,
        path: str,
        status: int = 200,
        *,
        json_body: object = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer `method path` with a fixed reply (JSON unless raw `body` is given)."""
        if body is None:
            body = b"" if json_body is None else json.dumps(json_body).encode()

        async def answer(_request: web.Request) -> web.Response:
            return web.Response(
                status=status,
                body=body,
                headers=headers,
                content_type="application/vnd.api+json" if json_body is not None else None,
            )

        self.routes[method, path] = answer

    def handle(self, method: str, path: str, handler: Handler) -> None:
        """Answer `method path` with a custom handler."""
        self.routes[method, path] = handler

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=body,
            )
        )
        if request.headers.get("Authorization") != AUTHORIZATION:
            return web.json_response(
                error_body(401, "Unauthorized", "Invalid credentials"), status=401
            )
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return web.json_response(
                error_body(404, "Not Found", "The requested URL was not found."), status=404
            )
        return await handler(request)

    async def stall(self, _request: web.Request) -> web.StreamResponse:
        """Accept the request and answer only when the test is over."""
        await self.release.wait()
        return web.Response(status=202)

    async def hang_up(self, request: web.Request) -> web.StreamResponse:
        """Accept the request, then drop the connection without a reply."""
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=202)


@pytest.fixture
async def fake_flowroute(socket_enabled: None) -> AsyncIterator[FakeFlowroute]:
    fake = FakeFlowroute()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.dispatch)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    fake.release.set()
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def client(fake_flowroute: FakeFlowroute, session: aiohttp.ClientSession) -> FlowrouteClient:
    return FlowrouteClient(
        ACCESS_KEY, SECRET_KEY, session=session, base_url=fake_flowroute.url, request_timeout=5
    )


@pytest.fixture
def closed_port(socket_enabled: None) -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
