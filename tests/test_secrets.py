"""Credentials never leave the client: not in logs, events, repair issues or exception texts.

The test double is a server that breaks HTTP itself (a broken proxy, a captive portal, a
custom base URL): aiohttp then raises a ClientResponseError whose repr carries the request
headers, the Authorization header with the access and secret keys among them.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.flowroute import outbox as outbox_module
from custom_components.flowroute import pacing
from custom_components.flowroute import sending as sending_module
from custom_components.flowroute.api import FlowrouteClient, FlowrouteConnectionError
from custom_components.flowroute.const import (
    CONF_ACCESS_KEY,
    CONF_BASE_URL,
    CONF_DEFAULT_FROM,
    CONF_NUMBERS,
    CONF_RETRY_HORIZON,
    CONF_SECRET_KEY,
    DOMAIN,
    EVENT_SEND_FAILED,
)

from .conftest import DID_1, WEBHOOK_ID

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from homeassistant.core import HomeAssistant

ACCESS_KEY = "80427391"
SECRET_KEY = "s3cr3t-never-to-be-seen"
CREDENTIALS = base64.b64encode(f"{ACCESS_KEY}:{SECRET_KEY}".encode()).decode()
SECRETS = (SECRET_KEY, CREDENTIALS)
# What the broken server answers: aiohttp refuses the header, quoting it in its message.
BROKEN_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhello"


@pytest.fixture
async def broken_server(socket_enabled: None) -> AsyncIterator[str]:
    """A loopback server that answers every request with a malformed HTTP reply."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(BROKEN_REPLY)
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


def _assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a credential reached {where}: {text!r}"


async def test_client_errors_name_the_failure_without_the_request_headers(
    broken_server: str,
) -> None:
    async with aiohttp.ClientSession() as session:
        client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, session=session, base_url=broken_server)
        with pytest.raises(FlowrouteConnectionError) as caught:
            await client.list_numbers()
    error = caught.value
    # The cause's repr holds the Authorization header: it must not be in the error's text.
    assert isinstance(error.__cause__, aiohttp.ClientResponseError)
    assert CREDENTIALS in repr(error.__cause__)
    for text in (str(error), repr(error), str(error.__cause__)):
        _assert_no_secret(text, "the exception text")
    assert "ClientResponseError" in str(error)
    assert "\n" not in str(error)  # what the other end sent cannot forge log lines


async def test_no_secret_in_logs_events_or_repair_issues(
    hass: HomeAssistant,
    broken_server: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(outbox_module, "RECONCILE_DELAY", 0.05)
    monkeypatch.setattr(pacing, "BACKOFF_BASE", 0.02)
    monkeypatch.setattr(sending_module, "ACCEPT_WAIT", 0.2)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Flowroute behind a broken proxy",
        unique_id=ACCESS_KEY,
        data={
            CONF_ACCESS_KEY: ACCESS_KEY,
            CONF_SECRET_KEY: SECRET_KEY,
            CONF_NUMBERS: [DID_1],
            CONF_BASE_URL: broken_server,
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        # Given up after about a second, so the failure is reported within the test.
        options={CONF_DEFAULT_FROM: DID_1, CONF_RETRY_HORIZON: 0.0003},
    )
    entry.add_to_hass(hass)
    failed = async_capture_events(hass, EVENT_SEND_FAILED)
    # Start-up lists the numbers: the failure is logged and setup goes on (queueing).
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    for n in range(3):  # three failures raise the repair issue
        response: Any = await hass.services.async_call(
            DOMAIN,
            "send_message",
            {"to": f"+1 206 555 010{n}", "message": "Garage door is open"},
            blocking=True,
            return_response=True,
        )
        assert response["messages"][0]["status"] == "queued"
    async with asyncio.timeout(30):
        while len(failed) < 3:  # the outbox gives up on its own clock
            await asyncio.sleep(0.05)
    await hass.async_block_till_done()

    assert "ClientResponseError" in caplog.text  # the failure is described...
    _assert_no_secret(caplog.text, "the log")  # ...without the credentials
    for event in failed:
        _assert_no_secret(repr(event.data), "the flowroute_send_failed event")
    issues = [issue for issue in ir.async_get(hass).issues.values() if issue.domain == DOMAIN]
    assert "send_failures" in {issue.translation_key for issue in issues}
    for issue in issues:
        _assert_no_secret(repr(issue.translation_placeholders), "a repair issue")
    assert await hass.config_entries.async_unload(entry.entry_id)
