"""A real Home Assistant in a subprocess: its config folder, onboarding, REST and websocket.

`HassProcess` writes a minimal config folder (the integration symlinked into it), starts
`python -m homeassistant --skip-pip` on a free loopback port, completes the onboarding with
the demo user (or logs that user in when the folder was onboarded before), and then talks
to it the way the frontend does: REST with a bearer token, config flows step by step,
service calls, and the websocket API for events.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import json
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

import aiohttp

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

REPOSITORY: Final = Path(__file__).resolve().parent.parent
INTEGRATION: Final = REPOSITORY / "custom_components" / "flowroute"

# The user the onboarding creates; the demo prints these and the README names them.
DEMO_NAME: Final = "Demo"
DEMO_USERNAME: Final = "demo"
DEMO_PASSWORD: Final = "demo-password-123"  # noqa: S105 - published: the demo prints it

# Generous: a first start on a busy machine creates the database and all of .storage.
START_TIMEOUT: Final = 300.0
STOP_TIMEOUT: Final = 60.0
REQUEST_TIMEOUT: Final = 120.0
POLL_INTERVAL: Final = 0.2
MAX_FLOW_STEPS: Final = 20
# Home Assistant's exit status when it asks to be started again (its Restart button).
RESTART_EXIT_CODE: Final = 100
LOG_FILE: Final = "home-assistant.log"
CONSOLE_FILE: Final = "home-assistant.console.log"  # stdout and stderr of the process
CONSOLE_TAIL_LINES: Final = 40

CONFIGURATION: Final = """\
# Written by demo/hass.py before every start of this Home Assistant: edits here are lost.
# Automations live in automations.yaml and template entities in templates.yaml, which are
# kept once they exist.
{http}homeassistant:
  name: {name}
  latitude: 47.6062
  longitude: -122.3321
  elevation: 50
  unit_system: us_customary
  currency: USD
  country: US
  language: en
  time_zone: America/Los_Angeles
  # Flowroute (here the simulator) posts texts and receipts to the external URL and
  # fetches MMS media from it.
  internal_url: {url}
  external_url: {url}

frontend:
config:
api:
websocket_api:
automation: !include automations.yaml
template: !include templates.yaml
input_boolean:
# Assist: its built-in conversation agent and the preferred pipeline, which contacts
# allowed to talk to Assist text with.
conversation:
assist_pipeline:
recorder:
logbook:
history:
media_source:

logger:
  default: warning
  logs:
    custom_components.flowroute: info
    # Home Assistant sets up tts (so ffmpeg) and camera whatever this file says; without
    # the ffmpeg program and the libturbojpeg library they log errors nothing here needs.
    haffmpeg: critical
    homeassistant.components.camera.img_util: critical
"""

# Onboarding's "core_config" step only confirms the location (set above) and then sets up
# met, radio_browser, google_translate and shopping_list, which need the internet and
# packages this Home Assistant does not have: a new folder starts with that step done.
ONBOARDING_STORE: Final = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["core_config"]},
}
ONBOARDING_STEPS: Final = ("user", "core_config", "analytics", "integration")

# Home Assistant 2026 reads the http section once, keeps it in .storage/http as a trial
# that reverts (with a restart) unless confirmed, and warns about the section from then
# on. So it is written only until Home Assistant took it over, and then confirmed.
HTTP_SECTION: Final = """\
http:
  server_host: 127.0.0.1
  server_port: {port}

