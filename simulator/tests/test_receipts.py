"""Delivery receipts: routing, shapes, every mode, failure codes per recipient, legacy v2."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from simulator import ReceiptMode, ReceiptRule

from .helpers import HANDSET, NUMBER, OTHER_HANDSET, Api, Sink, message


def levels(posts: list[Any]) -> list[tuple[int, str, int | None]]:
    return [
        (
            p["data"]["attributes"]["level"],
            p["data"]["attributes"]["status"],
            p["data"]["attributes"]["status_code"],
        )
        for p in posts
    ]


DELIVERED = [(1, "smsc submit", None), (2, "delivery success", 1004)]


async def send_and_settle(api: Api, sink: Sink, **attributes: Any) -> str:
    reply = await api.send(message(dlr_callback=sink.at("/dlr"), **attributes))
    assert reply.status == 202
    await api.sim.idle()
    message_id: str = reply.body["data"]["id"]
    return message_id


async def test_level_1_then_level_2_in_the_documented_shape(api: Api, sink: Sink) -> None:
    message_id = await send_and_settle(api, sink, body="Garage door is open")
    first, second = sink.bodies("/dlr")
    assert levels([first, second]) == DELIVERED
    data = second["data"]
    assert (data["id"], data["type"]) == (message_id, "delivery_receipt")
    assert data["links"] == {"related": f"{api.sim.url}/v2.1/messages/{message_id}"}
    attributes = data["attributes"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", attributes.pop("timestamp"))
    assert attributes == {
        "body": "Garage door is open",
        "level": 2,
        "status": "delivery success",
        "status_code": 1004,
        "status_code_description": "Message delivered to handset",
    }
    assert first["data"]["attributes"]["status_code_description"] is None


async def test_level_1_code_can_be_1003(api: Api, sink: Sink) -> None:
    api.sim.set_receipts(ReceiptRule(level1_code=1003))
    await send_and_settle(api, sink)
    first = sink.bodies("/dlr")[0]["data"]["attributes"]
    assert (first["status_code"], first["status_code_description"]) == (
        1003,
        "Message accepted by carrier",
    )


async def test_receipts_route_to_dlr_callback_then_number_then_account(
    api: Api, sink: Sink
) -> None:
    await api.set_account_callback("sms_dlr_callback", sink.at("/account"))
    await api.send(message())
    await api.sim.idle()
    await api.set_number_callback(NUMBER, "sms_dlr_callback", sink.at("/number"))
    await api.send(message())
    await api.sim.idle()
    await api.send(message(dlr_callback=sink.at("/own")))
    await api.sim.idle()
    assert [len(sink.bodies(path)) for path in ("/account", "/number", "/own")] == [2, 2, 2]


async def test_mms_receipts_use_the_mms_dlr_callback_and_an_empty_body(
    api: Api, sink: Sink
) -> None:
    sink.files["a.png"] = (b"png", "image/png")
    await api.set_number_callback(NUMBER, "sms_dlr_callback", sink.at("/sms-dlr"))
    await api.set_number_callback(NUMBER, "mms_dlr_callback", sink.at("/mms-dlr"))
    await api.send(message(body="look", media_urls=[sink.at("/files/a.png")]))
    await api.sim.idle()
    assert sink.bodies("/sms-dlr") == []
    assert [p["data"]["attributes"]["body"] for p in sink.bodies("/mms-dlr")] == ["", ""]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (ReceiptMode.NORMAL, DELIVERED),
        (ReceiptMode.DROP, []),
        (ReceiptMode.LEVEL1_ONLY, DELIVERED[:1]),
        (ReceiptMode.DUPLICATE, [DELIVERED[0], DELIVERED[0], DELIVERED[1], DELIVERED[1]]),
        (ReceiptMode.REVERSE, DELIVERED[::-1]),
    ],
)
async def test_receipt_modes(
    api: Api, sink: Sink, mode: ReceiptMode, expected: list[tuple[int, str, int | None]]
) -> None:
    api.sim.set_receipts(ReceiptRule(mode=mode))
    message_id = await send_and_settle(api, sink)
    posts = sink.bodies("/dlr")
    assert levels(posts) == expected
    if mode is ReceiptMode.DUPLICATE:
        assert posts[0] == posts[1]
        assert posts[2] == posts[3]
    record = api.sim.state.messages[message_id]
    assert sorted(receipt.level for receipt in record.receipts) == sorted(
        {level for level, _, _ in expected}
    )


async def test_delayed_receipts(api: Api, sink: Sink) -> None:
    api.sim.set_receipts(ReceiptRule(delay=0.3))
    await api.send(message(dlr_callback=sink.at("/dlr")))
    await asyncio.sleep(0.15)
    assert sink.posts == []
    await api.sim.idle()
    assert levels(sink.bodies("/dlr")) == DELIVERED


async def test_failure_code_for_one_recipient(api: Api, sink: Sink) -> None:
    api.sim.set_receipts(ReceiptRule(to=OTHER_HANDSET, code=1116))
    await send_and_settle(api, sink, to=OTHER_HANDSET)
    await send_and_settle(api, sink, to=HANDSET)
    await send_and_settle(api, sink, to=OTHER_HANDSET)
    posts = sink.bodies("/dlr")
    assert levels(posts) == [
        (1, "smsc submit", None),
        (2, "delivery failure", 1116),
        *DELIVERED,
        (1, "smsc submit", None),
        (2, "delivery failure", 1116),
    ]
    assert posts[1]["data"]["attributes"]["status_code_description"] == (
        "Destination not text-enabled"
    )


async def test_counted_rule_applies_to_the_next_messages_only(api: Api, sink: Sink) -> None:
    api.sim.set_receipts(ReceiptRule(code=1103, count=2))
    for _ in range(3):
        await send_and_settle(api, sink)
    codes = [code for level, _, code in levels(sink.bodies("/dlr")) if level == 2]
    assert codes == [1103, 1103, 1004]


@pytest.mark.parametrize(
    ("code", "level2"),
    [
        (1004, {"status": "delivered", "status_code": "1003"}),
        (1103, {"status": "undelivered", "status_code": "1103"}),
    ],
)
async def test_legacy_v2_receipts(api: Api, sink: Sink, code: int, level2: dict[str, str]) -> None:
    api.sim.set_receipts(ReceiptRule(legacy=True, code=code))
    message_id = await send_and_settle(api, sink, body="hello there")
    common = {"from": NUMBER, "to": HANDSET, "body": "hello there"}
    legacy_id = "mdr1-" + message_id.removeprefix("mdr2-")
    assert sink.bodies("/dlr") == [
        {"attributes": {"status": "sent", **common}, "type": "delivery_receipt", "id": legacy_id},
        {"attributes": level2 | common, "type": "delivery_receipt", "id": legacy_id},
    ]


async def test_receipt_rules_over_the_control_api(api: Api, sink: Sink) -> None:
    reply = await api.control("POST", "/receipts", {"mode": "reverse", "code": 1110})
    assert reply.status == 204
    counted = {"code": 1116, "to": OTHER_HANDSET, "count": 1}
    assert (await api.control("POST", "/receipts", counted)).status == 204
    shown = await api.control("GET", "/receipts")
    assert shown.body["default"]["mode"] == "reverse"
    assert [(rule["to"], rule["code"]) for rule in shown.body["rules"]] == [(OTHER_HANDSET, 1116)]
    await send_and_settle(api, sink)
    assert levels(sink.bodies("/dlr")) == [(2, "delivery failure", 1110), (1, "smsc submit", None)]
    for bad in ({"mode": "sideways"}, {"code": "1004"}, {"delay": -1}, {"colour": "red"}):
        assert (await api.control("POST", "/receipts", bad)).status == 400, bad


async def test_failed_receipt_posts_are_retried(api: Api, sink: Sink) -> None:
    sink.statuses["/dlr"] = [500]
    await send_and_settle(api, sink)
    assert [entry.status for entry in api.sim.state.callback_log] == [500, 200, 200]
    assert levels(sink.bodies("/dlr")) == [DELIVERED[0], DELIVERED[1], DELIVERED[0]]
