"""Runtime data of a Flowroute config entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .api import FlowrouteClient
    from .opt_out import OptOutList
    from .outbox import Outbox
    from .receipts import ReceiptTracker
    from .sending import Sender

type FlowrouteConfigEntry = ConfigEntry[FlowrouteData]


@dataclass(slots=True, kw_only=True)
class FlowrouteData:
    """What a loaded entry needs: client, outbox, send path, receipts, opt-out list."""

    client: FlowrouteClient
    outbox: Outbox
    sender: Sender
    receipts: ReceiptTracker
    opt_outs: OptOutList
