"""Runtime data of a Flowroute config entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .api import FlowrouteClient
    from .outbox import Outbox
    from .sending import Sender

type FlowrouteConfigEntry = ConfigEntry[FlowrouteData]


@dataclass(slots=True, kw_only=True)
class FlowrouteData:
    """What a loaded entry needs: the client, its outbox and the send path over both."""

    client: FlowrouteClient
    outbox: Outbox
    sender: Sender
