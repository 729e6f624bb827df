"""FlowrouteClient against a fake Flowroute over loopback HTTP."""

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import aiohttp
import pytest
from aiohttp import web

from custom_components.flowroute.api import (
    CallbackType,
    ErrorDetail,
    FlowrouteAuthenticationError,
    FlowrouteClient,
    FlowrouteConnectionError,
    FlowrouteForbiddenError,
    FlowrouteInvalidResponseError,
    FlowrouteRateLimitError,
    FlowrouteRequestRejectedError,
    FlowrouteResponseError,
    FlowrouteTimeoutError,
    FlowrouteUnavailableError,
    MessageRecord,
    PhoneNumber,
    SentMessage,
)
from custom_components.flowroute.api.errors import response_error

from .conftest import ACCESS_KEY, AUTHORIZATION, SECRET_KEY, FakeFlowroute, Handler
from .payloads import ERROR_405, MESSAGE_RECORD, NUMBERS_PAGE, SEND_ACCEPTED, error_body

JSON_API = "application/vnd.api+json"
ALL_NUMBERS = [f"120655501{index:02}" for index in range(5)]


def numbers_handler(*, absolute_links: bool, page_limit: int = 2) -> Handler:
    """Serve ALL_NUMBERS `page_limit` at a time (ignoring the asked limit), like a capped page."""

    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query["offset"])
        numbers = ALL_NUMBERS[offset : offset + page_limit]
        document: dict[str, object] = {
            "data": [
                {"id": n, "type": "number", "attributes": {"value": n, "number_type": "longcode"}}
                for n in numbers
            ]
        }
        if offset + page_limit < len(ALL_NUMBERS):
            path = f"/v2/numbers?limit=200&offset={offset + page_limit}"
            # Flowroute's links are absolute; they must not take us off the fake's host.
            next_link = f"https://api.flowroute.com{path}" if absolute_links else path
            document["links"] = {"next": next_link}
        return web.json_response(document)

    return handler


@pytest.mark.parametrize("absolute_links", [True, False])
async def test_list_numbers_follows_next_links(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, absolute_links: bool
) -> None:
    fake_flowroute.handle("GET", "/v2/numbers", numbers_handler(absolute_links=absolute_links))

    numbers = await client.list_numbers()

    assert [number.number for number in numbers] == ALL_NUMBERS
    assert [r.query for r in fake_flowroute.requests] == [
        {"limit": "200", "offset": "0"},
        {"limit": "200", "offset": "2"},
        {"limit": "200", "offset": "4"},
    ]
    first = fake_flowroute.requests[0]
    assert first.headers["Authorization"] == AUTHORIZATION
    assert first.headers["Accept"] == JSON_API


