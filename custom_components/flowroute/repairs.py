"""Repair issues: what the user should know about and can fix."""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Final

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import FlowrouteResponseError, format_number
from .const import DOMAIN, EVENT_SEND_FAILED, LOGGER
from .outbox import FailureReason
from .storage import StoreWriteError
from .webhook import async_callback_url

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult

    from .api import FlowrouteError
    from .data import FlowrouteConfigEntry
    from .outbox import OutboundMessage

# A single failure is an event; this many within the window is a problem to repair.
REPEATED_FAILURES: Final = 3
FAILURE_WINDOW: Final = 3600.0


class SendFailureTracker:
    """Publishes failed sends and raises a repair issue when failures repeat."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Track the failures of one entry."""
        self._hass = hass
        self._entry = entry
        self._recent: deque[float] = deque()
        self._issue_id = f"send_failures_{entry.entry_id}"

    @callback
    def async_sent(self, message: OutboundMessage, message_id: str) -> None:
        """Clear the repair issue: a send went through."""
        if self._recent:
            self._recent.clear()
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)

    @callback
    def async_failed(
        self, message: OutboundMessage, reason: FailureReason, error: FlowrouteError | None
    ) -> None:
        """Fire `flowroute_send_failed`; after repeated failures, raise a repair issue."""
        detail = _describe(error)
        LOGGER.warning(
            "Text to %s could not be sent (%s): %s", format_number(message.to), reason, detail
        )
        self._hass.bus.async_fire(
            EVENT_SEND_FAILED,
            {
                "to": message.to,
                "from": message.from_number,
                "reason": str(reason),
                "detail": detail,
                "status_code": error.code if isinstance(error, FlowrouteResponseError) else None,
                "config_entry_id": self._entry.entry_id,
            },
        )
        if reason is FailureReason.OPTED_OUT or (
            isinstance(error, FlowrouteResponseError) and error.recipient_opted_out
        ):
            return  # a recipient's choice, not a problem with the account or the setup
        now = time.monotonic()
        self._recent.append(now)
        while self._recent and self._recent[0] < now - FAILURE_WINDOW:
            self._recent.popleft()
        if len(self._recent) >= REPEATED_FAILURES:
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="send_failures",
                translation_placeholders={
                    "count": str(len(self._recent)),
                    "title": self._entry.title,
                    "reason": detail,
                },
            )


def _describe(error: FlowrouteError | None) -> str:
    if error is None:
        return "no answer from Flowroute before the retry horizon"
    if isinstance(error, FlowrouteResponseError):
        code = f" (code {error.code})" if error.code is not None else ""
        return f"HTTP {error.status}{code}: {error.title or error.detail or ''}".strip()
    return str(error)


@callback
def async_check_external_url(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Raise a repair issue while Flowroute cannot reach this Home Assistant."""
    issue_id = f"no_external_url_{entry.entry_id}"
    if async_callback_url(hass, entry) is not None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="no_external_url",
        translation_placeholders={"title": entry.title},
        learn_more_url="https://www.home-assistant.io/docs/configuration/remote/",
    )


# The opt-out list (opt_out.py decides; these say so)

OPT_OUTS_UNREADABLE: Final = "opt_out_list_unavailable"
OPT_OUTS_NOT_SAVED: Final = "opt_out_save_failed"


def _issue_id(kind: str, entry_id: str) -> str:
    return f"{kind}_{entry_id}"


@callback
def async_opt_out_list_unreadable(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, *, reason: str | None, path: str = ""
) -> None:
    """Raise the fixable issue of an opt-out list that cannot be read; None clears it."""
    issue_id = _issue_id(OPT_OUTS_UNREADABLE, entry.entry_id)
    if reason is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=OPT_OUTS_UNREADABLE,
        translation_placeholders={"title": entry.title, "reason": reason, "path": path},
        data={"entry_id": entry.entry_id},
    )


@callback
def async_opt_out_save_failed(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, *, error: str | None
) -> None:
    """Raise the issue of an opt-out list whose saves fail; None (a save worked) clears it."""
    issue_id = _issue_id(OPT_OUTS_NOT_SAVED, entry.entry_id)
    if error is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=OPT_OUTS_NOT_SAVED,
        translation_placeholders={"title": entry.title, "error": error},
    )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the fix flow of an issue (only an unreadable opt-out list has one)."""
    if not issue_id.startswith(OPT_OUTS_UNREADABLE) or not data or "entry_id" not in data:
        raise ValueError(f"no fix flow for the issue {issue_id}")
    return StartEmptyOptOutListFlow(str(data["entry_id"]))


class StartEmptyOptOutListFlow(RepairsFlow):
    """Start an empty opt-out list deliberately, keeping the unreadable file."""

    def __init__(self, entry_id: str) -> None:
        """Fix the list of one entry."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Go straight to the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Say what happened and what the fix does; on submit, do it and reload the entry."""
        entry: FlowrouteConfigEntry | None = self.hass.config_entries.async_get_entry(
            self._entry_id
        )
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        if user_input is None:
            issue = ir.async_get(self.hass).async_get_issue(
                DOMAIN, _issue_id(OPT_OUTS_UNREADABLE, self._entry_id)
            )
            return self.async_show_form(
                step_id="confirm",
                description_placeholders=issue.translation_placeholders if issue else None,
            )
        try:
            await entry.runtime_data.opt_outs.async_start_empty()
        except (OSError, StoreWriteError) as err:
            return self.async_abort(
                reason="not_replaced", description_placeholders={"error": str(err)}
            )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_create_entry(data={})
