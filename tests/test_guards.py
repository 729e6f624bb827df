"""The guard rails (guards.py) end to end: flowroute.send_message to the simulator.

The flood guard (texts to one number per hour), the daily segment budget, smart
punctuation made plain, and media URLs of types Flowroute does not send. The daily spend
budget reads the real usage coordinator's figure, read from the simulator's records.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from homeassistant.core import Context
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from PIL import Image
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.flowroute.const import (
    CONF_BUDGET_SEGMENTS,
    CONF_BUDGET_USD,
    CONF_DEFAULT_FROM,
    CONF_FLOOD_GUARD,
    CONF_MMS_RATE,
    CONF_PLAIN_PUNCTUATION,
    CONF_REPLY_COOLDOWN,
    CONF_RETRY_HORIZON,
    CONF_SMS_RATE,
    DOMAIN,
    EVENT_BUDGET_REACHED,
    EVENT_FLOOD_GUARD,
)
from custom_components.flowroute.repairs import number_key
from simulator.testing import run_simulator

from .conftest import ACCESS_KEY, DID_1, entry_data

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant

    from simulator.testing import RunningSimulator

HANDSET = "12065550100"
HANDSET_2 = "12065550101"
BOT = "12065550142"  # another system's number that answers every text
LIMIT = 30  # the flood guard's default
TIME_ZONE = "America/Chicago"  # midnight there is not midnight UTC
# Where the picture server answers with a JPEG: by its extension, without one, by a program.
MEDIA_PATHS = ("snap.jpg", "snapshot", "chart.php", "cgi-bin/snapshot.cgi")


def _jpeg() -> bytes:
    """A tiny JPEG (a real one: the simulator reads what it fetches)."""
    out = BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """The simulator, allowing bursts: thirty texts in a row need no pacing here."""
    async with run_simulator(
        callback_retry_interval=0.05, sms_rate_limit=1000, mms_rate_limit=1000
    ) as sim:
        yield sim


@pytest.fixture
def options() -> dict[str, Any]:
    """The guard rails' options of a test (a test parametrizes this)."""
    return {}


