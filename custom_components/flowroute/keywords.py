"""Recognise the carrier keywords (STOP, START, HELP) in an inbound text."""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from .messages import Keyword

# Phones add punctuation, smart quotes and stray spaces around a one-word reply.
_PUNCTUATION: Final = " \t\r\n.,!?;:'\"()[]{}<>*_~-¡¿“”‘’«»…"  # noqa: RUF001 - the point is matching them
_STOP_ALL: Final = "STOPALL"
_KEYWORDS: Final = MappingProxyType(
    {
        "STOP": Keyword.STOP,
        _STOP_ALL: Keyword.STOP,
        "UNSUBSCRIBE": Keyword.STOP,
        "CANCEL": Keyword.STOP,
        "END": Keyword.STOP,
        "QUIT": Keyword.STOP,
        "START": Keyword.START,
        "UNSTOP": Keyword.START,
        "YES": Keyword.START,
        "HELP": Keyword.HELP,
        "INFO": Keyword.HELP,
    }
)
_LONGEST: Final = max(map(len, _KEYWORDS)) + 16  # room for punctuation and spaces


def _word(body: str | None) -> str | None:
    """Return the body as one upper-case ASCII word, or None when it is not one."""
    if not body or len(body) > _LONGEST:
        return None
    word = body.strip(_PUNCTUATION)
    # ASCII only before upper(): a long s (U+017F) upper-cases to S, and "stöp" must not match.
    if not word.isascii() or not word.isalpha():
        return None
    return word.upper()


def classify_keyword(body: str | None) -> Keyword | None:
    """Return the keyword a whole message stands for; multi-word texts never do."""
    word = _word(body)
    return None if word is None else _KEYWORDS.get(word)


def is_stop_all(body: str | None) -> bool:
    """Return whether the message is STOPALL (opt out of every number of the account)."""
    return _word(body) == _STOP_ALL
