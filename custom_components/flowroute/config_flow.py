"""Config flow of the Flowroute integration: account, numbers, callbacks, options, contacts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, override

from homeassistant.components.webhook import async_generate_id
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    AssistPipelineSelector,
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import (
    DEFAULT_BASE_URL,
    CallbackType,
    FlowrouteAuthenticationError,
    FlowrouteClient,
    FlowrouteConnectionError,
    FlowrouteError,
    FlowrouteForbiddenError,
    FlowrouteRateLimitError,
    FlowrouteUnavailableError,
    InvalidPhoneNumberError,
    PhoneNumber,
    format_number,
    normalize_number,
)
from .const import (
    CONF_ACCESS_KEY,
    CONF_ALLOW_ASSIST,
    CONF_ASSIST_CONVERSATION_MINUTES,
    CONF_ASSIST_PASSPHRASE,
    CONF_ASSIST_PIPELINE,
    CONF_ASSIST_RATE_LIMIT,
    CONF_ASSIST_USER,
    CONF_BASE_URL,
    CONF_BUDGET_SEGMENTS,
    CONF_BUDGET_USD,
    CONF_CALLBACKS_POINTED,
    CONF_CONVERSATION_DAYS,
    CONF_CONVERSATION_MAX_MESSAGES,
    CONF_DEFAULT_FROM,
    CONF_DOWNLOAD_MEDIA,
    CONF_FLOOD_GUARD,
    CONF_FLOWROUTE_ADDRESSES_ONLY,
    CONF_HELP_REPLY,
    CONF_KEEP_CONVERSATIONS,
    CONF_MEDIA_MAX_DAY_MB,
    CONF_MEDIA_MAX_ITEM_MB,
    CONF_MEDIA_RETENTION_DAYS,
    CONF_MMS_RATE,
    CONF_NUMBER,
    CONF_NUMBERS,
    CONF_PANEL_FOR_EVERYONE,
    CONF_PLAIN_PUNCTUATION,
    CONF_PREFERRED_DID,
    CONF_RECORD_BODIES,
    CONF_REPLY_COOLDOWN,
    CONF_REPLY_INTERNATIONAL,
    CONF_RETRY_HORIZON,
    CONF_SECRET_KEY,
    CONF_SMS_RATE,
    CONF_START_REPLY,
    CONF_USAGE_INTERVAL,
    DEFAULT_ASSIST_CONVERSATION_MINUTES,
    DEFAULT_ASSIST_RATE_LIMIT,
    DEFAULT_CONVERSATION_DAYS,
    DEFAULT_CONVERSATION_MAX_MESSAGES,
    DEFAULT_FLOOD_GUARD_PER_HOUR,
    DEFAULT_HELP_REPLY,
    DEFAULT_MEDIA_MAX_DAY_MB,
    DEFAULT_MEDIA_MAX_ITEM_MB,
    DEFAULT_MEDIA_RETENTION_DAYS,
    DEFAULT_MMS_RATE,
    DEFAULT_REPLY_COOLDOWN_MINUTES,
    DEFAULT_RETRY_HORIZON_HOURS,
    DEFAULT_SMS_RATE,
    DEFAULT_USAGE_INTERVAL_MINUTES,
    DOMAIN,
    LOGGER,
    MAX_CONVERSATION_DAYS,
    MAX_CONVERSATION_MAX_MESSAGES,
    MIN_CONVERSATION_DAYS,
    MIN_CONVERSATION_MAX_MESSAGES,
    SECTION_ASSIST,
    SUBENTRY_CONTACT,
)
from .repairs import callbacks_record
from .webhook import async_external_webhook_url

if TYPE_CHECKING:
    from collections.abc import Mapping

    # Home Assistant 2026 validates with probatio and installs it as `voluptuous` at
    # run time; its signatures name probatio's classes, so type-check against those.
    import probatio as vol
else:
    import voluptuous as vol

# Form-only keys: they never reach the entry's data.
SECTION_ADVANCED = "advanced"
CONF_TYPED_NUMBERS = "typed_numbers"
CONF_SET_CALLBACKS = "set_callbacks"

# Options of a new entry (besides the default sender) and of an entry that lacks one.
DEFAULT_OPTIONS: Mapping[str, Any] = {
    CONF_SMS_RATE: DEFAULT_SMS_RATE,
    CONF_MMS_RATE: DEFAULT_MMS_RATE,
    CONF_RETRY_HORIZON: DEFAULT_RETRY_HORIZON_HOURS,
    CONF_RECORD_BODIES: False,
    CONF_DOWNLOAD_MEDIA: True,
    CONF_MEDIA_MAX_ITEM_MB: DEFAULT_MEDIA_MAX_ITEM_MB,
    CONF_MEDIA_MAX_DAY_MB: DEFAULT_MEDIA_MAX_DAY_MB,
    CONF_MEDIA_RETENTION_DAYS: DEFAULT_MEDIA_RETENTION_DAYS,
    CONF_HELP_REPLY: DEFAULT_HELP_REPLY,
    CONF_START_REPLY: "",
    CONF_REPLY_COOLDOWN: DEFAULT_REPLY_COOLDOWN_MINUTES,
    CONF_REPLY_INTERNATIONAL: False,
    CONF_FLOWROUTE_ADDRESSES_ONLY: False,
    CONF_ASSIST_CONVERSATION_MINUTES: DEFAULT_ASSIST_CONVERSATION_MINUTES,
    CONF_ASSIST_RATE_LIMIT: DEFAULT_ASSIST_RATE_LIMIT,
    CONF_PLAIN_PUNCTUATION: True,
    CONF_USAGE_INTERVAL: DEFAULT_USAGE_INTERVAL_MINUTES,
    CONF_FLOOD_GUARD: DEFAULT_FLOOD_GUARD_PER_HOUR,
    CONF_BUDGET_SEGMENTS: 0,
    CONF_BUDGET_USD: 0,
    CONF_KEEP_CONVERSATIONS: True,
    CONF_CONVERSATION_DAYS: DEFAULT_CONVERSATION_DAYS,
    CONF_CONVERSATION_MAX_MESSAGES: DEFAULT_CONVERSATION_MAX_MESSAGES,
    CONF_PANEL_FOR_EVERYONE: False,
}
# Replies to keywords: empty means no reply; a text cleared in the form is sent as absent.
REPLY_OPTIONS = (CONF_HELP_REPLY, CONF_START_REPLY)
MAX_REPLY_LENGTH = 1000
MAX_RATE = 100
MAX_RETRY_HORIZON_HOURS = 168
MAX_MEDIA_ITEM_MB = 100
MAX_MEDIA_DAY_MB = 10_000
MAX_MEDIA_RETENTION_DAYS = 3650
MAX_REPLY_COOLDOWN_MINUTES = 10_080  # a week
MAX_ASSIST_CONVERSATION_MINUTES = 1440  # a day
MAX_ASSIST_RATE_LIMIT = 100
MAX_USAGE_INTERVAL_MINUTES = 1440
MAX_FLOOD_GUARD = 1000
MAX_BUDGET_SEGMENTS = 1_000_000
MAX_BUDGET_USD = 10_000
# A contact's Assist settings, in the form's "Assist" section; stored flat in its data.
ASSIST_KEYS = (CONF_ALLOW_ASSIST, CONF_ASSIST_USER, CONF_ASSIST_PIPELINE, CONF_ASSIST_PASSPHRASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Account:
    """What it takes to talk to one Flowroute account."""

    access_key: str
    secret_key: str
    base_url: str

    @classmethod
    def from_form(cls, user_input: Mapping[str, Any]) -> _Account:
        """Read the account form, forgiving the spaces that copying keys often adds."""
        base_url: str = user_input[SECTION_ADVANCED][CONF_BASE_URL]
        return cls(
            access_key=user_input[CONF_ACCESS_KEY].strip(),
            secret_key=user_input[CONF_SECRET_KEY].strip(),
            base_url=base_url.strip().rstrip("/") or DEFAULT_BASE_URL,
        )

    @classmethod
    def from_entry(cls, entry: ConfigEntry) -> _Account:
        """Read the account of a config entry."""
        return cls(
            access_key=entry.data[CONF_ACCESS_KEY],
            secret_key=entry.data[CONF_SECRET_KEY],
            base_url=entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
        )

    def as_form(self) -> dict[str, Any]:
        """Return the account form's values."""
        return {
            CONF_ACCESS_KEY: self.access_key,
            CONF_SECRET_KEY: self.secret_key,
            SECTION_ADVANCED: {CONF_BASE_URL: self.base_url},
        }

    def as_data(self) -> dict[str, str]:
        """Return the entry data of the account; the base URL only when it is not Flowroute's."""
        data = {CONF_ACCESS_KEY: self.access_key, CONF_SECRET_KEY: self.secret_key}
        if self.base_url != DEFAULT_BASE_URL:
            data[CONF_BASE_URL] = self.base_url
        return data

    def client(self, hass: HomeAssistant) -> FlowrouteClient:
        """Return a client for the account on Home Assistant's shared session."""
        return FlowrouteClient(
            self.access_key,
            self.secret_key,
            session=async_get_clientsession(hass),
            base_url=self.base_url,
        )


class FlowrouteConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Flowroute account: keys, numbers, callbacks; reauthenticate; reconfigure."""

    VERSION = 1

    # Set by the steps, in this order, before the next step reads them.
    _account: _Account
    _account_numbers: list[PhoneNumber]
    _numbers: list[str]
    _webhook_id: str
    # Where the callbacks step pointed the numbers' callbacks (kept in the entry's data).
    _callbacks_pointed: dict[str, Any] | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> FlowrouteOptionsFlow:
        """Return the options flow."""
        return FlowrouteOptionsFlow()

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentries an account has: its contacts."""
        return {SUBENTRY_CONTACT: ContactSubentryFlow}

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the account's keys and check them with Flowroute."""
        return await self._async_step_account("user", user_input, suggested=user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the keys (of the same account) or the API URL, then the numbers."""
        current = _Account.from_entry(self._get_reconfigure_entry())
        return await self._async_step_account(
            "reconfigure", user_input, suggested=user_input or current.as_form()
        )

    async def _async_step_account(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        *,
        suggested: Mapping[str, Any] | None,
    ) -> ConfigFlowResult:
        """Show the account form; once Flowroute accepts the keys, go on to the numbers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            account = _Account.from_form(user_input)
            await self.async_set_unique_id(account.access_key)
            if self.source == SOURCE_RECONFIGURE:
                # The access key is the account: another one would be another entry.
                self._abort_if_unique_id_mismatch(reason="wrong_account")
            else:
                self._abort_if_unique_id_configured()
            errors = await self._async_validate(account, url_in_form=True)
            if not errors:
                return await self.async_step_numbers()
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(_account_schema(), suggested),
            errors=errors,
        )

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],
    ) -> ConfigFlowResult:
        """Flowroute refused the keys: ask for the secret key again."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the secret key of the entry's access key and check it with Flowroute."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            account = replace(
                _Account.from_entry(entry), secret_key=user_input[CONF_SECRET_KEY].strip()
            )
            errors = await self._async_validate(account, url_in_form=False)
            if not errors:
                return self._async_update_and_finish(
                    entry,
                    "reauth_successful",
                    data={**entry.data, CONF_SECRET_KEY: account.secret_key},
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(_reauth_schema(), user_input),
            errors=errors,
            description_placeholders={CONF_ACCESS_KEY: entry.data[CONF_ACCESS_KEY]},
        )

    async def _async_validate(self, account: _Account, *, url_in_form: bool) -> dict[str, str]:
        """Check the account by listing its numbers; return the errors for the form."""
        try:
            self._account_numbers = await account.client(self.hass).list_numbers()
        except (FlowrouteAuthenticationError, FlowrouteForbiddenError):
            return {CONF_SECRET_KEY: "invalid_auth"}
        except (FlowrouteConnectionError, FlowrouteUnavailableError, FlowrouteRateLimitError):
            # Blame the API URL only when the user changed it; otherwise it is the
            # network or Flowroute itself.
            url_changed = url_in_form and account.base_url != DEFAULT_BASE_URL
            return {SECTION_ADVANCED if url_changed else "base": "cannot_connect"}
        except Exception:  # noqa: BLE001 - whatever it is, the user must see the form again
            LOGGER.exception("Unexpected error while checking the Flowroute account")
            return {"base": "unknown"}
        self._account = account
        return {}

    async def async_step_numbers(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the account's numbers Home Assistant uses (typed when Flowroute lists none)."""
        field = CONF_NUMBERS if self._account_numbers else CONF_TYPED_NUMBERS
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                numbers = _normalize_all(user_input.get(field, []))
            except _InvalidNumberError as err:
                errors[field] = "invalid_number"
                placeholders[CONF_NUMBER] = err.text
            else:
                if numbers:
                    self._numbers = numbers
                    self._webhook_id = (
                        self._get_reconfigure_entry().data[CONF_WEBHOOK_ID]
                        if self.source == SOURCE_RECONFIGURE
                        else async_generate_id()
                    )
                    return await self.async_step_callbacks()
                errors[field] = "no_numbers"
        return self.async_show_form(
            step_id="numbers",
            data_schema=self.add_suggested_values_to_schema(
                _numbers_schema(self._account_numbers),
                user_input or self._current_numbers_form(field),
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    def _current_numbers_form(self, field: str) -> dict[str, list[str]] | None:
        """Return the reconfigured entry's numbers that the numbers form can still offer."""
        if self.source != SOURCE_RECONFIGURE:
            return None
        current: list[str] = self._get_reconfigure_entry().data[CONF_NUMBERS]
        if field == CONF_TYPED_NUMBERS:
            return {field: [format_number(number) for number in current]}
        listed = {number.number for number in self._account_numbers}
        return {field: [number for number in current if number in listed]}

    @callback
    def _async_finish(self) -> ConfigFlowResult:
        """Add the account, or store the reconfigured one."""
        if self.source == SOURCE_RECONFIGURE:
            return self._async_update_account_entry()
        return self._async_create_account_entry()

    @callback
    def _async_update_account_entry(self) -> ConfigFlowResult:
        """Store the new keys and numbers, keeping the default sender one of the numbers."""
        entry = self._get_reconfigure_entry()
        data = {key: value for key, value in entry.data.items() if key != CONF_BASE_URL}
        options = dict(entry.options)
        if options.get(CONF_DEFAULT_FROM) not in self._numbers:
            options[CONF_DEFAULT_FROM] = self._numbers[0]
        return self._async_update_and_finish(
            entry,
            "reconfigure_successful",
            data={
                **data,
                **self._account.as_data(),
                CONF_NUMBERS: self._numbers,
                **self._callbacks_data(),
            },
            options=options,
        )

    @callback
    def _async_update_and_finish(
        self, entry: ConfigEntry, reason: str, **changes: Any
    ) -> ConfigFlowResult:
        """Store the changes; reload the entry once (through its update listener when loaded)."""
        # Not async_update_reload_and_abort: Home Assistant warns against it for an entry
        # with an update listener (the options and the contacts need one) and stops
        # allowing it in 2026.12. Read before updating: the listener may reload at once.
        listening = entry.state is ConfigEntryState.LOADED
        changed = self.hass.config_entries.async_update_entry(entry, **changes)
        if not (listening and changed):
            # No listener without a setup (a failed one, say), and no call of it for an
            # unchanged entry: reload from here.
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason=reason)

    async def async_step_callbacks(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the webhook URL and offer to point the numbers' callbacks at it."""
        url = async_external_webhook_url(self.hass, self._webhook_id)
        if url is None:
            return await self.async_step_no_external_url()
        errors: dict[str, str] = {}
        if user_input is not None:
            if not user_input[CONF_SET_CALLBACKS]:
                return self._async_finish()
            try:
                await self._async_set_callbacks(url)
            except FlowrouteError as err:
                LOGGER.warning("Could not set the callbacks of the Flowroute numbers: %s", err)
                errors["base"] = "callbacks_failed"
            else:
                self._callbacks_pointed = callbacks_record(url, self._numbers)
                return self._async_finish()
        return self.async_show_form(
            step_id="callbacks",
            data_schema=self.add_suggested_values_to_schema(_callbacks_schema(), user_input),
            errors=errors,
            description_placeholders={
                "webhook_url": url,
                "numbers": ", ".join(format_number(number) for number in self._numbers),
            },
        )

    async def async_step_no_external_url(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that receiving needs an external URL, then finish for sending alone."""
        if user_input is None:
            return self.async_show_form(step_id="no_external_url")
        return self._async_finish()

    async def _async_set_callbacks(self, url: str) -> None:
        """Point the SMS, MMS and both receipt callbacks of every chosen number at `url`."""
        client = self._account.client(self.hass)
        for number in self._numbers:
            for kind in CallbackType:
                await client.set_number_callback(number, kind, url)

    def _callbacks_data(self) -> dict[str, Any]:
        """Return the record of the callbacks pointed here, if this flow pointed them."""
        if self._callbacks_pointed is None:
            return {}
        return {CONF_CALLBACKS_POINTED: self._callbacks_pointed}

    @callback
    def _async_create_account_entry(self) -> ConfigFlowResult:
        """Add the account, sending from its first number by default."""
        first = self._numbers[0]
        return self.async_create_entry(
            title=f"Flowroute {format_number(first)}",
            data={
                **self._account.as_data(),
                CONF_NUMBERS: self._numbers,
                CONF_WEBHOOK_ID: self._webhook_id,
                **self._callbacks_data(),
            },
            options={CONF_DEFAULT_FROM: first, **DEFAULT_OPTIONS},
        )


class FlowrouteOptionsFlow(OptionsFlow):
    """Change how an account sends: default sender, rate limits, retry horizon."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options, pre-filled with the current ones."""
        options = self.config_entry.options
        if user_input is not None:
            replies = {key: user_input.get(key, "").strip() for key in REPLY_OPTIONS}
            return self.async_create_entry(data={**options, **user_input, **replies})
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                _options_schema(self.config_entry.data[CONF_NUMBERS]),
                {**DEFAULT_OPTIONS, **options},
            ),
        )


class ContactSubentryFlow(ConfigSubentryFlow):
    """Add or change a contact: a name and a number to text, optionally from a chosen DID."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a contact."""
        return await self._async_step_contact("user", user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a contact."""
        return await self._async_step_contact(
            "reconfigure", user_input, self._get_reconfigure_subentry()
        )

    async def _async_step_contact(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        contact: ConfigSubentry | None,
    ) -> SubentryFlowResult:
        """Show the contact form; store the contact once it is valid and its number new."""
        entry = self._get_entry()
        users = await _assist_user_options(self.hass)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            data = _flatten_contact(user_input)
            try:
                number = normalize_number(data[CONF_NUMBER])
            except InvalidPhoneNumberError:
                errors[CONF_NUMBER] = "invalid_number"
                placeholders[CONF_NUMBER] = data[CONF_NUMBER]
            else:
                if any(
                    other.subentry_type == SUBENTRY_CONTACT and other.unique_id == number
                    for other in entry.subentries.values()
                    if other is not contact
                ):
                    return self.async_abort(reason="already_configured")
                data[CONF_NUMBER] = number
            if data[CONF_ALLOW_ASSIST] and CONF_ASSIST_USER not in data:
                errors[SECTION_ASSIST] = "assist_user_required"
            if not errors:
                if contact is None:
                    return self.async_create_entry(
                        title=data[CONF_NAME], data=data, unique_id=number
                    )
                return self.async_update_and_abort(
                    entry, contact, title=data[CONF_NAME], data=data, unique_id=number
                )
        if user_input is None and contact is not None:
            user_input = _nest_contact(contact.data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _contact_schema(entry.data[CONF_NUMBERS], users), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


def _flatten_contact(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the contact's data: the Assist section's fields beside the others.

    An empty passphrase or a cleared user or pipeline is left out.
    """
    data = {key: value for key, value in user_input.items() if key != SECTION_ASSIST}
    assist = user_input.get(SECTION_ASSIST, {})
    data[CONF_ALLOW_ASSIST] = bool(assist.get(CONF_ALLOW_ASSIST, False))
    for key in (CONF_ASSIST_USER, CONF_ASSIST_PIPELINE, CONF_ASSIST_PASSPHRASE):
        if value := str(assist.get(key) or "").strip():
            data[key] = value
    return data


def _nest_contact(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a stored contact as the form shows it (its number formatted)."""
    form = {key: value for key, value in data.items() if key not in ASSIST_KEYS}
    form[CONF_NUMBER] = format_number(data[CONF_NUMBER])
    form[SECTION_ASSIST] = {
        key: data[key] for key in ASSIST_KEYS if data.get(key) not in (None, "")
    }
    return form


async def _assist_user_options(hass: HomeAssistant) -> list[SelectOptionDict]:
    """Return who may be a contact's Assist user: active people, not system users."""
    users = [
        user
        for user in await hass.auth.async_get_users()
        if user.is_active and not user.system_generated
    ]
    return [
        SelectOptionDict(value=user.id, label=user.name or user.id)
        for user in sorted(users, key=lambda user: (user.name or "").casefold())
    ]


class _InvalidNumberError(ValueError):
    """A typed number that is not a phone number; `text` is what was typed."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _normalize_all(texts: list[str]) -> list[str]:
    """Return the numbers normalised, blanks and repeats dropped, in the order given."""
    numbers: dict[str, None] = {}
    for text in texts:
        if not text.strip():
            continue
        try:
            numbers[normalize_number(text)] = None
        except InvalidPhoneNumberError as err:
            raise _InvalidNumberError(text) from err
    return list(numbers)


def _account_schema() -> vol.Schema:
    """Keys of an account; its API URL (the simulator's, say) folded away."""
    return vol.Schema(
        {
            vol.Required(CONF_ACCESS_KEY): TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
            ),
            vol.Required(CONF_SECRET_KEY): _secret_selector(),
            vol.Required(SECTION_ADVANCED): section(
                vol.Schema(
                    {
                        vol.Required(CONF_BASE_URL, default=DEFAULT_BASE_URL): TextSelector(
                            TextSelectorConfig(type=TextSelectorType.URL)
                        )
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _reauth_schema() -> vol.Schema:
    """Ask for the secret key alone: the access key stays the entry's."""
    return vol.Schema({vol.Required(CONF_SECRET_KEY): _secret_selector()})


def _secret_selector() -> TextSelector:
    return TextSelector(
        TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
    )


def _numbers_schema(account_numbers: list[PhoneNumber]) -> vol.Schema:
    """Pick among the account's numbers or, when Flowroute lists none, type them."""
    if not account_numbers:
        return vol.Schema(
            {
                vol.Required(CONF_TYPED_NUMBERS): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.TEL, multiple=True)
                )
            }
        )
    options = [
        SelectOptionDict(value=number.number, label=_label(number)) for number in account_numbers
    ]
    return vol.Schema({vol.Required(CONF_NUMBERS): _did_selector(options, multiple=True)})


def _callbacks_schema() -> vol.Schema:
    return vol.Schema({vol.Required(CONF_SET_CALLBACKS, default=False): BooleanSelector()})


def _options_schema(numbers: list[str]) -> vol.Schema:
    """Build the options form: a new option is one line here and a default in DEFAULT_OPTIONS."""
    return vol.Schema(
        {
            vol.Required(CONF_DEFAULT_FROM): _did_selector(_did_options(numbers)),
            vol.Required(CONF_SMS_RATE): _rate_selector(),
            vol.Required(CONF_MMS_RATE): _rate_selector(),
            vol.Required(CONF_RETRY_HORIZON): vol.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=MAX_RETRY_HORIZON_HOURS,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="h",
                    )
                ),
                vol.Coerce(int),
            ),
            vol.Required(CONF_RECORD_BODIES): BooleanSelector(),
            vol.Required(CONF_DOWNLOAD_MEDIA): BooleanSelector(),
            vol.Required(CONF_MEDIA_MAX_ITEM_MB): _megabytes_selector(MAX_MEDIA_ITEM_MB),
            vol.Required(CONF_MEDIA_MAX_DAY_MB): _megabytes_selector(MAX_MEDIA_DAY_MB),
            vol.Required(CONF_MEDIA_RETENTION_DAYS): _whole_number_selector(
                0, MAX_MEDIA_RETENTION_DAYS, "d"
            ),
            vol.Optional(CONF_HELP_REPLY): _reply_selector(),
            vol.Optional(CONF_START_REPLY): _reply_selector(),
            vol.Required(CONF_REPLY_COOLDOWN): _whole_number_selector(
                0, MAX_REPLY_COOLDOWN_MINUTES, "min"
            ),
            vol.Required(CONF_REPLY_INTERNATIONAL): BooleanSelector(),
            vol.Required(CONF_FLOWROUTE_ADDRESSES_ONLY): BooleanSelector(),
            vol.Required(CONF_ASSIST_CONVERSATION_MINUTES): _whole_number_selector(
                1, MAX_ASSIST_CONVERSATION_MINUTES, "min"
            ),
            vol.Required(CONF_ASSIST_RATE_LIMIT): _whole_number_selector(
                1, MAX_ASSIST_RATE_LIMIT, "texts"
            ),
            vol.Required(CONF_PLAIN_PUNCTUATION): BooleanSelector(),
            vol.Required(CONF_USAGE_INTERVAL): _whole_number_selector(
                5, MAX_USAGE_INTERVAL_MINUTES, "min"
            ),
            vol.Required(CONF_FLOOD_GUARD): _whole_number_selector(0, MAX_FLOOD_GUARD, "texts"),
            vol.Required(CONF_BUDGET_SEGMENTS): _whole_number_selector(
                0, MAX_BUDGET_SEGMENTS, "segments"
            ),
            vol.Required(CONF_BUDGET_USD): vol.All(
                NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=MAX_BUDGET_USD,
                        step=0.01,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="USD",
                    )
                ),
                vol.Coerce(float),
            ),
            vol.Required(CONF_KEEP_CONVERSATIONS): BooleanSelector(),
            vol.Required(CONF_CONVERSATION_DAYS): _whole_number_selector(
                MIN_CONVERSATION_DAYS, MAX_CONVERSATION_DAYS, "d"
            ),
            vol.Required(CONF_CONVERSATION_MAX_MESSAGES): _whole_number_selector(
                MIN_CONVERSATION_MAX_MESSAGES, MAX_CONVERSATION_MAX_MESSAGES, "texts"
            ),
            vol.Required(CONF_PANEL_FOR_EVERYONE): BooleanSelector(),
        }
    )


def _reply_selector() -> vol.All[Any]:
    return vol.All(
        TextSelector(TextSelectorConfig(multiline=True)), vol.Length(max=MAX_REPLY_LENGTH)
    )


def _megabytes_selector(maximum: int) -> vol.All[Any]:
    return _whole_number_selector(1, maximum, "MB")


def _whole_number_selector(minimum: int, maximum: int, unit: str) -> vol.All[Any]:
    return vol.All(
        NumberSelector(
            NumberSelectorConfig(
                min=minimum,
                max=maximum,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement=unit,
            )
        ),
        vol.Coerce(int),
    )


def _rate_selector() -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=0.1,
            max=MAX_RATE,
            step=0.1,
            mode=NumberSelectorMode.BOX,
            unit_of_measurement="messages/s",
        )
    )


