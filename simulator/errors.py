"""Exceptions that end a request: a Flowroute error answer, or a dropped connection."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# Flowroute's titles where Python's phrases have moved on (RFC 9110 renamed 422).
_TITLES = {422: "Unprocessable Entity"}


class ApiError(Exception):
    """A request Flowroute refuses: rendered as `{"errors": [...]}` with this status."""

    def __init__(
        self,
        status: int,
        detail: str | dict[str, Any],
        *,
        code: int | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Describe the refusal; the title defaults to the status phrase."""
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.code = code
        self.title = title or _TITLES.get(status) or HTTPStatus(status).phrase
        self.headers = headers or {}


class DropConnection(Exception):  # noqa: N818 - an instruction, not an error condition
    """Close the client's connection without any answer (a fault)."""
