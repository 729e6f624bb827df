"""Flowroute-facing routes: numbers and callbacks (/v2), sending and message records (/v2.1)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from .core import SIMULATOR_KEY, SendRequest, Simulator
from .errors import ApiError, DropConnection
from .faults import Endpoint, Fault, FaultKind
from .payloads import (
    JSON_API,
    Document,
    accepted_document,
    message_resource,
    number_resource,
    page_links,
)
from .rules import number_problem
from .state import Account, CallbackKind, MessageKind, SendAttempt, SimNumber

JSON_CONTENT_TYPES = frozenset({JSON_API, "application/json"})
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 200
UNAVAILABLE_DETAIL = (
    "Service temporarily unavailable: no MDR id is created, "
    "the message was not accepted and may be resent."
)


def add_api_routes(app: web.Application) -> None:
    """Register Flowroute's endpoints on `app`."""
    app.router.add_get("/v2/numbers", list_numbers)
    app.router.add_get("/v2/numbers/{number}", get_number)
    app.router.add_post("/v2/numbers/{number}/relationships/{kind}", set_number_callback)
    app.router.add_post("/v2.1/messages", send_message)
    app.router.add_get("/v2.1/messages", list_messages)
    app.router.add_get("/v2.1/messages/{item}", get_message)
    app.router.add_put("/v2.1/messages/{item}", set_account_callback)


# Handlers


async def list_numbers(request: web.Request) -> web.StreamResponse:
    """GET /v2/numbers: the account's numbers, paginated."""
    simulator = _simulator(request)
    fault = await _apply_fault(request, Endpoint.NUMBERS)
    account = _authenticate(request)
    limit, offset = _page(request)
    numbers = account.numbers
    return _answer(
        fault,
        {
            "data": [
                number_resource(number, simulator.url)
                for number in numbers[offset : offset + limit]
            ],
            "links": page_links(
                f"{simulator.url}/v2/numbers", {}, limit=limit, offset=offset, total=len(numbers)
            ),
        },
    )


async def get_number(request: web.Request) -> web.StreamResponse:
    """GET /v2/numbers/{number}: one of the account's numbers."""
    fault = await _apply_fault(request, Endpoint.NUMBERS)
    number = _own_number(_authenticate(request), request.match_info["number"])
    return _answer(fault, {"data": number_resource(number, _simulator(request).url)})


async def set_number_callback(request: web.Request) -> web.StreamResponse:
    """POST /v2/numbers/{number}/relationships/{kind}: set one callback of a number."""
    fault = await _apply_fault(request, Endpoint.CALLBACKS)
    number = _own_number(_authenticate(request), request.match_info["number"])
    kind = _callback_kind(request.match_info["kind"])
    url = _callback_url(await _json_body(request))
    _simulator(request).state.set_number_callback(number.number, kind, url)
    return _answer(fault, None, status=204)


async def set_account_callback(request: web.Request) -> web.StreamResponse:
    """PUT /v2.1/messages/{kind}: set one callback of the account."""
    fault = await _apply_fault(request, Endpoint.CALLBACKS)
    account = _authenticate(request)
    kind = _callback_kind(request.match_info["item"])
    url = _callback_url(await _json_body(request))
    _simulator(request).state.set_account_callback(account.access_key, kind, url)
    return _answer(fault, None, status=204)


async def send_message(request: web.Request) -> web.StreamResponse:
    """POST /v2.1/messages: send an SMS or MMS; every attempt is logged."""
    simulator = _simulator(request)
    document = _loads(await request.read())
    attributes = _attributes(document) or {}
    kind = MessageKind.MMS if _wants_mms(attributes) else MessageKind.SMS
    access_key: str | None = None
    fault: Fault | None = None
    status: int | None = None
    error: ApiError | None = None
    message_id: str | None = None
    try:
        fault = simulator.take_fault(
            Endpoint.SEND_MMS if kind is MessageKind.MMS else Endpoint.SEND_SMS
        )
        await _act_out(simulator, fault)
        account = _authenticate(request)
        access_key = account.access_key
        simulator.count_send_attempt(account, kind)
        record = await simulator.send(account, _send_request(request, document))
        message_id, status = record.message_id, 202
        return _answer(fault, accepted_document(record, simulator.url), status=202)
    except ApiError as exc:
        status, error = exc.status, exc
        raise
    finally:
        simulator.state.send_attempts.append(
            SendAttempt(
                timestamp=simulator.settings.utcnow(),
                access_key=access_key,
                kind=kind,
                status=status,
                message_id=message_id,
                to_number=_text(attributes.get("to")),
                from_number=_text(attributes.get("from")),
                error_code=error.code if error else None,
                detail=str(error.detail) if error else None,
                fault=fault.kind.value if fault else None,
                body=_text(attributes.get("body")),
            )
        )


