"""Constants of the Flowroute integration: domain, configuration keys, event names."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "flowroute"
LOGGER = logging.getLogger(__package__)

# Config entry data
CONF_ACCESS_KEY: Final = "access_key"
CONF_SECRET_KEY: Final = "secret_key"
CONF_NUMBERS: Final = "numbers"
CONF_BASE_URL: Final = "base_url"

# Options
CONF_DEFAULT_FROM: Final = "default_from"
CONF_SMS_RATE: Final = "sms_per_second"
CONF_MMS_RATE: Final = "mms_per_second"
CONF_RETRY_HORIZON: Final = "retry_horizon_hours"

# Flowroute's documented per-account limits; the horizon bounds how long a queued
# message may wait for Flowroute to come back before it is reported as failed.
DEFAULT_SMS_RATE: Final = 5.0
DEFAULT_MMS_RATE: Final = 1.0
DEFAULT_RETRY_HORIZON_HOURS: Final = 24

# Contacts are config subentries
SUBENTRY_CONTACT: Final = "contact"
CONF_NUMBER: Final = "number"
CONF_PREFERRED_DID: Final = "preferred_did"
# A contact's Assist settings (off unless allowed): whose permissions apply, which
# pipeline's agent and language answer (None: the preferred one), and the passphrase
# that must begin each text (None: no passphrase).
SECTION_ASSIST: Final = "assist"
CONF_ALLOW_ASSIST: Final = "allow_assist"
CONF_ASSIST_USER: Final = "user_id"
CONF_ASSIST_PIPELINE: Final = "pipeline_id"
CONF_ASSIST_PASSPHRASE: Final = "passphrase"

# Events (public contract, documented in the README)
EVENT_SEND_FAILED: Final = "flowroute_send_failed"
EVENT_MESSAGE_RECEIVED: Final = "flowroute_message_received"
EVENT_DELIVERY_RECEIPT: Final = "flowroute_delivery_receipt"
EVENT_OPT_OUT_CHANGED: Final = "flowroute_opt_out_changed"
EVENT_ASSIST_EXCHANGE: Final = "flowroute_assist_exchange"

# Dispatcher signals, one per number (format with entry_id and did): what the webhook, the
# outbox and the opt-out list publish to that number's entities. Per number, so that a
# text wakes only the few entities of the number it was sent to.
SIGNAL_MESSAGE_RECEIVED: Final = "flowroute_message_received_{entry_id}_{did}"
SIGNAL_RECEIPT: Final = "flowroute_receipt_{entry_id}_{did}"
SIGNAL_SENT: Final = "flowroute_sent_{entry_id}_{did}"
SIGNAL_SEND_FAILED: Final = "flowroute_send_failed_{entry_id}_{did}"
SIGNAL_OPT_OUT: Final = "flowroute_opt_out_{entry_id}_{did}"
SIGNAL_BLOCKED: Final = "flowroute_blocked_{entry_id}_{did}"

# Receiving options
CONF_RECORD_BODIES: Final = "record_bodies"
CONF_DOWNLOAD_MEDIA: Final = "download_media"
CONF_MEDIA_MAX_ITEM_MB: Final = "media_max_item_mb"
CONF_MEDIA_MAX_DAY_MB: Final = "media_max_day_mb"
CONF_MEDIA_RETENTION_DAYS: Final = "media_retention_days"
DEFAULT_MEDIA_MAX_ITEM_MB: Final = 20
DEFAULT_MEDIA_MAX_DAY_MB: Final = 200
DEFAULT_MEDIA_RETENTION_DAYS: Final = 90  # 0 keeps received media forever

# Accept callbacks only from the addresses Flowroute once published (off by default: the
# list dates from 2016 and whether it is current is unconfirmed).
CONF_FLOWROUTE_ADDRESSES_ONLY: Final = "flowroute_addresses_only"
FLOWROUTE_CALLBACK_ADDRESSES: Final = ("52.88.246.140", "52.10.220.50")

# Keyword options: the reply to HELP/INFO (empty: none) and the confirmation after START
# (empty by default: Flowroute and the carriers already confirm STOP and UNSTOP).
CONF_HELP_REPLY: Final = "help_reply"
CONF_START_REPLY: Final = "start_reply"
# Each reply is billed and goes to whoever the (unsigned) callback names: at most one per
# number per cooldown, and only to North American numbers unless the user allows others.
CONF_REPLY_COOLDOWN: Final = "keyword_reply_cooldown_minutes"
CONF_REPLY_INTERNATIONAL: Final = "keyword_replies_international"
DEFAULT_REPLY_COOLDOWN_MINUTES: Final = 60
DEFAULT_HELP_REPLY: Final = (
    "Automated texts from this Home Assistant. Reply STOP to stop them, START to resume."
)

# Assist options: how long a contact's conversation keeps its context between texts, and
# how many texts one sender may send Assist per ten minutes (then one polite reply).
CONF_ASSIST_CONVERSATION_MINUTES: Final = "assist_conversation_minutes"
CONF_ASSIST_RATE_LIMIT: Final = "assist_texts_per_10_minutes"
DEFAULT_ASSIST_CONVERSATION_MINUTES: Final = 30
DEFAULT_ASSIST_RATE_LIMIT: Final = 10

# Usage and cost: how often the message records are read (minutes), and the guard rails:
# at most this many texts to one number per hour (0: off), daily budgets per account in
# segments and in US dollars (0: none); smart punctuation made plain before sending.
CONF_USAGE_INTERVAL: Final = "usage_interval_minutes"
DEFAULT_USAGE_INTERVAL_MINUTES: Final = 15
CONF_FLOOD_GUARD: Final = "flood_guard_per_hour"
DEFAULT_FLOOD_GUARD_PER_HOUR: Final = 30
CONF_BUDGET_SEGMENTS: Final = "daily_segment_budget"
CONF_BUDGET_USD: Final = "daily_spend_budget_usd"
CONF_PLAIN_PUNCTUATION: Final = "plain_punctuation"
EVENT_FLOOD_GUARD: Final = "flowroute_flood_guard"
EVENT_BUDGET_REACHED: Final = "flowroute_budget_reached"

# The Texts panel: the conversation store (kept in storage unless turned off; bounded per
# entry by age and by count, oldest first) and who sees the panel (admins unless on).
CONF_KEEP_CONVERSATIONS: Final = "keep_conversations"
CONF_CONVERSATION_DAYS: Final = "conversation_days"
CONF_CONVERSATION_MAX_MESSAGES: Final = "conversation_max_messages"
CONF_PANEL_FOR_EVERYONE: Final = "panel_for_everyone"
DEFAULT_CONVERSATION_DAYS: Final = 30
DEFAULT_CONVERSATION_MAX_MESSAGES: Final = 5000
MIN_CONVERSATION_DAYS: Final = 1
MAX_CONVERSATION_DAYS: Final = 365
MIN_CONVERSATION_MAX_MESSAGES: Final = 100
MAX_CONVERSATION_MAX_MESSAGES: Final = 50_000

# Entry data written once a Nabu Casa cloudhook exists
CONF_CLOUDHOOK_URL: Final = "cloudhook_url"
# Entry data: where the integration last pointed the numbers' callbacks, and which
# numbers ({"url": ..., "numbers": [...]}; Flowroute cannot be asked). Written by the
# config flow, the callbacks repair and the first inbound text (repairs.py owns it).
CONF_CALLBACKS_POINTED: Final = "callbacks_pointed_at"
