"""Stored state that protects people fails closed, and the repairs that tell the user.

These tests use real files in a directory of their own (not the in-memory storage of the
other modules): what is on disk, moved aside or not written is the point.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.flowroute import opt_out as opt_out_module
from custom_components.flowroute.const import DOMAIN, EVENT_SEND_FAILED
from custom_components.flowroute.outbox import OutboundMessage
from custom_components.flowroute.storage import UNREADABLE_SUFFIX
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.receipts import ReceiptRule

from .conftest import DID_1

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from aiohttp.test_utils import TestClient
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
OTHER = "12065550111"
WAITING = "12065550122"  # has a text waiting in the outbox from a previous run


def _envelope(entry_id: str, part: str, data: Any, version: int = 1) -> bytes:
    """A file as Home Assistant's Store writes it."""
    key = f"{DOMAIN}.{entry_id}.{part}"
    return json.dumps({"version": version, "minor_version": 1, "key": key, "data": data}).encode()


def _opt_outs(rows: list[list[Any]]) -> dict[str, Any]:
    return {"dids": {DID_1: rows}}


SAVED_LISTS: dict[str, Callable[[str], bytes | None]] = {
    "not JSON": lambda entry_id: _envelope(entry_id, "opt_outs", _opt_outs([]))[:-7],
    "wrong shape": lambda entry_id: _envelope(entry_id, "opt_outs", {"dids": [HANDSET]}),
    "not an envelope": lambda _: json.dumps({"dids": {DID_1: []}}).encode(),
    "one bad row": lambda entry_id: _envelope(
        entry_id,
        "opt_outs",
        _opt_outs([[HANDSET, "keyword", 1_790_000_000.0], [OTHER, "bogus", 1_790_000_001]]),
    ),
    "newer version": lambda entry_id: _envelope(
        entry_id, "opt_outs", _opt_outs([[HANDSET, "keyword", 1_790_000_000.0]]), version=2
    ),
    "unreadable": lambda _: None,  # a directory where the file should be: reading fails
}


# Store as Home Assistant ships it, taken before the test harness mocks it for each test.
_REAL_STORE = {
    name: getattr(Store, name) for name in ("_async_load", "_async_write_data", "async_remove")
}


@pytest.fixture(autouse=True)
def real_files(hass: HomeAssistant, tmp_path: Path) -> Iterator[None]:
    """From here on, every Store reads and writes real files, in the test's own directory.

    (The harness of Home Assistant 2025.4 has no fixture for a configuration directory.)
    """
    hass.config.config_dir = str(tmp_path)
    with patch.multiple(Store, **_REAL_STORE):
        yield


@pytest.fixture(autouse=True)
async def repairs(hass: HomeAssistant) -> None:
    """The repairs integration, set up before any HTTP client freezes the routes."""
    assert await async_setup_component(hass, "repairs", {})


def _path(hass: HomeAssistant, entry: MockConfigEntry, part: str) -> Path:
    return Path(hass.config.path(".storage", f"{DOMAIN}.{entry.entry_id}.{part}"))


async def _run(hass: HomeAssistant, func: Callable[..., Any], *args: Any) -> Any:
    """File system calls leave the event loop."""
    return await hass.async_add_executor_job(func, *args)


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def _send(hass: HomeAssistant, to: str, message: str) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "send_message", {"to": to, "message": message}, blocking=True, return_response=True
    )
    assert response is not None
    return response


