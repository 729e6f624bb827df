"""The texts the house writes itself (plain_text.py): translated, made plain, split to fit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.flowroute.api import count_segments
from custom_components.flowroute.plain_text import (
    MAX_SEGMENTS_PER_TEXT,
    MAX_TEXTS,
    async_house_text,
    first_unplain,
    make_plain,
    split_for_sms,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

GSM_TEXT_LIMIT = 3 * 140  # characters in three GSM-7 segments
UCS_TEXT_LIMIT = 3 * 70  # UTF-16 units in three UCS-2 segments


def _fits(part: str) -> bool:
    return 0 < count_segments(part) <= MAX_SEGMENTS_PER_TEXT


def _sentence(length: int, word: str = "word") -> str:
    """A sentence of exactly `length` characters, whole words, ending with a period."""
    words = " ".join([word] * (length // (len(word) + 1) + 1))
    text = words[: length - 1].rstrip()
    return text + "." * (length - len(text))


# make_plain and first_unplain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("It\u2019s on", "It's on"),
        ("\u2018single\u2019 \u201cdouble\u201d \u201elow\u201f", '\'single\' "double" "low"'),
        ("\u00abguillemets\u00bb", '"guillemets"'),
        ("5\u20327\u2033", "5'7\""),
        ("a\u2013b \u2014 c\u2010d\u2011e\u2212f\u2012g\u2015h", "a-b - c-d-e-f-g-h"),
        ("Wait\u2026", "Wait..."),
        ("\u2022 one", "* one"),
        ("10\u00a0kWh at\u202f5\u2009pm\u2007x\u200ay\u2002z\u2003!", "10 kWh at 5 pm x y z !"),
        ("zero\u200bwidth\u2060joined\ufeffbom soft\u00adhyphen", "zerowidthjoinedbom softhyphen"),
    ],
)
def test_make_plain(text: str, plain: str) -> None:
    assert make_plain(text) == plain
    assert first_unplain(make_plain(text)) is None
    assert count_segments(plain) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Caf\u00e9 cr\u00e8me, se\u00f1or, Stra\u00dfe",
        "\u65e5\u672c\u8a9e",
        "Lights on \U0001f4a1",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 family",  # zero-width joiners make one emoji
        "Plain ASCII stays: 'quotes' \"too\" - and ...",
    ],
)
def test_make_plain_leaves_letters_and_emoji(text: str) -> None:
    assert make_plain(text) == text


def test_make_plain_keeps_a_text_gsm_7() -> None:
    """One curly apostrophe makes a text UCS-2: plain, it costs half as many segments."""
    answer = "The garage door\u2019s closed and the porch light\u2019s on. " * 3
    assert count_segments(answer) == 3
    assert count_segments(make_plain(answer)) == 1


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("all plain", None),
        ("", None),
        ("Caf\u00e9 \u2019", "\u00e9"),
        ("It\u2019s", "\u2019"),
        ("ok \U0001f44d", "\U0001f44d"),
    ],
)
def test_first_unplain(text: str, first: str | None) -> None:
    assert first_unplain(text) == first


# split_for_sms


def test_a_short_answer_is_one_text() -> None:
    assert split_for_sms("The porch light is on.") == ["The porch light is on."]
    assert split_for_sms("  One. Two!  Three?\nFour ") == ["One. Two! Three? Four"]


def test_nothing_to_say_gives_no_text() -> None:
    assert split_for_sms("") == []
    assert split_for_sms(" \n\t ") == []


def test_a_text_of_exactly_three_segments_is_not_split() -> None:
    text = _sentence(GSM_TEXT_LIMIT)
    assert count_segments(text) == MAX_SEGMENTS_PER_TEXT
    assert split_for_sms(text) == [text]
    assert len(split_for_sms(_sentence(GSM_TEXT_LIMIT + 1))) == 2


def test_splits_at_sentence_ends() -> None:
    first, second, third = _sentence(300), _sentence(200, "other"), _sentence(100, "more")
    parts = split_for_sms(f"{first} {second}\n{third}")
    # Sentences stay whole, and share a text when they fit in one.
    assert parts == [first, f"{second} {third}"]
    assert all(_fits(part) for part in parts)


@pytest.mark.parametrize("end", [".", "!", "?", "?!", '."', ".)", ".')", "!]"])
def test_a_sentence_end_keeps_its_punctuation_and_closing_quotes(end: str) -> None:
    first = _sentence(300).rstrip(".") + end
    second = _sentence(300, "next")
    assert split_for_sms(f"{first} {second}") == [first, second]


def test_no_split_inside_a_sentence_at_other_punctuation() -> None:
    first = "Temperatures: living room 21.5, kitchen 20.0 (a bit cold), bedroom 19 - " * 4
    parts = split_for_sms(f"{first.strip()} Done.")
    assert parts == [f"{first.strip()} Done."]
    assert len(parts[0]) <= GSM_TEXT_LIMIT


def test_a_very_long_sentence_is_cut_between_words() -> None:
    words = [f"word{n}" for n in range(150)]
    sentence = " ".join(words)
    assert len(sentence) > 2 * GSM_TEXT_LIMIT
    parts = split_for_sms(sentence)
    assert len(parts) == 3
    assert all(_fits(part) for part in parts)
    # Cut at the spaces between words: joined with one again, they are the sentence.
    assert " ".join(parts) == sentence
    # Greedy: the first parts are as full as whole words allow.
    assert len(parts[0]) + 1 + len(parts[1].split()[0]) > GSM_TEXT_LIMIT


def test_a_huge_word_is_cut_between_characters() -> None:
    word = "x" * 1000
    parts = split_for_sms(f"See {word} here.")
    assert all(_fits(part) for part in parts)
    assert parts[0] == "See"  # the word does not fit after it
    assert "".join(parts[1:]).replace(" ", "") == word + "here."
    assert [len(part) for part in parts[1:3]] == [GSM_TEXT_LIMIT, GSM_TEXT_LIMIT]


def test_a_ucs_2_answer_splits_by_ucs_2_segments() -> None:
    sentence = "Caf\u00e9 ouvert. " * 40  # é: every text is UCS-2, 70 characters a segment
    parts = split_for_sms(sentence)
    assert all(_fits(part) for part in parts)
    assert all(len(part) <= UCS_TEXT_LIMIT for part in parts)
    assert max(len(part) for part in parts) > UCS_TEXT_LIMIT - len("Caf\u00e9 ouvert. ")
    assert " ".join(parts) == sentence.strip()


def test_emoji_count_as_two_ucs_2_units() -> None:
    parts = split_for_sms("\U0001f4a1" * 200)  # 400 UTF-16 units
    assert [len(part) for part in parts] == [105, 95]
    assert all(_fits(part) for part in parts)


def test_more_than_four_texts_are_cut_short_with_an_ellipsis() -> None:
    sentences = [_sentence(GSM_TEXT_LIMIT, f"s{n}") for n in range(6)]
    parts = split_for_sms(" ".join(sentences))
    assert len(parts) == MAX_TEXTS
    assert parts[:3] == sentences[:3]
    # The fourth was already full: it is shortened so the ellipsis still fits.
    assert parts[3].endswith("...")
    assert not parts[3].endswith("....")
    assert _fits(parts[3])
    assert sentences[3].startswith(parts[3].removesuffix("...").rstrip())
    assert len(parts[3]) <= GSM_TEXT_LIMIT


def test_the_ellipsis_replaces_a_final_period() -> None:
    sentences = [_sentence(300, f"s{n}") for n in range(5)]
    parts = split_for_sms(" ".join(sentences))
    assert parts[:3] == sentences[:3]
    assert parts[3] == sentences[3].rstrip(".") + "..."


def test_the_limits_can_be_given() -> None:
    text = "One. Two. Three."
    assert split_for_sms(text, max_segments=1) == [text]
    long = " ".join(_sentence(150, f"s{n}") for n in range(3))
    assert len(split_for_sms(long, max_segments=1)) == 3
    assert len(split_for_sms(long, max_segments=1, max_texts=2)) == 2


_CHARACTERS = st.sampled_from(
    [
        *"abcdefghijABC0123456789",
        *(" ", " ", "  ", "\n", "\t"),
        *".!?,:-\"')(]",
        *("\u00e9", "\u00f1", "\u2019", "\U0001f4a1", "\u65e5"),
    ]
)
_WORDS = st.one_of(
    st.text(
        st.sampled_from([*"abcdefghijXYZ019,:-'\"(", "\u00e9", "\U0001f4a1"]),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["a", "the", "Porch", "light", "21.5", "(kitchen)", "\u2019s"]),
    st.text(st.sampled_from("xy\u00e9"), min_size=150, max_size=700),  # often longer than a text
)
_SENTENCES = st.tuples(
    st.lists(_WORDS, min_size=1, max_size=40).map(" ".join),
    st.sampled_from([".", "!", "?", "?!", '."', ".)", ".')", "!]", "...", "", ","]),
    st.sampled_from([" ", "  ", "\n", "\n\n", " \t", ""]),
).map("".join)
# Answers as sentences (many texts long), and as any mix of characters.
_TEXTS = st.lists(_SENTENCES, max_size=15).map("".join) | st.lists(_CHARACTERS, max_size=1500).map(
    "".join
)


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(_TEXTS)
def test_every_part_fits_and_nothing_is_lost(text: str) -> None:
    """Without the cap on texts, the parts are the whole answer, in order, each fitting."""
    parts = split_for_sms(text, max_texts=10_000)
    assert all(_fits(part) for part in parts)
    assert all(part == part.strip() for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())
    # Words longer than a text are the only ones cut.
    if all(count_segments(word) <= MAX_SEGMENTS_PER_TEXT for word in text.split()):
        assert " ".join(parts).split() == text.split()


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(_TEXTS)
def test_at_most_four_texts_each_fitting(text: str) -> None:
    parts = split_for_sms(text)
    assert len(parts) <= MAX_TEXTS
    assert all(_fits(part) for part in parts)
    if len(split_for_sms(text, max_texts=10_000)) > MAX_TEXTS:
        assert parts[-1].endswith("...")
    else:
        assert parts == split_for_sms(text, max_texts=10_000)


# async_house_text


async def test_house_text_in_english(hass: HomeAssistant) -> None:
    assert await async_house_text(hass, "assist_new") == "OK, a new conversation."
    assert (
        await async_house_text(hass, "question_reprompt", answers="Yes, No")
        == "Sorry, please reply Yes, No"
    )


async def test_house_text_falls_back_to_english(hass: HomeAssistant) -> None:
    """The integration has no German texts: a German Home Assistant gets the English."""
    hass.config.language = "de"
    assert await async_house_text(hass, "question_choices", answers="Ja, Nein") == "Reply Ja, Nein"


async def test_placeholders_are_not_read_as_templates(hass: HomeAssistant) -> None:
    """A placeholder's value (an answer someone typed) is inserted as it is."""
    text = await async_house_text(hass, "question_choices", answers="{answers}, {0}")
    assert text == "Reply {answers}, {0}"


async def test_an_unknown_house_text_is_its_key(hass: HomeAssistant) -> None:
    assert await async_house_text(hass, "no_such_text") == "no_such_text"


@pytest.mark.parametrize(
    "key",
    ["assist_failed", "assist_rate_limited", "assist_new", "question_choices", "question_reprompt"],
)
def test_house_texts_are_plain(key: str) -> None:
    """The integration's own texts are GSM-7: none has a typographic character."""
    path = Path(__file__).parents[1] / "custom_components/flowroute/translations/en.json"
    strings = json.loads(path.read_text(encoding="utf-8"))
    assert first_unplain(strings["exceptions"][key]["message"]) is None
