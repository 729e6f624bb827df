"""The command line: it starts, prints its URL and accounts, answers, and stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from simulator import basic_authorization
from simulator.__main__ import build_parser, parse_account

from .helpers import closed_port

REPO = Path(__file__).resolve().parents[2]


async def test_cli_serves_until_ctrl_c() -> None:
    port = closed_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--account",
        "KEY:SECRET:12065550101,12065550102",
        "--callback-retry-interval",
        "0.5",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 15)  # type: ignore[union-attr]
        assert first.decode().strip() == f"Flowroute simulator listening on http://127.0.0.1:{port}"
        account = await process.stdout.readline()  # type: ignore[union-attr]
        assert "KEY" in account.decode()
        assert "12065550101, 12065550102" in account.decode()
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"http://127.0.0.1:{port}/v2/numbers",
                headers={"Authorization": basic_authorization("KEY", "SECRET")},
            ) as response,
        ):
            assert response.status == 200
            assert len((await response.json(content_type=None))["data"]) == 2
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_account_argument() -> None:
    account = parse_account("key:se:cret:12065550101,447700900123")
    assert (account.access_key, account.secret_key) == ("key", "se:cret")
    assert [number.number for number in account.numbers] == ["12065550101", "447700900123"]


@pytest.mark.parametrize("value", ["key", "key:secret", "key:secret:2065550101"])
def test_bad_account_argument_exits_with_usage(value: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--account", value])
    assert exit_info.value.code == 2


def test_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.account, args.demo) == ("127.0.0.1", 8089, None, False)
    assert args.callback_retry_interval == 30.0
