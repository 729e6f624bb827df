"""What the recorder wrote, for tests that prove words stayed out of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.recorder import session_scope
from sqlalchemy import text

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def recorded(hass: HomeAssistant) -> tuple[list[str], str]:
    """Return the recorded event types and everything recorded as one text (executor)."""
    with session_scope(hass=hass, read_only=True) as session:
        types = [row[0] for row in session.execute(text("SELECT event_type FROM event_types"))]
        parts = [
            str(row[0])
            for query in (
                "SELECT shared_data FROM event_data",
                "SELECT shared_attrs FROM state_attributes",
                "SELECT state FROM states",
            )
            for row in session.execute(text(query))
        ]
    return types, "\n".join(parts)
