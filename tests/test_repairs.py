"""The repairs that tell the user, and fix what can be fixed; stored state fails closed.

Each issue is raised by its cause, explained in en.json (every placeholder given, no
secret in any), fixed through its flow where it has one (run as the frontend runs it, over
HTTP), and gone by itself once the cause is. These tests use real files in a directory
of their own (not the in-memory storage of the other modules): what is on disk, moved
aside or not written is part of the point.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.flowroute import opt_out as opt_out_module
from custom_components.flowroute.config_flow import CONF_SET_CALLBACKS, SECTION_ADVANCED
from custom_components.flowroute.const import (
    CONF_ACCESS_KEY,
    CONF_BASE_URL,
    CONF_CALLBACKS_POINTED,
    CONF_NUMBERS,
    CONF_SECRET_KEY,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    EVENT_SEND_FAILED,
)
from custom_components.flowroute.outbox import OutboundMessage
from custom_components.flowroute.repairs import (
    GUIDE_10DLC,
    GUIDE_TOLL_FREE,
    CallbacksProblem,
    async_registration_blocked,
    callbacks_problem,
    number_key,
)
from custom_components.flowroute.storage import UNREADABLE_SUFFIX
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.receipts import ReceiptRule
from simulator.state import CallbackKind

from .conftest import ACCESS_KEY, DID_1, DID_2, SECRET_KEY

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from aiohttp.test_utils import TestClient
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
OTHER = "12065550111"
WAITING = "12065550122"  # has a text waiting in the outbox from a previous run
UNREADABLE = "opt_out_list_unavailable"
ADDRESS = "https://ha.example.org"
OTHER_ADDRESS = "https://elsewhere.example.org"
# The issues' texts, as the frontend shows them.
ISSUE_TEXTS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "custom_components/flowroute/translations/en.json").read_text()
)["issues"]

type HassClient = Callable[[], Awaitable[TestClient]]


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


async def _open_fix(client: TestClient, issue_id: str) -> dict[str, Any]:
    """Open an issue's fix flow the way the frontend does; return its first step."""
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200
    step: dict[str, Any] = await response.json()
    return step


async def _submit(client: TestClient, step: dict[str, Any]) -> dict[str, Any]:
    """Submit a step of a fix flow (the confirmations have no fields)."""
    assert (step["type"], step["step_id"]) == ("form", "confirm")
    response = await client.post(f"/api/repairs/issues/fix/{step['flow_id']}", json={})
    assert response.status == 200
    result: dict[str, Any] = await response.json()
    return result


async def _fix(hass_client: HassClient, issue_id: str) -> dict[str, Any]:
    """Run an issue's fix flow the way the frontend does: open it, then submit."""
    client = await hass_client()
    return await _submit(client, await _open_fix(client, issue_id))


