"""Async client of Flowroute's numbers (v2) and messaging (v2.1) API."""

import asyncio
import base64
import json
import math
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from http import HTTPStatus

import aiohttp
from yarl import URL

from .errors import (
    FlowrouteConnectionError,
    FlowrouteInvalidResponseError,
    FlowrouteTimeoutError,
    PayloadError,
    one_line,
    response_error,
)
from .models import CallbackType, MessageRecord, PhoneNumber, SentMessage
from .parsers import (
    Page,
    parse_errors,
    parse_json,
    parse_message_record,
    parse_messages_page,
    parse_numbers_page,
    parse_sent_message,
)

DEFAULT_BASE_URL = "https://api.flowroute.com"
JSON_API = "application/vnd.api+json"
_NUMBERS_PAGE_SIZE = 200  # the largest page Flowroute serves
_DESCRIPTION_MAX = 160  # an error's text in logs, events and repair issues


class FlowrouteClient:
    """Flowroute API client on an aiohttp session owned by the caller.

    Numbers are passed in Flowroute's v2.1 form (see `normalize_number`); the client
    does not validate them again.
    """

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        *,
        session: aiohttp.ClientSession,
        base_url: str = DEFAULT_BASE_URL,
        request_timeout: float = 30.0,
    ) -> None:
        """Keep the credentials and settings; nothing is sent until a method is called."""
        credentials = base64.b64encode(f"{access_key}:{secret_key}".encode()).decode()
        self._authorization = f"Basic {credentials}"
        self._session = session
        self._base_url = URL(base_url)
        self._request_timeout = request_timeout

    async def list_numbers(self) -> list[PhoneNumber]:
        """Return every number of the account (a 401 here means bad credentials)."""
        url = self._url("v2", "numbers", limit=_NUMBERS_PAGE_SIZE, offset=0)
        return await self._collect(url, parse_numbers_page)

    async def send_sms(
        self, *, to: str, from_: str, body: str, dlr_callback: str | None = None
    ) -> SentMessage:
        """Send a text message; Flowroute accepts it (202) or raises."""
        return await self._send({"to": to, "from": from_, "body": body}, dlr_callback)

    async def send_mms(
        self,
        *,
        to: str,
        from_: str,
        media_urls: Sequence[str],
        body: str | None = None,
        dlr_callback: str | None = None,
    ) -> SentMessage:
        """Send a multimedia message; Flowroute fetches the (public) media URLs itself."""
        attributes: dict[str, object] = {
            "to": to,
            "from": from_,
            "media_urls": list(media_urls),
            "is_mms": True,
        }
        if body is not None:
            attributes["body"] = body
        return await self._send(attributes, dlr_callback)

    async def set_number_callback(self, number: str, kind: CallbackType, url: str) -> None:
        """Point one callback of a number at `url`, replacing what was there."""
        await self._request(
            "POST",
            self._url("v2", "numbers", number, "relationships", kind),
            payload=_callback_document(url),
        )

    async def set_account_callback(self, kind: CallbackType, url: str) -> None:
        """Point one account-wide callback at `url`, replacing what was there."""
        await self._request(
            "PUT", self._url("v2.1", "messages", kind), payload=_callback_document(url)
        )

    async def get_message(self, message_id: str) -> MessageRecord:
        """Return the record (MDR) of one message."""
        document = await self._request("GET", self._url("v2.1", "messages", message_id))
        return _parse(parse_message_record, document)

    async def list_messages(
        self, start: datetime, end: datetime, *, page_size: int = 200
    ) -> list[MessageRecord]:
        """Return the records of every message between `start` and `end` (naive is UTC)."""
        return await self._collect(self._messages_url(start, end, page_size), parse_messages_page)

    async def iter_message_pages(
        self, start: datetime, end: datetime, *, page_size: int = 200, receipts: bool = True
    ) -> AsyncIterator[tuple[MessageRecord, ...]]:
        """Yield the records between `start` and `end` (naive is UTC) one page at a time.

        For a month of records: only one page is held at once. Without `receipts`, the
        records' delivery receipts are not parsed (and are left empty).
        """
        async for items in self._pages(
            self._messages_url(start, end, page_size),
            partial(parse_messages_page, receipts=receipts),
        ):
            yield items

    def _messages_url(self, start: datetime, end: datetime, page_size: int) -> URL:
        return self._url(
            "v2.1",
            "messages",
            start_date=_format_time(start),
            end_date=_format_time(end),
            limit=page_size,
            offset=0,
        )

    async def _send(self, attributes: dict[str, object], dlr_callback: str | None) -> SentMessage:
        if dlr_callback is not None:
            attributes["dlr_callback"] = dlr_callback
        document = await self._request(
            "POST",
            self._url("v2.1", "messages"),
            payload={"data": {"type": "message", "attributes": attributes}},
        )
        return _parse(parse_sent_message, document)

    async def _collect[T](self, url: URL, parse: Callable[[object], Page[T]]) -> list[T]:
        """Fetch a whole list, page by page."""
        return [item async for items in self._pages(url, parse) for item in items]

    async def _pages[T](
        self, url: URL, parse: Callable[[object], Page[T]]
    ) -> AsyncIterator[tuple[T, ...]]:
        """Yield the items of each page while `links.next` leads somewhere new."""
        seen = {url}
        while True:
            page = _parse(parse, await self._request("GET", url))
            if page.items:
                yield page.items
            if page.next_link is None or not page.items:
                return
            url = self._follow(page.next_link)
            if url in seen:
                raise FlowrouteInvalidResponseError(f"Flowroute's pages loop back to {url}")
            seen.add(url)

    def _url(self, *segments: str, **query: str | int) -> URL:
        return self._base_url.joinpath(*segments).with_query(query)

    def _follow(self, link: str) -> URL:
        """Resolve a `links.next` that may be absolute or relative, on our own host.

        Only its path and query are kept so that the credentials never go to another
        host, and a client pointed at the simulator stays on the simulator.
        """
        try:
            resolved = self._base_url.join(URL(link))
        except ValueError as err:
            raise FlowrouteInvalidResponseError(f"Flowroute sent a bad next link: {err}") from err
        return self._base_url.with_path(resolved.raw_path, encoded=True).with_query(resolved.query)

    async def _request(
        self, method: str, url: URL, *, payload: dict[str, object] | None = None
    ) -> object:
        """Send one request; return the decoded JSON reply, None for an empty one."""
        headers = {"Authorization": self._authorization, "Accept": JSON_API}
        data = None
        if payload is not None:
            headers["Content-Type"] = JSON_API
            data = json.dumps(payload).encode()
        try:
            async with (
                asyncio.timeout(self._request_timeout),
                self._session.request(
                    method,
                    url,
                    headers=headers,
                    data=data,
                    # A redirect could carry the credentials elsewhere; Flowroute sends none.
                    allow_redirects=False,
                ) as response,
            ):
                raw = await response.read()
        except TimeoutError as err:
            # The connection may already have carried the request.
            raise FlowrouteTimeoutError(
                f"no reply from Flowroute to {method} {url.path} within"
                f" {self._request_timeout:g} s",
                may_have_reached=True,
            ) from err
        except (aiohttp.ClientConnectorError, aiohttp.InvalidURL) as err:
            raise FlowrouteConnectionError(
                f"cannot connect to Flowroute: {self._describe(err)}", may_have_reached=False
            ) from err
        except aiohttp.ClientError as err:
            raise FlowrouteConnectionError(
                f"connection lost during {method} {url.path}: {self._describe(err)}",
                may_have_reached=True,
            ) from err
        if not HTTPStatus.OK <= response.status < HTTPStatus.MULTIPLE_CHOICES:
            try:
                errors = parse_errors(parse_json(raw))
            except PayloadError:
                errors = ()  # a proxy's HTML page, say: the status still tells what happened
            raise response_error(
                response.status,
                errors,
                retry_after=_retry_after(response.headers.get("Retry-After")),
            )
        if not raw.strip():
            return None
        return _parse(parse_json, raw)

    def _describe(self, err: aiohttp.ClientError) -> str:
        """Name an aiohttp error by its type and message, on one short line.

        Never its repr: a ClientResponseError's repr holds the request headers, our
        Authorization among them, and its message may quote whatever the other end sent.
        """
        text = err.message if isinstance(err, aiohttp.ClientResponseError) else str(err)
        # The credentials can only get into the text through something the other end
        # echoed; whatever the route, they never leave the client.
        for secret in (self._authorization, self._authorization.removeprefix("Basic ")):
            text = text.replace(secret, "***")
        flat = one_line(text, _DESCRIPTION_MAX)
        name = type(err).__name__
        return f"{name}: {flat}" if flat else name


def _parse[T, R](parse: Callable[[R], T], document: R) -> T:
    """Run a parser on a 2xx reply, reporting a surprise as an invalid response."""
    try:
        return parse(document)
    except PayloadError as err:
        raise FlowrouteInvalidResponseError(f"unexpected reply from Flowroute: {err}") from err


def _callback_document(url: str) -> dict[str, object]:
    return {"data": {"attributes": {"callback_url": url}}}


def _format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP-date."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None