"""
HTTP_STORE: Final = Path(".storage", "http")

# Home Assistant 2026.11 added the UTC offset to the time ("14:03:45.688-08:00").
_LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)? "
    r"(?P<level>[A-Z]+) \([^)]*\) \[(?P<logger>[^\]]+)\]"
)
_PROBLEM_LEVELS: Final = frozenset({"ERROR", "CRITICAL"})
# Home Assistant warns of what the integration does that a coming release breaks: "Detected
# that custom integration 'flowroute' ..." (helpers/frame.py) or "The deprecated ... was used
# from flowroute" (helpers/deprecation.py). Such a warning is a problem here too; the
# integration's own records (its logger's name says flowroute) are not.
_DEPRECATION = re.compile(r"Detected that custom integration|deprecat", re.IGNORECASE)
_OWN_LOGGER: Final = "custom_components.flowroute"
_TRACEBACK: Final = "Traceback (most recent call last)"

# Linux: the child gets SIGTERM when the process that started it dies, however it dies,
# so a killed demo or test run leaves no Home Assistant behind on a shared machine.
_PR_SET_PDEATHSIG: Final = 1
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


class HassError(Exception):
    """Home Assistant did not start, stop or answer as expected."""


class HassRequestError(HassError):
    """Home Assistant answered a REST request with an error status."""

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        """Keep the status and Home Assistant's message."""
        super().__init__(f"{method} {path} answered {status}: {message}")
        self.status = status
        self.message = message


class FlowError(HassError):
    """A config flow showed errors, or a step the caller had no answers for."""


