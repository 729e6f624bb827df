"""Flowroute API client, payload models and parsers (no Home Assistant imports)."""

from .client import DEFAULT_BASE_URL, FlowrouteClient
from .encoding import Encoding, count_segments, sms_encoding
from .errors import (
    ErrorDetail,
    FlowrouteAuthenticationError,
    FlowrouteConnectionError,
    FlowrouteError,
    FlowrouteForbiddenError,
    FlowrouteInvalidResponseError,
    FlowrouteRateLimitError,
    FlowrouteRequestRejectedError,
    FlowrouteResponseError,
    FlowrouteTimeoutError,
    FlowrouteUnavailableError,
    InvalidPhoneNumberError,
    PayloadError,
)
from .models import (
    OPTED_OUT_CODE,
    CallbackType,
    DeliveryReceipt,
    InboundMessage,
    MediaItem,
    MessageRecord,
    PhoneNumber,
    ReceiptOutcome,
    SentMessage,
)
from .numbers import canonical_number, format_number, normalize_number
from .parsers import parse_callback, parse_json, parse_message_record

__all__ = [
    "DEFAULT_BASE_URL",
    "OPTED_OUT_CODE",
    "CallbackType",
    "DeliveryReceipt",
    "Encoding",
    "ErrorDetail",
    "FlowrouteAuthenticationError",
    "FlowrouteClient",
    "FlowrouteConnectionError",
    "FlowrouteError",
    "FlowrouteForbiddenError",
    "FlowrouteInvalidResponseError",
    "FlowrouteRateLimitError",
    "FlowrouteRequestRejectedError",
    "FlowrouteResponseError",
    "FlowrouteTimeoutError",
    "FlowrouteUnavailableError",
    "InboundMessage",
    "InvalidPhoneNumberError",
    "MediaItem",
    "MessageRecord",
    "PayloadError",
    "PhoneNumber",
    "ReceiptOutcome",
    "SentMessage",
    "canonical_number",
    "count_segments",
    "format_number",
    "normalize_number",
    "parse_callback",
    "parse_json",
    "parse_message_record",
    "sms_encoding",
]
