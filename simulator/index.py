"""The simulator's root page: a link to the phone page and every route of its APIs.

GET / lists the routes the application has, each with its handler's docstring (first
line): the list cannot miss a route or describe one that is gone. The accounts' numbers
are shown too; the keys are at GET /sim/accounts (and printed at start).
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from string import Template
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web

from .core import SIMULATOR_KEY
from .rules import display_number

if TYPE_CHECKING:
    from collections.abc import Iterator

# (path prefix, heading, what it is for): the routes are listed in these groups.
SECTIONS: Final = (
    (
        "/sim/",
        "Control API",
        (
            "For tests and people: text in from a handset, read what happened, set faults "
            "and receipts. No credentials; JSON bodies."
        ),
    ),
    (
        "/phone/api/",
        "Phone page API",
        "What the phone page calls (requests with a body must be application/json).",
    ),
    (
        "/v2",
        "Flowroute API",
        (
            "What Flowroute answers: HTTP Basic authentication with an account's access key "
            "and secret key."
        ),
    ),
)
_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.45}code{font-size:.95em}table{border-collapse:collapse;width:100%}"
    "td{padding:.2rem .6rem .2rem 0;vertical-align:top}td:first-child{white-space:nowrap}"
)
_STYLE_HASH: Final = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
_HEADERS: Final = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}


def add_index_route(app: web.Application) -> None:
    """Register the root page on `app`."""
    app.router.add_get("/", get_index)


async def get_index(request: web.Request) -> web.Response:
    """Show where the phone page is and every route of the APIs (this page)."""
    return web.Response(
        text=render_index(request.app), content_type="text/html", charset="utf-8", headers=_HEADERS
    )


def routes(app: web.Application, prefix: str) -> Iterator[tuple[str, str, str]]:
    """Yield (method, path, what it does) for each route of `app` under `prefix`."""
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method == hdrs.METH_HEAD or not path.startswith(prefix):
            continue
        lines = (route.handler.__doc__ or "").strip().splitlines()
        line = lines[0] if lines else ""
        # The Flowroute handlers' docstrings begin with their own "GET /v2/numbers: ".
        if line.startswith(f"{route.method} /") and ": " in line:
            line = line.split(": ", 1)[1]
            line = line[:1].upper() + line[1:]
        yield route.method, path, line


def render_index(app: web.Application) -> str:
    """Return the root page's HTML."""
    simulator = app[SIMULATOR_KEY]
    numbers = ", ".join(
        display_number(number.number) + ("" if number.messaging_enabled else " (no messaging)")
        for account in simulator.state.accounts
        for number in account.numbers
    )
    sections = "\n".join(
        f"<h2>{escape(heading)}</h2>\n<p>{escape(about)}</p>\n<table>\n"
        + "".join(
            f'<tr data-route="{escape(method)} {escape(path)}"><td><code>{escape(method)} '
            f"{escape(path)}</code></td><td>{escape(line)}</td></tr>\n"
            for method, path, line in routes(app, prefix)
        )
        + "</table>"
        for prefix, heading, about in SECTIONS
    )
    return _PAGE.substitute(style=_STYLE, numbers=escape(numbers), sections=sections)


_PAGE: Final = Template("""\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flowroute simulator</title>
<link rel="icon" href="data:,">
<style>$style</style>
</head>
<body>
<h1>Flowroute simulator</h1>
<p>A stand-in for Flowroute's messaging API: accounts, numbers, sending, message records,
callbacks and delivery receipts.</p>
<p><a href="/phone" data-testid="phone-link">Phone page</a>: text your numbers from
simulated handsets and see what they were sent.</p>
<p>Numbers: $numbers. Accounts and their keys:
<a href="/sim/accounts"><code>GET /sim/accounts</code></a>.</p>
$sections
</body>
</html>
""")
