"""POST /v2.1/messages: the 202 answer, the record it leaves, and every validation error."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from simulator import Account, Direction, run_simulator

from .helpers import DISABLED_NUMBER, HANDSET, NUMBER, Api, message

if TYPE_CHECKING:
    import aiohttp


async def test_sms_is_accepted_and_recorded(api: Api) -> None:
    reply = await api.send(message(body="Garage door is open", dlr_callback=None))
    assert reply.status == 202
    message_id = reply.body["data"]["id"]
    assert re.fullmatch(r"mdr2-[0-9a-f]{32}", message_id)
    assert reply.body == {
        "data": {
            "id": message_id,
            "type": "message",
            "links": {"self": f"{api.sim.url}/v2.1/messages/{message_id}"},
        }
    }
    [record] = api.sim.state.sent_messages()
    assert record.message_id == message_id
    assert record.direction is Direction.OUTBOUND
    assert (record.from_number, record.to_number, record.body) == (
        NUMBER,
        HANDSET,
        "Garage door is open",
    )
    assert (record.encoding.value, record.segments, record.amount_nanodollars) == (
        "GSM-7",
        1,
        4_000_000,
    )
    [attempt] = api.sim.state.send_attempts
    assert (attempt.status, attempt.message_id, attempt.access_key) == (202, message_id, "12345678")


async def test_plain_json_content_type_is_accepted(api: Api) -> None:
    reply = await api.send(content_type="application/json; charset=utf-8")
    assert reply.status == 202


@pytest.mark.parametrize(
    ("body", "encoding", "segments", "price"),
    [
        ("a" * 160, "GSM-7", 1, 4_000_000),
        ("a" * 161, "GSM-7", 2, 8_000_000),
        ("a" * 281, "GSM-7", 3, 12_000_000),
        ("Café", "UCS-2", 1, 4_000_000),
        ("é" * 71, "UCS-2", 2, 8_000_000),
    ],
)
async def test_segments_and_price(
    api: Api, body: str, encoding: str, segments: int, price: int
) -> None:
    reply = await api.send(message(body=body))
    record = await api.get(f"/v2.1/messages/{reply.body['data']['id']}")
    attributes = record.body["data"]["attributes"]
    assert attributes["message_encoding"] == (0 if encoding == "GSM-7" else 8)
    assert attributes["amount_nanodollars"] == price
    [sent] = api.sim.state.sent_messages()
    assert (sent.encoding.value, sent.segments) == (encoding, segments)


async def test_international_number_is_accepted(api: Api) -> None:
    assert (await api.send(message(to="447700900123"))).status == 202


async def test_wrong_content_type_gets_415(api: Api) -> None:
    reply = await api.send(content_type="text/plain")
    assert reply.status == 415
    assert reply.error["title"] == "Unsupported Media Type"


async def test_malformed_json_gets_400(api: Api) -> None:
    reply = await api.call("POST", "/v2.1/messages", data=b"{not json")
    assert reply.status == 400
    assert "not a JSON object" in reply.error["detail"]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"to": HANDSET}, 'Expected {"data"'),
        ({"data": {"attributes": {"to": HANDSET}}}, 'data.type must be "message"'),
        ({"data": {"type": "message"}}, "data.attributes must be an object"),
        (message(to=None), "to is required"),
        (message(from_=None), "from is required"),
        (message(to="+12065550100"), "must not start with '+'"),
        (message(to="2065550100"), "need the leading 1"),
        (message(to=12065550100), "string of digits"),
        (message(from_="1206555019"), "11 digits"),
        (message(body=None), "body is required"),
        (message(body=""), "body is required"),
        (message(body=42), "body must be a string"),
        (message(is_mms="yes"), "is_mms must be true or false"),
        (message(media_urls="https://example.org/a.png"), "media_urls must be a list"),
        (message(media_urls=["ftp://example.org/a.png"]), "media_urls must be a list"),
        (message(is_mms=True, body=None), "an MMS needs media_urls or a body"),
        (message(dlr_callback="not a url"), "dlr_callback must be an http(s) URL"),
    ],
)
async def test_validation_errors_get_400(api: Api, body: dict[str, Any], detail: str) -> None:
    reply = await api.send(body)
    assert reply.status == 400
    assert reply.error["title"] == "Bad Request"
    assert detail in reply.error["detail"]
    assert api.sim.state.sent_messages() == []
    assert api.sim.state.send_attempts[-1].status == 400


async def test_sending_from_a_number_of_another_account_gets_403(
    session: aiohttp.ClientSession,
) -> None:
    other = Account.with_numbers("other", "other-secret", "13125550100")
    async with run_simulator([Account.with_numbers("mine", "secret", NUMBER), other]) as sim:
        api = Api(session, sim)
        for from_ in ("13125550100", "13125550199"):  # another account's, and nobody's
            reply = await api.send(message(from_=from_))
            assert reply.status == 403
            assert "not authorized to send from" in reply.error["detail"]


async def test_sending_from_a_number_without_messaging_gets_403(api: Api) -> None:
    reply = await api.send(message(from_=DISABLED_NUMBER))
    assert reply.status == 403
    assert reply.error["detail"] == f"{DISABLED_NUMBER} is not enabled for messaging"