async def get_message(request: web.Request) -> web.StreamResponse:
    """GET /v2.1/messages/{id}: one message record of the account."""
    simulator = _simulator(request)
    fault = await _apply_fault(request, Endpoint.RECORDS)
    account = _authenticate(request)
    message_id = request.match_info["item"]
    record = simulator.state.message(account.access_key, message_id)
    if record is None:
        raise ApiError(404, f"No message record {message_id} on this account")
    return _answer(fault, {"data": message_resource(record, simulator.url)})


async def list_messages(request: web.Request) -> web.StreamResponse:
    """GET /v2.1/messages?start_date&end_date&limit&offset: the account's records."""
    simulator = _simulator(request)
    fault = await _apply_fault(request, Endpoint.RECORDS)
    account = _authenticate(request)
    start = _date_param(request, "start_date")
    if start is None:
        raise ApiError(400, "start_date is required, such as 2026-11-01T00:00:00Z")
    end = _date_param(request, "end_date") or simulator.settings.utcnow()
    if end < start:
        raise ApiError(400, "end_date is before start_date")
    limit, offset = _page(request)
    records, total = simulator.state.messages_page(
        account.access_key, start, end, limit=limit, offset=offset
    )
    query = {key: request.query[key] for key in ("start_date", "end_date") if key in request.query}
    return _answer(
        fault,
        {
            "data": [message_resource(record, simulator.url) for record in records],
            "links": page_links(
                f"{simulator.url}/v2.1/messages", query, limit=limit, offset=offset, total=total
            ),
        },
    )


# Shared steps


def _simulator(request: web.Request) -> Simulator:
    return request.app[SIMULATOR_KEY]


async def _apply_fault(request: web.Request, endpoint: Endpoint) -> Fault | None:
    """Take the fault that hits this request, if any, and act it out."""
    simulator = _simulator(request)
    fault = simulator.take_fault(endpoint)
    await _act_out(simulator, fault)
    return fault


async def _act_out(simulator: Simulator, fault: Fault | None) -> None:
    """Fail, drop or delay the request as `fault` says; LOST_REPLY is acted out by _answer."""
    if fault is None:
        return
    match fault.kind:
        case FaultKind.UNAVAILABLE:
            raise ApiError(503, fault.detail or UNAVAILABLE_DETAIL)
        case FaultKind.RATE_LIMITED:
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            raise ApiError(429, fault.detail or "Too many requests", headers=headers)
        case FaultKind.STATUS:
            raise ApiError(fault.status, fault.detail or "Simulated failure")
        case FaultKind.DROP:
            raise DropConnection
        case FaultKind.SLOW:
            await simulator.pause(fault.delay)
        case FaultKind.LOST_REPLY:
            pass


def _answer(fault: Fault | None, document: Document | None, status: int = 200) -> web.Response:
    if fault is not None and fault.kind is FaultKind.LOST_REPLY:
        raise DropConnection
    if document is None:
        return web.Response(status=status)
    return web.json_response(document, status=status, content_type=JSON_API)


