"""Authentication, the numbers endpoints, pagination and the error shape of unknown routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import Account, SimNumber, basic_authorization, run_simulator

from .helpers import NUMBER, Api

if TYPE_CHECKING:
    import aiohttp


async def test_missing_or_wrong_credentials_get_401(api: Api) -> None:
    for options in (
        {"anonymous": True},
        {"auth": basic_authorization("12345678", "wrong")},
        {"auth": basic_authorization("nobody", "sim-secret-key")},
    ):
        reply = await api.get("/v2/numbers", **options)
        assert reply.status == 401
        assert reply.error["title"] == "Unauthorized"
        assert reply.headers["WWW-Authenticate"].startswith("Basic")


async def test_malformed_authorization_header_gets_401(api: Api) -> None:
    async with api.session.get(
        api.sim.url + "/v2/numbers", headers={"Authorization": "Basic !!!not-base64"}
    ) as response:
        assert response.status == 401


async def test_numbers_page_shape(api: Api) -> None:
    reply = await api.get("/v2/numbers")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/vnd.api+json")
    first = reply.body["data"][0]
    assert first == {
        "id": NUMBER,
        "type": "number",
        "attributes": {
            "alias": None,
            "cnam_lookups_enabled": False,
            "number_type": "longcode",
            "rate_center": "seattle",
            "state": "wa",
            "value": NUMBER,
        },
        "links": {"self": f"{api.sim.url}/v2/numbers/{NUMBER}"},
    }
    assert "next" not in reply.body["links"]  # three numbers fit the default page of 10


async def test_pagination_of_450_numbers(session: aiohttp.ClientSession) -> None:
    numbers = tuple(SimNumber(number=f"1206555{index:04d}") for index in range(450))
    big = Account(access_key="big", secret_key="secret", numbers=numbers)
    async with run_simulator([big]) as sim:
        api = Api(session, sim)
        default_page = await api.get("/v2/numbers")
        assert len(default_page.body["data"]) == 10
        assert default_page.body["links"]["next"] == f"{sim.url}/v2/numbers?limit=10&offset=10"

        seen: list[str] = []
        sizes: list[int] = []
        path: str | None = "/v2/numbers?limit=200&offset=0"
        while path is not None:
            page = await api.get(path)
            assert page.status == 200
            sizes.append(len(page.body["data"]))
            seen += [item["id"] for item in page.body["data"]]
            next_link = page.body["links"].get("next")
            path = next_link.removeprefix(sim.url) if next_link else None
        assert sizes == [200, 200, 50]
        assert seen == [number.number for number in numbers]


async def test_bad_pagination_parameters_get_400(api: Api) -> None:
    for query in ("limit=0", "limit=201", "limit=ten", "offset=-1", "offset=x"):
        reply = await api.get(f"/v2/numbers?{query}")
        assert reply.status == 400, query
        assert reply.error["title"] == "Bad Request"


async def test_offset_past_the_end_is_an_empty_page(api: Api) -> None:
    reply = await api.get("/v2/numbers?offset=50")
    assert reply.status == 200
    assert reply.body["data"] == []


async def test_one_number(api: Api) -> None:
    reply = await api.get(f"/v2/numbers/{NUMBER}")
    assert reply.body["data"]["id"] == NUMBER
    missing = await api.get("/v2/numbers/12065550123")
    assert missing.status == 404
    assert "not on this account" in missing.error["detail"]


async def test_unknown_route_and_method_are_flowroute_errors(api: Api) -> None:
    missing = await api.get("/v2/nothing-here")
    assert missing.status == 404
    assert missing.error["title"] == "Not Found"
    wrong_method = await api.call("DELETE", "/v2/numbers")
    assert wrong_method.status == 405
    assert wrong_method.error["detail"] == "The method is not allowed for the requested URL."
    assert "GET" in wrong_method.headers["Allow"]
