"""What the integration knows about media types, outbound and inbound (no Home Assistant).

Python's own table reads the machine's mime.types too, so it differs from one machine to
the next and lacks some of the types handsets send: every type Flowroute documents has its
extension here, and every extension written here maps back to one type.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePath
from typing import Final

# Outbound media types Flowroute documents as rendered by most handsets.
SUPPORTED_CONTENT_TYPES: Final = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/bmp",
        "video/3gpp",
        "video/mp4",
        "video/x-msvideo",
        "video/avi",
        "video/mpeg",
        "audio/amr",
        "audio/midi",
        "audio/mid",
        "audio/wav",
        "audio/x-wav",
        "audio/ac3",
        "audio/mpeg",
        "text/plain",
    }
)
# Types a browser would run on Home Assistant's origin: never named or served as such.
ACTIVE_TYPES: Final = frozenset(
    {
        "image/svg+xml",
        "text/html",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "text/javascript",
        "application/javascript",
    }
)
# The extension of each documented type (and "image/jpg", which handsets send). Where
# two types share an extension, the first one listed is the type the extension maps back to.
_EXTENSIONS: Final = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "video/3gpp": ".3gp",
    "video/mp4": ".mp4",
    "video/x-msvideo": ".avi",
    "video/avi": ".avi",
    "video/mpeg": ".mpeg",
    "audio/amr": ".amr",
    "audio/midi": ".mid",
    "audio/mid": ".mid",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/ac3": ".ac3",
    "audio/mpeg": ".mp3",
    "text/plain": ".txt",
}
_TYPES: Final = {ext: mime for mime, ext in reversed(_EXTENSIONS.items())}
UNKNOWN_EXTENSION: Final = ".bin"
UNKNOWN_TYPE: Final = "application/octet-stream"
_INLINE_PREFIXES: Final = ("image/", "audio/", "video/")


def bare_mime_type(value: str | None) -> str | None:
    """Return the bare, lower-case type of a Content-Type value (None when there is none)."""
    if not value:
        return None
    return value.split(";", 1)[0].strip().lower() or None


def extension(mime_type: str | None) -> str:
    """Return the extension to name a file of `mime_type` with, `.bin` when unknown or active.

    Always an extension, never an empty one: a saved file (inbound) or a sent one
    (outbound) then never claims a type it does not have, a type a browser would run is
    never named as such, and guess_mime_type reads `.bin` back as application/octet-stream.
    """
    bare = bare_mime_type(mime_type)
    if bare is None or bare in ACTIVE_TYPES:
        return UNKNOWN_EXTENSION
    return (
        _EXTENSIONS.get(bare) or mimetypes.guess_extension(bare, strict=False) or UNKNOWN_EXTENSION
    )


def guess_mime_type(file_name: str) -> str:
    """Return the type of a file from its extension (application/octet-stream when unknown)."""
    suffix = PurePath(file_name).suffix.lower()
    guessed = _TYPES.get(suffix) or mimetypes.guess_file_type(file_name)[0]
    return guessed.lower() if guessed else UNKNOWN_TYPE


def is_inline_type(mime_type: str) -> bool:
    """Whether a browser may show the type inline (media, but nothing that runs)."""
    return mime_type.startswith(_INLINE_PREFIXES) and mime_type not in ACTIVE_TYPES
