"""The phone page: served as a page, its state API, texting from a phone, STOP, MMS, bad input."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

import pytest

from simulator import OptOutMode, ReceiptMode, ReceiptRule, Settings, Simulator, run_simulator
from simulator import phone as phone_module
from simulator.__main__ import build_parser, describe

from .helpers import DISABLED_NUMBER, HANDSET, NUMBER, NUMBER_2, OTHER_HANDSET, Api, Sink, message

if TYPE_CHECKING:
    import aiohttp

    from .helpers import Reply

SEEDED = "12065550123"
SILENT_HANDSET = "12065550133"


async def phone_api(api: Api, method: str, path: str, body: Any = None) -> Reply:
    return await api.call(
        method, "/phone/api" + path, json_body=body, anonymous=True, content_type="application/json"
    )


async def page_state(api: Api) -> dict[str, Any]:
    reply = await phone_api(api, "GET", "/state")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = reply.body
    assert body["changed"] is True
    return body


async def phones(api: Api) -> dict[str, dict[str, Any]]:
    return {phone["number"]: phone for phone in (await page_state(api))["phones"]}


async def text_from_phone(api: Api, body: str | None, **extra: Any) -> Reply:
    return await phone_api(
        api, "POST", "/messages", {"from": HANDSET, "to": NUMBER, "body": body} | extra
    )


async def test_the_page_and_its_files_are_served(api: Api) -> None:
    for path, content_type, marker in (
        ("/phone", "text/html", 'src="/phone/phone.js"'),
        ("/phone/", "text/html", 'href="/phone/phone.css"'),
        ("/phone/phone.js", "text/javascript", "/phone/api/state"),
        ("/phone/phone.css", "text/css", ".thread"),
    ):
        async with api.session.get(api.sim.url + path) as response:
            assert response.status == 200, path
            assert response.content_type == content_type, path
            assert response.charset == "utf-8", path
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert marker in await response.text(), path


def test_the_page_has_every_selector_the_docstring_promises() -> None:
    assert phone_module.__doc__ is not None
    promised = set(re.findall(r'data-testid="([a-z-]+)"', phone_module.__doc__))
    assert {"phone", "compose-input", "send", "message", "receipt", "opt-out-badge"} <= promised
    page = (phone_module.PAGE_DIR / "index.html").read_text() + (
        phone_module.PAGE_DIR / "phone.js"
    ).read_text()
    for testid in promised:
        assert f'data-testid="{testid}"' in page or f'testid = "{testid}"' in page, testid
    assert "dataset.phone" in page
    assert "dataset.direction" in page
    # Message text is rendered as text, never as markup.
    assert "innerHTML" not in page
    assert "insertAdjacentHTML" not in page


async def test_outbound_sends_show_on_the_phone_with_their_receipts(api: Api) -> None:
    api.sim.set_receipts(ReceiptRule(to=OTHER_HANDSET, code=1116))
    # No receipt ever comes for this one: it shows "queued" however fast the others go.
    api.sim.set_receipts(ReceiptRule(to=SILENT_HANDSET, mode=ReceiptMode.DROP))
    assert (await api.send(message(body="Garage door is open"))).status == 202
    assert (await api.send(message(to=OTHER_HANDSET, from_=NUMBER_2, body="Hi"))).status == 202
    assert (await api.send(message(to=SILENT_HANDSET, body="Anyone?"))).status == 202
    assert (await api.send(message(to=NUMBER_2, body="to a DID"))).status == 202
    await api.sim.idle()
    state = await page_state(api)
    found = {phone["number"]: phone for phone in state["phones"]}
    # An account's own number is no phone.
    assert list(found) == [HANDSET, OTHER_HANDSET, SILENT_HANDSET]
    [waiting] = found[SILENT_HANDSET]["thread"]
    assert waiting["receipt"]["state"] == "queued"
    phone = found[HANDSET]
    assert phone["display"] == "+1 206 555 0100"
    assert phone["last_did"] == NUMBER
    [item] = phone["thread"]
    assert item["direction"] == "out"
    assert item["kind"] == "sms"
    assert (item["did"], item["did_display"]) == (NUMBER, "+1 206 555 0199")
    assert item["body"] == "Garage door is open"
    assert item["id"] == api.sim.state.sent_messages()[0].message_id
    assert (item["receipt"]["state"], item["receipt"]["status_code"]) == ("delivered", 1004)
    assert [receipt["level"] for receipt in item["receipt"]["receipts"]] == [1, 2]
    [failed] = found[OTHER_HANDSET]["thread"]
    assert (failed["receipt"]["state"], failed["receipt"]["status_code"]) == ("failed", 1116)
    assert failed["receipt"]["description"] == "Destination not text-enabled"
    assert {did["number"]: did["messaging_enabled"] for did in state["dids"]} == {
        NUMBER: True,
        NUMBER_2: True,
        DISABLED_NUMBER: False,
    }
    # Polling with the version it got answers "unchanged" until something happens.
    unchanged = await phone_api(api, "GET", f"/state?since={state['version']}")
    assert unchanged.body == {"version": state["version"], "changed": False}
    api.sim.inject_inbound(from_=HANDSET, to=NUMBER, body="thanks")
    changed = await phone_api(api, "GET", f"/state?since={state['version']}")
    assert changed.body["changed"] is True
    assert changed.body["version"] != state["version"]


async def test_a_text_composed_on_the_phone_reaches_the_callback(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    reply = await text_from_phone(api, "Door code? <b>&amp;</b>")
    assert reply.status == 201
    await api.sim.idle()
    [posted] = sink.bodies("/sms")
    attributes = posted["data"]["attributes"]
    assert (attributes["from"], attributes["to"]) == (HANDSET, NUMBER)
    assert attributes["body"] == "Door code? <b>&amp;</b>"
    assert posted["data"]["id"] == reply.body["id"]
    [item] = (await phones(api))[HANDSET]["thread"]
    assert (item["direction"], item["did"], item["body"]) == ("in", NUMBER, attributes["body"])
    assert item["callback"] == {"state": "delivered", "attempts": 1, "status": 200, "error": None}


async def test_callback_states_of_texts_from_the_phone(api: Api, sink: Sink) -> None:
    assert (await text_from_phone(api, "nobody listens")).status == 201
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    sink.statuses["/sms"] = [500] * 5
    assert (await text_from_phone(api, "it fails")).status == 201
    await api.sim.idle()
    thread = (await phones(api))[HANDSET]["thread"]
    assert [item["callback"]["state"] for item in thread] == ["none", "failed"]
    assert (thread[1]["callback"]["attempts"], thread[1]["callback"]["status"]) == (5, 500)


async def test_stop_from_the_phone_shows_the_block(api: Api, sink: Sink) -> None:
    await api.set_number_callback(NUMBER, "sms_callback", sink.at("/sms"))
    assert (await text_from_phone(api, "STOP")).status == 201
    phone = (await phones(api))[HANDSET]
    assert phone["opted_out_of"] == [{"number": NUMBER, "display": "+1 206 555 0199"}]
    refused = await api.send(message(body="Your package arrived"))
    assert refused.status == 400
    assert (await api.send(message(from_=NUMBER_2, body="From the other number"))).status == 202
    await api.sim.idle()
    stop, blocked, other = (await phones(api))[HANDSET]["thread"]
    assert (stop["direction"], stop["body"]) == ("in", "STOP")
    assert (blocked["kind"], blocked["direction"], blocked["did"]) == ("refused", "out", NUMBER)
    assert blocked["body"] == "Your package arrived"
    receipt = blocked["receipt"]
    assert (receipt["state"], receipt["status_code"], receipt["http_status"]) == (
        "refused",
        1110,
        400,
    )
    assert receipt["description"] == "User opted out"
    assert other["receipt"]["state"] == "delivered"
    assert (await text_from_phone(api, "START")).status == 201
    assert (await phones(api))[HANDSET]["opted_out_of"] == []


async def test_stop_as_a_failed_receipt(api: Api) -> None:
    api.sim.settings = dataclasses.replace(api.sim.settings, opt_out_mode=OptOutMode.RECEIPT)
    assert (await text_from_phone(api, "stop")).status == 201
    assert (await api.send()).status == 202
    await api.sim.idle()
    _, sent = (await phones(api))[HANDSET]["thread"]
    assert (sent["receipt"]["state"], sent["receipt"]["status_code"]) == ("failed", 1110)


async def test_transient_refusals_are_not_shown(api: Api) -> None:
    await api.control("POST", "/faults", {"kind": "unavailable", "count": 1})
    assert (await api.send()).status == 503
    assert (await api.send(message(to="+1"))).status == 400  # not a phone number at all
    assert (await phones(api)) == {}


async def test_mms_pictures_have_urls_that_serve_them(api: Api, sink: Sink) -> None:
    picture = b"\xff\xd8\xff" + b"jpeg" * 100
    sink.files["snap.jpg"] = (picture, "image/jpeg")
    sent = await api.send(message(body="Front door", media_urls=[sink.at("/files/snap.jpg")]))
    assert sent.status == 202
    del sink.files["snap.jpg"]  # the sender's link expired: the page shows its own copy
    reply = await text_from_phone(api, None, picture=True)
    assert reply.status == 201
    outbound, inbound = (await phones(api))[HANDSET]["thread"]
    assert (outbound["kind"], inbound["kind"]) == ("mms", "mms")
    [sent_media] = outbound["media"]
    [received_media] = inbound["media"]
    assert sent_media["image"] is True
    assert (sent_media["mime_type"], sent_media["file_name"]) == ("image/jpeg", "snap.jpg")
    assert received_media["image"] is True
    for media, mime_type, expected in (
        (sent_media, "image/jpeg", picture),
        (received_media, "image/png", None),
    ):
        assert media["url"].startswith("/sim/media/")
        async with api.session.get(api.sim.url + media["url"]) as response:
            assert response.status == 200
            assert response.content_type == mime_type
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            content = await response.read()
        assert content == expected or content.startswith(b"\x89PNG\r\n\x1a\n")


async def test_phones_from_settings_and_added_on_the_page(session: aiohttp.ClientSession) -> None:
    async with run_simulator(handsets=(SEEDED,)) as sim:
        api = Api(session, sim)
        assert (await phones(api))[SEEDED]["thread"] == []
        added = await phone_api(api, "POST", "/phones", {"number": "(206) 555-0142"})
        assert added.status == 201
        assert added.body == {"number": "12065550142", "display": "+1 206 555 0142"}
        international = await phone_api(api, "POST", "/phones", {"number": "+44 7700 900123"})
        assert international.body["display"] == "+447700900123"
        assert list(await phones(api)) == [SEEDED, "12065550142", "447700900123"]
        assert (await api.control("POST", "/reset")).status == 204
        assert list(await phones(api)) == [SEEDED]  # what the page added is state; reset forgets


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        ("/phones", {}, "number is required"),
        ("/phones", {"number": 12065550100}, "number must be a str"),
        ("/phones", {"number": "call me"}, "digits only"),
        ("/phones", {"number": "555 0100"}, "8 to 15 digits"),
        ("/phones", {"number": NUMBER}, "not a handset"),
        ("/phones", [HANDSET], "must be a JSON object"),
        ("/messages", {"from": HANDSET, "to": NUMBER}, "needs a body"),
        ("/messages", {"from": HANDSET, "to": NUMBER, "body": ""}, "needs a body"),
        ("/messages", {"from": HANDSET, "body": "hi"}, "to is required"),
        ("/messages", {"from": HANDSET, "to": "12065550123", "body": "hi"}, "not a number of"),
        ("/messages", {"from": HANDSET, "to": DISABLED_NUMBER, "body": "hi"}, "not enabled"),
        ("/messages", {"from": NUMBER_2, "to": NUMBER, "body": "hi"}, "not a phone"),
        ("/messages", {"from": HANDSET, "to": NUMBER, "body": ["hi"]}, "body must be a str"),
        ("/messages", {"from": HANDSET, "to": NUMBER, "picture": "yes"}, "must be a bool"),
    ],
)
async def test_bad_input_gets_400(api: Api, path: str, body: Any, detail: str) -> None:
    reply = await phone_api(api, "POST", path, body)
    assert reply.status == 400
    assert reply.headers["Content-Type"].startswith("application/vnd.api+json")
    assert detail in reply.error["detail"]
    assert api.sim.state.messages == {}


async def test_bodies_that_are_not_json_objects(api: Api) -> None:
    not_json = await api.call(
        "POST", "/phone/api/messages", data=b"{", anonymous=True, content_type="application/json"
    )
    assert not_json.status == 400
    assert "not valid JSON" in not_json.error["detail"]
    form = await api.call(
        "POST",
        "/phone/api/messages",
        data=b'{"from": "12065550100", "to": "12065550199", "body": "hi"}',
        anonymous=True,
        content_type="text/plain",
    )
    assert form.status == 415  # a cross-origin page cannot post JSON without a preflight
    assert api.sim.state.messages == {}


def test_phone_option_and_describe() -> None:
    args = build_parser().parse_args(["--phone", "+1 206 555 0100", "--phone", "2065550111"])
    assert args.phone == [HANDSET, OTHER_HANDSET]
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--phone", "not a number"])
    assert exit_info.value.code == 2
    simulator = Simulator(settings=Settings(handsets=(HANDSET,)), url="http://127.0.0.1:8089")
    lines = describe(simulator)
    assert any(line.endswith("http://127.0.0.1:8089/phone") for line in lines), lines


def test_handsets_in_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="must not start with"):
        Settings(handsets=("+12065550100",))
    with pytest.raises(ValueError, match="simulated account"):
        Simulator(settings=Settings(handsets=(NUMBER,)))
