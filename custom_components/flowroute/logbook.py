"""Logbook: texts received, Assist's exchanges, receipts and opt-outs, as sentences."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import callback

from .api import DeliveryState, format_number
from .const import (
    CONF_RECORD_BODIES,
    DOMAIN,
    EVENT_ASSIST_EXCHANGE,
    EVENT_DELIVERY_RECEIPT,
    EVENT_MESSAGE_RECEIVED,
    EVENT_OPT_OUT_CHANGED,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.components.logbook.models import LazyEventPartialState
    from homeassistant.core import HomeAssistant

NAME = "Flowroute"
BODY_MAX = 80


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[
        [str, str, Callable[[LazyEventPartialState], dict[str, Any]]], None
    ],
) -> None:
    """Describe the integration's events."""

    @callback
    def describe_message(event: LazyEventPartialState) -> dict[str, Any]:
        data = event.data
        text = f"{_kind(data)} from {_number(data.get('from'))}"
        body = str(data.get("body") or "").strip()
        if body and shows_bodies(data):
            text = f"{text}: {_shorten(body)}"
        return {LOGBOOK_ENTRY_NAME: NAME, LOGBOOK_ENTRY_MESSAGE: text}

    @callback
    def describe_assist(event: LazyEventPartialState) -> dict[str, Any]:
        data = event.data
        who = str(data.get("contact") or _number(data.get("number")))
        if shows_bodies(data):
            text = (
                f"{who} asked Assist: {_shorten(str(data.get('text') or ''))}"
                f" - answered: {_shorten(str(data.get('reply') or ''))}"
            )
        else:
            outcome = "answered" if data.get("success") else "it did not work"
            text = f"{who} asked Assist by text ({outcome})"
        return {LOGBOOK_ENTRY_NAME: NAME, LOGBOOK_ENTRY_MESSAGE: text}

    @callback
    def shows_bodies(data: Mapping[str, Any]) -> bool:
        """Words show only where the user allowed keeping bodies: the logbook is history."""
        entry = hass.config_entries.async_get_entry(str(data.get("config_entry_id")))
        return entry is not None and bool(entry.options.get(CONF_RECORD_BODIES, False))

    @callback
    def describe_receipt(event: LazyEventPartialState) -> dict[str, Any]:
        data = event.data
        return {
            LOGBOOK_ENTRY_NAME: NAME,
            LOGBOOK_ENTRY_MESSAGE: f"Text to {_number(data.get('to'))} {_outcome(data)}",
        }

    @callback
    def describe_opt_out(event: LazyEventPartialState) -> dict[str, Any]:
        data = event.data
        change = "opted out of" if data.get("opted_out") else "opted back in to"
        why = _OPT_OUT_REASONS.get(str(data.get("reason")), "")
        return {
            LOGBOOK_ENTRY_NAME: NAME,
            LOGBOOK_ENTRY_MESSAGE: (
                f"{_number(data.get('number'))} {change} texts from {_number(data.get('did'))}"
                f"{f' ({why})' if why else ''}"
            ),
        }

    async_describe_event(DOMAIN, EVENT_MESSAGE_RECEIVED, describe_message)
    async_describe_event(DOMAIN, EVENT_ASSIST_EXCHANGE, describe_assist)
    async_describe_event(DOMAIN, EVENT_DELIVERY_RECEIPT, describe_receipt)
    async_describe_event(DOMAIN, EVENT_OPT_OUT_CHANGED, describe_opt_out)


_OPT_OUT_REASONS = {
    "keyword": "by text",
    "delivery_receipt": "the carrier reported it",
    "send_error": "Flowroute refused a text",
    "action": "changed by hand",
}


def _number(number: Any) -> str:
    return format_number(str(number)) if number else "an unknown number"


def _kind(data: Mapping[str, Any]) -> str:
    """Name what arrived after its media: "Text", "Picture", "Video", ..."""
    if not data.get("is_mms"):
        return "Text"
    types = [str(item.get("mime_type") or "") for item in data.get("media") or ()]
    for prefix, kind in (("image/", "Picture"), ("video/", "Video"), ("audio/", "Voice message")):
        if any(mime_type.startswith(prefix) for mime_type in types):
            return kind
    return "Multimedia message"


def _shorten(body: str) -> str:
    flat = " ".join(body.split())
    if len(flat) <= BODY_MAX:
        return flat
    return flat[: BODY_MAX - 1].rstrip() + "…"


def _outcome(data: Mapping[str, Any]) -> str:
    state = data.get("state")
    code = data.get("status_code")
    if state == DeliveryState.DELIVERED:
        return "delivered"
    if state == DeliveryState.OPTED_OUT:
        return "blocked: recipient opted out"
    if state == DeliveryState.FAILED:
        detail = f"code {code}" if code is not None else data.get("status_description")
        return f"failed ({detail})" if detail else "failed"
    status = data.get("status")
    return f"sent ({status})" if status else "sent"