async def _fix(hass_client: Callable[[], Awaitable[TestClient]], issue_id: str) -> dict[str, Any]:
    """Run an issue's fix flow the way the frontend does: open it, then submit."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200
    step = await response.json()
    assert (step["type"], step["step_id"]) == ("form", "confirm")
    response = await client.post(f"/api/repairs/issues/fix/{step['flow_id']}", json={})
    assert response.status == 200
    result: dict[str, Any] = await response.json()
    return result


async def _wait_for(predicate: Callable[[], bool]) -> None:
    """Wait for a state the integration reaches by itself (timers in the background)."""
    async with asyncio.timeout(30):
        while not predicate():
            await asyncio.sleep(0.02)


async def _save_unreadable_state(
    hass: HomeAssistant, entry: MockConfigEntry, saved: str
) -> bytes | None:
    """Write the opt-out list a test is about, and a text left in the outbox; return it."""
    opt_outs_path = _path(hass, entry, "opt_outs")
    await _run(hass, lambda: opt_outs_path.parent.mkdir(parents=True, exist_ok=True))
    content = SAVED_LISTS[saved](entry.entry_id)
    if content is None:
        await _run(hass, opt_outs_path.mkdir)
    else:
        await _run(hass, opt_outs_path.write_bytes, content)
    waiting = OutboundMessage(to=WAITING, from_did=DID_1, body="waited", created_at=time.time())
    outbox_file = _envelope(
        entry.entry_id, "outbox", {"messages": [waiting.to_dict()], "accepted": []}
    )
    await _run(hass, _path(hass, entry, "outbox").write_bytes, outbox_file)
    return content


def _unreadable_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    issue_id = f"opt_out_list_unavailable_{entry.entry_id}"
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


@pytest.mark.parametrize("saved", list(SAVED_LISTS))
async def test_an_unreadable_opt_out_list_stops_every_send(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator, saved: str
) -> None:
    content = await _save_unreadable_state(hass, config_entry, saved)

    # Setup succeeds, but nothing is sent: not from an action, not from the outbox.
    await _setup(hass, config_entry)
    assert not config_entry.runtime_data.opt_outs.available
    with pytest.raises(HomeAssistantError) as err:
        await _send(hass, OTHER, "hello")
    assert err.value.translation_key == "opt_out_list_unavailable"
    assert err.value.translation_placeholders == {"title": config_entry.title}
    issue = _unreadable_issue(hass, config_entry)
    assert issue is not None
    assert (issue.is_fixable, issue.severity) == (True, ir.IssueSeverity.ERROR)
    assert issue.translation_key == "opt_out_list_unavailable"
    assert issue.translation_placeholders is not None
    opt_outs_path = _path(hass, config_entry, "opt_outs")
    assert issue.translation_placeholders["path"] == str(opt_outs_path)
    assert issue.translation_placeholders["reason"]

    # Opt-outs that arrive meanwhile are honoured (in memory: the file is left alone).
    await hass.services.async_call(DOMAIN, "opt_out", {"number": HANDSET}, blocking=True)
    assert config_entry.runtime_data.opt_outs.is_opted_out(DID_1, HANDSET)

    # A restart of the entry without the fix changes nothing, on disk or off it.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert not config_entry.runtime_data.opt_outs.available
    assert _unreadable_issue(hass, config_entry) is not None
    if content is not None:
        assert await _run(hass, opt_outs_path.read_bytes) == content
    assert config_entry.runtime_data.outbox.pending == 1  # held, not failed
    assert simulator.state.send_attempts == []


@pytest.mark.parametrize("saved", list(SAVED_LISTS))
async def test_the_fix_starts_an_empty_list_and_keeps_the_file(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_client: Callable[[], Awaitable[TestClient]],
    saved: str,
) -> None:
    content = await _save_unreadable_state(hass, config_entry, saved)
    await _setup(hass, config_entry)
    await hass.services.async_call(DOMAIN, "opt_out", {"number": HANDSET}, blocking=True)
    issue = _unreadable_issue(hass, config_entry)
    assert issue is not None

    result = await _fix(hass_client, issue.issue_id)
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()  # the entry reloads

    assert _unreadable_issue(hass, config_entry) is None
    assert config_entry.state is ConfigEntryState.LOADED
    opt_outs = config_entry.runtime_data.opt_outs
    assert opt_outs.available
    opt_outs_path = _path(hass, config_entry, "opt_outs")
    [moved] = await _run(hass, lambda: list(opt_outs_path.parent.glob(f"*{UNREADABLE_SUFFIX}*")))
    assert moved.name.startswith(opt_outs_path.name)
    if content is not None:
        assert await _run(hass, moved.read_bytes) == content  # kept as it was
    # The new list: empty, plus what arrived before the fix.
    saved_list = json.loads(await _run(hass, opt_outs_path.read_bytes))
    assert [row[0] for row in saved_list["data"]["dids"][DID_1]] == [HANDSET]
    assert opt_outs.is_opted_out(DID_1, HANDSET)

    # Sending works again: the text that waited goes, and new ones.
    [item] = (await _send(hass, OTHER, "hello again"))["messages"]
    assert item["status"] == "accepted"
    await _wait_for(lambda: config_entry.runtime_data.outbox.pending == 0)
    assert sorted(a.to_number or "" for a in simulator.state.send_attempts) == [OTHER, WAITING]


async def test_a_readable_list_needs_no_repair(
    hass: HomeAssistant, config_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    """No file yet is an empty list, not a problem."""
    await _setup(hass, config_entry)
    assert config_entry.runtime_data.opt_outs.available
    issues = [issue for (domain, _), issue in issue_registry.issues.items() if domain == DOMAIN]
    assert all(not issue.issue_id.startswith("opt_out") for issue in issues)


async def test_a_text_the_outbox_cannot_save_is_refused(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Disk full: the action says so instead of answering "accepted" for nothing saved."""
    await _setup(hass, config_entry)
    outbox_path = _path(hass, config_entry, "outbox")
    await _run(hass, outbox_path.mkdir)  # where the outbox writes: every write fails

    with pytest.raises(HomeAssistantError) as err:
        await _send(hass, HANDSET, "lost?")
    assert err.value.translation_key == "outbox_not_saved"
    assert err.value.translation_placeholders["to"] == "+1 206 555 0100"
    assert config_entry.runtime_data.outbox.pending == 0
    assert simulator.state.send_attempts == []

    await _run(hass, outbox_path.rmdir)
    [item] = (await _send(hass, HANDSET, "saved"))["messages"]
    assert item["status"] == "accepted"
    assert [a.body for a in simulator.state.send_attempts] == ["saved"]


