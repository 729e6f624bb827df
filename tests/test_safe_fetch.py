"""The fetch rules for URLs strangers chose, without Home Assistant."""

from __future__ import annotations

import socket
import ssl
from ipaddress import ip_address
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from custom_components.flowroute import safe_fetch
from custom_components.flowroute.safe_fetch import (
    MAX_REDIRECTS,
    GuardedConnector,
    GuardedSession,
    Origin,
    PublicOnlyResolver,
    RefusedError,
    check_url,
    is_public_address,
)

from .media_servers import ConnectionCounter, MediaServer, trust_loopback

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

API = Origin.of(URL("https://api.flowroute.com"))
SIMULATOR = Origin.of(URL("http://127.0.0.1:8787"))
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 500


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """The stand-in servers listen on loopback."""


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.flowroute.com/v2.2/media/m-1?token=x", API),
        ("https://media.example.com/IMG_0001.jpg", API),
        ("https://93.184.216.34/a.png", API),
        ("https://[2606:2800:220:1:248:1893:25c8:1946]/a.png", API),
        ("http://127.0.0.1:8787/sim/media/m-1", SIMULATOR),
        ("https://localhost/a.png", SIMULATOR),  # a name: checked when it resolves
    ],
)
def test_urls_that_may_be_fetched(url: str, trusted: Origin) -> None:
    check_url(URL(url), trusted)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://media.example.com/a.png", "not https"),
        ("http://api.flowroute.com/v2.2/media/m-1", "not https"),
        ("ftp://media.example.com/a.png", "not https"),
        ("/relative/a.png", "not an absolute URL"),
        ("http://127.0.0.1:8788/a.png", "not https"),  # another port of the trusted host
        ("https://127.0.0.1:8787/a.png", "another scheme of the trusted origin"),
        ("https://127.0.0.1/a.png", "not a public address"),
        ("https://10.0.0.1/a.png", "not a public address"),
        ("https://172.16.5.4/a.png", "not a public address"),
        ("https://192.168.1.1/a.png", "not a public address"),
        ("https://100.64.0.1/a.png", "not a public address"),
        ("https://169.254.169.254/latest/meta-data/", "not a public address"),
        ("https://0.0.0.0/a.png", "not a public address"),
        ("https://224.0.0.1/a.png", "not a public address"),
        ("https://240.0.0.1/a.png", "not a public address"),
        ("https://255.255.255.255/a.png", "not a public address"),
        ("https://[::1]/a.png", "not a public address"),
        ("https://[::]/a.png", "not a public address"),
        ("https://[fe80::1]/a.png", "not a public address"),
        ("https://[fd00::1]/a.png", "not a public address"),
        ("https://[ff02::1]/a.png", "not a public address"),
        ("https://[::ffff:127.0.0.1]/a.png", "not a public address"),
        ("https://[::ffff:169.254.169.254]/a.png", "not a public address"),
        ("https://[64:ff9b::a00:1]/a.png", "not a public address"),  # NAT64 of 10.0.0.1
        ("https://[2002:c0a8:101::1]/a.png", "not a public address"),  # 6to4 of 192.168.1.1
    ],
)
def test_urls_that_are_refused(url: str, reason: str) -> None:
    with pytest.raises(RefusedError, match=f"^{reason}$"):
        check_url(URL(url), SIMULATOR)


def test_the_seam_marks_only_its_networks_public(monkeypatch: pytest.MonkeyPatch) -> None:
    loopback, private = ip_address("127.0.0.1"), ip_address("10.0.0.1")
    assert not is_public_address(loopback)
    trust_loopback(monkeypatch)
    assert is_public_address(loopback)
    assert is_public_address(ip_address("::ffff:127.0.0.1"))
    assert not is_public_address(private)
    assert not is_public_address(ip_address("::1"))
    monkeypatch.undo()
    assert safe_fetch.overrides == safe_fetch.Overrides()  # production: nothing overridden
    assert not is_public_address(loopback)


