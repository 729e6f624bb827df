"""Fetch URLs that strangers chose without letting them reach into the local network.

Flowroute signs no callbacks, so a media URL in one may name any host. The rules:

- a URL is fetched over https only, and an IP address in it must be public (not
  loopback, private, link-local, multicast, unspecified or reserved, IPv4 and IPv6, an
  IPv4 address inside an IPv6 one included);
- the one trusted origin (scheme, host and port of the configured API base URL, so that
  the simulator at http://127.0.0.1:<port> works) is fetched as it is; nothing else on
  its host is trusted;
- a name goes through `PublicOnlyResolver`, which drops every address that is not public
  before the connector sees it (DNS rebinding), and `GuardedConnector` checks the address
  each connection actually reached before the request is sent on it;
- redirects are followed by hand, at most MAX_REDIRECTS hops, each under the same rules;
- proxy settings from the environment are ignored and no cookies are kept.

Test seam: `overrides` is the only thing a test changes here (tests/media_servers.py does,
through monkeypatch). Addresses in its `public_networks` count as public, so loopback
servers can stand in for public hosts, and its `ssl_context`, when set, replaces the one
given to GuardedSession, so that those servers' test CA is trusted. Production code never
assigns it: by default nothing is overridden.
"""

from __future__ import annotations

import socket
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from aiohttp import hdrs
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

if TYPE_CHECKING:
    import ssl
    from collections.abc import AsyncIterator

    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.connector import Connection
    from aiohttp.tracing import Trace

MAX_REDIRECTS: Final = 3
_REDIRECTS: Final = frozenset(
    {
        HTTPStatus.MOVED_PERMANENTLY,
        HTTPStatus.FOUND,
        HTTPStatus.SEE_OTHER,
        HTTPStatus.TEMPORARY_REDIRECT,
        HTTPStatus.PERMANENT_REDIRECT,
    }
)
# NAT64 gateways reach the IPv4 address in the last 32 bits of this prefix.
_NAT64: Final = IPv6Network("64:ff9b::/96")

type Address = IPv4Address | IPv6Address
type Network = IPv4Network | IPv6Network


@dataclass(frozen=True, slots=True, kw_only=True)
class Overrides:
    """What a test may change (see the module docstring); the default changes nothing."""

    public_networks: tuple[Network, ...] = ()
    ssl_context: ssl.SSLContext | None = None


# The test seam. Production code never assigns it.
overrides = Overrides()


class RefusedError(Exception):
    """The rules refuse a URL, a redirect or an address (the text never holds the URL)."""


class _NoPublicAddressError(OSError):
    """The resolver found no public address: an OSError, so aiohttp wraps it as it should."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Scheme, host and port of a URL (the port filled in for http and https)."""

    scheme: str
    host: str
    port: int | None

    @classmethod
    def of(cls, url: URL) -> Origin:
        """Return the origin of `url`."""
        return cls((url.scheme or "").lower(), (url.raw_host or "").lower(), url.port)


def is_public_address(address: Address) -> bool:
    """Whether `address` is one of the public internet (or marked public by the seam)."""
    if any(address in network for network in overrides.public_networks):
        return True
    if isinstance(address, IPv6Address) and (embedded := _embedded_ipv4(address)) is not None:
        return is_public_address(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
    )


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """Return the IPv4 address an IPv6 one leads to (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public_text(text: str) -> bool:
    try:
        return is_public_address(ip_address(text))
    except ValueError:
        return False


def check_url(url: URL, trusted: Origin) -> None:
    """Raise RefusedError unless `url` may be fetched; a name is checked when it resolves."""
    origin = Origin.of(url)
    if origin == trusted:
        return
    if not url.absolute or not origin.host:
        raise RefusedError("not an absolute URL")
    if origin.scheme != "https":
        raise RefusedError("not https")
    if (origin.host, origin.port) == (trusted.host, trusted.port):
        # The resolver trusts the origin's host and port: only its own scheme may use them.
        raise RefusedError("another scheme of the trusted origin")
    try:
        address = ip_address(url.raw_host or "")
    except ValueError:
        return
    if not is_public_address(address):
        raise RefusedError("not a public address")


class PublicOnlyResolver(AbstractResolver):
    """Resolves through another resolver and keeps public addresses only.

    The trusted origin's host and port resolve as they are.
    """

    def __init__(self, trusted: Origin, inner: AbstractResolver | None = None) -> None:
        """Filter what `inner` answers.

        By default the system's resolver in a thread (aiohttp's default without aiodns):
        aiodns 3.2, which Home Assistant 2025.4 pins, fails every lookup with pycares 5.
        """
        self._trusted = trusted
        self._inner = inner if inner is not None else aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the public addresses of `host`; raise an OSError when it has none."""
        resolved = await self._inner.resolve(host, port, family)
        if (host.lower(), port) == (self._trusted.host, self._trusted.port):
            return resolved
        public = [result for result in resolved if _is_public_text(result["host"])]
        if not public:
            raise _NoPublicAddressError("the name resolves to no public address")
        return public

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()


