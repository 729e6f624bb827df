"""The control API under /sim/: inject texts, read what happened, set faults and receipts."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import types
import typing
from datetime import datetime
from typing import Any

from aiohttp import web

from .core import SIMULATOR_KEY, InboundMedia, Simulator
from .errors import ApiError
from .faults import Fault, FaultKind, FaultTarget
from .payloads import message_timestamp, receipt_attributes
from .receipts import ReceiptMode, ReceiptRule
from .rules import display_number, parse_number
from .seeding import SeedPlan
from .settings import OptOutMode
from .state import CallbackAttempt, Direction, MessageRecord, SendAttempt

if typing.TYPE_CHECKING:
    from collections.abc import Callable

_RUNTIME_SETTINGS = frozenset({"opt_out_mode", "forward_stop", "auto_reply"})


def add_control_routes(app: web.Application) -> None:
    """Register the /sim/ endpoints on `app`."""
    app.router.add_post("/sim/inbound", post_inbound)
    app.router.add_get("/sim/messages", get_messages)
    app.router.add_post("/sim/records/seed", post_seed_records)
    app.router.add_get("/sim/callbacks", get_callbacks)
    app.router.add_get("/sim/faults", get_faults)
    app.router.add_post("/sim/faults", post_fault)
    app.router.add_delete("/sim/faults", delete_faults)
    app.router.add_delete("/sim/faults/{fault_id}", delete_fault)
    app.router.add_get("/sim/receipts", get_receipts)
    app.router.add_post("/sim/receipts", post_receipts)
    app.router.add_post("/sim/settings", post_settings)
    app.router.add_get("/sim/accounts", get_accounts)
    app.router.add_get("/sim/opt-outs", get_opt_outs)
    app.router.add_get("/sim/handsets", get_handsets)
    app.router.add_put("/sim/handsets/{number}", put_handset)
    app.router.add_post("/sim/reset", post_reset)
    app.router.add_get("/sim/media/{media_id}", get_media)


async def post_inbound(request: web.Request) -> web.Response:
    """Text a simulated number from a handset: {from, to, body, media, legacy, smil}."""
    body = await json_object(request)
    media = [_inbound_media(item) for item in json_field(body, "media", list, default=[])]
    record = _simulator(request).inject_inbound(
        from_=json_field(body, "from", str),
        to=json_field(body, "to", str),
        body=json_field(body, "body", str, default=None),
        media=media,
        legacy=json_field(body, "legacy", bool, default=False),
        smil=json_field(body, "smil", bool, default=False),
    )
    return web.json_response(
        {"id": record.message_id, "media_urls": [file.url for file in record.media]}, status=201
    )


async def get_messages(request: web.Request) -> web.Response:
    """Every message record (?direction=inbound|outbound narrows) and every send attempt."""
    state = _simulator(request).state
    direction = request.query.get("direction")
    if direction is not None and direction not in {d.value for d in Direction}:
        raise ApiError(400, "direction must be inbound or outbound")
    records = [
        record
        for record in state.messages.values()
        if direction is None or record.direction.value == direction
    ]
    return web.json_response(
        {
            "messages": [_record_view(record) for record in records],
            "attempts": [_attempt_view(attempt) for attempt in state.send_attempts],
        }
    )


async def post_seed_records(request: web.Request) -> web.Response:
    """Add made-up history, posted nowhere.

    {count, days, end, directions, dids, handsets, mms_share, ucs2_share, long_share, seed}
    """
    body = await json_object(request)
    plan = _build(
        SeedPlan,
        body,
        converters={
            "directions": lambda value: tuple(Direction(item) for item in _strings(value)),
            "dids": _strings,
            "handsets": _strings,
            "end": _aware_time,
        },
    )
    try:
        summary = _simulator(request).seed_records(plan)
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    return web.json_response(summary.as_dict(), status=201)


async def get_callbacks(request: web.Request) -> web.Response:
    """Every callback post attempt, oldest first."""
    log = _simulator(request).state.callback_log
    return web.json_response({"callbacks": [_callback_view(attempt) for attempt in log]})


async def get_faults(request: web.Request) -> web.Response:
    """List the faults in force."""
    simulator = _simulator(request)
    active = simulator.state.faults.active(now=simulator.settings.monotonic())
    return web.json_response(
        {
            "faults": [
                {
                    "id": item.fault_id,
                    "remaining": item.remaining,
                    "hits": item.hits,
                    **_plain(dataclasses.asdict(item.fault)),
                }
                for item in active
            ]
        }
    )


async def post_fault(request: web.Request) -> web.Response:
    """Put a fault in force: {kind, target, count, duration, status, retry_after, delay, detail}."""
    body = await json_object(request)
    fault = _build(Fault, body, converters={"kind": FaultKind, "target": FaultTarget})
    return web.json_response({"id": _simulator(request).add_fault(fault)}, status=201)


async def delete_faults(request: web.Request) -> web.Response:
    """End every fault."""
    _simulator(request).clear_faults()
    return web.Response(status=204)


async def delete_fault(request: web.Request) -> web.Response:
    """End one fault."""
    fault_id = request.match_info["fault_id"]
    if not (fault_id.isdigit() and _simulator(request).remove_fault(int(fault_id))):
        raise ApiError(404, f"No fault {fault_id} in force")
    return web.Response(status=204)


async def get_receipts(request: web.Request) -> web.Response:
    """Show the default receipt rule and the narrower ones, first match first."""
    book = _simulator(request).state.receipts
    return web.json_response(
        {
            "default": _plain(dataclasses.asdict(book.default)),
            "rules": [_plain(dataclasses.asdict(rule)) for rule in book.rules],
        }
    )


async def post_receipts(request: web.Request) -> web.Response:
    """Change receipts: {mode, code, level1_code, delay, legacy, to, count}."""
    body = await json_object(request)
    rule = _build(ReceiptRule, body, converters={"mode": ReceiptMode})
    _simulator(request).set_receipts(rule)
    return web.Response(status=204)


async def post_settings(request: web.Request) -> web.Response:
    """Change behaviour at run time: {opt_out_mode, forward_stop, auto_reply}."""
    simulator = _simulator(request)
    body = await json_object(request)
    if unknown := set(body) - _RUNTIME_SETTINGS:
        raise ApiError(400, f"cannot change {', '.join(sorted(unknown))} at run time")
    changes: dict[str, Any] = {}
    if "opt_out_mode" in body:
        changes["opt_out_mode"] = _convert(OptOutMode, json_field(body, "opt_out_mode", str))
    for flag in ("forward_stop", "auto_reply"):
        if flag in body:
            changes[flag] = json_field(body, flag, bool)
    simulator.settings = dataclasses.replace(simulator.settings, **changes)
    return web.Response(status=204)


async def get_accounts(request: web.Request) -> web.Response:
    """List the simulated accounts, their numbers and the callbacks set on them."""
    state = _simulator(request).state
    return web.json_response(
        {
            "accounts": [
                {
                    "access_key": account.access_key,
                    "secret_key": account.secret_key,
                    "callbacks": {
                        kind.value: url
                        for (key, kind), url in state.account_callbacks.items()
                        if key == account.access_key
                    },
                    "numbers": [
                        {
                            "number": number.number,
                            "messaging_enabled": number.messaging_enabled,
                            "callbacks": {
                                kind.value: url
                                for (value, kind), url in state.number_callbacks.items()
                                if value == number.number
                            },
                        }
                        for number in account.numbers
                    ],
                }
                for account in state.accounts
            ]
        }
    )


async def get_opt_outs(request: web.Request) -> web.Response:
    """Every (number, handset) pair blocked by a STOP."""
    opt_outs = sorted(_simulator(request).state.opt_outs)
    return web.json_response(
        {"opt_outs": [{"number": number, "handset": handset} for number, handset in opt_outs]}
    )


async def get_handsets(request: web.Request) -> web.Response:
    """List the handsets on the phone page (from the start or added since), with names."""
    simulator = _simulator(request)
    state = simulator.state
    numbers = dict.fromkeys((*simulator.settings.handsets, *state.handsets))
    return web.json_response(
        {"handsets": [_handset_view(number, state.handset_names.get(number)) for number in numbers]}
    )


async def put_handset(request: web.Request) -> web.Response:
    """Name a handset on the phone page: {name} (null forgets it); the number is shown."""
    body = await json_object(request)
    try:
        number = parse_number(request.match_info["number"])
        name = _simulator(request).state.name_handset(
            number, json_field(body, "name", str, default=None)
        )
    except ValueError as error:
        raise ApiError(400, str(error)) from None
    return web.json_response(_handset_view(number, name))


async def post_reset(request: web.Request) -> web.Response:
    """Cancel pending posts and forget everything but the accounts."""
    await _simulator(request).reset()
    return web.Response(status=204)


async def get_media(request: web.Request) -> web.Response:
    """Serve MMS media: inbound parts, and the copies of what sends fetched."""
    media = _simulator(request).state.media.get(request.match_info["media_id"])
    if media is None:
        raise ApiError(404, "No such media")
    # Names and types come from whoever sent the media: keep them out of the header syntax,
    # and never let the bytes run as a page on the simulator's origin (the phone page).
    name = "".join(char for char in media.file_name if char.isprintable() and char not in '"\\')
    return web.Response(
        body=media.content,
        content_type=media.mime_type,
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "X-Content-Type-Options": "nosniff",
        },
    )


# Helpers


def _simulator(request: web.Request) -> Simulator:
    return request.app[SIMULATOR_KEY]


async def json_object(request: web.Request) -> dict[str, Any]:
    """Return the request's JSON object body (an empty body is {}); 400 for anything else."""
    try:
        body = json.loads(await request.read() or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object")
    return body


_MISSING: Any = object()


def json_field[T](body: dict[str, Any], name: str, kind: type[T], default: T = _MISSING) -> T:
    """Return body[name] checked to be a `kind`; 400 if it is not, or missing without a default."""
    if name not in body or body[name] is None:
        if default is _MISSING:
            raise ApiError(400, f"{name} is required")
        return default
    value = body[name]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ApiError(400, f"{name} must be a {kind.__name__}")
    return value


def _convert[T](converter: Callable[[Any], T], value: Any) -> T:
    try:
        return converter(value)
    except ValueError as error:
        raise ApiError(400, str(error)) from None


def _build[T](
    factory: Callable[..., T], body: dict[str, Any], *, converters: dict[str, Callable[[Any], Any]]
) -> T:
    """Construct the dataclass `factory` from a JSON body; bad names or values become a 400."""
    hints = typing.get_type_hints(factory)
    values = dict(body)
    for name, value in body.items():
        if name in converters:
            values[name] = _convert(converters[name], value)
        elif name in hints and not _matches(value, hints[name]):
            raise ApiError(400, f"{name} has the wrong type")
    try:
        return factory(**values)
    except (TypeError, ValueError) as error:
        raise ApiError(400, str(error)) from None


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a field's annotation (int is a float; bool is not an int)."""
    if isinstance(hint, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is Any:
        return True
    return isinstance(value, typing.get_origin(hint) or hint)


_MIME_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
)


def _inbound_media(item: Any) -> InboundMedia:
    if not isinstance(item, dict):
        raise ApiError(400, "each media item must be an object")
    content: bytes | None = None
    if (encoded := json_field(item, "content_base64", str, default=None)) is not None:
        try:
            content = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ApiError(400, "content_base64 is not valid base64") from None
    mime_type = json_field(item, "mime_type", str, default="image/png")
    # It becomes the Content-Type /sim/media serves: a type/subtype token, nothing more.
    if not _MIME_TYPE.fullmatch(mime_type):
        raise ApiError(400, "mime_type must look like type/subtype, e.g. image/jpeg")
    return InboundMedia(
        content=content,
        mime_type=mime_type,
        file_name=json_field(item, "file_name", str, default=None),
    )


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("expected a list of strings")
    return tuple(value)


def _aware_time(value: Any) -> datetime:
    if not isinstance(value, str):  # a ValueError: _convert answers it with a 400
        raise ValueError("end must be an ISO 8601 time such as 2026-11-30T12:00:00Z")  # noqa: TRY004
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("end must have a time zone, such as Z")
    return moment


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Enum members as their values, for JSON."""
    return {key: getattr(value, "value", value) for key, value in values.items()}


def _record_view(record: MessageRecord) -> dict[str, Any]:
    return {
        "id": record.message_id,
        "access_key": record.access_key,
        "direction": record.direction.value,
        "from": record.from_number,
        "to": record.to_number,
        "body": record.body,
        "is_mms": record.is_mms,
        "media": [_plain(dataclasses.asdict(file)) for file in record.media],
        "encoding": record.encoding.value,
        "segments": record.segments,
        "amount_nanodollars": record.amount_nanodollars,
        "dlr_callback": record.dlr_callback,
        "status": record.status,
        "timestamp": message_timestamp(record.timestamp),
        "receipts": [receipt_attributes(receipt) for receipt in record.receipts],
    }


def _handset_view(number: str, name: str | None) -> dict[str, Any]:
    return {"number": number, "display": display_number(number), "name": name}


def _attempt_view(attempt: SendAttempt) -> dict[str, Any]:
    view = _plain(dataclasses.asdict(attempt))
    view["timestamp"] = message_timestamp(attempt.timestamp)
    return view


def _callback_view(attempt: CallbackAttempt) -> dict[str, Any]:
    view = _plain(dataclasses.asdict(attempt))
    view["timestamp"] = message_timestamp(attempt.timestamp)
    return view