def _issue(hass: HomeAssistant, kind: str, entry: ConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


def _placeholders_used(texts: Any) -> set[str]:
    return set(re.findall(r"{(\w+)}", json.dumps(texts)))


def _assert_explained(
    issue: ir.IssueEntry | None, entry: ConfigEntry, step: dict[str, Any] | None = None
) -> ir.IssueEntry:
    """The issue has its texts, every placeholder they use, and no secret in any of them.

    A fixable issue is explained by its fix flow's step (Home Assistant shows no
    description then); `step`, the flow's form, must give the step's placeholders.
    """
    assert issue is not None
    assert issue.translation_key is not None
    texts = ISSUE_TEXTS[issue.translation_key]
    given = issue.translation_placeholders or {}
    assert _placeholders_used(texts["title"]) <= set(given)
    if issue.is_fixable:
        assert "description" not in texts
        flow = texts["fix_flow"]
        assert _placeholders_used([flow["step"], flow.get("error", {})]) <= set(given)
        if step is not None:
            assert step["description_placeholders"] == given
    else:
        assert "fix_flow" not in texts
        assert _placeholders_used(texts["description"]) <= set(given)
    assert entry.data[CONF_WEBHOOK_ID] not in json.dumps([given, issue.learn_more_url])
    return issue


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
    issue = _assert_explained(_issue(hass, UNREADABLE, config_entry), config_entry)
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
    assert _issue(hass, UNREADABLE, config_entry) is not None
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
    issue = _issue(hass, UNREADABLE, config_entry)
    assert issue is not None

    result = await _fix(hass_client, issue.issue_id)
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()  # the entry reloads

    assert _issue(hass, UNREADABLE, config_entry) is None
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
    issue = _assert_explained(issue_registry.async_get_issue(DOMAIN, issue_id), config_entry)
    assert (issue.is_fixable, issue.severity) == (False, ir.IssueSeverity.ERROR)
    # Still honoured while it cannot be saved.
    assert config_entry.runtime_data.opt_outs.is_opted_out(DID_1, HANDSET)

    await _run(hass, opt_outs_path.rmdir)
    await _wait_for(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None)
    saved = json.loads(await _run(hass, opt_outs_path.read_bytes))
    assert [row[0] for row in saved["data"]["dids"][DID_1]] == [HANDSET]


# Repeated send failures (outcomes.py decides what counts, repairs.py says so)


async def _refused(hass: HomeAssistant, simulator: RunningSimulator, count: int) -> None:
    """Have Flowroute refuse the next `count` texts, and send them."""
    simulator.add_fault(
        Fault(kind=FaultKind.STATUS, status=422, target=FaultTarget.SEND_SMS, count=count)
    )
    for _ in range(count):
        with pytest.raises(HomeAssistantError):
            await _send(hass, HANDSET, "hello")
    await hass.async_block_till_done()


async def test_refusals_fire_events_and_repeated_ones_raise_a_repair(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _setup(hass, config_entry)
    events = async_capture_events(hass, EVENT_SEND_FAILED)
    await _refused(hass, simulator, 2)
    assert _issue(hass, "send_failures", config_entry) is None  # two are events, not a problem
    await _refused(hass, simulator, 1)
    assert [(e.data["to"], e.data["from"], e.data["reason"]) for e in events] == [
        (HANDSET, DID_1, "rejected")
    ] * 3
    assert events[0].data["config_entry_id"] == config_entry.entry_id
    issue = _assert_explained(_issue(hass, "send_failures", config_entry), config_entry)
    assert (issue.is_fixable, issue.severity) == (False, ir.IssueSeverity.WARNING)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "3"

    # The next text that goes through clears it.
    await _send(hass, HANDSET, "hello")
    await hass.async_block_till_done()
    assert _issue(hass, "send_failures", config_entry) is None


async def test_a_text_that_goes_through_after_a_restart_clears_the_failures(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """The issue outlives a restart (the registry keeps it); the count does not."""
    await _setup(hass, config_entry)
    await _refused(hass, simulator, 3)
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, "send_failures", config_entry) is not None

    await _send(hass, HANDSET, "hello")
    await hass.async_block_till_done()
    assert _issue(hass, "send_failures", config_entry) is None


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


# Refused keys: Home Assistant's own reauthentication notice is the repair


async def test_refused_keys_ask_for_them_again_and_sending_resumes(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: RunningSimulator
) -> None:
    await _setup(hass, config_entry)
    simulator.add_fault(
        Fault(kind=FaultKind.STATUS, status=401, target=FaultTarget.SEND_SMS, count=1)
    )
    with pytest.raises(HomeAssistantError) as err:
        await _send(hass, HANDSET, "refused")
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    reauth_issue = f"config_entry_reauth_{DOMAIN}_{config_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(HOMEASSISTANT_DOMAIN, reauth_issue) is not None

    running = config_entry.runtime_data
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_SECRET_KEY: SECRET_KEY}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "reauth_successful")
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.runtime_data is not running  # reloaded with the keys
    assert ir.async_get(hass).async_get_issue(HOMEASSISTANT_DOMAIN, reauth_issue) is None
    [item] = (await _send(hass, HANDSET, "accepted again"))["messages"]
    assert item["status"] == "accepted"
    assert [attempt.body for attempt in simulator.state.send_attempts][-1] == "accepted again"


# No external URL (checked at start and whenever the core configuration changes)


