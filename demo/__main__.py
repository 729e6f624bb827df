"""python -m demo: a real Home Assistant with the integration, texting the Flowroute simulator.

Starts the simulator (its phone page plays Alex's and Sam's handsets), starts Home Assistant
with its config folder in config/, completes the onboarding, adds the Flowroute account
through the config flow, two contacts (Alex may talk to Assist), a camera, a porch light and
a coffee maker for Assist, a garage door, and three example automations, has Sam and Alex
text the house (the Texts panel opens with their conversations), prints where everything
is, and runs until Ctrl-C. A second run reuses the folder and starts quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Final

import aiohttp

from simulator.app import serve
from simulator.core import Simulator
from simulator.rules import display_number
from simulator.seeding import SeedPlan
from simulator.settings import Settings
from simulator.state import DEFAULT_ACCOUNT

from .configure import (
    ALEX,
    CONTACTS,
    GARAGE_DOOR_NAME,
    add_automations,
    add_camera,
    add_contact,
    add_flowroute,
    add_garage_door,
    add_opening_conversations,
    add_things_for_assist,
    messaging_numbers,
    name_handsets,
)
from .hass import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
    REPOSITORY,
    RESTART_EXIT_CODE,
    HassError,
    HassProcess,
)

if TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Build the command line's parser."""
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description=(
            "Run Home Assistant with the Flowroute integration against the Flowroute "
            "simulator, set up and ready to text."
        ),
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=REPOSITORY / "config",
        help="Home Assistant's config folder (default: config/ in the repository)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="Home Assistant's port (default: a free one, which Home Assistant then keeps)",
    )
    parser.add_argument(
        "--simulator-port", type=int, default=0, help="the simulator's port (default: a free one)"
    )
    return parser


def say(text: str = "") -> None:
    """Print a line of the demo's output at once."""
    print(text, flush=True)  # noqa: T201 - the demo talks to the person who started it


def stop_on_signals(task: asyncio.Task[int]) -> None:
    """Let the first Ctrl-C (or SIGTERM) cancel `task`; later ones only say it is stopping."""
    loop = asyncio.get_running_loop()
    stopping = False

    def on_signal() -> None:
        nonlocal stopping
        if stopping:
            say("Still stopping: Home Assistant is saving its state.")
            return
        stopping = True
        say("\nStopping ...")
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)


async def set_up(hass: HassProcess, simulator_url: str) -> None:
    """Configure Home Assistant as a person would in its UI; each step skips what exists."""
    entry_id = await add_flowroute(hass, simulator_url)
    for contact in CONTACTS:
        await add_contact(hass, entry_id, contact)
    camera = await add_camera(hass)
    await add_things_for_assist(hass)
    garage_door = await add_garage_door(hass)
    await add_automations(hass, camera_entity_id=camera, garage_door_entity_id=garage_door)
    await add_opening_conversations(hass, simulator_url, entry_id)


def banner(hass: HassProcess, simulator_url: str) -> list[str]:
    """Return what the demo prints once everything is ready."""
    numbers = [display_number(number) for number in messaging_numbers()]
    contacts = " and ".join(
        f"{contact.name} ({display_number(contact.number)})" for contact in CONTACTS
    )
    others = " or ".join(contact.name for contact in CONTACTS if not contact.assist)
    return [
        "",
        "The Flowroute demo is ready.",
        "",
        f"  Home Assistant  {hass.url}",
        f'                  log in as "{DEMO_USERNAME}", password "{DEMO_PASSWORD}"',
        f"  Phone page      {simulator_url}/phone",
        f"                  {contacts} text your numbers from here",
        f"  Your numbers    {', '.join(numbers)}",
        f"                  Flowroute account {DEFAULT_ACCOUNT.access_key} on the simulator",
        "",
        "Try it on the phone page:",
        f'  - as {others}, text "status" or "photo" to {numbers[0]};',
        f"  - as {ALEX.name}, who talks to Assist (as the user {DEMO_USERNAME}), text",
        f'    "turn on the porch light" or "is the coffee maker on?" to {numbers[0]};',
        f'  - turn on "{GARAGE_DOOR_NAME}" in Home Assistant (Settings > Devices & services >',
        f'    Helpers): {ALEX.name} is asked "Close it?"; answer "yes" and it closes.',
        f"The simulator holds {HISTORY.count} made-up texts of the last 30 days: the account's",
        "device shows this month's usage and spend once Home Assistant has read them.",
        "In Home Assistant, the Texts panel in the sidebar shows the conversations and",
        "answers them; or Developer tools > Actions > Flowroute: Send message (or",
        f"Flowroute: Ask, which waits for the answer), to {ALEX.name}'s number.",
        f"Home Assistant's log: {hass.log_file}",
        "Press Ctrl-C to stop.",
    ]


# A month of made-up texts to and from other handsets (the phone page does not show
# them): the usage and cost sensors show this month's share as soon as Home Assistant
# reads the records. The same seed gives the same texts.
HISTORY: Final = SeedPlan(count=900, days=30, seed=2026)


async def run(args: argparse.Namespace) -> int:
    """Run the demo until Ctrl-C; return the exit status."""
    task = asyncio.current_task()
    assert task is not None  # noqa: S101 - asyncio.run runs this as a task
    stop_on_signals(task)
    # The handsets do not answer by themselves: a person types the replies on the phone page.
    simulator = Simulator(
        [DEFAULT_ACCOUNT], Settings(handsets=tuple(contact.number for contact in CONTACTS))
    )
    simulator.seed_records(HISTORY)
    try:
        hass = HassProcess(args.config, port=args.port)
        async with serve(simulator, "127.0.0.1", args.simulator_port) as simulator_url:
            say(f"Flowroute simulator listening on {simulator_url}")
            await name_handsets(simulator_url)
            say(f"Starting Home Assistant in {hass.config_dir} (the first start takes longer) ...")
            try:
                await hass.start()
                await set_up(hass, simulator_url)
                say("\n".join(banner(hass, simulator_url)))
                while (status := await hass.wait_exited()) == RESTART_EXIT_CODE:
                    say("Home Assistant asked to be restarted: starting it again ...")
                    await hass.start()
                    say(f"Home Assistant is back at {hass.url}")
                say(f"Home Assistant stopped by itself (exit status {status}); see {hass.log_file}")
                return 1
            finally:
                if hass.running:
                    say("Stopping Home Assistant ...")
                await hass.stop()
    except (HassError, aiohttp.ClientError, OSError) as error:
        say(f"The demo could not run: {error}")
        return 1
    except asyncio.CancelledError:
        say("Stopped.")
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    return asyncio.run(run(build_parser().parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