@pytest.fixture
def config_entry(simulator: RunningSimulator, options: dict[str, Any]) -> MockConfigEntry:
    """The simulator's account, with the test's guard options and room for bursts."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Flowroute +1 206 555 0199",
        unique_id=ACCESS_KEY,
        data=entry_data(simulator),
        options={
            CONF_DEFAULT_FROM: DID_1,
            CONF_SMS_RATE: 100.0,
            CONF_MMS_RATE: 100.0,
            CONF_RETRY_HORIZON: 24,
            **options,
        },
    )


@pytest.fixture
async def picture_server(socket_enabled: None) -> AsyncIterator[str]:
    """A public web server with one picture, at URLs with and without an extension."""
    app = web.Application()

    async def picture(request: web.Request) -> web.Response:
        return web.Response(body=_jpeg(), content_type="image/jpeg")

    for path in MEDIA_PATHS:
        app.router.add_get(f"/{path}", picture)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield str(server.make_url("/"))
    await server.close()


async def _send(
    hass: HomeAssistant, *, context: Context | None = None, **data: Any
) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "send_message", data, blocking=True, return_response=True, context=context
    )
    assert response is not None
    items: list[dict[str, Any]] = response["messages"]
    return items


async def _refused(hass: HomeAssistant, **data: Any) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as err:
        await _send(hass, **data)
    return err.value


async def _fill(hass: HomeAssistant, number: str, count: int) -> None:
    """Send `count` texts to `number`, each accepted by Flowroute."""
    for n in range(count):
        [item] = await _send(hass, to=number, message=f"Reading {n}")
        assert item["status"] == "accepted"


async def _text(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    entry: MockConfigEntry,
    sender: str,
    body: str,
) -> None:
    """Text the house, and wait until the keyword reply it asked for is sent or refused."""
    simulator.inject_inbound(from_=sender, to=DID_1, body=body)
    await simulator.idle()  # the webhook answered
    await hass.async_block_till_done()
    async with asyncio.timeout(30):
        # The reply is a background task of the entry (the outbox's tasks never end).
        while replies := [
            task
            for task in entry._background_tasks
            if isinstance(task, asyncio.Task) and task.get_name() == "flowroute keyword reply"
        ]:
            await asyncio.wait(replies)
    await hass.async_block_till_done()


def _texts_to(simulator: RunningSimulator, number: str) -> int:
    return sum(1 for record in simulator.state.sent_messages() if record.to_number == number)


def _flood_issue(hass: HomeAssistant, entry: MockConfigEntry, number: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"flood_guard_{entry.entry_id}_{number_key(number)}"
    )


def _budget_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"budget_reached_{entry.entry_id}")


# The flood guard


async def test_the_31st_text_to_one_number_in_an_hour_is_refused(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """The 31st text is refused before the outbox, with the translated error; others go."""
    events = async_capture_events(hass, EVENT_FLOOD_GUARD)
    await _fill(hass, HANDSET, LIMIT)
    attempts = len(simulator.state.send_attempts)
    context = Context()

    err = await _refused(hass, to=HANDSET, message="one too many", context=context)
    assert err.translation_key == "flood_guard"
    assert err.translation_placeholders == {"to": "+1 206 555 0100", "limit": "30"}
    assert str(err).startswith("+1 206 555 0100 has had 30 texts in the last hour")
    assert len(simulator.state.send_attempts) == attempts  # nothing reached Flowroute
    assert loaded.runtime_data.outbox.pending == 0

    # One event per hold, with the number, the limit and the caller's context.
    [event] = events
    assert event.context.id == context.id
    assert {key: event.data[key] for key in ("config_entry_id", "number", "limit")} == {
        "config_entry_id": loaded.entry_id,
        "number": HANDSET,
        "limit": LIMIT,
    }
    until = datetime.fromisoformat(event.data["until"])
    assert timedelta(minutes=59) < until - dt_util.utcnow() <= timedelta(hours=1)
    issue = _flood_issue(hass, loaded, HANDSET)
    assert issue is not None
    assert issue.translation_key == "flood_guard"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["number"] == "…0100"

    # Held back again: the same error, no second event.
    err = await _refused(hass, to=HANDSET, message="and another")
    assert err.translation_key == "flood_guard"
    assert len(events) == 1

    # Another number still gets its texts; in a send to both, only the held one is left out.
    [item] = await _send(hass, to=HANDSET_2, message="you are fine")
    assert item["status"] == "accepted"
    items = await _send(hass, to=[HANDSET, HANDSET_2], message="to both")
    assert [(item["to"], item["status"]) for item in items] == [
        (HANDSET, "blocked_flood_guard"),
        (HANDSET_2, "accepted"),
    ]
    assert items[0]["message_id"] is None
    assert (_texts_to(simulator, HANDSET), _texts_to(simulator, HANDSET_2)) == (LIMIT, 2)
    assert len(events) == 1


async def test_the_hold_lifts_when_the_hour_clears(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    """The repair issue goes when the oldest text is an hour old; texts go again after."""
    events = async_capture_events(hass, EVENT_FLOOD_GUARD)
    await _fill(hass, HANDSET, LIMIT)
    await _refused(hass, to=HANDSET, message="held")
    [event] = events
    assert datetime.fromisoformat(event.data["until"]) == dt_util.utcnow() + timedelta(hours=1)
    assert _flood_issue(hass, loaded, HANDSET) is not None

    freezer.tick(timedelta(minutes=59, seconds=59))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _flood_issue(hass, loaded, HANDSET) is not None
    assert (await _refused(hass, to=HANDSET, message="still held")).translation_key == (
        "flood_guard"
    )

    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _flood_issue(hass, loaded, HANDSET) is None
    [item] = await _send(hass, to=HANDSET, message="free again")
    assert item["status"] == "accepted"
    assert len(events) == 1

    # The new hour holds the same number again: a new hold, a new event and issue.
    await _fill(hass, HANDSET, LIMIT - 1)
    await _refused(hass, to=HANDSET, message="held again")
    assert len(events) == 2
    assert _flood_issue(hass, loaded, HANDSET) is not None


@pytest.mark.parametrize("options", [{CONF_FLOOD_GUARD: 0}])
async def test_zero_turns_the_flood_guard_off(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """With the option at 0, the 31st text and more go."""
    events = async_capture_events(hass, EVENT_FLOOD_GUARD)
    await _fill(hass, HANDSET, LIMIT + 5)
    assert _texts_to(simulator, HANDSET) == LIMIT + 5
    assert events == []
    assert _flood_issue(hass, loaded, HANDSET) is None


@pytest.mark.parametrize("options", [{CONF_FLOOD_GUARD: 3}])
async def test_texts_sent_at_once_do_not_slip_past_the_flood_guard(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Six sends at the same moment (an automation in parallel mode): three go, at the limit."""
    results = await asyncio.gather(
        *(_send(hass, to=HANDSET, message=f"at once {n}") for n in range(6)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ServiceValidationError)]
    assert [r.translation_key for r in refused] == ["flood_guard"] * 3
    assert _texts_to(simulator, HANDSET) == 3


