"""Diagnostics of a Flowroute entry and of its devices, with nothing private in them.

What the download holds: the entry and its contacts, the outbox, the delivery states,
the opt-out list's size, the webhook's mode, the last errors, usage, the guard rails,
Assist, the questions waiting, the media settings and the conversation store's size.

What it never holds: the keys, the webhook id (nor any URL that carries it), phone
numbers (the entry's, the contacts', anyone's), message bodies, Assist passphrases,
credentials in a URL. Keys are redacted by name (`async_redact_data`); then every string,
dict keys included, is scrubbed: the secrets and the entry's own numbers wherever they
occur, and anything written like a phone number. Counts are given; lists of numbers never.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .api import DeliveryState, canonical_number, format_number
from .const import (
    CONF_ACCESS_KEY,
    CONF_ASSIST_PASSPHRASE,
    CONF_CALLBACKS_POINTED,
    CONF_CLOUDHOOK_URL,
    CONF_DEFAULT_FROM,
    CONF_DOWNLOAD_MEDIA,
    CONF_FLOWROUTE_ADDRESSES_ONLY,
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_PREFERRED_DID,
    CONF_SECRET_KEY,
    DOMAIN,
)
from .inbound_media import BYTES_PER_MB, MAX_FILES_PER_DAY
from .questions import DATA_QUESTIONS
from .usage import dollars
from .webhook import async_external_webhook_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant

    from .data import FlowrouteConfigEntry, FlowrouteData
    from .messages import RecentError
    from .usage import Tally

# Redacted by name wherever they occur (entry data, options, contacts).
TO_REDACT: Final = frozenset(
    {
        CONF_ACCESS_KEY,
        CONF_SECRET_KEY,
        CONF_WEBHOOK_ID,
        CONF_CLOUDHOOK_URL,
        CONF_CALLBACKS_POINTED,  # the webhook URL and numbers
        CONF_NUMBERS,
        CONF_NUMBER,
        CONF_DEFAULT_FROM,
        CONF_PREFERRED_DID,
        CONF_ASSIST_PASSPHRASE,
        "did",
        "body",
    }
)
# 10 to 15 digits, optionally led by "+" or "(", with at most two separators between
# digits: "+1 206 555 0100", "(206) 555-0100", "12065550100", "1_206_555_0100" (an
# entity id). Not inside a word: ids and hex keep their digits.
_PHONE_LIKE: Final = re.compile(
    r"(?<![A-Za-z0-9])\+?\(?\d(?:[ \u00a0().\-_]{0,2}\d){9,14}(?![A-Za-z0-9])"
)
_URL_CREDENTIALS: Final = re.compile(r"(?<=://)[^/@\s]+@")
_COUNTERS: Final = ("messages_sent", "messages_received", "messages_failed", "messages_blocked")
_LAST_RECEIPTS: Final = 5  # a device's newest delivery states listed


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: FlowrouteConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of an entry."""
    found: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "version": entry.version,
            "minor_version": entry.minor_version,
            "state": entry.state.value,
            "data": dict(entry.data),
            "options": dict(entry.options),
        },
        "subentries": [
            {
                "subentry_id": subentry.subentry_id,
                "type": subentry.subentry_type,
                "title": subentry.title,
                "data": dict(subentry.data),
            }
            for subentry in entry.subentries.values()
        ],
    }
    if entry.state is ConfigEntryState.LOADED:
        data = entry.runtime_data
        found |= {
            "account": {
                "numbers_configured": len(entry.data[CONF_NUMBERS]),
                "numbers_listed_by_flowroute": len(data.account_numbers),
            },
            "webhook": _webhook(hass, entry),
            "outbox": _outbox(data),
            "receipts": _receipts(data, None),
            "opt_outs": {
                "readable": data.opt_outs.available,
                "count": len(data.opt_outs.entries()),
            },
            "recent_errors": _recent_errors(
                data.outcomes.recent_failures(), data.webhook.recent_rejections()
            ),
            "usage": _usage(data),
            "guards": _guards(data),
            "assist": {"contacts_allowed": len(data.assist.contacts), **data.assist.activity()},
            "questions": {"waiting": hass.data[DATA_QUESTIONS].waiting_in(entry.entry_id)},
            "media": _media(entry, data),
            "conversations": _conversations(data, None),
            "by_number": [_number(hass, entry, did) for did in entry.data[CONF_NUMBERS]],
        }
    return _redact(found, entry)


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, device: dr.DeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of one of the entry's numbers, or of its account device."""
    entities = er.async_entries_for_device(er.async_get(hass), device.id)
    found: dict[str, Any] = {
        "device": {
            "name": device.name,
            "name_by_user": device.name_by_user,
            "manufacturer": device.manufacturer,
            "model": device.model,
            "entry_type": device.entry_type,
            "disabled_by": device.disabled_by,
            "identifiers": sorted(list(identifier) for identifier in device.identifiers),
            "entities": [
                {"entity_id": entity.entity_id, "disabled_by": entity.disabled_by}
                for entity in sorted(entities, key=lambda entity: entity.entity_id)
            ],
        }
    }
    if entry.state is ConfigEntryState.LOADED:
        data = entry.runtime_data
        ids = {ident for domain, ident in device.identifiers if domain == DOMAIN}
        if f"account_{entry.entry_id}" in ids:
            found |= {
                "usage": _usage(data),
                "guards": _guards(data),
                "outbox": _outbox(data),
                "webhook": _webhook(hass, entry),
            }
        elif did := next((did for did in entry.data[CONF_NUMBERS] if did in ids), None):
            found["this_number"] = _number(hass, entry, did)
    return _redact(found, entry)


