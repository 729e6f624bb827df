"""The aiohttp application: routes, Flowroute-shaped errors, lifecycle, and serving it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.log import access_logger

from .api import add_api_routes
from .control import add_control_routes
from .core import SIMULATOR_KEY, Simulator
from .errors import ApiError, DropConnection
from .index import add_index_route
from .payloads import JSON_API, error_document
from .phone import add_phone_routes

SHUTDOWN_TIMEOUT = 2.0  # seconds for in-flight requests once the server stops
_DEFAULT_DETAILS = {
    404: "The requested URL was not found on the server.",
    405: "The method is not allowed for the requested URL.",
}

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(error: ApiError) -> web.Response:
    """Render an ApiError as Flowroute does."""
    return web.json_response(
        error_document(error.status, error.title, error.detail, error.code),
        status=error.status,
        headers=error.headers,
        content_type=JSON_API,
    )


@web.middleware
async def flowroute_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error with Flowroute's body, and act out dropped connections."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except DropConnection:
        if request.transport is not None:
            request.transport.abort()
        return web.Response()  # never written: the connection is gone
    except web.HTTPException as error:
        if error.status < 400:  # noqa: PLR2004 - redirects are not errors
            raise
        headers = {key: value for key, value in error.headers.items() if key == "Allow"}
        detail = _DEFAULT_DETAILS.get(error.status, error.text or error.reason)
        return error_response(ApiError(error.status, detail, headers=headers))


def create_app(simulator: Simulator) -> web.Application:
    """Build the simulator's web application; it starts and stops `simulator` with itself."""
    app = web.Application(middlewares=[flowroute_errors])
    app[SIMULATOR_KEY] = simulator
    add_api_routes(app)
    add_control_routes(app)
    add_phone_routes(app)
    add_index_route(app)

    async def lifecycle(_app: web.Application) -> AsyncIterator[None]:
        await simulator.start()
        yield
        await simulator.close()

    async def on_shutdown(_app: web.Application) -> None:
        simulator.begin_shutdown()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(on_shutdown)
    return app


@asynccontextmanager
async def serve(
    simulator: Simulator, host: str = "127.0.0.1", port: int = 0, *, access_log: bool = False
) -> AsyncIterator[str]:
    """Serve `simulator` on host:port (0 picks a free port); yield its URL, then stop it."""
    runner = web.AppRunner(
        create_app(simulator),
        access_log=access_logger if access_log else None,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        simulator.url = f"http://{shown_host}:{bound_port}"
        yield simulator.url
    finally:
        await runner.cleanup()
