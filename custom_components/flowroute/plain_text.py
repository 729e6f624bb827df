"""Texts the house writes itself: in the user's language, plain, split when long.

The integration's own texts (Assist's apology, a question's re-prompt...) are
translated like its errors: `async_house_text` reads them from the "exceptions" part of
the translations, in Home Assistant's language.

Flowroute bills per segment, and one character outside plain ASCII makes a whole text
UCS-2 (70 characters a segment instead of 160): a curly apostrophe in an answer from
Assist can double what it costs. `make_plain` swaps typographic punctuation for its
plain form; `split_for_sms` cuts a long answer at sentence boundaries into texts of a
few segments each.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from homeassistant.helpers.translation import async_get_translations

from .api import count_segments
from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

# Typographic punctuation and spacing, and what it becomes. Letters (é, ñ, emoji) stay:
# changing them would change what was said.
_PLAIN: Final = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark, the curly apostrophe
        "\u201a": "'",  # single low-9 quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u2032": "'",  # prime
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
        "\u201f": '"',  # double high-reversed-9 quotation mark
        "\u2033": '"',  # double prime
        "\u00ab": '"',  # left-pointing double angle quotation mark
        "\u00bb": '"',  # right-pointing double angle quotation mark
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u2026": "...",  # horizontal ellipsis
        "\u2022": "*",  # bullet
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
        "\u200a": " ",  # hair space
        "\u202f": " ",  # narrow no-break space
        "\u2002": " ",  # en space
        "\u2003": " ",  # em space
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u2060": None,  # word joiner
        "\ufeff": None,  # zero-width no-break space (byte order mark)
    }
)

# A sentence ends with . ! or ? (possibly repeated, possibly closed by a quote or a
# bracket) followed by white space; a line break ends one too. Only the white space is
# matched (the closers are looked behind at, up to two): splitting drops what it matches.
_SENTENCE_END: Final = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]])|(?<=[.!?][\"')\]]{2}))\s+|\n+")

MAX_SEGMENTS_PER_TEXT: Final = 3
MAX_TEXTS: Final = 4
_ELLIPSIS: Final = "..."


async def async_house_text(hass: HomeAssistant, key: str, **placeholders: str) -> str:
    """Return one of the integration's own texts, in Home Assistant's language."""
    name = f"component.{DOMAIN}.exceptions.{key}.message"
    for language in dict.fromkeys((hass.config.language, "en")):
        strings = await async_get_translations(hass, language, "exceptions", [DOMAIN])
        if text := strings.get(name):
            return text.format(**placeholders) if placeholders else text
    return key


def make_plain(text: str) -> str:
    """Return the text with typographic punctuation and spaces in their plain forms."""
    return text.translate(_PLAIN)


def first_unplain(text: str) -> str | None:
    """Return the first character that keeps the text out of GSM-7, or None."""
    return next((char for char in text if not char.isascii()), None)


def split_for_sms(
    text: str, *, max_segments: int = MAX_SEGMENTS_PER_TEXT, max_texts: int = MAX_TEXTS
) -> list[str]:
    """Split an answer into texts of at most `max_segments` segments, at sentence ends.

    A sentence too long for one text is cut between words (between characters for a
    word that long). Beyond `max_texts` texts the answer is cut short, and the last
    text says so with an ellipsis. An empty answer gives no text.
    """
    sentences = [part.strip() for part in _SENTENCE_END.split(text)]
    pieces: list[str] = []
    for sentence in filter(None, sentences):
        pieces.extend(_cut(sentence, max_segments))
    texts: list[str] = []
    for piece in pieces:
        candidate = f"{texts[-1]} {piece}" if texts else piece
        if texts and count_segments(candidate) <= max_segments:
            texts[-1] = candidate
        else:
            texts.append(piece)
    if len(texts) > max_texts:
        texts = texts[:max_texts]
        texts[-1] = _with_ellipsis(texts[-1], max_segments)
    return texts


def _cut(sentence: str, max_segments: int) -> list[str]:
    """Cut one sentence into parts that fit a text, between words where it can."""
    if count_segments(sentence) <= max_segments:
        return [sentence]
    parts: list[str] = []
    current = ""
    for word in sentence.split():
        candidate = f"{current} {word}" if current else word
        if count_segments(candidate) <= max_segments:
            current = candidate
            continue
        if current:
            parts.append(current)
        # A word longer than a whole text: cut it between characters.
        rest = word
        while count_segments(rest) > max_segments:
            cut = _longest_prefix(rest, max_segments)
            parts.append(rest[:cut])
            rest = rest[cut:]
        current = rest
    if current:
        parts.append(current)
    return parts


def _longest_prefix(text: str, max_segments: int) -> int:
    """Return the length of the longest prefix of `text` that fits in one text."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count_segments(text[:middle]) <= max_segments:
            low = middle
        else:
            high = middle - 1
    return low


def _with_ellipsis(text: str, max_segments: int) -> str:
    """Return `text` ending in an ellipsis, shortened if it must be to still fit."""
    while text and count_segments(f"{text}{_ELLIPSIS}") > max_segments:
        text = text[: _longest_prefix(text, max_segments) - len(_ELLIPSIS)].rstrip()
    return f"{text.rstrip('.')}{_ELLIPSIS}"
