"""Message records: GET /v2.1/messages/{id} and the time-window listing with pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from simulator import Account, basic_authorization, run_simulator
from simulator.payloads import message_timestamp

from .helpers import (
    DISABLED_NUMBER,
    HANDSET,
    NUMBER,
    OTHER_HANDSET,
    Api,
    ManualWallClock,
    Sink,
    message,
)

if TYPE_CHECKING:
    import aiohttp


async def test_outbound_record_with_its_receipts(api: Api, sink: Sink) -> None:
    sent = await api.send(message(body="hello", dlr_callback=sink.at("/dlr")))
    message_id = sent.body["data"]["id"]
    queued = await api.get(f"/v2.1/messages/{message_id}")
    assert queued.body["data"]["attributes"]["status"] == "queued"
    await api.sim.idle()
    reply = await api.get(f"/v2.1/messages/{message_id}")
    assert reply.status == 200
    data = reply.body["data"]
    assert (data["id"], data["type"]) == (message_id, "message")
    assert data["links"]["self"] == f"{api.sim.url}/v2.1/messages/{message_id}"
    attributes = data["attributes"]
    assert attributes | {"timestamp": "T", "delivery_receipts": []} == {
        "amount_display": "$0.0040",
        "amount_nanodollars": 4_000_000,
        "body": "hello",
        "callback_url": sink.at("/dlr"),
        "delivery_receipts": [],
        "direction": "outbound",
        "from": NUMBER,
        "is_mms": False,
        "media_urls": [],
        "message_encoding": 0,
        "message_type": "longcode",
        "status": "delivery success",
        "timestamp": "T",
        "to": HANDSET,
    }
    assert [(r["level"], r["status_code"]) for r in attributes["delivery_receipts"]] == [
        (1, None),
        (2, 1004),
    ]


async def test_inbound_record(api: Api) -> None:
    record = api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="Hi there")
    reply = await api.get(f"/v2.1/messages/{record.message_id}")
    attributes = reply.body["data"]["attributes"]
    assert (attributes["direction"], attributes["status"], attributes["from"]) == (
        "inbound",
        "delivered",
        HANDSET,
    )


async def test_unknown_or_foreign_message_gets_404(session: aiohttp.ClientSession) -> None:
    other = Account.with_numbers("other", "other-secret", "13125550100")
    async with run_simulator([Account.with_numbers("mine", "secret", NUMBER), other]) as sim:
        api = Api(session, sim)
        theirs = await api.send(
            message(from_="13125550100"), auth=basic_authorization("other", "other-secret")
        )
        for message_id in (theirs.body["data"]["id"], "mdr2-" + "0" * 32):
            reply = await api.get(f"/v2.1/messages/{message_id}", auth=sim.authorization)
            assert reply.status == 404
            assert reply.error["title"] == "Not Found"


async def test_listing_by_time_window_with_pagination(session: aiohttp.ClientSession) -> None:
    wall = ManualWallClock()  # 2026-11-02T18:22:41.52Z
    async with run_simulator(utcnow=wall) as sim:
        api = Api(session, sim)
        for index in range(25):
            sim.inject_inbound(from_=HANDSET, to=NUMBER, body=f"message {index}")
            wall.advance(minutes=1)
        window = "start_date=2026-11-02T18:30:00Z&end_date=2026-11-02T18:45:00Z"
        first = await api.get(f"/v2.1/messages?{window}")
        assert first.status == 200
        assert len(first.body["data"]) == 10  # the default page
        assert first.body["data"][0]["attributes"]["timestamp"] == "2026-11-02T18:30:41.52Z"
        bodies: list[str] = []
        path: str | None = f"/v2.1/messages?{window}&limit=4"
        while path is not None:
            page = await api.get(path)
            bodies += [item["attributes"]["body"] for item in page.body["data"]]
            next_link = page.body["links"].get("next")
            path = next_link.removeprefix(sim.url) if next_link else None
        assert bodies == [f"message {index}" for index in range(8, 23)]
        everything = await api.get("/v2.1/messages?start_date=2026-11-02&limit=200")
        assert len(everything.body["data"]) == 25  # end_date defaults to now


async def test_listing_parameters_are_checked(api: Api) -> None:
    for query, detail in (
        ("", "start_date is required"),
        ("start_date=yesterday", "ISO 8601"),
        ("start_date=2026-11-02&end_date=2026-11-01", "before start_date"),
        ("start_date=2026-11-02&limit=500", "limit must be between 1 and 200"),
    ):
        reply = await api.get(f"/v2.1/messages?{query}")
        assert reply.status == 400
        assert detail in reply.error["detail"]


# Paging a month of records, and seeding one


async def _listing(api: Api, query: str) -> list[dict[str, Any]]:
    """Every record of a listing, following links.next from page to page."""
    items: list[dict[str, Any]] = []
    path: str | None = f"/v2.1/messages?{query}"
    while path is not None:
        page = await api.get(path)
        assert page.status == 200, page.body
        items += page.body["data"]
        next_link = page.body["links"].get("next")
        path = next_link.removeprefix(api.sim.url) if next_link else None
    return items


async def test_a_seeded_month_pages_whole_and_in_order(session: aiohttp.ClientSession) -> None:
    """Seeded records are listed oldest first, each once, inside the window, page by page."""
    wall = ManualWallClock()  # 2026-11-02T18:22:41.52Z
    async with run_simulator(utcnow=wall) as sim:
        api = Api(session, sim)
        reply = await api.control("POST", "/records/seed", {"count": 1000, "days": 30, "seed": 7})
        assert reply.status == 201
        summary = reply.body
        assert summary["count"] == 1000
        assert summary["outbound"] + summary["inbound"] == 1000
        assert "2026-10-03T18:22:41" <= summary["first"] <= summary["last"] <= "2026-11-02T18:23"
        # A live text after the seeding is listed too, in its place.
        wall.advance(seconds=1)
        sim.inject_inbound(from_=HANDSET, to=NUMBER, body="live")

        items = await _listing(api, "start_date=2026-10-01&limit=37")
        assert len(items) == 1001
        assert len({item["id"] for item in items}) == 1001
        stamps = [item["attributes"]["timestamp"] for item in items]
        assert stamps == sorted(stamps)
        assert items[-1]["attributes"]["body"] == "live"
        seeded = items[:-1]
        assert (
            sum(item["attributes"]["amount_nanodollars"] for item in seeded)
            == (summary["amount_nanodollars"])
        )
        assert (
            sum(item["attributes"]["direction"] == "outbound" for item in seeded)
            == (summary["outbound"])
        )

        # A window of one day, with Flowroute's longer time format, holds only its records.
        day = "start_date=2026-10-20T00:00:00.00Z&end_date=2026-10-21T00:00:00.00Z"
        one_day = await _listing(api, f"{day}&limit=200")
        assert one_day == [
            item for item in items if "2026-10-20" <= item["attributes"]["timestamp"] < "2026-10-21"
        ]
        assert 0 < len(one_day) < 100

        # Every page answered is in the log, with its window and what it returned.
        last = sim.state.record_listings[-1]
        assert (last.limit, last.offset, last.total) == (200, 0, len(one_day))
        assert last.start == datetime(2026, 10, 20, tzinfo=UTC)


async def test_seeded_records_look_like_real_ones(api: Api, sink: Sink) -> None:
    """Encodings, segments and prices follow Flowroute's rules; MMS have their picture."""
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    reply = await api.control(
        "POST",
        "/records/seed",
        {
            "count": 400,
            "days": 2,
            "directions": ["outbound", "inbound"],
            "dids": [NUMBER],
            "handsets": [HANDSET, OTHER_HANDSET],
            "mms_share": 0.2,
            "ucs2_share": 0.3,
            "long_share": 0.3,
            "seed": 1,
        },
    )
    assert reply.status == 201
    records = list(api.sim.state.messages.values())
    assert len(records) == 400
    assert {record.from_number for record in records} == {NUMBER, HANDSET, OTHER_HANDSET}
    by_kind = {(r.is_mms, r.encoding.value, r.segments) for r in records}
    assert (False, "UCS-2", 1) in by_kind  # a curly quote or an emoji
    assert (False, "GSM-7", 2) in by_kind  # more than 160 characters
    assert any(r.is_mms and r.amount_nanodollars == 19_500_000 for r in records)
    for record in records:
        if not record.is_mms:
            assert record.amount_nanodollars == 4_000_000 * record.segments
    outbound = [r for r in records if r.direction.value == "outbound"]
    assert {r.status for r in outbound} == {"delivery success"}
    assert reply.body["segments_outbound"] == sum(1 if r.is_mms else r.segments for r in outbound)

    picture = next(r for r in records if r.is_mms).media[0]
    served = await api.call("GET", picture.url.removeprefix(api.sim.url), anonymous=True)
    assert served.status == 200
    assert served.headers["Content-Type"] == "image/png"

    # History, not conversation: posted to no callback, not on the phone page.
    await api.sim.idle()
    assert sink.posts == []
    state = await api.call("GET", "/phone/api/state", anonymous=True)
    assert all(phone["thread"] == [] for phone in state.body["phones"])


