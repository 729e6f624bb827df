"""Stand-ins for the hosts a media URL can name: public https servers and internal hosts.

Everything listens on 127.0.0.1, the only address the test harness lets sockets reach.
`trust_loopback(monkeypatch)` sets safe_fetch's one test seam so that loopback counts as
public and the test CA is trusted: a `MediaServer` then stands in for a public host (over
https unless made with `tls=False`). Without it, every loopback server is internal.
`ConnectionCounter` is an internal host that counts TCP connections, so a test can assert
that nothing even connected to it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from custom_components.flowroute import safe_fetch

if TYPE_CHECKING:
    import pytest

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
# OpenSSL checks the real clock, not the one a test freezes: valid whatever the date.
_NOT_BEFORE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_NOT_AFTER = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class _Pems:
    ca: bytes
    chain: bytes
    key: bytes


@functools.cache
def _pems() -> _Pems:
    """A test CA and a server certificate it signed for 127.0.0.1 and localhost."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Flowroute tests CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return _Pems(
        ca=ca.public_bytes(pem),
        chain=server.public_bytes(pem),
        key=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def client_context() -> ssl.SSLContext:
    """A client context that trusts the test CA (and nothing else)."""
    return ssl.create_default_context(cadata=_pems().ca.decode())


def server_context() -> ssl.SSLContext:
    """The context of the test servers: the certificate the test CA signed."""
    pems = _pems()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as folder:
        chain, key = Path(folder) / "chain.pem", Path(folder) / "key.pem"
        chain.write_bytes(pems.chain)
        key.write_bytes(pems.key)
        context.load_cert_chain(chain, key)
    return context


def trust_loopback(monkeypatch: pytest.MonkeyPatch, *, public: bool = True) -> None:
    """Set the seam: trust the test CA and, with `public`, count loopback as public."""
    monkeypatch.setattr(
        safe_fetch,
        "overrides",
        safe_fetch.Overrides(
            public_networks=(LOOPBACK,) if public else (), ssl_context=client_context()
        ),
    )


@dataclass
class MediaServer:
    """A media host: `/m/<name>` serves `files[name]`, `/r/<name>` redirects to `redirects[name]`.

    `/gate/<name>` answers only when `release()` lets it, and `/halves/<name>` sends half
    of `files[name]` and the rest once `halves_barrier` requests are halfway. `requests`
    lists the paths asked for; `in_flight` and `max_in_flight` count gated requests.
    """

    tls: bool = True
    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    content_type: str = "image/png"
    halves_barrier: int = 2
    requests: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    _server: TestServer | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _released: int = 0
    _halfway: int = 0

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/m/{name}", self._file)
        app.router.add_get("/r/{name}", self._redirect)
        app.router.add_get("/gate/{name}", self._gated)
        app.router.add_get("/halves/{name}", self._halves)
        app.router.add_get("/stream/{chunks}", self._stream)
        app.router.add_get("/never", self._never)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server(ssl=server_context() if self.tls else None)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        await self._server.close()

    def url(self, path: str) -> str:
        """The URL of `path` on this server."""
        assert self._server is not None
        return str(self._server.make_url(path))

    async def wait_in_flight(self, count: int) -> None:
        """Wait until the released requests have answered and `count` more are waiting."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._released and self.in_flight >= count)

    async def release(self, count: int) -> None:
        """Let `count` more gated requests answer."""
        async with self._changed:
            self._released += count
            self._changed.notify_all()

    async def _file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests.append(request.path)
        if name not in self.files:
            raise web.HTTPNotFound
        return web.Response(body=self.files[name], content_type=self.content_type)

    async def _redirect(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        raise web.HTTPFound(self.redirects[request.match_info["name"]])

    async def _gated(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        async with self._changed:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
            await self._changed.wait_for(lambda: self._released > 0)
            self._released -= 1
            self.in_flight -= 1
        return await self._file(request)

    async def _halves(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        body = self.files[request.match_info["name"]]
        response = web.StreamResponse(headers={"Content-Type": self.content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        async with self._changed:
            self._halfway += 1
            self._changed.notify_all()
            await self._changed.wait_for(lambda: self._halfway >= self.halves_barrier)
        await response.write(body[len(body) // 2 :])
        await response.write_eof()
        return response

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        """`chunks` chunks of 1,000 bytes, without a Content-Length."""
        self.requests.append(request.path)
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(int(request.match_info["chunks"])):
            await response.write(b"j" * 1_000)
        await response.write_eof()
        return response

    async def _never(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        await asyncio.Event().wait()  # until the client gives up and the handler is cancelled
        raise AssertionError


@dataclass
class ConnectionCounter:
    """An internal host: counts TCP connections and answers any request with `body`."""

    body: bytes = b"internal secret"
    connections: int = 0
    requests: int = 0
    _handled: int = 0
    _server: asyncio.Server | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._connected, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def wait_handled(self) -> None:
        """Wait until every connection made so far has been read to its end."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._handled == self.connections)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            # Anything but plain HTTP (a TLS handshake) is hung up on at once.
            head = await reader.readexactly(4)
            if head == b"GET ":
                head += await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            head = b""
        if head.startswith(b"GET "):
            self.requests += 1
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n"
                + f"Content-Length: {len(self.body)}\r\n\r\n".encode()
                + self.body
            )
        writer.close()
        async with self._changed:
            self._handled += 1
            self._changed.notify_all()