async def test_list_numbers_single_documented_page(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    page = {key: value for key, value in NUMBERS_PAGE.items() if key != "links"}
    fake_flowroute.reply("GET", "/v2/numbers", json_body=page)

    assert await client.list_numbers() == [
        PhoneNumber(number="12065550199", number_type="longcode", rate_center="seattle", state="wa")
    ]
    assert len(fake_flowroute.requests) == 1


async def test_list_numbers_stops_at_an_empty_page(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    fake_flowroute.reply(
        "GET", "/v2/numbers", json_body={"data": [], "links": {"next": "/v2/numbers?offset=200"}}
    )

    assert await client.list_numbers() == []
    assert len(fake_flowroute.requests) == 1


@pytest.mark.parametrize(
    ("next_link", "message"),
    [("/v2/numbers?limit=200&offset=0", "loop back"), ("http://[::1", "bad next link")],
)
async def test_list_numbers_refuses_broken_next_links(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, next_link: str, message: str
) -> None:
    fake_flowroute.reply(
        "GET", "/v2/numbers", json_body={**NUMBERS_PAGE, "links": {"next": next_link}}
    )

    with pytest.raises(FlowrouteInvalidResponseError, match=message):
        await client.list_numbers()


async def test_wrong_credentials_raise_authentication_error(
    fake_flowroute: FakeFlowroute, session: aiohttp.ClientSession
) -> None:
    client = FlowrouteClient(ACCESS_KEY, "wrong", session=session, base_url=fake_flowroute.url)
    fake_flowroute.reply("GET", "/v2/numbers", json_body=NUMBERS_PAGE)

    with pytest.raises(FlowrouteAuthenticationError) as caught:
        await client.list_numbers()

    assert caught.value.status == 401
    assert caught.value.title == "Unauthorized"
    assert caught.value.detail == "Invalid credentials"


@pytest.mark.parametrize("dlr_callback", [None, "https://ha.example.org/api/webhook/abc"])
async def test_send_sms(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, dlr_callback: str | None
) -> None:
    fake_flowroute.reply("POST", "/v2.1/messages", 202, json_body=SEND_ACCEPTED)

    sent = await client.send_sms(
        to="12065550100", from_="12065550199", body="Garage door is open", dlr_callback=dlr_callback
    )

    assert sent == SentMessage(message_id="mdr2-39cadeace66e11e7aff806cd7f24ba2d")
    (request,) = fake_flowroute.requests
    assert request.headers["Content-Type"] == JSON_API
    assert request.headers["Accept"] == JSON_API
    attributes = {"to": "12065550100", "from": "12065550199", "body": "Garage door is open"}
    if dlr_callback:
        attributes["dlr_callback"] = dlr_callback
    assert request.json() == {"data": {"type": "message", "attributes": attributes}}


@pytest.mark.parametrize("body", [None, "Snapshot"])
async def test_send_mms(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, body: str | None
) -> None:
    fake_flowroute.reply("POST", "/v2.1/messages", 202, json_body=SEND_ACCEPTED)

    sent = await client.send_mms(
        to="12065550100",
        from_="12065550199",
        body=body,
        media_urls=("https://example.org/snap.jpg",),
        dlr_callback="https://ha.example.org/api/webhook/abc",
    )

    assert sent.message_id == "mdr2-39cadeace66e11e7aff806cd7f24ba2d"
    attributes = {
        "to": "12065550100",
        "from": "12065550199",
        "media_urls": ["https://example.org/snap.jpg"],
        "is_mms": True,
        "dlr_callback": "https://ha.example.org/api/webhook/abc",
    }
    if body is not None:
        attributes["body"] = body
    assert fake_flowroute.requests[0].json() == {
        "data": {"type": "message", "attributes": attributes}
    }


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (302, FlowrouteResponseError),
        (400, FlowrouteRequestRejectedError),
        (401, FlowrouteAuthenticationError),
        (403, FlowrouteForbiddenError),
        (404, FlowrouteRequestRejectedError),
        (405, FlowrouteRequestRejectedError),
        (415, FlowrouteRequestRejectedError),
        (422, FlowrouteRequestRejectedError),
        (429, FlowrouteRateLimitError),
        (500, FlowrouteUnavailableError),
        (502, FlowrouteUnavailableError),
        (503, FlowrouteUnavailableError),
    ],
)
async def test_status_maps_to_error_class(
    fake_flowroute: FakeFlowroute,
    client: FlowrouteClient,
    status: int,
    error_class: type[FlowrouteResponseError],
) -> None:
    # A redirect is not followed: it could carry the credentials to another host.
    headers = {"Location": "https://elsewhere.example/v2.1/messages"} if status == 302 else None
    fake_flowroute.reply(
        "POST",
        "/v2.1/messages",
        status,
        json_body=error_body(status, "Some Title", "Some detail"),
        headers=headers,
    )

    with pytest.raises(error_class) as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert type(caught.value) is error_class
    assert caught.value.status == status
    assert caught.value.title == "Some Title"
    assert str(caught.value) == f"Flowroute answered HTTP {status} Some Title: Some detail"
    assert len(fake_flowroute.requests) == 1


async def test_documented_405_body(fake_flowroute: FakeFlowroute, client: FlowrouteClient) -> None:
    fake_flowroute.reply("PUT", "/v2.1/messages/sms_callback", 405, json_body=ERROR_405)

    with pytest.raises(FlowrouteRequestRejectedError) as caught:
        await client.set_account_callback(CallbackType.SMS, "https://ha.example.org/hook")

    assert caught.value.errors == (
        ErrorDetail(
            id="a72cab15-...",
            status=405,
            title="Method Not Allowed",
            detail="The method is not allowed for the requested URL.",
        ),
    )
    assert caught.value.error_id == "a72cab15-..."
    assert caught.value.code is None


async def test_opted_out_recipient_gives_code_1110(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    detail = "Recipient has opted out (1110)"
    fake_flowroute.reply(
        "POST", "/v2.1/messages", 400, json_body=error_body(400, "Bad Request", detail, code=1110)
    )

    with pytest.raises(FlowrouteRequestRejectedError) as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert caught.value.code == 1110
    assert caught.value.detail == detail
    assert "(code 1110)" in str(caught.value)


async def test_error_detail_object_and_missing_title(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    detail = {"code": "1110", "message": "opted out"}
    fake_flowroute.reply("POST", "/v2.1/messages", 400, json_body=error_body(400, None, detail))

    with pytest.raises(FlowrouteRequestRejectedError) as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert caught.value.title is None
    assert caught.value.detail == detail
    assert caught.value.code == 1110
    assert str(caught.value).startswith("Flowroute answered HTTP 400: {")


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b"",
        b'{"message": "not the documented shape"}',
        b'{"errors": "oops"}',
        b'{"errors": ["oops", 3]}',
        b"\xff\xfe\x00",
    ],
)
async def test_undocumented_error_bodies_still_raise_by_status(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, body: bytes
) -> None:
    fake_flowroute.reply("GET", "/v2/numbers", 503, body=body)

    with pytest.raises(FlowrouteUnavailableError) as caught:
        await client.list_numbers()

    assert caught.value.errors == ()
    assert caught.value.title is None
    assert caught.value.detail is None
    assert str(caught.value) == "Flowroute answered HTTP 503"


