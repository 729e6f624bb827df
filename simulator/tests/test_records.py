"""Message records: GET /v2.1/messages/{id} and the time-window listing with pagination."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import Account, basic_authorization, run_simulator

from .helpers import HANDSET, NUMBER, Api, ManualWallClock, Sink, message

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