class CommandError(HassError):
    """A websocket command failed; `code` is Home Assistant's error code."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        """Keep the error's code, message and translation key."""
        self.code: str = str(error.get("code", "unknown_error"))
        self.message: str = str(error.get("message", ""))
        self.translation_key: str | None = error.get("translation_key")
        super().__init__(f"{self.code}: {self.message}")


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _port_taken(port: int) -> bool:
    """Whether something listens on the loopback port (as Home Assistant binds it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@dataclass(slots=True)
class _Tokens:
    access: str
    refresh: str
    expires_at: float  # time.monotonic()


class HassProcess:
    """One Home Assistant process on 127.0.0.1 with its config folder, and a signed-in client.

    `async with HassProcess(folder) as hass:` starts it and stops it at the end. The port
    is picked once, so `restart()` comes back at the same URL. A folder that was onboarded
    before is signed into with the demo user instead.
    """

    def __init__(
        self,
        config_dir: Path,
        *,
        port: int = 0,
        python: str = sys.executable,
        name: str = "Flowroute demo",
    ) -> None:
        """Prepare, without writing or starting anything; port 0 picks a free one."""
        self.config_dir = config_dir.resolve()
        stored = _stored_port(self.config_dir)
        if port and stored and port != stored:
            raise HassError(
                f"Home Assistant keeps the port of {self.config_dir} in {HTTP_STORE}: "
                f"it is {stored}, not {port}. Leave the port out, or start from a new folder."
            )
        self.port = port or stored or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client_id = f"{self.url}/"
        self._python = python
        self._name = name
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tokens: _Tokens | None = None
        self._websocket: HassWebSocket | None = None
        self._earlier_problems: list[str] = []
        self._log_is_ours = False

    async def __aenter__(self) -> Self:
        """Start Home Assistant."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop Home Assistant."""
        await self.stop()

    @property
    def log_file(self) -> Path:
        """Home Assistant's own log."""
        return self.config_dir / LOG_FILE

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    # Life cycle

    def write_config(self) -> None:
        """Write configuration.yaml, link the integration, prepare a new folder's onboarding."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        http = "" if _stored_port(self.config_dir) else HTTP_SECTION.format(port=self.port)
        (self.config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(http=http, name=json.dumps(self._name), url=self.url),
            encoding="utf-8",
        )
        for kept in ("automations.yaml", "templates.yaml"):
            path = self.config_dir / kept
            if not path.exists():
                path.write_text("[]\n", encoding="utf-8")
        custom = self.config_dir / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / INTEGRATION.name
        if link.is_symlink() and link.resolve() != INTEGRATION:
            link.unlink()
        if not link.exists():
            link.symlink_to(INTEGRATION, target_is_directory=True)
        onboarding = self.config_dir / ".storage" / "onboarding"
        if not onboarding.exists():
            onboarding.parent.mkdir(exist_ok=True)
            onboarding.write_text(json.dumps(ONBOARDING_STORE, indent=2), encoding="utf-8")

    async def start(self) -> None:
        """Write the folder, start Home Assistant, sign in, and wait until it runs."""
        if self.running:
            raise HassError(f"Home Assistant is running already on {self.url}")
        if _port_taken(self.port):
            raise HassError(
                f"Port {self.port} of 127.0.0.1, where {self.config_dir} serves Home "
                "Assistant, is in use: stop what uses it (another run of this folder?)"
            )
        self.write_config()
        self._launch()
        deadline = time.monotonic() + START_TIMEOUT
        await self._wait_for_http(deadline)
        await self._sign_in()
        await self._wait_until_running(deadline)
        await self._confirm_http_settings()

    async def restart(self) -> None:
        """Stop Home Assistant with SIGTERM and start it again on the same folder and port."""
        await self.stop()
        await self.start()

    async def stop(self) -> None:
        """Stop Home Assistant (SIGTERM, then SIGKILL if it hangs) and close the client."""
        try:
            await self._terminate()
        finally:
            if self._session is not None:
                await self._session.close()
                self._session = None

    async def wait_exited(self) -> int | None:
        """Wait until the process ends by itself; return its exit status."""
        process = self._process
        while process is not None and process.poll() is None:  # noqa: ASYNC110 - no awaitable exit
            await asyncio.sleep(POLL_INTERVAL * 5)
        return None if process is None else process.returncode

    def _launch(self) -> None:
        if self._log_is_ours:
            # Home Assistant renames the previous log at start: keep what it said.
            self._earlier_problems.extend(_problems_in(self.log_file))
        with (self.config_dir / CONSOLE_FILE).open("ab") as console:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [
                    self._python,
                    "-m",
                    "homeassistant",
                    "--config",
                    str(self.config_dir),
                    "--skip-pip",
                    "--log-no-color",
                ],
                cwd=self.config_dir,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                process_group=0,  # Ctrl-C reaches the demo, which then stops Home Assistant
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - one prctl call, no locks
            )
        self._log_is_ours = True

    async def _terminate(self) -> None:
        websocket, self._websocket = self._websocket, None
        if websocket is not None:
            await websocket.close()
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        if await _wait_exit(process, STOP_TIMEOUT):
            return
        process.kill()
        await _wait_exit(process, STOP_TIMEOUT)
        raise HassError(
            f"Home Assistant did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM and was killed"
        )

    async def _wait_for_http(self, deadline: float) -> None:
        """Wait until Home Assistant's HTTP server answers anything."""
        session = self._client()
        while True:
            self._check_alive()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(
                    f"{self.url}/auth/providers", timeout=aiohttp.ClientTimeout(total=10)
                ):
                    return
            if time.monotonic() > deadline:
                raise HassError(
                    f"Home Assistant did not answer on {self.url} within "
                    f"{START_TIMEOUT:.0f} s\n{self._console_tail()}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def _wait_until_running(self, deadline: float) -> None:
        """Wait until startup is over (every integration set up, or given up on)."""
        while (await self.get("/api/config"))["state"] != "RUNNING":
            self._check_alive()
            if time.monotonic() > deadline:
                raise HassError(
                    f"Home Assistant did not finish starting within {START_TIMEOUT:.0f} s"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def _confirm_http_settings(self) -> None:
        """Confirm the HTTP settings taken from configuration.yaml (Home Assistant 2026)."""
        websocket = await self.websocket()
        try:
            settings = await websocket.command({"type": "http/config"})
        except CommandError as error:
            if error.code == "unknown_command":  # before 2026: the YAML is all there is
                return
            raise
        pending = settings.get("pending")
        if pending and not pending.get("error") and settings["active_config_type"] == "pending":
            await websocket.command({"type": "http/config/promote"})
            # Its repair asks for just that (the section moved into storage); the next
            # start, without the section, removes it. Until then it would only confuse.
            with contextlib.suppress(CommandError):
                await websocket.command(
                    {
                        "type": "repairs/ignore_issue",
                        "domain": "http",
                        "issue_id": "deprecated_yaml",
                        "ignore": True,
                    }
                )

    def _check_alive(self) -> None:
        if self._process is None or self._process.poll() is not None:
            status = None if self._process is None else self._process.returncode
            raise HassError(
                f"Home Assistant exited (status {status}) while starting\n{self._console_tail()}"
            )

    def _console_tail(self) -> str:
        path = self.config_dir / CONSOLE_FILE
        if not path.exists():
            return ""
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "Its last output:\n" + "\n".join(lines[-CONSOLE_TAIL_LINES:])

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
            )
        return self._session

    # Onboarding and tokens

    async def _sign_in(self) -> None:
        """Complete the onboarding as the frontend does, or log the demo user in."""
        done = await self._onboarding_done()
        if done is None or "user" in done:
            code = await self._login_code()
        else:
            code = await self._create_user()
        self._tokens = await self._fetch_tokens(
            {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        )
        for step in ONBOARDING_STEPS[1:]:
            if done is None or step in done:
                continue
            body = None
            if step == "integration":
                body = {"client_id": self.client_id, "redirect_uri": self._redirect_uri}
            await self.post(f"/api/onboarding/{step}", body)

    @property
    def _redirect_uri(self) -> str:
        return f"{self.url}/?auth_callback=1"

    async def _onboarding_done(self) -> set[str] | None:
        """Return the onboarding steps done so far, or None once onboarding is over."""
        async with self._client().get(f"{self.url}/api/onboarding") as response:
            if response.status == 404:  # noqa: PLR2004 - the views exist only while onboarding
                return None
            steps = await _json(response)
        return {step["step"] for step in steps if step["done"]}

    async def _create_user(self) -> str:
        """Create the demo user (the owner); return the authorization code it comes with."""
        async with self._client().post(
            f"{self.url}/api/onboarding/users",
            json={
                "client_id": self.client_id,
                "name": DEMO_NAME,
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
                "language": "en",
            },
        ) as response:
            code: str = (await _json(response))["auth_code"]
        return code

    async def _login_code(self) -> str:
        """Log the demo user in through the login flow; return the authorization code."""
        session = self._client()
        async with session.post(
            f"{self.url}/auth/login_flow",
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self._redirect_uri,
            },
        ) as response:
            flow = await _json(response)
        async with session.post(
            f"{self.url}/auth/login_flow/{flow['flow_id']}",
            json={
                "client_id": self.client_id,
                "username": DEMO_USERNAME,
                "password": DEMO_PASSWORD,
            },
        ) as response:
            result = await _json(response)
        if result.get("type") != "create_entry":
            raise HassError(
                f"Home Assistant refused the demo user {DEMO_USERNAME!r}: {result.get('errors')}. "
                f"Was {self.config_dir} onboarded by someone else? Delete it to start afresh."
            )
        code: str = result["result"]
        return code

    async def _fetch_tokens(self, form: Mapping[str, str]) -> _Tokens:
        async with self._client().post(f"{self.url}/auth/token", data=dict(form)) as response:
            tokens = await _json(response)
        refresh = tokens.get("refresh_token") or (self._tokens.refresh if self._tokens else "")
        return _Tokens(
            access=tokens["access_token"],
            refresh=refresh,
            expires_at=time.monotonic() + float(tokens["expires_in"]),
        )

    async def access_token(self) -> str:
        """Return a valid access token, refreshed when it is about to expire."""
        if self._tokens is None:
            raise HassError("Not signed in: start Home Assistant first")
        if self._tokens.expires_at - time.monotonic() < 60:  # noqa: PLR2004 - a minute's margin
            self._tokens = await self._fetch_tokens(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": self._tokens.refresh,
                    "client_id": self.client_id,
                }
            )
        return self._tokens.access

    # REST

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send an authenticated REST request; return the JSON answer (None when empty)."""
        headers = {"Authorization": f"Bearer {await self.access_token()}"}
        async with self._client().request(
            method, f"{self.url}{path}", json=body, params=params, headers=headers
        ) as response:
            text = await response.text()
            if response.status >= 400:  # noqa: PLR2004
                raise HassRequestError(method, path, response.status, _message(text))
        return json.loads(text) if text else None

    async def get(self, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        """GET a REST path."""
        return await self.request("GET", path, params=params)

    async def post(
        self, path: str, body: Any = None, *, params: Mapping[str, str] | None = None
    ) -> Any:
        """POST JSON to a REST path."""
        return await self.request("POST", path, body, params=params)

    async def call_service(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any] | None = None,
        *,
        return_response: bool = False,
    ) -> Any:
        """Call an action over REST; return its response data, or the changed states."""
        result = await self.post(
            f"/api/services/{domain}/{service}",
            dict(data or {}),
            params={"return_response": ""} if return_response else None,
        )
        return result["service_response"] if return_response else result

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object."""
        state: dict[str, Any] = await self.get(f"/api/states/{entity_id}")
        return state

    async def config_entries(self, domain: str) -> list[dict[str, Any]]:
        """Return the config entries of an integration (entry_id, title, state, ...)."""
        entries: list[dict[str, Any]] = await self.get(
            "/api/config/config_entries/entry", params={"domain": domain}
        )
        return entries

    # Config flows, the frontend's way

    async def run_config_flow(
        self,
        handler: str,
        answers: Mapping[str, Mapping[str, Any]],
        *,
        entry_id: str | None = None,
    ) -> dict[str, Any]:
        """Add an entry (or reconfigure `entry_id`) step by step; return the last result.

        `answers` maps each step id to what the user types there; the rest of each form
        keeps what the frontend would show (suggested values, defaults, sections). The
        result is `create_entry` or `abort`; a form with errors raises FlowError.
        """
        start: dict[str, Any] = {"handler": handler, "show_advanced_options": True}
        if entry_id is not None:
            start["entry_id"] = entry_id
        return await self._run_flow("/api/config/config_entries/flow", start, answers)

    async def run_subentry_flow(
        self, entry_id: str, subentry_type: str, answers: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Add a subentry (a contact, say) to an entry step by step; return the last result."""
        return await self._run_flow(
            "/api/config/config_entries/subentries/flow",
            {"handler": [entry_id, subentry_type], "show_advanced_options": True},
            answers,
        )

    async def run_options_flow(
        self, entry_id: str, answers: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Change an entry's options step by step (its Configure button); the last result."""
        return await self._run_flow(
            "/api/config/config_entries/options/flow",
            {"handler": entry_id, "show_advanced_options": True},
            answers,
        )

    async def _run_flow(
        self, path: str, start: Mapping[str, Any], answers: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.post(path, start)
        for _ in range(MAX_FLOW_STEPS):
            if result["type"] != "form":
                return result
            step = result["step_id"]
            if result.get("errors"):
                raise FlowError(f"Step {step!r} of the flow shows errors: {result['errors']}")
            if step not in answers:
                raise FlowError(f"The flow asks for step {step!r}, which has no answers")
            data = _merged(_initial_form_data(result.get("data_schema") or []), answers[step])
            result = await self.post(f"{path}/{result['flow_id']}", data)
        raise FlowError(f"The flow did not end within {MAX_FLOW_STEPS} steps")

    # Websocket

    async def websocket(self) -> HassWebSocket:
        """Return the websocket connection, opened on first use and after a restart.

        A restart closes it, and with it its event subscriptions.
        """
        if self._websocket is None or self._websocket.closed:
            self._websocket = await HassWebSocket.connect(
                self._client(), f"{self.url}/api/websocket", await self.access_token()
            )
        return self._websocket

    # Log

    def log_problems(self) -> list[str]:
        """Return the ERROR and CRITICAL records, any with a traceback, and deprecation warnings.

        A deprecation warning counts when Home Assistant names the integration in it.

        Covers every run of this object, restarts included (Home Assistant renames the
        previous log when it starts). Each item is one record with its traceback.
        """
        current = _problems_in(self.log_file) if self._log_is_ours else []
        return [*self._earlier_problems, *current]


class EventStream:
    """The data of the events of one type, in the order they arrived on a subscription."""

    def __init__(self, event_type: str) -> None:
        """Start empty."""
        self.event_type = event_type
        self.events: list[dict[str, Any]] = []
        self._changed = asyncio.Event()
        self._closed = False

    def _add(self, data: dict[str, Any]) -> None:
        self.events.append(data)
        self._changed.set()

    def _close(self) -> None:
        self._closed = True
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], *, within: float = 60.0
    ) -> dict[str, Any]:
        """Return the first event data that matches, waiting up to `within` seconds for it."""
        seen = 0
        try:
            async with asyncio.timeout(within):
                while True:
                    for data in self.events[seen:]:
                        if predicate(data):
                            return data
                    seen = len(self.events)
                    if self._closed:
                        raise HassError(f"The websocket closed before the {self.event_type} event")
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(
                f"No matching {self.event_type} event within {within} s; "
                f"{len(self.events)} others: {self.events}"
            ) from None


