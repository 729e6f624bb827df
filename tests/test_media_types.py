"""What the integration knows about media types, without Home Assistant."""

from __future__ import annotations

import pytest

from custom_components.flowroute.media_types import (
    ACTIVE_TYPES,
    SUPPORTED_CONTENT_TYPES,
    bare_mime_type,
    extension,
    guess_mime_type,
    is_inline_type,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("image/png", "image/png"),
        ("IMAGE/JPEG; charset=binary", "image/jpeg"),
        ("  video/mp4 ;codecs=avc1", "video/mp4"),
        ("", None),
        (None, None),
        ("; charset=utf-8", None),
    ],
)
def test_bare_mime_type(value: str | None, expected: str | None) -> None:
    assert bare_mime_type(value) == expected


@pytest.mark.parametrize("mime_type", sorted(SUPPORTED_CONTENT_TYPES))
def test_every_documented_type_round_trips(mime_type: str) -> None:
    # A file named after its type is read back as a type Flowroute documents, whatever
    # the machine's own mime.types says.
    suffix = extension(mime_type)
    assert suffix.startswith(".")
    assert suffix != ".bin"
    assert guess_mime_type(f"x{suffix}") in SUPPORTED_CONTENT_TYPES


@pytest.mark.parametrize(
    ("mime_type", "expected"),
    [
        ("image/jpeg", ".jpg"),
        ("image/jpg", ".jpg"),
        ("Image/JPEG; q=1", ".jpg"),
        ("audio/amr", ".amr"),
        ("audio/mid", ".mid"),
        ("video/3gpp", ".3gp"),
        ("video/avi", ".avi"),
        ("image/webp", ".webp"),  # not in the table: Python's own
        ("application/x-unknown-thing", ".bin"),
        ("", ".bin"),
        (None, ".bin"),
    ],
)
def test_extension(mime_type: str | None, expected: str) -> None:
    assert extension(mime_type) == expected


@pytest.mark.parametrize("mime_type", sorted(ACTIVE_TYPES))
def test_types_a_browser_runs_are_never_named_as_such(mime_type: str) -> None:
    assert extension(mime_type) == ".bin"
    assert extension(mime_type.upper()) == ".bin"
    assert guess_mime_type(f"x{extension(mime_type)}") == "application/octet-stream"


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("a.jpg", "image/jpeg"),
        ("A.JPG", "image/jpeg"),
        ("x-1-clip.3gp", "video/3gpp"),  # Python says audio/3gpp
        ("x-1-voice.amr", "audio/amr"),  # Python says audio/AMR
        ("x-1-tune.mid", "audio/midi"),  # Python says audio/sp-midi
        ("movie.mov", "video/quicktime"),
        ("x-1-page.bin", "application/octet-stream"),
        ("no-extension", "application/octet-stream"),
        ("archive.unknown-ext", "application/octet-stream"),
    ],
)
def test_guess_mime_type(file_name: str, expected: str) -> None:
    assert guess_mime_type(file_name) == expected


@pytest.mark.parametrize(
    ("mime_type", "inline"),
    [
        ("image/png", True),
        ("video/mp4", True),
        ("audio/mpeg", True),
        ("image/svg+xml", False),
        ("text/html", False),
        ("text/plain", False),
        ("application/octet-stream", False),
    ],
)
def test_is_inline_type(mime_type: str, inline: bool) -> None:
    assert is_inline_type(mime_type) is inline