async def test_missing_external_url_is_a_repair_until_set(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    await _setup(hass, config_entry)
    issue = _assert_explained(_issue(hass, "no_external_url", config_entry), config_entry)
    assert (issue.is_fixable, issue.severity) == (True, ir.IssueSeverity.WARNING)
    await hass.config.async_update(external_url=ADDRESS)
    await hass.async_block_till_done()
    assert _issue(hass, "no_external_url", config_entry) is None
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done()
    assert _issue(hass, "no_external_url", config_entry) is not None


async def test_the_external_url_fix_links_to_the_setting_and_checks_again(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_client: HassClient
) -> None:
    await _setup(hass, config_entry)
    client = await hass_client()
    step = await _open_fix(client, f"no_external_url_{config_entry.entry_id}")
    issue = _issue(hass, "no_external_url", config_entry)
    _assert_explained(issue, config_entry, step)
    assert step["description_placeholders"]["network_link"] == "/config/network"

    # Not set yet: the form says so and stays.
    step = await _submit(client, step)
    assert (step["type"], step["errors"]) == ("form", {"base": "still_no_url"})
    assert _issue(hass, "no_external_url", config_entry) is not None

    await hass.config.async_update(external_url=ADDRESS)
    result = await _submit(client, step)
    assert result["type"] == "create_entry"
    assert _issue(hass, "no_external_url", config_entry) is None
    # Now there is an address to point the callbacks at: the next repair offers it.
    assert _issue(hass, "callbacks_not_here", config_entry) is not None


# Callbacks at Flowroute that may not point here (Flowroute cannot be asked: the entry
# keeps a record of where the integration pointed them)


async def _add_account(
    hass: HomeAssistant, simulator: RunningSimulator, *, point_callbacks: bool
) -> ConfigEntry:
    """Add the simulator's account through the config flow, as a user would."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    for user_input in (
        {
            CONF_ACCESS_KEY: ACCESS_KEY,
            CONF_SECRET_KEY: SECRET_KEY,
            SECTION_ADVANCED: {CONF_BASE_URL: simulator.url},
        },
        {CONF_NUMBERS: [DID_1, DID_2]},
        {CONF_SET_CALLBACKS: point_callbacks},
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry: ConfigEntry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


def _pointed(simulator: RunningSimulator, numbers: list[str]) -> dict[tuple[str, str], str]:
    return {key: url for key, url in simulator.state.number_callbacks.items() if key[0] in numbers}


def _everywhere(numbers: list[str], url: str) -> dict[tuple[str, str], str]:
    return {(number, kind): url for number in numbers for kind in CallbackKind}


def _webhook_url(address: str, entry: ConfigEntry) -> str:
    return f"{address}/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"


async def test_callbacks_pointed_during_setup_are_recorded_and_need_no_repair(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    await hass.config.async_update(external_url=ADDRESS)
    entry = await _add_account(hass, simulator, point_callbacks=True)
    url = _webhook_url(ADDRESS, entry)
    assert entry.data[CONF_CALLBACKS_POINTED] == {"url": url, "numbers": [DID_2, DID_1]}
    assert _pointed(simulator, [DID_1, DID_2]) == _everywhere([DID_1, DID_2], url)
    assert _issue(hass, "callbacks_not_here", entry) is None
    assert _issue(hass, "no_external_url", entry) is None


async def test_callbacks_left_off_at_setup_are_a_warning_whose_fix_points_them_here(
    hass: HomeAssistant, simulator: RunningSimulator, hass_client: HassClient
) -> None:
    await hass.config.async_update(external_url=ADDRESS)
    entry = await _add_account(hass, simulator, point_callbacks=False)
    assert CONF_CALLBACKS_POINTED not in entry.data
    issue = _issue(hass, "callbacks_not_here", entry)
    client = await hass_client()
    step = await _open_fix(client, f"callbacks_not_here_{entry.entry_id}")
    issue = _assert_explained(issue, entry, step)
    assert (issue.severity, issue.translation_key) == (
        ir.IssueSeverity.WARNING,
        "callbacks_not_pointed",
    )
    assert step["description_placeholders"]["numbers"] == "…0199, …0188"
    assert step["description_placeholders"]["address"] == ADDRESS
    assert _pointed(simulator, [DID_1, DID_2]) == {}  # nothing changed before the submit

    running = entry.runtime_data
    result = await _submit(client, step)
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    url = _webhook_url(ADDRESS, entry)
    assert _pointed(simulator, [DID_1, DID_2]) == _everywhere([DID_1, DID_2], url)
    assert entry.data[CONF_CALLBACKS_POINTED] == {"url": url, "numbers": [DID_2, DID_1]}
    assert _issue(hass, "callbacks_not_here", entry) is None
    assert entry.runtime_data is running  # the record alone does not restart the entry


async def test_a_changed_address_is_a_repair_until_it_changes_back(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    await hass.config.async_update(external_url=ADDRESS)
    pointed = {"url": _webhook_url(ADDRESS, config_entry), "numbers": [DID_2, DID_1]}
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_CALLBACKS_POINTED: pointed}
    )
    await _setup(hass, config_entry)
    assert _issue(hass, "callbacks_not_here", config_entry) is None

    await hass.config.async_update(external_url=OTHER_ADDRESS)
    await hass.async_block_till_done()
    issue = _assert_explained(_issue(hass, "callbacks_not_here", config_entry), config_entry)
    assert (issue.severity, issue.translation_key) == (
        ir.IssueSeverity.ERROR,
        "callbacks_not_here",
    )
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["old_address"] == ADDRESS
    assert issue.translation_placeholders["address"] == OTHER_ADDRESS

    await hass.config.async_update(external_url=ADDRESS)
    await hass.async_block_till_done()
    assert _issue(hass, "callbacks_not_here", config_entry) is None
    # Without any address, the external URL is the issue, not the callbacks.
    await hass.config.async_update(external_url=None)
    await hass.async_block_till_done()
    assert _issue(hass, "callbacks_not_here", config_entry) is None
    assert _issue(hass, "no_external_url", config_entry) is not None


async def test_the_callbacks_fix_says_when_flowroute_refuses_then_works(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_client: HassClient,
) -> None:
    await hass.config.async_update(external_url=ADDRESS)
    await _setup(hass, config_entry)
    client = await hass_client()
    step = await _open_fix(client, f"callbacks_not_here_{config_entry.entry_id}")
    simulator.add_fault(
        Fault(kind=FaultKind.STATUS, status=500, target=FaultTarget.CALLBACKS, count=1)
    )

    step = await _submit(client, step)
    assert (step["type"], step["errors"]) == ("form", {"base": "callbacks_failed"})
    assert CONF_CALLBACKS_POINTED not in config_entry.data
    assert _issue(hass, "callbacks_not_here", config_entry) is not None

    result = await _submit(client, step)
    assert result["type"] == "create_entry"
    url = _webhook_url(ADDRESS, config_entry)
    assert _pointed(simulator, [DID_1, DID_2]) == _everywhere([DID_1, DID_2], url)
    assert _issue(hass, "callbacks_not_here", config_entry) is None


async def test_the_callbacks_fix_says_when_the_address_went_meanwhile(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    hass_client: HassClient,
) -> None:
    await hass.config.async_update(external_url=ADDRESS)
    await _setup(hass, config_entry)
    client = await hass_client()
    step = await _open_fix(client, f"callbacks_not_here_{config_entry.entry_id}")
    await hass.config.async_update(external_url=None)

    result = await _submit(client, step)
    assert (result["type"], result["errors"]) == ("form", {"base": "no_external_url"})
    assert result["description_placeholders"] == step["description_placeholders"]
    assert _pointed(simulator, [DID_1, DID_2]) == {}


async def test_the_callbacks_fix_needs_the_entry_loaded(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_client: HassClient
) -> None:
    await hass.config.async_update(external_url=ADDRESS)
    await _setup(hass, config_entry)
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    client = await hass_client()
    result = await _open_fix(client, f"callbacks_not_here_{config_entry.entry_id}")
    assert (result["type"], result["reason"]) == ("abort", "not_loaded")
    assert _issue(hass, "callbacks_not_here", config_entry) is not None


async def test_inbound_texts_show_the_callbacks_point_here(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    public_url: str,
) -> None:
    """Pointed by hand (in Flowroute's portal): each number's first text is the proof."""
    await hass.config.async_update(external_url=public_url)  # as public_url set it, checked
    await hass.async_block_till_done()
    assert _issue(hass, "callbacks_not_here", config_entry) is not None
    url = _webhook_url(public_url, config_entry)
    for kind in CallbackKind:
        simulator.state.set_number_callback(DID_1, kind, url)
    received = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    running = config_entry.runtime_data

    simulator.inject_inbound(from_=HANDSET, to=DID_1, body="hello")
    await simulator.idle()
    await hass.async_block_till_done()
    assert [event.data["body"] for event in received] == ["hello"]
    assert config_entry.data[CONF_CALLBACKS_POINTED] == {"url": url, "numbers": [DID_1]}
    # The other number is not shown to point here yet.
    issue = _assert_explained(_issue(hass, "callbacks_not_here", config_entry), config_entry)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["numbers"] == "…0188"

    for kind in CallbackKind:
        simulator.state.set_number_callback(DID_2, kind, url)
    simulator.inject_inbound(from_=HANDSET, to=DID_2, body="hello again")
    await simulator.idle()
    await hass.async_block_till_done()
    assert config_entry.data[CONF_CALLBACKS_POINTED] == {"url": url, "numbers": [DID_2, DID_1]}
    assert _issue(hass, "callbacks_not_here", config_entry) is None
    assert config_entry.runtime_data is running  # learning it did not restart the entry


@pytest.mark.parametrize(
    ("here", "record", "expected"),
    [
        ((), None, None),
        (("https://a/hook",), None, ("callbacks_not_pointed", "https://a/hook", [DID_1, DID_2])),
        (
            ("https://b/hook",),
            {"url": "https://a/hook", "numbers": [DID_1, DID_2]},
            ("callbacks_not_here", "https://b/hook", [DID_1, DID_2]),
        ),
        (
            ("https://cloud/hook", "https://a/hook"),
            {"url": "https://a/hook", "numbers": [DID_1]},
            ("callbacks_not_pointed", "https://a/hook", [DID_2]),
        ),
        (
            ("https://cloud/hook", "https://a/hook"),
            {"url": "https://a/hook", "numbers": [DID_1, DID_2]},
            None,
        ),
    ],
    ids=["no address", "never pointed", "address changed", "number added", "still here"],
)
def test_where_callbacks_may_not_point_here(
    here: tuple[str, ...],
    record: dict[str, Any] | None,
    expected: tuple[str, str, list[str]] | None,
) -> None:
    """Either URL that reaches here (the cloudhook or the external URL) counts."""
    found = callbacks_problem(here, record, [DID_1, DID_2])
    assert found == (
        None
        if expected is None
        else CallbacksProblem(key=expected[0], url=expected[1], numbers=expected[2])
    )


# Registration (receipts.py decides from the receipt code, repairs.py says so)


async def _send_with_receipt(
    hass: HomeAssistant, simulator: RunningSimulator, code: int | None
) -> None:
    if code is not None:
        simulator.set_receipts(ReceiptRule(code=code, count=1))
    await _send(hass, HANDSET, "hello")
    await simulator.idle()
    await hass.async_block_till_done()


async def test_a_number_carriers_block_unregistered_is_a_repair_until_a_text_arrives(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    public_url: str,
    hass_client: HassClient,
) -> None:
    issue_id = f"registration_{config_entry.entry_id}_{number_key(DID_1)}"
    await _send_with_receipt(hass, simulator, 1103)
    client = await hass_client()
    step = await _open_fix(client, issue_id)
    issue = _assert_explained(
        ir.async_get(hass).async_get_issue(DOMAIN, issue_id), config_entry, step
    )
    assert (issue.is_fixable, issue.translation_key) == (True, "registration_10dlc")
    assert issue.learn_more_url == GUIDE_10DLC
    assert step["description_placeholders"]["guide_url"] == GUIDE_10DLC
    assert step["description_placeholders"]["description"] == "source not authorized"

    # "I have registered it": the issue closes, and comes back with the next refusal.
    assert (await _submit(client, step))["type"] == "create_entry"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await _send_with_receipt(hass, simulator, 1150)
    issue = _assert_explained(ir.async_get(hass).async_get_issue(DOMAIN, issue_id), config_entry)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["code"] == "1150"

    # A delivered text shows the registration works: gone by itself.
    await _send_with_receipt(hass, simulator, None)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_a_toll_free_number_needs_verification_instead(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    await _setup(hass, config_entry)
    async_registration_blocked(hass, config_entry, "18005550100", 1160)
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"registration_{config_entry.entry_id}_{number_key('18005550100')}"
    )
    issue = _assert_explained(issue, config_entry)
    assert issue.translation_key == "registration_toll_free"
    assert issue.learn_more_url == GUIDE_TOLL_FREE


# Removing the entry removes the causes, so its issues go too


async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    await _setup(hass, config_entry)
    await _refused(hass, simulator, 3)
    async_registration_blocked(hass, config_entry, DID_2, 1103)
    ours = [issue_id for domain, issue_id in issue_registry.issues if domain == DOMAIN]
    assert len(ours) == 3  # send failures, registration, no external URL

    assert await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert [issue_id for domain, issue_id in issue_registry.issues if domain == DOMAIN] == []