class HassWebSocket:
    """One connection to the websocket API: commands, actions and event subscriptions."""

    def __init__(self, connection: aiohttp.ClientWebSocketResponse) -> None:
        """Take an authenticated connection and start reading it."""
        self._connection = connection
        self._ids = itertools.count(1)
        self._results: dict[int, asyncio.Future[Any]] = {}
        self._streams: dict[int, EventStream] = {}
        self._closed = False
        self._reader = asyncio.create_task(self._read(), name="Home Assistant websocket")

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, url: str, token: str) -> Self:
        """Connect and authenticate."""
        connection = await session.ws_connect(url, max_msg_size=0)
        try:
            await _authenticate(connection, token)
        except BaseException:
            await connection.close()
            raise
        return cls(connection)

    @property
    def closed(self) -> bool:
        """Whether the connection has ended."""
        return self._closed

    async def command(self, message: Mapping[str, Any]) -> Any:
        """Send a command; return its result, or raise CommandError."""
        _, future = await self._send(message)
        async with asyncio.timeout(REQUEST_TIMEOUT):
            return await future

    async def subscribe_events(self, event_type: str) -> EventStream:
        """Subscribe to an event type; the stream collects its events from now on."""
        stream = EventStream(event_type)
        message_id, future = await self._send(
            {"type": "subscribe_events", "event_type": event_type}, stream
        )
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                await future
        except BaseException:
            self._streams.pop(message_id, None)
            raise
        return stream

    async def call_service(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any] | None = None,
        *,
        return_response: bool = False,
    ) -> Any:
        """Call an action as the frontend does; return its response data when asked.

        A refused call raises CommandError, e.g. code `service_validation_error` with the
        integration's translation key.
        """
        message: dict[str, Any] = {
            "type": "call_service",
            "domain": domain,
            "service": service,
            "service_data": dict(data or {}),
        }
        if return_response:
            message["return_response"] = True
        result = await self.command(message)
        return result.get("response") if return_response else None

    async def close(self) -> None:
        """Close the connection."""
        await self._connection.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _send(
        self, message: Mapping[str, Any], stream: EventStream | None = None
    ) -> tuple[int, asyncio.Future[Any]]:
        if self._closed:
            raise HassError("The websocket connection is closed")
        message_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._results[message_id] = future
        if stream is not None:
            self._streams[message_id] = stream
        await self._connection.send_json({**message, "id": message_id})
        return message_id, future

    async def _read(self) -> None:
        try:
            async for message in self._connection:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                items = json.loads(message.data)
                for item in items if isinstance(items, list) else [items]:
                    self._dispatch(item)
        finally:
            self._closed = True
            for future in self._results.values():
                if not future.done():
                    future.set_exception(HassError("The websocket connection closed"))
            self._results.clear()
            for stream in self._streams.values():
                stream._close()  # noqa: SLF001 - the stream's owner

    def _dispatch(self, item: dict[str, Any]) -> None:
        if item.get("type") == "event":
            if (stream := self._streams.get(item["id"])) is not None:
                stream._add(item["event"]["data"])  # noqa: SLF001 - the stream's owner
            return
        future = self._results.pop(item.get("id", -1), None)
        if future is None or future.done():
            return
        if item.get("success"):
            future.set_result(item.get("result"))
        else:
            future.set_exception(CommandError(item.get("error") or {}))