class GuardedConnector(aiohttp.TCPConnector):
    """A connector that closes a connection to an address that is not public, unused.

    Addresses in URLs never reach the resolver, and this check does not depend on it. It
    runs once the connection is made (a TLS handshake included), before the request.
    """

    def __init__(self, trusted: Origin, **kwargs: Any) -> None:
        """Check every connection except those to the trusted origin."""
        super().__init__(**kwargs)
        self._trusted = trusted

    async def connect(
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - the signature aiohttp calls
    ) -> Connection:
        """Return a connection whose peer is public, or raise RefusedError."""
        connection = await super().connect(req, traces, timeout)
        if Origin.of(req.url) != self._trusted and not _peer_is_public(connection):
            connection.close()
            raise RefusedError("connected to an address that is not public")
        return connection


def _peer_is_public(connection: Connection) -> bool:
    transport = connection.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    return isinstance(peer, tuple) and bool(peer) and _is_public_text(str(peer[0]))


class GuardedSession:
    """An aiohttp session for URLs strangers chose, under this module's rules.

    The aiohttp session is made on the first request; close() ends it.
    """

    def __init__(
        self,
        trusted_origin: str,
        *,
        ssl_context: ssl.SSLContext,
        limit: int,
        limit_per_host: int,
    ) -> None:
        """Trust `trusted_origin` (a URL); open at most `limit` connections at once."""
        self._trusted = Origin.of(URL(trusted_origin))
        self._ssl_context = ssl_context
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._client: aiohttp.ClientSession | None = None
        self._resolver: PublicOnlyResolver | None = None
        self._closed = False

    @property
    def trusted(self) -> Origin:
        """The origin fetched without the address rules."""
        return self._trusted

    @asynccontextmanager
    async def get(self, url: str) -> AsyncIterator[aiohttp.ClientResponse]:
        """Yield the answer to a GET of `url`, redirects followed under the rules.

        Raises RefusedError for what the rules refuse, aiohttp errors for the rest.
        """
        target = _parse(url)
        check_url(target, self._trusted)
        hops = 0
        while True:
            response = await self._request(target)
            location = (
                response.headers.get(hdrs.LOCATION) if response.status in _REDIRECTS else None
            )
            if location is None:
                break
            response.release()
            hops += 1
            if hops > MAX_REDIRECTS:
                raise RefusedError(f"more than {MAX_REDIRECTS} redirects")
            target = target.join(_parse(location))
            try:
                check_url(target, self._trusted)
            except RefusedError as err:
                raise RefusedError(f"a redirect to a URL that is {err}") from None
        try:
            yield response
        finally:
            response.release()

    async def _request(self, url: URL) -> aiohttp.ClientResponse:
        client = self._session()
        try:
            return await client.get(
                url, allow_redirects=False, ssl=overrides.ssl_context or self._ssl_context
            )
        except aiohttp.ClientConnectorError as err:
            if isinstance(err.os_error, _NoPublicAddressError):
                raise RefusedError(str(err.os_error)) from None
            raise

    def _session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise aiohttp.ClientConnectionError("the session is closed")
        if self._client is None:
            self._resolver = PublicOnlyResolver(self._trusted)
            self._client = aiohttp.ClientSession(
                connector=GuardedConnector(
                    self._trusted,
                    resolver=self._resolver,
                    limit=self._limit,
                    limit_per_host=self._limit_per_host,
                ),
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._client

    async def close(self) -> None:
        """Close the connections and the resolver; later requests fail."""
        self._closed = True
        client, resolver = self._client, self._resolver
        self._client = self._resolver = None
        if client is not None:
            await client.close()
        if resolver is not None:
            await resolver.close()


def _parse(url: str) -> URL:
    try:
        return URL(url)
    except (ValueError, TypeError):
        raise RefusedError("not a valid URL") from None