# The parts


def _webhook(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> dict[str, Any]:
    return {
        "mode": "cloudhook" if entry.data.get(CONF_CLOUDHOOK_URL) else "local",
        "external_url": async_external_webhook_url(hass, entry.data[CONF_WEBHOOK_ID]) is not None,
        "flowroute_addresses_only": bool(entry.options.get(CONF_FLOWROUTE_ADDRESSES_ONLY)),
    }


def _outbox(data: FlowrouteData) -> dict[str, Any]:
    waiting = data.outbox.waiting()
    oldest = waiting[0] if waiting else None
    return {
        "depth": len(waiting),
        "mms": sum(message.is_mms for message, _ in waiting),
        "retrying": sum(error is not None for _, error in waiting),
        "oldest_age_seconds": (
            None if oldest is None else round(time.time() - oldest[0].created_at, 1)
        ),
        "oldest_attempts": None if oldest is None else oldest[0].attempts,
        "oldest_last_error": None if oldest is None or oldest[1] is None else str(oldest[1]),
    }


def _receipts(data: FlowrouteData, did: str | None) -> dict[str, Any]:
    tracked = data.receipts.tracked(did)
    counts = Counter(state for _, state in tracked)
    found: dict[str, Any] = {
        "tracked": len(tracked),
        "states": {str(state): counts[state] for state in DeliveryState},
    }
    if did is not None:
        found["last"] = [
            {"message_id": message_id, "state": str(state)}
            for message_id, state in reversed(tracked[-_LAST_RECEIPTS:])
        ]
    return found


def _recent_errors(*kinds: Iterable[RecentError]) -> list[dict[str, Any]]:
    errors = sorted((error for errors in kinds for error in errors), key=lambda e: e.at)
    return [
        {
            "time": error.at.isoformat(),
            "kind": error.kind,
            "code": error.code,
            "description": error.description,
        }
        for error in errors
    ]


def _tally(tally: Tally) -> dict[str, Any]:
    return {**asdict(tally), "spend_usd": str(dollars(tally.spend_nanodollars))}


def _usage(data: FlowrouteData) -> dict[str, Any]:
    usage = data.usage
    interval = usage.update_interval
    figures = usage.data
    return {
        "cursor": None if usage.cursor is None else usage.cursor.isoformat(),
        "last_read_succeeded": usage.last_update_success,
        "last_read_error": None if usage.last_update_success else str(usage.last_exception),
        "interval_minutes": None if interval is None else interval.total_seconds() / 60,
        "today": None if figures is None else _tally(figures.for_today()),
        "month": None if figures is None else _tally(figures.for_month()),
    }


def _guards(data: FlowrouteData) -> dict[str, Any]:
    flood, budget = data.guards.flood, data.guards.budget
    return {
        "flood_guard_per_hour": flood.limit,
        "flood_guard_holding": flood.holding,
        "budget_segments": budget.segments,
        "budget_usd": str(budget.dollars),
        "segments_today": budget.segments_today,
        "budget_reached": budget.exceeded_by(1),
    }


def _media(entry: FlowrouteConfigEntry, data: FlowrouteData) -> dict[str, Any]:
    downloader = data.downloader
    return {
        "download": bool(entry.options.get(CONF_DOWNLOAD_MEDIA, True)),
        "max_item_mb": downloader.item_limit / BYTES_PER_MB,
        "max_day_mb": downloader.day_limit / BYTES_PER_MB,
        "max_files_per_day": MAX_FILES_PER_DAY,
        "retention_days": downloader.retention_days,
    }


def _conversations(data: FlowrouteData, did: str | None) -> dict[str, Any]:
    store = data.conversations
    conversations = [c for c in store.conversations() if did in (None, c.did)]
    return {
        "kept_in_storage": store.stored,
        "conversations": len(conversations),
        "messages": sum(len(c.messages) for c in conversations),
        "unread": sum(c.unread for c in conversations),
    }


def _number(hass: HomeAssistant, entry: FlowrouteConfigEntry, did: str) -> dict[str, Any]:
    """Return what the entry knows of one of its numbers."""
    data = entry.runtime_data
    registry = er.async_get(hass)
    counters: dict[str, Any] = {}
    for key in _COUNTERS:
        entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{did}_{key}")
        state = None if entity_id is None else hass.states.get(entity_id)
        value = None if state is None else state.state
        counters[key] = int(value) if value is not None and value.isdigit() else value
    figures = data.usage.data
    return {
        "did": did,
        "counters": counters,
        "opt_outs": data.opt_outs.count(did),
        "outbox_depth": sum(message.from_did == did for message, _ in data.outbox.waiting()),
        "receipts": _receipts(data, did),
        "usage_today": None if figures is None else _tally(figures.for_today(did)),
        "usage_month": None if figures is None else _tally(figures.for_month(did)),
        "questions_waiting": hass.data[DATA_QUESTIONS].waiting_in(entry.entry_id, did),
        "assist": data.assist.activity(did),
        "conversations": _conversations(data, did),
    }


# Redaction


def _redact(found: dict[str, Any], entry: FlowrouteConfigEntry) -> dict[str, Any]:
    """Redact by name, then scrub every string (dict keys too) of secrets and numbers."""
    redacted = async_redact_data(found, TO_REDACT)
    secrets = _private_strings(entry)
    pattern = re.compile("|".join(re.escape(text) for text in secrets)) if secrets else None
    scrubbed: dict[str, Any] = _scrub(redacted, pattern)
    return scrubbed


def _private_strings(entry: FlowrouteConfigEntry) -> list[str]:
    """Return the entry's secrets and numbers in every form they are written in, longest first."""
    data = entry.data
    numbers: set[str] = set(data.get(CONF_NUMBERS, ()))
    if entry.state is ConfigEntryState.LOADED:
        numbers.update(entry.runtime_data.account_numbers)
    for subentry in entry.subentries.values():
        numbers.update(
            str(subentry.data[key])
            for key in (CONF_NUMBER, CONF_PREFERRED_DID)
            if subentry.data.get(key)
        )
    found: set[str] = set()
    for number in numbers:
        digits = canonical_number(number.removeprefix("+"))
        found |= {number, digits, f"+{digits}", format_number(digits), digits.removeprefix("1")}
    for key in (CONF_ACCESS_KEY, CONF_SECRET_KEY, CONF_WEBHOOK_ID, CONF_CLOUDHOOK_URL):
        if value := data.get(key):
            found.add(str(value))
    return sorted((text for text in found if text), key=len, reverse=True)


def _scrub(value: Any, secrets: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, secrets)
    if isinstance(value, dict):
        return {_scrub(key, secrets): _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    return value


def _scrub_text(text: str, secrets: re.Pattern[str] | None) -> str:
    if text == REDACTED:
        return text
    if secrets is not None:
        text = secrets.sub(REDACTED, text)
    text = _URL_CREDENTIALS.sub(f"{REDACTED}@", text)
    return _PHONE_LIKE.sub(REDACTED, text)