def _authenticate(request: web.Request) -> Account:
    credentials = _basic_credentials(request.headers.get(hdrs.AUTHORIZATION, ""))
    if credentials is not None and (
        account := _simulator(request).state.authenticate(*credentials)
    ):
        return account
    raise ApiError(
        401,
        "Authentication failed: use HTTP basic auth with your access key and secret key",
        headers={"WWW-Authenticate": 'Basic realm="Flowroute API"'},
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """Return (access key, secret key) from a Basic Authorization header."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    access_key, colon, secret_key = decoded.partition(":")
    return (access_key, secret_key) if colon else None


def _own_number(account: Account, value: str) -> SimNumber:
    for number in account.numbers:
        if number.number == value:
            return number
    raise ApiError(404, f"Number {value} is not on this account")


def _callback_kind(value: str) -> CallbackKind:
    try:
        return CallbackKind(value)
    except ValueError:
        kinds = ", ".join(kind.value for kind in CallbackKind)
        raise ApiError(404, f"Unknown callback type {value!r}: use one of {kinds}") from None


def _callback_url(document: Any) -> str:
    data = document.get("data") if isinstance(document, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    url = attributes.get("callback_url") if isinstance(attributes, dict) else None
    if not _is_http_url(url):
        raise ApiError(400, 'Expected {"data": {"attributes": {"callback_url": "https://..."}}}')
    return str(url)


def _page(request: web.Request) -> tuple[int, int]:
    limit = _int_param(request, "limit", DEFAULT_PAGE_SIZE)
    offset = _int_param(request, "offset", 0)
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ApiError(400, f"limit must be between 1 and {MAX_PAGE_SIZE}")
    if offset < 0:
        raise ApiError(400, "offset must not be negative")
    return limit, offset


def _int_param(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer") from None


def _date_param(request: web.Request, name: str) -> datetime | None:
    value = request.query.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, f"{name} must be an ISO 8601 date or time, such as 2026-11-01T00:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Request bodies


async def _json_body(request: web.Request) -> Any:
    _check_content_type(request)
    document = _loads(await request.read())
    if document is None:
        raise ApiError(400, "The request body is not a JSON object")
    return document


def _check_content_type(request: web.Request) -> None:
    if request.content_type not in JSON_CONTENT_TYPES:
        raise ApiError(
            415, f"Content-Type must be {JSON_API}, not {request.content_type or 'missing'}"
        )


def _loads(raw: bytes) -> dict[str, Any] | None:
    """Return the JSON object in `raw`, or None if it is not one."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return document if isinstance(document, dict) else None


def _attributes(document: dict[str, Any] | None) -> dict[str, Any] | None:
    data = document.get("data") if document is not None else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    return attributes if isinstance(attributes, dict) else None


def _wants_mms(attributes: dict[str, Any]) -> bool:
    """Flowroute sends MMS when asked to, or when there is media."""
    return attributes.get("is_mms") is True or bool(attributes.get("media_urls"))


def _send_request(request: web.Request, document: dict[str, Any] | None) -> SendRequest:
    """Validate a send's body the way Flowroute does."""
    _check_content_type(request)
    if document is None:
        raise ApiError(400, "The request body is not a JSON object")
    data = document.get("data")
    if not isinstance(data, dict):
        raise ApiError(400, 'Expected {"data": {"type": "message", "attributes": {...}}}')
    if data.get("type") != "message":
        raise ApiError(400, 'data.type must be "message"')
    attributes = _attributes(document)
    if attributes is None:
        raise ApiError(400, "data.attributes must be an object")
    to, from_ = _number(attributes, "to"), _number(attributes, "from")
    if not isinstance(attributes.get("is_mms", False), bool | None):
        raise ApiError(400, "is_mms must be true or false")
    media_urls = attributes.get("media_urls") or []
    if not isinstance(media_urls, list) or not all(_is_http_url(url) for url in media_urls):
        raise ApiError(400, "media_urls must be a list of http(s) URLs")
    body = attributes.get("body")
    if not isinstance(body, str | None):
        raise ApiError(400, "body must be a string")
    mms = _wants_mms(attributes)
    if not (body or media_urls):
        raise ApiError(400, "an MMS needs media_urls or a body" if mms else "body is required")
    dlr_callback = attributes.get("dlr_callback")
    if not (dlr_callback is None or _is_http_url(dlr_callback)):
        raise ApiError(400, "dlr_callback must be an http(s) URL")
    return SendRequest(
        to=to,
        from_=from_,
        body=body,
        media_urls=tuple(media_urls),
        is_mms=mms,
        dlr_callback=dlr_callback,
    )


def _number(attributes: dict[str, Any], name: str) -> str:
    value = attributes.get(name)
    if value is None:
        raise ApiError(400, f"{name} is required")
    if problem := number_problem(value):
        raise ApiError(400, f"{name} number {value!r} {problem}")
    return str(value)


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
