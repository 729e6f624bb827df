"""The root page, and handsets with names (the control API, the phone page, the demo)."""

from __future__ import annotations

import re
from html import unescape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import aiohttp
from aiohttp import hdrs

from demo.configure import CONTACTS, name_handsets
from simulator import Simulator, create_app, run_simulator
from simulator.state import MAX_HANDSET_NAME_LENGTH, MAX_HANDSET_NAMES

from .helpers import HANDSET, NUMBER, OTHER_HANDSET, Api

if TYPE_CHECKING:
    from simulator import RunningSimulator


async def _page(api: Api, path: str = "/") -> str:
    async with api.session.get(api.sim.url + path) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        assert response.charset == "utf-8"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        return await response.text()


def _registered(prefix: str) -> dict[str, str]:
    """Each route of the simulator's app under `prefix`, with its handler's first doc line."""
    app = create_app(Simulator())
    return {
        f"{route.method} {route.resource.canonical}": (route.handler.__doc__ or "").splitlines()[0]
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(prefix)
        and route.method != hdrs.METH_HEAD
    }


# The root page


async def test_the_root_page_links_the_phone_page_and_lists_every_control_route(
    api: Api,
) -> None:
    page = await _page(api)
    assert '<a href="/phone" data-testid="phone-link">' in page
    await _page(api, "/phone")  # where the link leads
    listed = {
        unescape(route): unescape(line)
        for route, line in re.findall(r'<tr data-route="([^"]+)">.*?<td>([^<]*)</td></tr>', page)
    }
    control = _registered("/sim/")
    assert {"POST /sim/inbound", "GET /sim/messages", "PUT /sim/handsets/{number}"} <= set(control)
    for route, doc in control.items():
        assert listed[route] == doc, route  # one line each: the handler's own
    for route in (*_registered("/phone/api/"), *_registered("/v2")):
        assert listed[route], route
    # The Flowroute handlers' docstrings name their route: not twice on the page.
    assert listed["GET /v2/numbers"] == "The account's numbers, paginated."
    assert "+1 206 555 0199" in page


async def test_other_paths_are_still_flowroute_shaped_404s(api: Api) -> None:
    reply = await api.get("/nowhere", anonymous=True)
    assert reply.status == 404
    assert reply.error["title"]


# Handsets with names


async def _name(api: Api, number: str, body: Any) -> Any:
    return await api.control("PUT", f"/handsets/{quote(number)}", body)


async def _shown(api: Api) -> dict[str, Any]:
    reply = await api.call(
        "GET", "/phone/api/state", anonymous=True, content_type="application/json"
    )
    return {phone["number"]: phone for phone in reply.body["phones"]}


async def test_a_named_handset_is_shown_by_name(api: Api, sim: RunningSimulator) -> None:
    reply = await _name(api, "+1 (206) 555-0100", {"name": "  Alex \t Smith "})
    assert reply.status == 200
    assert reply.body == {"number": HANDSET, "display": "+1 206 555 0100", "name": "Alex Smith"}
    assert (await _shown(api))[HANDSET]["name"] == "Alex Smith"

    # Renamed, then forgotten: the phone stays, shown by its number.
    assert (await _name(api, HANDSET, {"name": "Alex"})).body["name"] == "Alex"
    assert (await api.control("GET", "/handsets")).body == {
        "handsets": [{"number": HANDSET, "display": "+1 206 555 0100", "name": "Alex"}]
    }
    assert (await _name(api, HANDSET, {"name": None})).body["name"] is None
    phone = (await _shown(api))[HANDSET]
    assert (phone["display"], phone["name"]) == ("+1 206 555 0100", None)

    await _name(api, OTHER_HANDSET, {"name": "Sam"})
    await sim.reset()
    assert (await api.control("GET", "/handsets")).body == {"handsets": []}


async def test_handsets_from_the_command_line_are_listed_and_can_be_named(
    session: aiohttp.ClientSession,
) -> None:
    async with run_simulator(handsets=(HANDSET,)) as sim:
        api = Api(session, sim)
        assert (await api.control("GET", "/handsets")).body["handsets"] == [
            {"number": HANDSET, "display": "+1 206 555 0100", "name": None}
        ]
        await _name(api, HANDSET, {"name": "Alex"})
        assert (await _shown(api))[HANDSET]["name"] == "Alex"


async def test_names_are_checked_and_bounded(api: Api, sim: RunningSimulator) -> None:
    for number, body, detail in (
        (HANDSET, {"name": "x" * (MAX_HANDSET_NAME_LENGTH + 1)}, "printable"),
        (HANDSET, {"name": "Alex\u202e"}, "printable"),  # no text direction tricks
        (HANDSET, {"name": "Alex\x00"}, "printable"),
        (HANDSET, {"name": 7}, "name must be a str"),
        (HANDSET, ["Alex"], "JSON object"),
        ("not-a-number", {"name": "Alex"}, "number"),
        (NUMBER, {"name": "The house"}, "simulated account"),
    ):
        reply = await _name(api, number, body)
        assert reply.status == 400, body
        assert detail in reply.error["detail"], reply.error
    assert sim.state.handset_names == {}

    for index in range(MAX_HANDSET_NAMES):
        sim.state.name_handset(f"1206555{index:04d}", f"Person {index}")
    reply = await _name(api, "12065559999", {"name": "One too many"})
    assert reply.status == 400
    assert "at most" in reply.error["detail"]
    # Renaming someone named is not one more.
    assert (await _name(api, "12065550000", {"name": "Renamed"})).status == 200
    assert len(sim.state.handset_names) == MAX_HANDSET_NAMES


def test_the_phone_page_shows_the_name() -> None:
    from simulator import phone  # noqa: PLC0415 - the page's files, read as text

    page = (phone.PAGE_DIR / "index.html").read_text()
    script = (phone.PAGE_DIR / "phone.js").read_text()
    assert 'data-testid="phone-name" hidden' in page
    assert 'part("phone-name")' in script
    assert "card.name.textContent = phone.name" in script


async def test_the_demo_names_alex_and_sam(sim: RunningSimulator) -> None:
    await name_handsets(sim.url)
    assert sim.state.handset_names == {contact.number: contact.name for contact in CONTACTS}
    assert sim.state.handset_names == {HANDSET: "Alex", OTHER_HANDSET: "Sam"}
