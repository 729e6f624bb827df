"""Actions of the Flowroute integration, registered once in async_setup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.event import async_call_later

from .api import format_number
from .const import DOMAIN
from .conversations import Origin
from .opt_out import OptOutReason
from .outbound_media import async_resolve_media
from .plain_text import async_house_text
from .questions import DATA_QUESTIONS, MAX_WAITING_PER_NUMBER, Choice, list_choices
from .sending import normalize_recipient, opted_out_error

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    # Home Assistant 2026 validates with probatio (installed as `voluptuous` too) and
    # its signatures name probatio's classes: type-check against those.
    import probatio as vol

    from .data import FlowrouteConfigEntry
    from .sending import Sender
else:
    import voluptuous as vol

SERVICE_SEND_MESSAGE: Final = "send_message"
SERVICE_OPT_OUT: Final = "opt_out"
SERVICE_OPT_IN: Final = "opt_in"
SERVICE_LIST_OPT_OUTS: Final = "list_opt_outs"
SERVICE_ASK: Final = "ask"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"  # homeassistant.const has it from 2025.5
ATTR_TO: Final = "to"
ATTR_MESSAGE: Final = "message"
ATTR_FROM: Final = "from"
ATTR_MEDIA_URLS: Final = "media_urls"
ATTR_MEDIA: Final = "media"
ATTR_WAIT_FOR_DELIVERY: Final = "wait_for_delivery"
ATTR_NUMBER: Final = "number"
ATTR_DID: Final = "did"
ATTR_QUESTION: Final = "question"
ATTR_ANSWERS: Final = "answers"
ATTR_TIMEOUT: Final = "timeout"
ATTR_ID: Final = "id"
ATTR_SENTENCES: Final = "sentences"
MAX_WAIT_FOR_DELIVERY: Final = 600
DEFAULT_ASK_TIMEOUT: Final = 300
MIN_ASK_TIMEOUT: Final = 10
MAX_ASK_TIMEOUT: Final = 86_400  # a day
MAX_QUESTION_LENGTH: Final = 1000
MAX_ANSWERS: Final = 20
MAX_SENTENCE_LENGTH: Final = 100

SEND_MESSAGE_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_TO): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_MESSAGE, default=""): cv.string,
        vol.Optional(ATTR_FROM): cv.string,
        vol.Optional(ATTR_MEDIA_URLS, default=list): vol.All(cv.ensure_list, [cv.url]),
        vol.Optional(ATTR_MEDIA, default=list): vol.All(cv.ensure_list, [vol.Any(cv.string, dict)]),
        vol.Optional(ATTR_WAIT_FOR_DELIVERY): vol.All(
            vol.Coerce(float), vol.Range(min=0, max=MAX_WAIT_FOR_DELIVERY)
        ),
    }
)

OPT_OUT_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_NUMBER): cv.string,
        vol.Optional(ATTR_DID): cv.string,
    }
)
_SENTENCE = vol.All(cv.string, vol.Length(min=1, max=MAX_SENTENCE_LENGTH))
ASK_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_TO): cv.string,
        vol.Required(ATTR_QUESTION): vol.All(cv.string, vol.Length(min=1, max=MAX_QUESTION_LENGTH)),
        vol.Optional(ATTR_ANSWERS, default=list): vol.All(
            cv.ensure_list,
            vol.Length(max=MAX_ANSWERS),
            [
                vol.Any(
                    _SENTENCE,
                    vol.Schema(
                        {
                            vol.Required(ATTR_ID): _SENTENCE,
                            vol.Optional(ATTR_SENTENCES, default=list): vol.All(
                                cv.ensure_list, [_SENTENCE]
                            ),
                        }
                    ),
                )
            ],
        ),
        # The range is checked by the handler, so that the error is translated.
        vol.Optional(ATTR_TIMEOUT, default=DEFAULT_ASK_TIMEOUT): vol.Coerce(float),
        vol.Optional(ATTR_FROM): cv.string,
    }
)
LIST_OPT_OUTS_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_DID): cv.string,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        _async_send_message,
        schema=SEND_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    for service, opted_out in ((SERVICE_OPT_OUT, True), (SERVICE_OPT_IN, False)):
        hass.services.async_register(
            DOMAIN, service, _opt_out_handler(opted_out=opted_out), schema=OPT_OUT_SCHEMA
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_OPT_OUTS,
        _async_list_opt_outs,
        schema=LIST_OPT_OUTS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ASK,
        _async_ask,
        schema=ASK_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


def async_sender_for(hass: HomeAssistant, entry_id: str | None, from_did: str | None) -> Sender:
    """Find the loaded entry that should send: by id, by sending DID, or the only one."""
    return async_entry_for(hass, entry_id, from_did).runtime_data.sender


def _loaded_entries(hass: HomeAssistant) -> list[FlowrouteConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def async_entry_for(
    hass: HomeAssistant, entry_id: str | None, did: str | None
) -> FlowrouteConfigEntry:
    """Find the loaded entry an action is for: by id, by one of its DIDs, or the only one."""
    entries = _loaded_entries(hass)
    if entry_id is not None:
        entries = [entry for entry in entries if entry.entry_id == entry_id]
        if not entries:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"entry_id": entry_id},
            )
    elif did:
        number = normalize_recipient(did)
        entries = [entry for entry in entries if entry.runtime_data.sender.owns(number)] or entries
    if not entries:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="not_loaded")
    if len(entries) > 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="ambiguous_entry")
    return entries[0]


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    """Send an SMS or MMS to one or more recipients."""
    hass = call.hass
    sender = async_sender_for(hass, call.data.get(ATTR_CONFIG_ENTRY_ID), call.data.get(ATTR_FROM))
    media = [await async_resolve_media(hass, item) for item in call.data[ATTR_MEDIA]]
    results = await sender.async_send(
        to=call.data[ATTR_TO],
        body=call.data[ATTR_MESSAGE],
        from_did=call.data.get(ATTR_FROM),
        media_urls=call.data[ATTR_MEDIA_URLS],
        media=media,
        wait_for_delivery=call.data.get(ATTR_WAIT_FOR_DELIVERY),
        context=call.context,
    )
    response: dict[str, Any] = {"messages": [result.as_dict() for result in results]}
    return response


def _opt_out_handler(*, opted_out: bool) -> Callable[[ServiceCall], Coroutine[Any, Any, None]]:
    """Return the handler of `flowroute.opt_out` or `flowroute.opt_in`."""

    async def handle(call: ServiceCall) -> None:
        did_text: str | None = call.data.get(ATTR_DID)
        entry = async_entry_for(call.hass, call.data.get(ATTR_CONFIG_ENTRY_ID), did_text)
        number = normalize_recipient(call.data[ATTR_NUMBER])
        opt_outs = entry.runtime_data.opt_outs
        if did_text:
            # resolve_from checks that the DID is one of the entry's numbers.
            did = entry.runtime_data.sender.resolve_from(did_text)
            opt_outs.async_set(did, number, opted_out=opted_out, reason=OptOutReason.ACTION)
        else:
            opt_outs.async_set_all(number, opted_out=opted_out, reason=OptOutReason.ACTION)

    return handle


async def _async_list_opt_outs(call: ServiceCall) -> ServiceResponse:
    """List who opted out: of one entry (or every loaded one), optionally of one DID."""
    hass = call.hass
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    did_text: str | None = call.data.get(ATTR_DID)
    entries = (
        [async_entry_for(hass, entry_id, did_text)]
        if entry_id is not None or did_text
        else _loaded_entries(hass)
    )
    did = normalize_recipient(did_text) if did_text else None
    opt_outs: list[dict[str, Any]] = [
        {**item.as_dict(), ATTR_CONFIG_ENTRY_ID: entry.entry_id}
        for entry in entries
        for item in entry.runtime_data.opt_outs.entries(did)
    ]
    response: dict[str, Any] = {"opt_outs": opt_outs}
    return response


async def _async_ask(call: ServiceCall) -> ServiceResponse:
    """Text a question and wait for the answer (questions.py holds the wait)."""
    hass = call.hass
    timeout: float = call.data[ATTR_TIMEOUT]
    if not MIN_ASK_TIMEOUT <= timeout <= MAX_ASK_TIMEOUT:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="ask_timeout_out_of_range",
            translation_placeholders={
                "timeout": f"{timeout:g}",
                "min": str(MIN_ASK_TIMEOUT),
                "max": str(MAX_ASK_TIMEOUT),
            },
        )
    entry = async_entry_for(hass, call.data.get(ATTR_CONFIG_ENTRY_ID), call.data.get(ATTR_FROM))
    sender = entry.runtime_data.sender
    number = normalize_recipient(call.data[ATTR_TO])
    did = sender.resolve_from(call.data.get(ATTR_FROM))
    if entry.runtime_data.opt_outs.is_opted_out(did, number):
        raise opted_out_error([number], did)
    board = hass.data[DATA_QUESTIONS]
    if board.waiting_on(entry.entry_id, did, number) >= MAX_WAITING_PER_NUMBER:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="too_many_questions",
            translation_placeholders={
                "to": format_number(number),
                "count": str(MAX_WAITING_PER_NUMBER),
            },
        )
    choices = tuple(_choice(raw) for raw in call.data[ATTR_ANSWERS])
    body = call.data[ATTR_QUESTION].strip()
    if choices:
        listed = await async_house_text(hass, "question_choices", answers=list_choices(choices))
        body = f"{body}\n{listed}"
    # Waiting before the text leaves: the fastest reply still finds its question.
    question = board.async_add(entry.entry_id, did, number, choices)
    # A callback: Home Assistant runs a plain function in its executor, off the loop.
    cancel_timeout = async_call_later(
        hass, timeout, callback(lambda _now: question.resolve({"timed_out": True}))
    )
    try:
        await sender.async_send(
            to=[number], body=body, from_did=did, context=call.context, origin=Origin.ASK
        )
        response: dict[str, Any] = await question.future
    finally:
        cancel_timeout()
        board.async_remove(question)
    return response


def _choice(raw: str | dict[str, Any]) -> Choice:
    """Return an accepted answer given as a plain string or as an id with sentences."""
    if isinstance(raw, str):
        return Choice(raw, (raw,))
    return Choice(raw[ATTR_ID], tuple(raw[ATTR_SENTENCES]))
