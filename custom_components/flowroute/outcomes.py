"""What follows each send attempt, decided in one place: the outbox reports, this acts.

A message Flowroute accepted is followed by the receipt tracker and clears the repair
issue of repeated failures. A message the outbox gave up on is logged and fired as
`flowroute_send_failed`; when Flowroute said the recipient opted out (1110), the opt-out
list learns it, otherwise it counts towards the repair issue. The number's entities hear
of each outcome last, through the dispatcher, once every decision is made.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .api import FlowrouteResponseError, count_segments, format_number
from .const import EVENT_SEND_FAILED, LOGGER, SIGNAL_BLOCKED, SIGNAL_SEND_FAILED, SIGNAL_SENT
from .messages import RecentError, SentNotice
from .opt_out import is_opt_out_refusal
from .outbox import FailureReason

if TYPE_CHECKING:
    from .api import FlowrouteError
    from .conversations import ConversationStore
    from .data import FlowrouteConfigEntry
    from .opt_out import OptOutList
    from .outbox import OutboundMessage
    from .receipts import ReceiptTracker
    from .repairs import SendFailureTracker

# The last failures diagnostics list: enough to see a pattern, bounded.
RECENT_FAILURES: Final = 20


def describe_failure(error: FlowrouteError | None) -> str:
    """Say in one line why a send failed (the event's `detail`, the repair issue's reason)."""
    if error is None:
        return "no answer from Flowroute before the retry horizon"
    if isinstance(error, FlowrouteResponseError):
        code = f" (code {error.code})" if error.code is not None else ""
        return f"HTTP {error.status}{code}: {error.reason}".strip().rstrip(":")
    return str(error)


class SendOutcomes:
    """Acts on the outcome of every attempt the outbox of one entry makes."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: FlowrouteConfigEntry,
        *,
        receipts: ReceiptTracker,
        opt_outs: OptOutList,
        failures: SendFailureTracker,
        conversations: ConversationStore,
    ) -> None:
        """Report to the entry's receipt tracker, opt-out list, failure repairs, conversations."""
        self._hass = hass
        self._entry = entry
        self._receipts = receipts
        self._opt_outs = opt_outs
        self._failures = failures
        self._conversations = conversations
        self._recent: deque[RecentError] = deque(maxlen=RECENT_FAILURES)

    def recent_failures(self) -> list[RecentError]:
        """Return the last failures, oldest first (for diagnostics)."""
        return list(self._recent)

    @callback
    def async_accepted(self, message: OutboundMessage, message_id: str) -> None:
        """Act on a message Flowroute took: follow its receipts."""
        self._failures.async_sent()
        self._receipts.async_track_sent(message_id, message.to, message.from_did)
        # Its receipts may have come first (a lost reply, reconciled): their state counts.
        self._conversations.async_accepted(message.id, message_id, self._receipts.state(message_id))
        self._tell_entities(SIGNAL_SENT, message, message_id)

    @callback
    def async_failed(
        self, message: OutboundMessage, reason: FailureReason, error: FlowrouteError | None
    ) -> None:
        """Act on a message the outbox gave up on (refused, expired, or opted out)."""
        detail = describe_failure(error)
        code = error.code if isinstance(error, FlowrouteResponseError) else None
        self._recent.append(
            RecentError(at=dt_util.utcnow(), kind=str(reason), code=code, description=detail)
        )
        LOGGER.warning(
            "Text to %s could not be sent (%s): %s", format_number(message.to), reason, detail
        )
        self._hass.bus.async_fire(
            EVENT_SEND_FAILED,
            {
                "to": message.to,
                "from": message.from_did,
                "reason": str(reason),
                "detail": detail,
                "status_code": code,
                "config_entry_id": self._entry.entry_id,
            },
        )
        if is_opt_out_refusal(error):
            self._opt_outs.async_learn_refusal(message.from_did, message.to)
        elif reason is not FailureReason.OPTED_OUT:
            # A recipient's choice is no problem with the account or the setup.
            self._failures.async_failed(detail)
        self._conversations.async_failed(message.id, reason, error)
        signal = SIGNAL_BLOCKED if reason is FailureReason.OPTED_OUT else SIGNAL_SEND_FAILED
        self._tell_entities(signal, message, None)

    @callback
    def async_auth_failed(self) -> None:
        """Ask the user for the keys again: Flowroute refused them."""
        self._entry.async_start_reauth(self._hass)

    @callback
    def _tell_entities(self, signal: str, message: OutboundMessage, message_id: str | None) -> None:
        notice = SentNotice(
            config_entry_id=self._entry.entry_id,
            message_id=message_id,
            to_number=message.to,
            from_number=message.from_did,
            is_mms=message.is_mms,
            segments=1 if message.is_mms else count_segments(message.body),
        )
        async_dispatcher_send(
            self._hass, signal.format(entry_id=self._entry.entry_id, did=message.from_did), notice
        )
