"""Unit tests of dsl.textcheck: English number words, and the durations and percentages read."""

from __future__ import annotations

import pytest

from dsl.textcheck import durations, number, percentages

# Spelt out here independently of the module under test.
UNITS_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
TENS_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spelt(n: int) -> str:
    if n < 10:
        return UNITS_WORDS[n - 1]
    if n < 20:
        return TEENS[n - 10]
    tens, ones = divmod(n, 10)
    return TENS_WORDS[tens - 2] + ("-" + UNITS_WORDS[ones - 1] if ones else "")


def words(text: str) -> list[str]:
    return text.replace("-", " ").split()


@pytest.mark.parametrize("n", range(1, 100))
def test_one_to_ninety_nine(n):
    assert number(words(spelt(n))) == n


@pytest.mark.parametrize("text, value", [
    ("zero", 0), ("a", 1), ("an", 1), ("hundred", 100), ("a hundred", 100),
    ("one hundred", 100), ("two hundred", 200), ("one hundred and five", 105),
    ("one hundred twenty", 120), ("nine hundred and ninety-nine", 999),
])
def test_hundreds_and_articles(text, value):
    assert number(words(text)) == value


@pytest.mark.parametrize("text", [
    "", "and", "twenty twenty", "four twenty", "ten five", "twenty zero", "hundred hundred",
    "ten hundred", "one hundred and", "a a", "an hour",
])
def test_not_numbers(text):
    assert number(words(text)) is None


def read(text: str) -> list[tuple[str, float, str]]:
    return [(s.raw, s.amount, s.unit) for s in durations(text)]


@pytest.mark.parametrize("text, expected", [
    ("thirty (30) calendar days", ("thirty (30) calendar days", 30, "day")),
    ("within 72 hours of the request", ("72 hours", 72, "hour")),
    ("within two business days", ("two business days", 2, "business day")),
    ("within one (1) hour of onset", ("one (1) hour", 1, "hour")),
    ("ninety (90) minutes", ("ninety (90) minutes", 90, "minute")),
    ("within forty-eight hours", ("forty-eight hours", 48, "hour")),
    ("10 calendar days", ("10 calendar days", 10, "day")),
    ("within two weeks", ("two weeks", 2, "week")),
    ("Within Six (6) Months", ("Six (6) Months", 6, "month")),
    ("one year after", ("one year", 1, "year")),
    ("three working days", ("three working days", 3, "business day")),
    ("within an hour", ("an hour", 1, "hour")),
    ("within a business day", ("a business day", 1, "business day")),
    ("within half an hour", ("half an hour", 0.5, "hour")),
    ("a 24-hour watch", ("24-hour", 24, "hour")),
    ("a six-month review", ("six-month", 6, "month")),
    ("one hundred and twenty hours", ("one hundred and twenty hours", 120, "hour")),
    ("1.5 hours", ("1.5 hours", 1.5, "hour")),
    ("(6) hours", ("(6) hours", 6, "hour")),
])
def test_durations_read(text, expected):
    assert read(text) == [expected]


def test_durations_in_a_sentence_in_order():
    text = ("The State EOC shall notify the Counties within thirty (30) minutes and confirm in "
            "writing within 2 hours; the report follows within two (2) business days.")
    assert read(text) == [("thirty (30) minutes", 30, "minute"), ("2 hours", 2, "hour"),
                          ("two (2) business days", 2, "business day")]


def test_durations_across_lines_of_a_long_text():
    assert read("within forty-eight (48)\n    hours of the request") == [
        ("forty-eight (48) hours", 48, "hour")]


@pytest.mark.parametrize("text", [
    "the last day of this Agreement",
    "five hundred or more persons",
    "fifty (50) or more citizens",
    "once a day",
    "at least twice a week",
    "the first day after the crisis",
    "at 1400 hours",
    "at 08:00 hours",
    "on 31 December 2028",
    "within the time allowed",
    "hours of operation",
])
def test_no_duration(text):
    assert read(text) == []


def test_frequency_after_a_duration_is_not_a_second_duration():
    assert read("staffed 24 hours a day") == [("24 hours", 24, "hour")]


@pytest.mark.parametrize("text, expected", [
    ("75%", [("75%", 75)]),
    ("seventy-five per cent (75%)", [("seventy-five per cent (75%)", 75)]),
    ("seventy-five percent (75%)", [("seventy-five percent (75%)", 75)]),
    ("sixty percent", [("sixty percent", 60)]),
    ("60 per cent", [("60 per cent", 60)]),
    ("12.5%", [("12.5%", 12.5)]),
    ("borne sixty per cent (60%) by the home State and forty per cent (40%) by the lead State",
     [("sixty per cent (60%)", 60), ("forty per cent (40%)", 40)]),
    ("the percentage agreed", []),
    ("per capita", []),
])
def test_percentages_read(text, expected):
    assert [(s.raw, s.amount) for s in percentages(text)] == expected
