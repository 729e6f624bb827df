"""The phone page: play, in a browser, the handsets that text the simulated numbers.

GET /phone serves a page (plain HTML, JS and CSS in simulator/phone/, no build step) with one
phone per handset: every number outside the simulated accounts that texted a DID, was sent a
text or was refused one, plus Settings.handsets (`--phone` on the command line) and the
numbers added on the page. Each phone shows its thread with delivery receipts, the DIDs it
opted out of by texting STOP, and a compose box that texts a DID through the real callback
path (Simulator.inject_inbound, as POST /sim/inbound does). The page polls the state.

JSON API: no credentials, like /sim/. Errors are Flowroute-shaped JSON bodies,
`{"errors": [{"status": 400, "title": ..., "detail": ...}]}`, never a traceback. Requests
with a body must be Content-Type application/json (415 otherwise), so that a page on another
origin cannot post one without a CORS preflight, which the simulator never grants.

GET /phone/api/state?since=VERSION
    200 {"version", "changed": true, "dids": [...], "phones": [...]}; only
    {"version", "changed": false} when nothing changed since VERSION.
    did: {"number", "display", "account", "messaging_enabled", "sms_callback",
    "mms_callback"} (the last two say whether a callback URL is set).
    phone: {"number", "display", "name", "opted_out_of": [{"number", "display"}],
    "last_did", "thread": [item, ...]}, the thread oldest first; "name" is null unless
    the handset was named (PUT /sim/handsets/{number}, as the demo names Alex and Sam).
    item: {"id", "kind": "sms" | "mms" | "refused", "direction": "in" | "out", "did",
    "did_display", "body", "media": [{"url", "mime_type", "file_name", "size", "image"}],
    "timestamp"}. The direction is the account's, as in Flowroute's records: "in" is the
    phone's own text to a DID, "out" a text a DID sent (or tried to send) to the phone.
    Outbound items have "receipt": {"state", "status_code", "description", "receipts"}, the
    state being "queued" (no receipt yet), "sent" (level 1), "delivered" or "failed"
    (level 2), or "refused": a send Flowroute refused for good (a 4xx other than 429, such
    as 1110 to a phone that texted STOP; kind "refused", with "http_status" and "detail").
    Inbound items have "callback": {"state", "attempts", "status", "error"}, the state being
    "delivered" (answered 200), "retrying", "failed" (retries used up), "pending" (not
    posted yet) or "none" (never posted: the DID had no callback for it, or it was a STOP
    kept from the callback).
POST /phone/api/phones {"number": "+1 206 555 0100"}
    201 {"number", "display"}: show that phone. Numbers as people write them; ten digits
    without a "+" are North American.
POST /phone/api/messages {"from": PHONE, "to": DID, "body": "...", "picture": false}
    201 {"id", "media_urls"}: the phone texts the DID; "picture" adds a generated PNG (an
    MMS). STOP, UNSTOP and START change the opt-out list as they do from /sim/inbound.

DOM contract for browser tests (change it only together with those tests):
    [data-testid="connection"][data-state="connecting|live|offline"]
    [data-testid="add-phone-input"], [data-testid="add-phone"] (button),
        [data-testid="add-phone-error"]
    [data-testid="empty"]: visible while there is no phone
    [data-testid="phone"][data-phone="12065550100"]: one per handset, in it
        [data-testid="phone-name"]: "Alex", hidden when the handset has no name
        [data-testid="phone-number"]: "+1 206 555 0100"
        [data-testid="opt-out-badge"][data-did="12065550199"]: "opted out of +1 206 555 0199"
        [data-testid="thread"], in it, oldest first:
            [data-testid="message"][data-direction="in|out"][data-kind="sms|mms|refused"]
                [data-message-id="mdr2-..."] ("attempt-N" when refused), in it
                [data-testid="message-body"], [data-testid="message-did"],
                [data-testid="media"]: an <img> for pictures, a link otherwise,
                [data-testid="receipt"][data-state="queued|sent|delivered|failed|refused"]
                    [data-code="1110"] on outbound (no data-code without a status code),
                [data-testid="callback"][data-state="delivered|retrying|failed|pending|none"]
                    on inbound
        [data-testid="did-picker"]: a <select> of the accounts' numbers (value: digits)
        [data-testid="compose-input"], [data-testid="picture-toggle"] (a checkbox),
        [data-testid="send"], [data-testid="compose-error"],
        [data-testid="callback-warning"]: visible when the picked DID has no SMS callback
            (no MMS callback while the picture box is ticked)
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from http import HTTPStatus
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from aiohttp import web

from .control import json_field, json_object
from .core import SIMULATOR_KEY, InboundMedia, Simulator
from .errors import ApiError
from .payloads import receipt_attributes
from .receipts import DELIVERED, describe
from .rules import display_number, number_problem, parse_number
from .state import CallbackEvent, CallbackKind, Direction

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from .state import CallbackAttempt, MediaFile, MessageRecord, SendAttempt, SimulatorState

PAGE_DIR: Final = Path(__file__).with_name("phone")
_PAGE_FILES = (
    ("/phone", "index.html", "text/html; charset=utf-8"),
    ("/phone/", "index.html", "text/html; charset=utf-8"),
    ("/phone/phone.js", "phone.js", "text/javascript; charset=utf-8"),
    ("/phone/phone.css", "phone.css", "text/css; charset=utf-8"),
)
_PAGE_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' http: https: data:; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
}
_NO_STORE: Final = {"Cache-Control": "no-store"}
_JSON = "application/json"
_SMIL = "application/smil"  # the presentation part of an MMS: phones do not show it
_RATE_LIMITED = 429

type Item = dict[str, Any]


def add_phone_routes(app: web.Application) -> None:
    """Register the phone page and its /phone/api/ endpoints on `app`."""
    for path, name, content_type in _PAGE_FILES:
        app.router.add_get(path, _page_file(name, content_type))
    app.router.add_get("/phone/api/state", get_state)
    app.router.add_post("/phone/api/phones", post_phone)
    app.router.add_post("/phone/api/messages", post_message)


# Handlers


def _page_file(
    name: str, content_type: str
) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
    async def handler(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(
            PAGE_DIR / name, headers={"Content-Type": content_type, **_PAGE_HEADERS}
        )

    return handler


async def get_state(request: web.Request) -> web.Response:
    """Answer the DIDs and every phone with its thread; only the version if unchanged."""
    view = page_state(request.app[SIMULATOR_KEY])
    version = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()[:20]
    if request.query.get("since") == version:
        return web.json_response({"version": version, "changed": False}, headers=_NO_STORE)
    return web.json_response({"version": version, "changed": True, **view}, headers=_NO_STORE)


async def post_phone(request: web.Request) -> web.Response:
    """Show a phone: {number}."""
    body = await _json_body(request)
    number = _parse(json_field(body, "number", str), "number")
    try:
        request.app[SIMULATOR_KEY].state.add_handset(number)
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    return web.json_response({"number": number, "display": display_number(number)}, status=201)


async def post_message(request: web.Request) -> web.Response:
    """Text a DID from a phone: {from, to, body, picture}."""
    simulator = request.app[SIMULATOR_KEY]
    body = await _json_body(request)
    from_ = _parse(json_field(body, "from", str), "from")
    to = _parse(json_field(body, "to", str), "to")
    text = json_field(body, "body", str, default=None)
    picture = json_field(body, "picture", bool, default=False)
    if simulator.state.owner(from_) is not None:
        raise ApiError(400, f"from {from_} is a number of a simulated account, not a phone")
    record = simulator.inject_inbound(
        from_=from_, to=to, body=text or None, media=[InboundMedia()] if picture else ()
    )
    return web.json_response(
        {"id": record.message_id, "media_urls": [file.url for file in record.media]}, status=201
    )


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != _JSON:
        raise ApiError(415, f"Content-Type must be {_JSON}")
    return await json_object(request)


def _parse(text: str, name: str) -> str:
    try:
        return parse_number(text)
    except ValueError as error:
        raise ApiError(400, f"{name}: {error}") from None


# What the page shows


def page_state(simulator: Simulator) -> dict[str, Any]:
    """Return the accounts' numbers, and every phone with its thread and opt-outs."""
    state = simulator.state
    posts: dict[str, list[CallbackAttempt]] = {}
    for post in state.callback_log:
        if post.event is CallbackEvent.INBOUND:
            posts.setdefault(post.message_id, []).append(post)
    entries: list[tuple[datetime, str, Item]] = []
    for record in state.messages.values():
        if record.seeded:  # made-up history is for the records API, not the threads
            continue
        if record.direction is Direction.OUTBOUND:
            entries.append((record.timestamp, record.to_number, _sent_item(record, state)))
        else:
            item = _received_item(record, simulator, posts.get(record.message_id, []))
            entries.append((record.timestamp, record.from_number, item))
    for index, attempt in enumerate(state.send_attempts):
        if attempt.to_number is not None and _refused_for_good(attempt):
            entries.append((attempt.timestamp, attempt.to_number, _refused_item(index, attempt)))
    entries.sort(key=itemgetter(0))  # stable: what happened at the same time keeps its order
    threads: dict[str, list[Item]] = {
        number: [] for number in (*simulator.settings.handsets, *state.handsets)
    }
    for _, number, item in entries:
        threads.setdefault(number, []).append(item)
    return {
        "dids": [
            {
                "number": number.number,
                "display": display_number(number.number),
                "account": account.access_key,
                "messaging_enabled": number.messaging_enabled,
                "sms_callback": state.callback_url(number.number, CallbackKind.SMS) is not None,
                "mms_callback": state.callback_url(number.number, CallbackKind.MMS) is not None,
            }
            for account in state.accounts
            for number in account.numbers
        ],
        "phones": [
            _phone(number, thread, state)
            for number, thread in threads.items()
            if number_problem(number) is None and state.owner(number) is None
        ],
    }


