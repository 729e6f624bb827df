"""Exceptions of the Flowroute client, its payload parsers and its number handling."""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .models import OPTED_OUT_CODE


class InvalidPhoneNumberError(ValueError):
    """A phone number that cannot be turned into Flowroute's v2.1 form."""


class PayloadError(ValueError):
    """JSON from Flowroute (a callback or a reply) that is not of a shape we understand."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorDetail:
    """One item of the `errors` list of a Flowroute error reply."""

    id: str | None = None
    status: int | None = None
    title: str | None = None
    detail: str | dict[str, Any] | None = None
    code: int | None = None


_ONE_LINE_MAX = 300


def one_line(text: str, limit: int = _ONE_LINE_MAX) -> str:
    """Return text from the other end as one printable line of at most `limit` characters.

    It goes into logs, events and repair issues: no line breaks that forge log lines.
    """
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class FlowrouteError(Exception):
    """Base class of every error the client raises."""


class FlowrouteConnectionError(FlowrouteError):
    """The request failed before a complete reply arrived.

    `may_have_reached` is True when Flowroute may have received and acted on the request
    (so the outcome of a send is unknown), False when it certainly never got it.
    """

    def __init__(self, message: str, *, may_have_reached: bool) -> None:
        """Store whether the request may have reached Flowroute."""
        super().__init__(message)
        self.may_have_reached = may_have_reached


class FlowrouteTimeoutError(FlowrouteConnectionError):
    """No complete reply within the request timeout."""


class FlowrouteInvalidResponseError(FlowrouteError):
    """A 2xx reply whose body we cannot understand."""


class FlowrouteResponseError(FlowrouteError):
    """Flowroute answered with a status outside 2xx."""

    def __init__(self, status: int, errors: tuple[ErrorDetail, ...] = ()) -> None:
        """Store the status and the parsed `errors` list."""
        self.status = status
        self.errors = errors
        first = errors[0] if errors else ErrorDetail()
        self.error_id = first.id
        self.title = first.title
        self.detail = first.detail
        self.code = first.code
        text = f"Flowroute answered HTTP {status}"
        if self.title:
            text += f" {self.title}"
        if self.detail:
            text += f": {self.detail}"
        if self.code is not None:
            text += f" (code {self.code})"
        super().__init__(one_line(text))

    @property
    def reason(self) -> str:
        """Flowroute's own words for the refusal (its detail, else its title), on one line."""
        detail = self.detail
        if isinstance(detail, dict):
            detail = ", ".join(f"{key}: {value}" for key, value in detail.items())
        return one_line(detail or self.title or "")

    @property
    def recipient_opted_out(self) -> bool:
        """Whether Flowroute refused because the recipient texted STOP (code 1110)."""
        return self.code == OPTED_OUT_CODE


class FlowrouteAuthenticationError(FlowrouteResponseError):
    """401: the access key or secret key is wrong."""


class FlowrouteForbiddenError(FlowrouteResponseError):
    """403: the account may not do this, e.g. the number is not enabled for messaging."""


class FlowrouteRateLimitError(FlowrouteResponseError):
    """429: too many requests; `retry_after` is in seconds when Flowroute said so."""

    def __init__(
        self,
        status: int,
        errors: tuple[ErrorDetail, ...] = (),
        *,
        retry_after: float | None = None,
    ) -> None:
        """Store the Retry-After delay next to the error details."""
        super().__init__(status, errors)
        self.retry_after = retry_after


class FlowrouteUnavailableError(FlowrouteResponseError):
    """5xx: Flowroute did not accept the request; it may be resent later."""


class FlowrouteRequestRejectedError(FlowrouteResponseError):
    """Any other 4xx: the request itself is wrong and resending it will not help."""


def response_error(
    status: int, errors: tuple[ErrorDetail, ...] = (), *, retry_after: float | None = None
) -> FlowrouteResponseError:
    """Return the exception that stands for a non-2xx reply with this status."""
    match status:
        case HTTPStatus.UNAUTHORIZED:
            return FlowrouteAuthenticationError(status, errors)
        case HTTPStatus.FORBIDDEN:
            return FlowrouteForbiddenError(status, errors)
        case HTTPStatus.TOO_MANY_REQUESTS:
            return FlowrouteRateLimitError(status, errors, retry_after=retry_after)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        return FlowrouteUnavailableError(status, errors)
    if status >= HTTPStatus.BAD_REQUEST:
        return FlowrouteRequestRejectedError(status, errors)
    return FlowrouteResponseError(status, errors)
