"""Repair issues: what the user should know about and can fix, raised and cleared here.

The modules that decide call these: the send outcomes (repeated failures), the receipt
tracker (numbers carriers block for registration), the opt-out list (unreadable, or not
saved), the guard rails (a flood guard holding, a daily budget reached), the entry's
setup (no external URL). The fix flow of an unreadable opt-out list lives here too.
"""

from __future__ import annotations

import time
from collections import deque
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import format_number
from .const import DOMAIN
from .storage import StoreWriteError
from .webhook import async_callback_url

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult

    from .data import FlowrouteConfigEntry

# A single failure is an event; this many within the window is a problem to repair.
REPEATED_FAILURES: Final = 3
FAILURE_WINDOW: Final = 3600.0


class SendFailureTracker:
    """Raises a repair issue when sends fail again and again; a send that works clears it."""

    def __init__(self, hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
        """Count the failures of one entry."""
        self._hass = hass
        self._entry = entry
        self._recent: deque[float] = deque()
        self._issue_id = f"send_failures_{entry.entry_id}"

    @callback
    def async_sent(self) -> None:
        """Clear the repair issue: a send went through."""
        if self._recent:
            self._recent.clear()
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)

    @callback
    def async_failed(self, reason: str) -> None:
        """Count a failure (`reason`: outcomes.describe_failure); repeated ones are an issue."""
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
                    "reason": reason,
                },
            )


# Registration (10DLC, toll-free verification): receipts.py decides, these say so.

# NANP toll-free area codes: such numbers need toll-free verification, not 10DLC.
_TOLL_FREE_PREFIXES: Final = tuple(f"1{area}" for area in (800, 833, 844, 855, 866, 877, 888))
# Each code in our own words: a receipt's own description is whatever the (unsigned)
# callback said.
REGISTRATION_PROBLEMS: Final = MappingProxyType(
    {
        1103: "source not authorized",
        1104: "source carrier disabled",
        1150: "filtered as spam",
        1152: "rejected as spam",
        1160: "toll-free limits exceeded",
    }
)


def _registration_issue_id(entry_id: str, did: str) -> str:
    return f"registration_{entry_id}_{did}"


@callback
def async_registration_blocked(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, did: str, code: int
) -> None:
    """Raise the issue of one of the entry's numbers whose texts carriers block unregistered."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _registration_issue_id(entry.entry_id, did),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=(
            "registration_toll_free"
            if did.startswith(_TOLL_FREE_PREFIXES)
            else "registration_10dlc"
        ),
        translation_placeholders={
            "title": entry.title,
            "number": format_number(did),
            "code": str(code),
            "description": REGISTRATION_PROBLEMS[code],
        },
    )


@callback
def async_registration_sorted(hass: HomeAssistant, entry: FlowrouteConfigEntry, did: str) -> None:
    """Clear the issue: a text from the number reached a handset."""
    ir.async_delete_issue(hass, DOMAIN, _registration_issue_id(entry.entry_id, did))


@callback
def async_watch_external_url(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Check the external URL now and whenever the core configuration changes."""

    @callback
    def recheck(_: Event) -> None:
        async_check_external_url(hass, entry)

    async_check_external_url(hass, entry)
    entry.async_on_unload(hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, recheck))


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
def _async_raise_or_clear(
    hass: HomeAssistant, issue_id: str, *, raised: bool, **issue: Any
) -> None:
    """Raise the issue while its cause holds, delete it once it does not."""
    if raised:
        ir.async_create_issue(hass, DOMAIN, issue_id, **issue)
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_opt_out_list_unreadable(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, *, reason: str | None, path: str = ""
) -> None:
    """Raise the fixable issue of an opt-out list that cannot be read; None clears it."""
    _async_raise_or_clear(
        hass,
        _issue_id(OPT_OUTS_UNREADABLE, entry.entry_id),
        raised=reason is not None,
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
    _async_raise_or_clear(
        hass,
        _issue_id(OPT_OUTS_NOT_SAVED, entry.entry_id),
        raised=error is not None,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=OPT_OUTS_NOT_SAVED,
        translation_placeholders={"title": entry.title, "error": error},
    )


# The guard rails (guards.py decides; these say so until it lifts)

FLOOD_GUARD: Final = "flood_guard"
BUDGET_REACHED: Final = "budget_reached"


@callback
def async_flood_guard(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, number: str, *, limit: int | None
) -> None:
    """Raise the issue of a number the flood guard holds back; None (lifted) clears it."""
    _async_raise_or_clear(
        hass,
        f"{FLOOD_GUARD}_{entry.entry_id}_{number}",
        raised=limit is not None,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=FLOOD_GUARD,
        translation_placeholders={
            "title": entry.title,
            "number": format_number(number),
            "limit": str(limit),
        },
    )


@callback
def async_clear_flood_guards(hass: HomeAssistant, entry: FlowrouteConfigEntry) -> None:
    """Clear the entry's flood guard issues (after a restart, its hour starts clear)."""
    prefix = f"{FLOOD_GUARD}_{entry.entry_id}_"
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)


@callback
def async_budget_reached(
    hass: HomeAssistant, entry: FlowrouteConfigEntry, *, budget: str | None
) -> None:
    """Raise the issue of an account whose daily budget is spent; None (lifted) clears it.

    `budget` is the limit as people read it: "500 segments" or "$2.00".
    """
    _async_raise_or_clear(
        hass,
        _issue_id(BUDGET_REACHED, entry.entry_id),
        raised=budget is not None,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=BUDGET_REACHED,
        translation_placeholders={"title": entry.title, "budget": str(budget)},
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