def _phone(number: str, thread: list[Item], state: SimulatorState) -> Item:
    blocked = sorted(did for did, handset in state.opt_outs if handset == number)
    last_did = next(
        (item["did"] for item in reversed(thread) if state.owner(item["did"]) is not None), None
    )
    return {
        "number": number,
        "display": display_number(number),
        "name": state.handset_names.get(number),
        "opted_out_of": [{"number": did, "display": display_number(did)} for did in blocked],
        "last_did": last_did,
        "thread": thread,
    }


def _message_item(record: MessageRecord, state: SimulatorState, *, outbound: bool) -> Item:
    did = record.from_number if outbound else record.to_number
    return {
        "id": record.message_id,
        "kind": record.kind.value,
        "direction": "out" if outbound else "in",
        "did": did,
        "did_display": display_number(did),
        "body": record.body,
        "media": [_media(file, state) for file in record.media if file.mime_type != _SMIL],
        "timestamp": _timestamp(record.timestamp),
    }


def _sent_item(record: MessageRecord, state: SimulatorState) -> Item:
    level2 = [receipt for receipt in record.receipts if receipt.level == 2]  # noqa: PLR2004
    latest = level2[-1] if level2 else (record.receipts[-1] if record.receipts else None)
    if latest is None:
        status = "queued"
    elif latest.level == 1:
        status = "sent"
    else:
        status = "delivered" if latest.status_code == DELIVERED else "failed"
    return _message_item(record, state, outbound=True) | {
        "receipt": {
            "state": status,
            "status_code": latest.status_code if latest else None,
            "description": latest.description if latest else None,
            "receipts": [receipt_attributes(receipt) for receipt in record.receipts],
        }
    }