async def test_the_same_seed_gives_the_same_records(session: aiohttp.ClientSession) -> None:
    """Tests and the demo can rely on what a seed makes."""
    end = "2026-11-30T12:00:00Z"
    seen: list[list[tuple[str, str, str | None]]] = []
    for _ in range(2):
        async with run_simulator() as sim:
            api = Api(session, sim)
            body = {"count": 50, "days": 3, "end": end, "seed": 42}
            assert (await api.control("POST", "/records/seed", body)).status == 201
            seen.append(
                [
                    (record.message_id, message_timestamp(record.timestamp), record.body)
                    for record in sim.state.messages_between(
                        sim.account.access_key,
                        datetime(2026, 11, 1, tzinfo=UTC),
                        datetime(2026, 12, 1, tzinfo=UTC),
                    )
                ]
            )
    assert seen[0] == seen[1]
    assert len(seen[0]) == 50
    assert "2026-11-27T12:00:00" <= seen[0][0][1] <= seen[0][-1][1] <= "2026-11-30T12:00:00.00Z"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "missing 1 required keyword-only argument: 'count'"),
        ({"count": 0}, "count must be between 1 and 200000"),
        ({"count": 10, "days": 0}, "days must be above 0"),
        ({"count": 10, "directions": []}, "directions must name"),
        ({"count": 10, "directions": ["sideways"]}, "sideways"),
        ({"count": 10, "dids": "12065550199"}, "list of strings"),
        ({"count": 10, "dids": ["13125550100"]}, "not a number of any simulated account"),
        ({"count": 10, "dids": [DISABLED_NUMBER]}, "not enabled for messaging"),
        ({"count": 10, "handsets": [NUMBER]}, "a handset is a number of a simulated account"),
        ({"count": 10, "handsets": ["+12065550100"]}, "must not start with '+'"),
        ({"count": 10, "end": "2026-11-30T12:00:00"}, "must have a time zone"),
        ({"count": 10, "mms_share": 2}, "mms_share must be between 0 and 1"),
        ({"count": 10, "ucs2_share": 0.6, "long_share": 0.6}, "together must be at most 1"),
        ({"count": 10, "seed": "x"}, "seed has the wrong type"),
        ({"count": 10, "colour": "blue"}, "colour"),
    ],
)
async def test_seeding_refuses_what_it_cannot_do(
    api: Api, body: dict[str, Any], detail: str
) -> None:
    reply = await api.control("POST", "/records/seed", body)
    assert reply.status == 400
    assert detail in reply.error["detail"]
    assert api.sim.state.messages == {}