def _contact_schema(numbers: list[str], users: list[SelectOptionDict]) -> vol.Schema:
    """Return a contact's form; whether they may talk to Assist (as whom) folded away."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME): TextSelector(),
            vol.Required(CONF_NUMBER): TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEL, autocomplete="tel")
            ),
            vol.Optional(CONF_PREFERRED_DID): _did_selector(_did_options(numbers)),
            vol.Required(SECTION_ASSIST, default=dict): section(
                vol.Schema(
                    {
                        vol.Required(CONF_ALLOW_ASSIST, default=False): BooleanSelector(),
                        vol.Optional(CONF_ASSIST_USER): SelectSelector(
                            SelectSelectorConfig(options=users, mode=SelectSelectorMode.DROPDOWN)
                        ),
                        vol.Optional(CONF_ASSIST_PIPELINE): AssistPipelineSelector(),
                        vol.Optional(CONF_ASSIST_PASSPHRASE): _secret_selector(),
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _did_selector(options: list[SelectOptionDict], *, multiple: bool = False) -> SelectSelector:
    """Choose among numbers of the account: a list to tick for several, else a drop-down."""
    return SelectSelector(
        SelectSelectorConfig(
            options=options,
            multiple=multiple,
            mode=SelectSelectorMode.LIST if multiple else SelectSelectorMode.DROPDOWN,
        )
    )


def _did_options(numbers: list[str]) -> list[SelectOptionDict]:
    return [SelectOptionDict(value=number, label=format_number(number)) for number in numbers]


def _label(number: PhoneNumber) -> str:
    """Return "+1 206 555 0199 (alias)", or just the number when it has no alias."""
    formatted = format_number(number.number)
    return f"{formatted} ({number.alias})" if number.alias else formatted