async def test_a_reload_clears_the_flood_guard(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """After a reload (a restart) the hour starts clear: the issues go, texts go."""
    await _fill(hass, HANDSET, LIMIT)
    await _refused(hass, to=HANDSET, message="held")
    assert _flood_issue(hass, loaded, HANDSET) is not None

    assert await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done()
    assert _flood_issue(hass, loaded, HANDSET) is None
    [item] = await _send(hass, to=HANDSET, message="after the restart")
    assert item["status"] == "accepted"


@pytest.mark.parametrize("options", [{CONF_REPLY_COOLDOWN: 0}])
async def test_keyword_replies_count_so_a_ping_pong_with_a_bot_stops(
    hass: HomeAssistant, listening: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """A bot that answers every text with HELP gets 30 HELP replies, then nothing."""
    events = async_capture_events(hass, EVENT_FLOOD_GUARD)
    replies = 0
    for _ in range(LIMIT + 5):
        # The bot answers our last text (or starts) with a keyword that gets a reply.
        await _text(hass, simulator, listening, BOT, "HELP")
        if _texts_to(simulator, BOT) == replies:
            break  # no reply: the ping-pong stopped
        replies = _texts_to(simulator, BOT)
    assert replies == LIMIT
    [event] = events
    assert (event.data["number"], event.data["limit"]) == (BOT, LIMIT)
    assert _flood_issue(hass, listening, BOT) is not None

    # Keyword replies count toward texts sent by actions too, and the other way round.
    err = await _refused(hass, to=BOT, message="an automation's text")
    assert err.translation_key == "flood_guard"
    await _fill(hass, HANDSET, LIMIT)
    await _text(hass, simulator, listening, HANDSET, "HELP")
    assert _texts_to(simulator, HANDSET) == LIMIT


# The daily segment budget


@pytest.fixture
async def time_zone(hass: HomeAssistant) -> None:
    """Home Assistant's time zone, whose midnight is not UTC's."""
    await hass.config.async_set_time_zone(TIME_ZONE)


@pytest.mark.parametrize("options", [{CONF_BUDGET_SEGMENTS: 3}])
async def test_the_segment_budget_refuses_the_fourth_text_until_midnight(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    time_zone: None,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    """Three texts go; the fourth is refused until midnight in Home Assistant's zone."""
    freezer.move_to("2026-06-10 18:59:00-05:00")  # 23:59 UTC
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_BUDGET_REACHED)
    context = Context()

    await _fill(hass, HANDSET, 3)
    err = await _refused(hass, to=HANDSET_2, message="a fourth", context=context)
    assert err.translation_key == "budget_reached"
    assert err.translation_placeholders == {
        "title": config_entry.title,
        "budget": "3 segments",
    }
    assert str(err).startswith(f"The daily budget of {config_entry.title} (3 segments)")
    assert len(simulator.state.sent_messages()) == 3
    [event] = events
    assert event.context.id == context.id
    # (spend_today is the usage coordinator's figure, tested with it)
    assert event.data.keys() == {"config_entry_id", "budget", "segments_today", "spend_today"}
    assert (event.data["config_entry_id"], event.data["budget"], event.data["segments_today"]) == (
        config_entry.entry_id,
        "3 segments",
        3,
    )
    issue = _budget_issue(hass, config_entry)
    assert issue is not None
    assert issue.translation_key == "budget_reached"
    await _refused(hass, to=HANDSET_2, message="a fifth")
    assert len(events) == 1  # once a day

    # Midnight UTC is not the day's end.
    freezer.move_to("2026-06-10 19:01:00-05:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _budget_issue(hass, config_entry) is not None
    await _refused(hass, to=HANDSET_2, message="still today")

    freezer.move_to("2026-06-11 00:00:05-05:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _budget_issue(hass, config_entry) is None
    [item] = await _send(hass, to=HANDSET_2, message="a new day")
    assert item["status"] == "accepted"
    assert len(simulator.state.sent_messages()) == 4


@pytest.mark.parametrize("options", [{CONF_BUDGET_SEGMENTS: 5}])
async def test_an_mms_counts_one_segment_and_a_long_text_its_segments(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    picture_server: str,
) -> None:
    """A text's cost in segments is what the budget counts, for every recipient."""
    [item] = await _send(
        hass, to=HANDSET, message="x" * 300, media_urls=[f"{picture_server}snap.jpg"]
    )
    assert (item["status"], item["segments"]) == ("accepted", 1)
    [item] = await _send(hass, to=HANDSET, message="y" * 300)
    assert (item["status"], item["segments"]) == ("accepted", 3)
    # 4 of 5 spent: a 2-segment text would break the budget, one of 1 segment fits.
    err = await _refused(hass, to=HANDSET, message="z" * 200)
    assert err.translation_key == "budget_reached"
    assert len(simulator.state.sent_messages()) == 2
    # Two recipients of a 1-segment text cost 2: refused as a whole.
    await _refused(hass, to=[HANDSET, HANDSET_2], message="both")
    assert len(simulator.state.sent_messages()) == 2
    [item] = await _send(hass, to=HANDSET_2, message="the last one")
    assert item["status"] == "accepted"
    await _refused(hass, to=HANDSET_2, message="no more")


@pytest.mark.parametrize("options", [{CONF_BUDGET_SEGMENTS: 3}])
async def test_sends_at_once_do_not_slip_past_the_budget(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Six 1-segment texts at the same moment, to six numbers: three go."""
    results = await asyncio.gather(
        *(_send(hass, to=f"1206555011{n}", message="at once") for n in range(6)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, ServiceValidationError)]
    assert [r.translation_key for r in refused] == ["budget_reached"] * 3
    assert len(simulator.state.sent_messages()) == 3


@pytest.mark.parametrize("options", [{CONF_BUDGET_SEGMENTS: 3}])
async def test_the_day_s_count_survives_a_reload(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    time_zone: None,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    """What was sent today still counts after a reload; the issue still goes at midnight."""
    freezer.move_to("2026-06-10 12:00:00-05:00")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    await _fill(hass, HANDSET, 2)
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    await _fill(hass, HANDSET, 1)
    await _refused(hass, to=HANDSET, message="the budget is spent")
    assert _budget_issue(hass, config_entry) is not None

    # Reloaded while the budget is spent: the issue stays, and still goes at midnight
    # (though this run refused nothing itself).
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _budget_issue(hass, config_entry) is not None
    freezer.move_to("2026-06-11 00:00:05-05:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _budget_issue(hass, config_entry) is None
    [item] = await _send(hass, to=HANDSET, message="a new day")
    assert item["status"] == "accepted"


# Smart punctuation and media types


async def test_smart_punctuation_is_made_plain_by_default(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Curly quotes, dashes and an ellipsis reach Flowroute as plain ASCII, in GSM-7."""
    body = "It\u2019s \u201cdone\u201d \u2014 ok\u2026 " + "x" * 80  # 99 characters
    [item] = await _send(hass, to=HANDSET, message=body)
    assert (item["encoding"], item["segments"]) == ("GSM-7", 1)  # UCS-2 would be 2
    assert "ucs2_character" not in item
    [record] = simulator.state.sent_messages()
    assert record.body == 'It\'s "done" - ok... ' + "x" * 80


@pytest.mark.parametrize("options", [{CONF_PLAIN_PUNCTUATION: False}])
async def test_without_the_option_smart_punctuation_stays_ucs2(
    hass: HomeAssistant, loaded: MockConfigEntry, simulator: RunningSimulator
) -> None:
    """Off, the text goes as written, and the response says which character made it UCS-2."""
    body = "It\u2019s done " + "x" * 80
    [item] = await _send(hass, to=HANDSET, message=body)
    assert (item["encoding"], item["segments"], item["ucs2_character"]) == ("UCS-2", 2, "\u2019")
    [record] = simulator.state.sent_messages()
    assert record.body == body


@pytest.mark.parametrize(
    ("message", "character"), [("Door open \U0001f6aa", "\U0001f6aa"), ("Caf\u00e9 at 8", "\u00e9")]
)
async def test_a_text_that_stays_ucs2_says_which_character(
    hass: HomeAssistant, loaded: MockConfigEntry, message: str, character: str
) -> None:
    """Letters and emoji are never changed; the response names the first one."""
    [item] = await _send(hass, to=HANDSET, message=f"\u201c{message}\u201d")
    assert (item["encoding"], item["ucs2_character"]) == ("UCS-2", character)


@pytest.mark.parametrize(
    ("url", "content_type"),
    [("https://example.org/a.webp", "image/webp"), ("https://example.org/page.html", "text/html")],
)
async def test_media_urls_of_types_flowroute_does_not_send_are_refused(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    url: str,
    content_type: str,
) -> None:
    """Refused by the URL's extension, before anything is fetched or sent."""
    err = await _refused(hass, to=HANDSET, message="look", media_urls=[url])
    assert err.translation_key == "unsupported_media_type"
    assert err.translation_placeholders == {
        "media": url.rsplit("/", 1)[1],
        "content_type": content_type,
    }
    assert simulator.state.send_attempts == []


@pytest.mark.parametrize("path", MEDIA_PATHS)
async def test_media_urls_of_sendable_or_unknown_types_pass(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    simulator: RunningSimulator,
    picture_server: str,
    path: str,
) -> None:
    """A .jpg goes as an MMS, and so does a URL whose name says no type (Flowroute decides).

    A program's extension (.php, .cgi) says no type either, whichever Python reads it.
    """
    [item] = await _send(hass, to=HANDSET, message="look", media_urls=[f"{picture_server}{path}"])
    assert item["status"] == "accepted"
    [record] = simulator.state.sent_messages()
    assert record.is_mms


@pytest.mark.freeze_time(tick=True)
@pytest.mark.parametrize("options", [{CONF_BUDGET_USD: 0.01}])
async def test_the_spend_budget_follows_what_the_message_records_report(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: RunningSimulator,
) -> None:
    """The dollar budget reads the day's spend the usage coordinator last read."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_BUDGET_REACHED)

    # $0.004 a segment at the simulator: three texts spend $0.012, but until the records
    # are read again the spend known is that of the last read (none).
    await _fill(hass, HANDSET, 3)
    usage = config_entry.runtime_data.usage
    assert usage.spend_today() == 0
    freezer.tick(timedelta(seconds=2))  # the records API lists whole seconds
    await usage.async_refresh()
    assert usage.spend_today() == 12_000_000

    err = await _refused(hass, to=HANDSET_2, message="one more")
    assert err.translation_key == "budget_reached"
    assert err.translation_placeholders == {"title": config_entry.title, "budget": "$0.01"}
    [event] = events
    assert event.data["spend_today"] == "0.012"
    assert _budget_issue(hass, config_entry) is not None
    assert len(simulator.state.sent_messages()) == 3