class _Answers(AbstractResolver):
    """A resolver that answers from a table."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self._table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in self._table[host]
        ]

    async def close(self) -> None:
        """Nothing to close."""


async def test_the_resolver_keeps_public_addresses_only() -> None:
    resolver = PublicOnlyResolver(
        Origin.of(URL("http://sim.lan:8787")),
        _Answers(
            {
                "mixed.example": ["10.0.0.7", "93.184.216.34", "::1", "2606:2800:220:1::1"],
                "rebound.example": ["127.0.0.1", "::ffff:192.168.1.1", "169.254.169.254"],
                "sim.lan": ["192.168.1.20"],
            }
        ),
    )
    assert [r["host"] for r in await resolver.resolve("mixed.example", 443)] == [
        "93.184.216.34",
        "2606:2800:220:1::1",
    ]
    with pytest.raises(OSError, match="resolves to no public address"):
        await resolver.resolve("rebound.example", 443)
    # The trusted origin's host and port resolve as they are; its other ports do not.
    assert [r["host"] for r in await resolver.resolve("sim.lan", 8787)] == ["192.168.1.20"]
    with pytest.raises(OSError, match="resolves to no public address"):
        await resolver.resolve("sim.lan", 443)


@pytest.fixture
async def session() -> AsyncIterator[GuardedSession]:
    guarded = GuardedSession(
        "https://api.flowroute.com",
        ssl_context=ssl.create_default_context(),
        limit=4,
        limit_per_host=2,
    )
    yield guarded
    await guarded.close()


@pytest.fixture
async def public(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MediaServer]:
    """A public https host (loopback, made public through the seam)."""
    trust_loopback(monkeypatch)
    async with MediaServer(files={"a.png": PNG}) as server:
        yield server


@pytest.fixture
async def internal() -> AsyncIterator[ConnectionCounter]:
    async with ConnectionCounter() as counter:
        yield counter


async def _fetch(session: GuardedSession, url: str) -> bytes:
    async with session.get(url) as response:
        assert response.status == 200
        return await response.read()


async def test_a_public_https_host_is_fetched(session: GuardedSession, public: MediaServer) -> None:
    assert await _fetch(session, public.url("/m/a.png")) == PNG


async def test_plain_http_is_refused_before_any_request(
    session: GuardedSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_loopback(monkeypatch)
    async with MediaServer(tls=False, files={"a.png": PNG}) as plain:
        with pytest.raises(RefusedError, match="not https"):
            await _fetch(session, plain.url("/m/a.png"))
        assert plain.requests == []


async def test_a_name_that_resolves_to_loopback_is_never_connected(
    session: GuardedSession, internal: ConnectionCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_loopback(monkeypatch, public=False)  # the CA is trusted, loopback is not public
    with pytest.raises(RefusedError, match="the name resolves to no public address"):
        await _fetch(session, f"https://localhost:{internal.port}/a.png")
    assert internal.connections == 0


async def test_the_connector_checks_the_address_it_reached(internal: ConnectionCounter) -> None:
    # A resolver that filters nothing: the connector alone must refuse the connection.
    connector = GuardedConnector(API, resolver=aiohttp.ThreadedResolver())
    async with aiohttp.ClientSession(connector=connector) as client:
        with pytest.raises(RefusedError, match="connected to an address that is not public"):
            await client.get(f"http://localhost:{internal.port}/a.png")
    await internal.wait_handled()
    assert internal.connections == 1
    assert internal.requests == 0  # closed before anything was sent


async def test_redirects_are_followed_under_the_same_rules(
    session: GuardedSession, public: MediaServer, internal: ConnectionCounter
) -> None:
    public.redirects.update(
        {
            "public": public.url("/m/a.png"),
            "relative": "/m/a.png",
            "internal": f"http://127.0.0.1:{internal.port}/secret",
            "private": "https://10.0.0.1/secret",
            **{f"hop{n}": public.url(f"/r/hop{n + 1}") for n in range(MAX_REDIRECTS + 1)},
        }
    )
    public.redirects[f"hop{MAX_REDIRECTS + 1}"] = public.url("/m/a.png")
    assert await _fetch(session, public.url("/r/public")) == PNG
    assert await _fetch(session, public.url("/r/relative")) == PNG
    assert await _fetch(session, public.url("/r/hop2")) == PNG  # MAX_REDIRECTS hops
    with pytest.raises(RefusedError, match=r"^a redirect to a URL that is not https$"):
        await _fetch(session, public.url("/r/internal"))
    with pytest.raises(RefusedError, match=r"^a redirect to a URL that is not a public address$"):
        await _fetch(session, public.url("/r/private"))
    with pytest.raises(RefusedError, match=f"^more than {MAX_REDIRECTS} redirects$"):
        await _fetch(session, public.url("/r/hop1"))
    assert internal.connections == 0


async def test_the_trusted_origin_is_fetched_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    trust_loopback(monkeypatch, public=False)
    async with (
        MediaServer(tls=False, files={"a.png": PNG}) as simulator,
        MediaServer(tls=False, files={"a.png": PNG}) as neighbour,
    ):
        guarded = GuardedSession(
            simulator.url("/"), ssl_context=ssl.create_default_context(), limit=4, limit_per_host=2
        )
        try:
            assert await _fetch(guarded, simulator.url("/m/a.png")) == PNG
            # Nothing else on its host: not another port, not a redirect there by name.
            with pytest.raises(RefusedError, match="not https"):
                await _fetch(guarded, neighbour.url("/m/a.png"))
            with pytest.raises(RefusedError, match="another scheme of the trusted origin"):
                await _fetch(guarded, simulator.url("/m/a.png").replace("http:", "https:"))
        finally:
            await guarded.close()
        assert neighbour.requests == []


async def test_proxy_settings_from_the_environment_are_ignored(
    session: GuardedSession,
    public: MediaServer,
    internal: ConnectionCounter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = f"http://127.0.0.1:{internal.port}"
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert await _fetch(session, public.url("/m/a.png")) == PNG
    assert internal.connections == 0


async def test_a_closed_session_fetches_nothing(
    session: GuardedSession, public: MediaServer
) -> None:
    assert await _fetch(session, public.url("/m/a.png")) == PNG
    await session.close()
    with pytest.raises(aiohttp.ClientConnectionError):
        await _fetch(session, public.url("/m/a.png"))
    assert public.requests == ["/m/a.png"]