def _die_with_parent() -> None:
    """Run in the child before exec: SIGTERM it when its parent dies."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def _authenticate(connection: aiohttp.ClientWebSocketResponse, token: str) -> None:
    """Answer the websocket API's auth_required with the token."""
    await connection.receive_json()  # auth_required
    await connection.send_json({"type": "auth", "access_token": token})
    reply = await connection.receive_json()
    if reply.get("type") != "auth_ok":
        raise HassError(f"The websocket API refused the token: {reply.get('message')}")


async def _wait_exit(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait up to `seconds` for the process to end; return whether it did."""
    deadline = time.monotonic() + seconds
    while process.poll() is None:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(POLL_INTERVAL / 2)
    return True


async def _json(response: aiohttp.ClientResponse) -> Any:
    """Return a JSON answer, or raise HassRequestError for an error status."""
    text = await response.text()
    if response.status >= 400:  # noqa: PLR2004
        raise HassRequestError(response.method, response.url.path, response.status, _message(text))
    return json.loads(text)


def _message(text: str) -> str:
    """Home Assistant's error message from a body ({"message": ...} or plain text)."""
    with contextlib.suppress(ValueError):
        body = json.loads(text)
        if isinstance(body, dict) and "message" in body:
            return str(body["message"])
    return text.strip() or "(empty body)"


def _initial_form_data(schema: list[dict[str, Any]]) -> dict[str, Any]:
    """Return what a form starts with in the frontend.

    Suggested values, else defaults; sections (type "expandable") nest their own fields;
    an untouched required checkbox is sent as false.
    """
    data: dict[str, Any] = {}
    for field in schema:
        name = field["name"]
        suggested = (field.get("description") or {}).get("suggested_value")
        if suggested is not None:
            data[name] = suggested
        elif "default" in field:
            data[name] = field["default"]
        elif field.get("type") == "expandable":
            nested = _initial_form_data(field.get("schema") or [])
            if nested or field.get("required"):
                data[name] = nested
        elif field.get("required") and "boolean" in (field.get("selector") or {}):
            data[name] = False
    return data


def _merged(base: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return `base` with `answers` typed over it, section by section."""
    merged = dict(base)
    for key, value in answers.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _stored_port(config_dir: Path) -> int | None:
    """Return the port Home Assistant kept in its storage once it took over the YAML."""
    path = config_dir / HTTP_STORE
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8")).get("data", {})
    if not data.get("yaml_migration_done"):
        return None
    pending = data.get("pending")
    active = pending if pending and not pending.get("error") else data.get("stable", {})
    port: int | None = active.get("server_port")
    return port


def _problems_in(log: Path) -> list[str]:
    """Return the records of a log that are errors or carry a traceback."""
    if not log.exists():
        return []
    records: list[list[str]] = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if _LOG_RECORD.match(line):
            records.append([line])
        elif records:
            records[-1].append(line)
    problems = []
    for record in records:
        match = _LOG_RECORD.match(record[0])
        if (
            (match and match["level"] in _PROBLEM_LEVELS)
            or any(_TRACEBACK in line for line in record)
            or (match and _is_our_deprecation(match["level"], match["logger"], record))
        ):
            problems.append("\n".join(record))
    return problems


def _is_our_deprecation(level: str, logger: str, record: list[str]) -> bool:
    """Whether a record is Home Assistant warning of a deprecated use by the integration."""
    if level != "WARNING" or logger == _OWN_LOGGER or logger.startswith(f"{_OWN_LOGGER}."):
        return False
    text = "\n".join(record)
    return "flowroute" in text.casefold() and _DEPRECATION.search(text) is not None
