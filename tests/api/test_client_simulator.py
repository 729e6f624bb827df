"""FlowrouteClient and the parsers against the bundled Flowroute simulator."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web

from custom_components.flowroute.api import (
    CallbackType,
    DeliveryReceipt,
    DeliveryState,
    FlowrouteAuthenticationError,
    FlowrouteClient,
    FlowrouteConnectionError,
    FlowrouteForbiddenError,
    FlowrouteRateLimitError,
    FlowrouteRequestRejectedError,
    FlowrouteTimeoutError,
    FlowrouteUnavailableError,
    InboundMessage,
    PhoneNumber,
    parse_callback,
    parse_json,
)
from simulator.core import InboundMedia
from simulator.faults import Fault, FaultKind, FaultTarget
from simulator.media import png_image
from simulator.receipts import ReceiptRule
from simulator.state import DEFAULT_ACCOUNT, Account, CallbackKind
from simulator.testing import RunningSimulator, run_simulator

DID = "12065550199"
HANDSET = "12065550100"
PICTURE = png_image(rgb=(1, 2, 3))


@dataclass(slots=True)
class Receiver:
    """What Home Assistant would be: a callback URL and a public media URL."""

    url: str = ""
    posts: list[bytes] = field(default_factory=list)

    def parsed(self) -> list[InboundMessage | DeliveryReceipt]:
        return [parse_callback(parse_json(raw)) for raw in self.posts]

    async def hook(self, request: web.Request) -> web.Response:
        self.posts.append(await request.read())
        return web.Response()

    async def picture(self, _request: web.Request) -> web.Response:
        return web.Response(body=PICTURE, content_type="image/png")


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.hook)
    app.router.add_get("/snap.png", receiver.picture)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield receiver
    await runner.cleanup()


@pytest.fixture
async def running_simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    async with run_simulator() as sim:
        yield sim


def client_for(
    sim: RunningSimulator, session: aiohttp.ClientSession, **kwargs: float
) -> FlowrouteClient:
    return FlowrouteClient(
        DEFAULT_ACCOUNT.access_key,
        DEFAULT_ACCOUNT.secret_key,
        session=session,
        base_url=sim.url,
        **kwargs,
    )


@pytest.fixture
def sim_client(
    running_simulator: RunningSimulator, session: aiohttp.ClientSession
) -> FlowrouteClient:
    return client_for(running_simulator, session)


async def test_list_numbers(sim_client: FlowrouteClient) -> None:
    numbers = await sim_client.list_numbers()

    assert numbers == [
        PhoneNumber(number=number, number_type="longcode", rate_center="seattle", state="wa")
        for number in ("12065550199", "12065550188", "12065550177")
    ]


async def test_list_numbers_pages_past_200(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    numbers = [f"1206555{index:04}" for index in range(205)]
    account = Account.with_numbers("87654321", "other-secret", *numbers)
    async with run_simulator([account]) as sim:
        client = FlowrouteClient("87654321", "other-secret", session=session, base_url=sim.url)

        listed = await client.list_numbers()

    assert [number.number for number in listed] == numbers


async def test_bad_secret(
    running_simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    client = FlowrouteClient(
        DEFAULT_ACCOUNT.access_key, "wrong", session=session, base_url=running_simulator.url
    )

    with pytest.raises(FlowrouteAuthenticationError):
        await client.list_numbers()


async def test_send_sms_then_receipts_and_record(
    running_simulator: RunningSimulator, sim_client: FlowrouteClient, receiver: Receiver
) -> None:
    sent = await sim_client.send_sms(
        to=HANDSET, from_=DID, body="Garage door is open", dlr_callback=f"{receiver.url}/hook"
    )
    await running_simulator.idle()

    receipts = receiver.parsed()
    assert [(r.message_id, r.level) for r in receipts if isinstance(r, DeliveryReceipt)] == [
        (sent.message_id, 1),
        (sent.message_id, 2),
    ]
    assert [r.outcome for r in receipts if isinstance(r, DeliveryReceipt)] == [
        DeliveryState.SENT,
        DeliveryState.DELIVERED,
    ]
    record = await sim_client.get_message(sent.message_id)
    assert (record.direction, record.from_number, record.to_number) == ("outbound", DID, HANDSET)
    assert record.body == "Garage door is open"
    assert [receipt.outcome for receipt in record.delivery_receipts] == [
        DeliveryState.SENT,
        DeliveryState.DELIVERED,
    ]


async def test_send_mms(
    running_simulator: RunningSimulator, sim_client: FlowrouteClient, receiver: Receiver
) -> None:
    sent = await sim_client.send_mms(to=HANDSET, from_=DID, media_urls=[f"{receiver.url}/snap.png"])

    record = await sim_client.get_message(sent.message_id)
    assert record.is_mms
    assert record.body == ""
    assert record.media_urls == (f"{receiver.url}/snap.png",)
    (media,) = running_simulator.state.messages[sent.message_id].media
    assert (media.size, media.mime_type) == (len(PICTURE), "image/png")


async def test_send_mms_with_unreachable_media(
    sim_client: FlowrouteClient, receiver: Receiver
) -> None:
    with pytest.raises(FlowrouteRequestRejectedError) as caught:
        await sim_client.send_mms(
            to=HANDSET, from_=DID, body="Look", media_urls=[f"{receiver.url}/missing.png"]
        )

    assert caught.value.status == 400


async def test_opted_out_recipient_is_refused_with_1110(
    running_simulator: RunningSimulator, sim_client: FlowrouteClient
) -> None:
    running_simulator.inject_inbound(from_=HANDSET, to=DID, body="STOP")

    with pytest.raises(FlowrouteRequestRejectedError) as caught:
        await sim_client.send_sms(to=HANDSET, from_=DID, body="Still there?")

    assert (caught.value.status, caught.value.code) == (400, 1110)


async def test_number_not_enabled_for_messaging(sim_client: FlowrouteClient) -> None:
    with pytest.raises(FlowrouteForbiddenError):
        await sim_client.send_sms(to=HANDSET, from_="12065550177", body="Hi")


@pytest.mark.parametrize("legacy", [False, True])
async def test_inbound_callbacks_parse(
    running_simulator: RunningSimulator,
    sim_client: FlowrouteClient,
    receiver: Receiver,
    legacy: bool,
) -> None:
    for kind in (CallbackType.SMS, CallbackType.MMS):
        await sim_client.set_number_callback(DID, kind, f"{receiver.url}/hook")

    text = running_simulator.inject_inbound(from_=HANDSET, to=DID, body="Door code?", legacy=legacy)
    picture = running_simulator.inject_inbound(
        from_=HANDSET, to=DID, media=[InboundMedia()], smil=True, legacy=legacy
    )
    await running_simulator.idle()

    sms, mms = sorted(receiver.parsed(), key=lambda message: message.message_id != text.message_id)
    assert isinstance(sms, InboundMessage)
    assert isinstance(mms, InboundMessage)
    assert (sms.message_id, sms.from_number, sms.to_number) == (text.message_id, HANDSET, DID)
    assert (sms.body, sms.is_mms, sms.legacy) == ("Door code?", False, legacy)
    assert mms.message_id == picture.message_id
    assert mms.is_mms
    if legacy:
        # The flat format lists every part's URL, the SMIL layout included.
        assert len(mms.media) == 2
    else:
        (media,) = mms.media  # the SMIL part is left out
        assert media.mime_type == "image/png"
        assert media.file_size == picture.media[0].size
        assert sms.timestamp is not None
        assert sms.amount_nanodollars is not None


@pytest.mark.parametrize(
    ("rule", "outcome"),
    [
        (ReceiptRule(legacy=True), DeliveryState.DELIVERED),
        (ReceiptRule(code=1103), DeliveryState.FAILED),
        (ReceiptRule(code=1103, legacy=True), DeliveryState.FAILED),
        (ReceiptRule(code=1110), DeliveryState.OPTED_OUT),
    ],
)
async def test_receipt_variants_through_number_callbacks(
    running_simulator: RunningSimulator,
    sim_client: FlowrouteClient,
    receiver: Receiver,
    rule: ReceiptRule,
    outcome: DeliveryState,
) -> None:
    await sim_client.set_number_callback(DID, CallbackType.SMS_DLR, f"{receiver.url}/hook")
    running_simulator.set_receipts(rule)

    await sim_client.send_sms(to=HANDSET, from_=DID, body="Hi")
    await running_simulator.idle()

    receipts = receiver.parsed()
    assert all(isinstance(r, DeliveryReceipt) and r.legacy is rule.legacy for r in receipts)
    assert [r.outcome for r in receipts if isinstance(r, DeliveryReceipt)][-1] is outcome


async def test_set_account_callback(
    running_simulator: RunningSimulator, sim_client: FlowrouteClient
) -> None:
    await sim_client.set_account_callback(CallbackType.MMS_DLR, "https://ha.example.org/hook")

    assert running_simulator.state.account_callbacks == {
        (DEFAULT_ACCOUNT.access_key, CallbackKind.MMS_DLR): "https://ha.example.org/hook"
    }


async def test_list_messages_pages(
    running_simulator: RunningSimulator, sim_client: FlowrouteClient
) -> None:
    start = datetime.now(UTC) - timedelta(minutes=1)
    sent = [
        await sim_client.send_sms(to=HANDSET, from_=DID, body=f"Text {index}") for index in range(3)
    ]
    inbound = running_simulator.inject_inbound(from_=HANDSET, to=DID, body="Reply")

    records = await sim_client.list_messages(
        start, datetime.now(UTC) + timedelta(minutes=1), page_size=2
    )

    assert sorted(record.message_id for record in records) == sorted(
        [message.message_id for message in sent] + [inbound.message_id]
    )
    assert {record.direction for record in records} == {"inbound", "outbound"}


async def test_lost_reply_may_have_reached_and_can_be_reconciled(
    running_simulator: RunningSimulator, sim_client: FlowrouteClient
) -> None:
    running_simulator.add_fault(Fault(kind=FaultKind.LOST_REPLY, target=FaultTarget.SENDS, count=1))
    start = datetime.now(UTC) - timedelta(minutes=1)

    with pytest.raises(FlowrouteConnectionError) as caught:
        await sim_client.send_sms(to=HANDSET, from_=DID, body="Did it go?")

    assert caught.value.may_have_reached is True
    (record,) = await sim_client.list_messages(start, datetime.now(UTC) + timedelta(minutes=1))
    assert record.body == "Did it go?"


@pytest.mark.parametrize(
    ("fault", "error_class"),
    [
        (Fault(kind=FaultKind.UNAVAILABLE, count=1), FlowrouteUnavailableError),
        (Fault(kind=FaultKind.STATUS, status=500, count=1), FlowrouteUnavailableError),
        (Fault(kind=FaultKind.STATUS, status=422, count=1), FlowrouteRequestRejectedError),
        (Fault(kind=FaultKind.RATE_LIMITED, retry_after=2, count=1), FlowrouteRateLimitError),
    ],
)
async def test_faults_map_to_error_classes(
    running_simulator: RunningSimulator,
    sim_client: FlowrouteClient,
    fault: Fault,
    error_class: type[Exception],
) -> None:
    running_simulator.add_fault(fault)

    with pytest.raises(error_class) as caught:
        await sim_client.send_sms(to=HANDSET, from_=DID, body="Hi")

    if isinstance(caught.value, FlowrouteRateLimitError):
        assert caught.value.retry_after == 2.0


async def test_rate_limit_after_five_sms_in_a_second(sim_client: FlowrouteClient) -> None:
    for index in range(5):
        await sim_client.send_sms(to=HANDSET, from_=DID, body=f"Burst {index}")

    with pytest.raises(FlowrouteRateLimitError):
        await sim_client.send_sms(to=HANDSET, from_=DID, body="One too many")


async def test_slow_reply_times_out(
    running_simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    running_simulator.add_fault(Fault(kind=FaultKind.SLOW, delay=5, count=1))
    client = client_for(running_simulator, session, request_timeout=0.2)

    with pytest.raises(FlowrouteTimeoutError) as caught:
        await client.list_numbers()

    assert caught.value.may_have_reached is True