@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [
        ("3", 3.0, 3.0),
        ("0.5", 0.5, 0.5),
        ("-4", 0.0, 0.0),
        (timedelta(seconds=120), 100.0, 120.0),  # an HTTP-date two minutes ahead
        (timedelta(seconds=-120), 0.0, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0, 0.0),  # no zone given: read as UTC
    ],
)
async def test_rate_limit_retry_after(
    fake_flowroute: FakeFlowroute,
    client: FlowrouteClient,
    retry_after: str | timedelta,
    low: float,
    high: float,
) -> None:
    if isinstance(retry_after, timedelta):
        retry_after = format_datetime(datetime.now(UTC) + retry_after, usegmt=True)
    fake_flowroute.reply(
        "POST",
        "/v2.1/messages",
        429,
        json_body=error_body(429, "Too Many Requests", "Rate limit exceeded"),
        headers={"Retry-After": retry_after},
    )

    with pytest.raises(FlowrouteRateLimitError) as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert caught.value.retry_after is not None
    assert low <= caught.value.retry_after <= high


@pytest.mark.parametrize("retry_after", [None, "soon", "nan", "inf"])
async def test_rate_limit_without_usable_retry_after(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, retry_after: str | None
) -> None:
    headers = None if retry_after is None else {"Retry-After": retry_after}
    fake_flowroute.reply("POST", "/v2.1/messages", 429, body=b"", headers=headers)

    with pytest.raises(FlowrouteRateLimitError) as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert caught.value.retry_after is None


async def test_connection_refused_never_reached(
    session: aiohttp.ClientSession, closed_port: int
) -> None:
    client = FlowrouteClient(
        ACCESS_KEY, SECRET_KEY, session=session, base_url=f"http://127.0.0.1:{closed_port}"
    )

    with pytest.raises(FlowrouteConnectionError) as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert type(caught.value) is FlowrouteConnectionError
    assert caught.value.may_have_reached is False


async def test_invalid_base_url_never_reached(session: aiohttp.ClientSession) -> None:
    client = FlowrouteClient(ACCESS_KEY, SECRET_KEY, session=session, base_url="no-scheme")

    with pytest.raises(FlowrouteConnectionError) as caught:
        await client.list_numbers()

    assert caught.value.may_have_reached is False


async def test_dropped_connection_may_have_reached(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    fake_flowroute.handle("POST", "/v2.1/messages", fake_flowroute.hang_up)

    with pytest.raises(FlowrouteConnectionError) as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert type(caught.value) is FlowrouteConnectionError
    assert caught.value.may_have_reached is True
    assert len(fake_flowroute.requests) == 1


async def test_stalled_reply_times_out(
    fake_flowroute: FakeFlowroute, session: aiohttp.ClientSession
) -> None:
    client = FlowrouteClient(
        ACCESS_KEY, SECRET_KEY, session=session, base_url=fake_flowroute.url, request_timeout=0.2
    )
    fake_flowroute.handle("POST", "/v2.1/messages", fake_flowroute.stall)

    with pytest.raises(FlowrouteTimeoutError, match=r"within 0\.2 s") as caught:
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")

    assert caught.value.may_have_reached is True
    assert isinstance(caught.value, FlowrouteConnectionError)
    assert len(fake_flowroute.requests) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (202, b"<html>accepted</html>"),
        (202, b'{"data": {"type": "message"}}'),
        (202, b'{"data": ["mdr2-1"]}'),
        (204, b""),
    ],
)
async def test_unintelligible_success_reply(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, status: int, body: bytes
) -> None:
    fake_flowroute.reply("POST", "/v2.1/messages", status, body=body)

    with pytest.raises(FlowrouteInvalidResponseError, match="unexpected reply"):
        await client.send_sms(to="12065550100", from_="12065550199", body="Hi")


@pytest.mark.parametrize("kind", list(CallbackType))
async def test_set_number_callback(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, kind: CallbackType
) -> None:
    path = f"/v2/numbers/12065550199/relationships/{kind}"
    fake_flowroute.reply("POST", path, 204)

    await client.set_number_callback("12065550199", kind, "https://ha.example.org/hook")

    (request,) = fake_flowroute.requests
    assert request.path == path
    assert request.headers["Content-Type"] == JSON_API
    assert request.json() == {
        "data": {"attributes": {"callback_url": "https://ha.example.org/hook"}}
    }