def _received_item(
    record: MessageRecord, simulator: Simulator, posts: list[CallbackAttempt]
) -> Item:
    if any(post.status == HTTPStatus.OK for post in posts):
        status = "delivered"
    elif posts:
        status = "failed" if len(posts) > simulator.settings.callback_retries else "retrying"
    elif record.posted_to is not None:
        status = "pending"
    else:
        status = "none"
    last = posts[-1] if posts else None
    return _message_item(record, simulator.state, outbound=False) | {
        "callback": {
            "state": status,
            "attempts": len(posts),
            "status": last.status if last else None,
            "error": last.error if last else None,
        }
    }


def _refused_for_good(attempt: SendAttempt) -> bool:
    """Whether an account's send was refused in a way no client should retry."""
    return (
        attempt.access_key is not None
        and attempt.message_id is None
        and attempt.status is not None
        and HTTPStatus.BAD_REQUEST <= attempt.status < HTTPStatus.INTERNAL_SERVER_ERROR
        and attempt.status != _RATE_LIMITED
    )


def _refused_item(index: int, attempt: SendAttempt) -> Item:
    did = attempt.from_number or ""
    return {
        "id": f"attempt-{index}",
        "kind": "refused",
        "direction": "out",
        "did": did,
        "did_display": display_number(did),
        "body": attempt.body,
        "media": [],
        "timestamp": _timestamp(attempt.timestamp),
        "receipt": {
            "state": "refused",
            "status_code": attempt.error_code,
            "http_status": attempt.status,
            "description": describe(attempt.error_code) or attempt.detail,
            "detail": attempt.detail,
            "receipts": [],
        },
    }


def _media(file: MediaFile, state: SimulatorState) -> Item:
    # The simulator's copy: a sender's links expire, and a relative URL works behind proxies.
    stored = file.media_id in state.media
    return {
        "url": f"/sim/media/{quote(file.media_id, safe='')}" if stored else file.url,
        "mime_type": file.mime_type,
        "file_name": file.file_name,
        "size": file.size,
        "image": file.mime_type.startswith("image/"),
    }


def _timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, which every browser's Date parses."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
