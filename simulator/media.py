"""MMS media: fetching a send's media_urls as Flowroute does, and generating PNG pictures."""

from __future__ import annotations

import hashlib
import struct
import zlib
from urllib.parse import unquote, urlsplit
from uuid import uuid4

import aiohttp

from .errors import ApiError
from .state import MediaFile

_CHUNK = 64 * 1024


def too_large(what: str, size: int, limit: int) -> ApiError:
    """Return the 422 Flowroute answers for media over its size limit."""
    return ApiError(422, f"{what} is {size:,} bytes, over the {limit:,}-byte limit for MMS media")


def unreachable(url: str, reason: str) -> ApiError:
    """Return the 400 for a media URL that could not be fetched."""
    return ApiError(400, f"media URL {url} could not be fetched: {reason}")


async def fetch_media(
    session: aiohttp.ClientSession, url: str, *, max_bytes: int
) -> tuple[MediaFile, bytes]:
    """Download `url`: its record and content; 400 if it cannot be fetched, 422 if too large.

    The caller bounds the time it may take.
    """
    content = bytearray()
    try:
        async with session.get(url) as response:
            if response.status != 200:  # noqa: PLR2004
                raise unreachable(url, f"HTTP {response.status}")
            if response.content_length is not None and response.content_length > max_bytes:
                raise too_large(url, response.content_length, max_bytes)
            async for chunk in response.content.iter_chunked(_CHUNK):
                content += chunk
                if len(content) > max_bytes:
                    raise too_large(url, len(content), max_bytes)
            mime_type = response.content_type
    except aiohttp.ClientError as error:
        raise unreachable(url, str(error) or type(error).__name__) from error
    file = MediaFile(
        media_id="m-" + uuid4().hex,
        url=url,
        mime_type=mime_type,
        file_name=unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "media",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    return file, bytes(content)


def png_image(
    width: int = 64, height: int = 64, rgb: tuple[int, int, int] = (30, 144, 255)
) -> bytes:
    """Return a valid PNG of one colour: the picture an inbound MMS carries by default."""
    row = b"\x00" + bytes(rgb) * width  # filter byte 0, then the pixels

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
