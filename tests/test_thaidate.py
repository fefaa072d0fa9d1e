from datetime import date, datetime, time

import pytest

from core import thaidate


@pytest.mark.parametrize(
    ("d", "full", "short"),
    [
        (date(2020, 6, 26), "26 มิถุนายน 2563", "26 มิ.ย. 63"),
        (date(2019, 10, 1), "1 ตุลาคม 2562", "1 ต.ค. 62"),
        (date(2020, 2, 29), "29 กุมภาพันธ์ 2563", "29 ก.พ. 63"),
        (date(2043, 1, 5), "5 มกราคม 2586", "5 ม.ค. 86"),
    ],
)
def test_format_date_thai(d, full, short):
    assert thaidate.format_date(d) == full
    assert thaidate.format_date(d, short=True) == short


def test_format_date_english_keeps_buddhist_year():
    assert thaidate.format_date(date(2020, 6, 26), lang="en") == "26 June 2563 BE"
    assert (
        thaidate.format_date(date(2020, 6, 26), lang="en", short=True) == "26 Jun 2563 BE"
    )  # one English form: every year says BE


def test_thai_digits_and_time():
    assert thaidate.format_date(date(2020, 6, 26), digits="thai") == "๒๖ มิถุนายน ๒๕๖๓"
    assert thaidate.format_time(time(9, 30)) == "09.30 น."
    assert thaidate.format_time(time(9, 30), lang="en") == "09:30"
    assert thaidate.format_datetime(datetime(2020, 6, 26, 9, 30)) == "26 มิ.ย. 63 09.30 น."


@pytest.mark.parametrize(
    ("d", "fy"),
    [
        (date(2019, 9, 30), 2562),  # last day of FY2562
        (date(2019, 10, 1), 2563),  # first day of FY2563
        (date(2020, 9, 30), 2563),
        (date(2020, 10, 1), 2564),
        (date(2020, 2, 29), 2563),  # leap day
        (date(2024, 2, 29), 2567),
    ],
)
def test_fiscal_year_at_boundaries(d, fy):
    assert thaidate.fiscal_year_of(d) == fy


def test_fiscal_year_bounds():
    assert thaidate.fiscal_year_bounds(2563) == (date(2019, 10, 1), date(2020, 9, 30))


@pytest.mark.parametrize(
    ("fy", "months", "end"),
    [
        (2563, 3, date(2019, 12, 31)),
        (2563, 6, date(2020, 3, 31)),
        (2563, 9, date(2020, 6, 30)),
        (2563, 12, date(2020, 9, 30)),
        (2567, 6, date(2024, 3, 31)),
    ],
)
def test_round_periods_are_cumulative_from_1_october(fy, months, end):
    start, last = thaidate.round_period(fy, months)
    assert start == date(fy - 543 - 1, 10, 1)
    assert last == end


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2019, 10, 1), (2563, 3)),
        (date(2019, 12, 31), (2563, 3)),
        (date(2020, 1, 1), (2563, 6)),
        (date(2020, 2, 29), (2563, 6)),  # leap day sits in the 6-month round
        (date(2020, 6, 26), (2563, 9)),  # the date of meeting 3/2563
        (date(2020, 9, 30), (2563, 12)),
        (date(2020, 10, 1), (2564, 3)),
    ],
)
def test_round_containing(d, expected):
    assert thaidate.round_containing(d) == expected


def test_round_period_refuses_other_lengths():
    with pytest.raises(ValueError):
        thaidate.round_period(2563, 4)


def test_be_conversion_round_trips():
    assert thaidate.to_be(2020) == 2563
    assert thaidate.to_ce(2563) == 2020