async def test_an_opt_out_that_cannot_be_saved_is_a_repair_until_it_is(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(opt_out_module, "SAVE_DELAY", 0.01)
    monkeypatch.setattr(opt_out_module, "SAVE_RETRY_DELAY", 0.05)
    await _setup(hass, config_entry)
    opt_outs_path = _path(hass, config_entry, "opt_outs")
    await _run(hass, opt_outs_path.mkdir)
    issue_id = f"opt_out_save_failed_{config_entry.entry_id}"

    await hass.services.async_call(DOMAIN, "opt_out", {"number": HANDSET}, blocking=True)
    await _wait_for(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert (issue.is_fixable, issue.severity) == (False, ir.IssueSeverity.ERROR)
    # Still honoured while it cannot be saved.
    assert config_entry.runtime_data.opt_outs.is_opted_out(DID_1, HANDSET)

    await _run(hass, opt_outs_path.rmdir)
    await _wait_for(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None)
    saved = json.loads(await _run(hass, opt_outs_path.read_bytes))
    assert [row[0] for row in saved["data"]["dids"][DID_1]] == [HANDSET]


# Repeated send failures (outcomes.py decides what counts, repairs.py says so)


async def test_refusals_fire_events_and_repeated_ones_raise_a_repair(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    await _setup(hass, config_entry)
    events = async_capture_events(hass, EVENT_SEND_FAILED)
    simulator.add_fault(
        Fault(kind=FaultKind.STATUS, status=422, target=FaultTarget.SEND_SMS, count=3)
    )
    for _ in range(3):
        with pytest.raises(HomeAssistantError):
            await hass.services.async_call(
                DOMAIN,
                "send_message",
                {"to": HANDSET, "message": "hello"},
                blocking=True,
                return_response=True,
            )
    await hass.async_block_till_done()
    assert [(e.data["to"], e.data["from"], e.data["reason"]) for e in events] == [
        (HANDSET, DID_1, "rejected")
    ] * 3
    assert events[0].data["config_entry_id"] == config_entry.entry_id
    issue_id = f"send_failures_{config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    # The next text that goes through clears it.
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"to": HANDSET, "message": "hello"},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_missing_external_url_is_a_repair_until_set(
    hass: HomeAssistant, config_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    await _setup(hass, config_entry)
    issue_id = f"no_external_url_{config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    await hass.config.async_update(external_url="https://ha.example.org")
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_recipient_who_opted_out_is_no_failure_to_repair(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Flowroute's 1110 is the recipient's choice: the opt-out list learns it, no repair."""
    await _setup(hass, config_entry)
    events = async_capture_events(hass, EVENT_SEND_FAILED)
    for n in range(3):
        number = f"1206555020{n}"
        simulator.inject_inbound(from_=number, to=DID_1, body="STOP")  # Flowroute's own block
        with pytest.raises(HomeAssistantError):
            await _send(hass, number, "hello")
    await hass.async_block_till_done()
    assert [event.data["status_code"] for event in events] == [1110] * 3
    assert issue_registry.async_get_issue(DOMAIN, f"send_failures_{config_entry.entry_id}") is None
    assert [item.number for item in config_entry.runtime_data.opt_outs.entries(DID_1)] == [
        f"1206555020{n}" for n in range(3)
    ]


# Registration (receipts.py decides from the receipt code, repairs.py says so)


async def test_a_number_carriers_block_unregistered_is_a_repair_until_a_text_arrives(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    public_url: str,
    issue_registry: ir.IssueRegistry,
) -> None:
    simulator.set_receipts(ReceiptRule(code=1103, count=1))
    await _send(hass, HANDSET, "blocked")
    await simulator.idle()
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, f"registration_{config_entry.entry_id}_{DID_1}")
    assert issue is not None
    assert issue.translation_key == "registration_10dlc"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["description"] == "source not authorized"

    await _send(hass, HANDSET, "delivered this time")
    await simulator.idle()
    await hass.async_block_till_done()
    assert (
        issue_registry.async_get_issue(DOMAIN, f"registration_{config_entry.entry_id}_{DID_1}")
        is None
    )