@pytest.mark.parametrize("kind", list(CallbackType))
async def test_set_account_callback(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient, kind: CallbackType
) -> None:
    fake_flowroute.reply("PUT", f"/v2.1/messages/{kind}", 204)

    await client.set_account_callback(kind, "https://ha.example.org/hook")

    assert fake_flowroute.requests[0].json() == {
        "data": {"attributes": {"callback_url": "https://ha.example.org/hook"}}
    }


async def test_callback_on_a_number_of_another_account(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    fake_flowroute.reply(
        "POST",
        "/v2/numbers/12065550177/relationships/sms_callback",
        403,
        json_body=error_body(403, "Forbidden", "You do not have permission"),
    )

    with pytest.raises(FlowrouteForbiddenError):
        await client.set_number_callback(
            "12065550177", CallbackType.SMS, "https://ha.example.org/hook"
        )


async def test_get_message(fake_flowroute: FakeFlowroute, client: FlowrouteClient) -> None:
    message_id = "mdr2-39cadeace66e11e7aff806cd7f24ba2d"
    fake_flowroute.reply("GET", f"/v2.1/messages/{message_id}", json_body=MESSAGE_RECORD)

    record = await client.get_message(message_id)

    assert record.message_id == message_id
    assert record.direction == "outbound"
    assert [receipt.level for receipt in record.delivery_receipts] == [1, 2]
    assert fake_flowroute.requests[0].headers["Accept"] == JSON_API


async def test_get_unknown_message(fake_flowroute: FakeFlowroute, client: FlowrouteClient) -> None:
    with pytest.raises(FlowrouteRequestRejectedError) as caught:
        await client.get_message("mdr2-unknown")

    assert caught.value.status == 404


def record(index: int) -> dict[str, object]:
    return {
        "id": f"mdr2-{index:032x}",
        "type": "message",
        "attributes": {
            "direction": "inbound",
            "from": 12065550100,
            "to": "12065550199",
            "body": None,
            "is_mms": True,
            "amount_nanodollars": "19500000",
            "timestamp": "2026-11-02T18:25:03.00Z",
        },
        "relationships": {"media": {"data": [{"id": f"m-{index}", "type": "media"}]}},
    }


async def test_list_messages_pages_and_dates(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query["offset"])
        page: dict[str, object] = {
            "data": [record(offset)],
            "included": [
                {
                    "id": f"m-{offset}",
                    "type": "media",
                    "attributes": {"mime_type": "image/jpeg", "url": f"https://s/{offset}.jpg"},
                }
            ],
        }
        if offset == 0:
            page["links"] = {"next": "/v2.1/messages?offset=1&limit=1"}
        return web.json_response(page)

    fake_flowroute.handle("GET", "/v2.1/messages", handler)
    pacific = timezone(timedelta(hours=-8))

    naive_end = datetime(2026, 12, 1)  # noqa: DTZ001  the client reads naive times as UTC
    records = await client.list_messages(
        datetime(2026, 11, 1, 16, 0, tzinfo=pacific), naive_end, page_size=1
    )

    assert records == [
        MessageRecord(
            message_id=f"mdr2-{index:032x}",
            direction="inbound",
            from_number="12065550100",
            to_number="12065550199",
            is_mms=True,
            media_urls=(f"https://s/{index}.jpg",),
            timestamp=datetime(2026, 11, 2, 18, 25, 3, tzinfo=UTC),
            amount_nanodollars=19500000,
        )
        for index in (0, 1)
    ]
    assert fake_flowroute.requests[0].query == {
        "start_date": "2026-11-02T00:00:00Z",
        "end_date": "2026-12-01T00:00:00Z",
        "limit": "1",
        "offset": "0",
    }
    assert fake_flowroute.requests[1].query == {"offset": "1", "limit": "1"}


async def test_list_messages_with_an_unexpected_page(
    fake_flowroute: FakeFlowroute, client: FlowrouteClient
) -> None:
    fake_flowroute.reply("GET", "/v2.1/messages", json_body={"data": {"not": "a list"}})

    with pytest.raises(FlowrouteInvalidResponseError, match="data must be an array"):
        await client.list_messages(datetime(2026, 11, 1, tzinfo=UTC), datetime.now(UTC))


def test_error_text_from_the_other_end_is_one_line() -> None:
    error = response_error(
        400,
        (ErrorDetail(title="Bad\nRequest", detail="line one\r\nINFO forged line\x1b[31m"),),
    )
    assert "\n" not in str(error)
    assert "\r" not in str(error)
    assert "\x1b" not in str(error)
    assert str(error) == ("Flowroute answered HTTP 400 Bad Request: line one INFO forged line [31m")
    long = response_error(500, (ErrorDetail(detail="x" * 10_000),))
    assert len(str(long)) <= 300
