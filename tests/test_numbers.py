from decimal import Decimal

import pytest

from services.numbers import NumberError, format_figure, parse_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("๔๕", Decimal(45)),
        ("ร้อยละ 45", Decimal(45)),
        ("ร้อยละ ๔๕.๕", Decimal("45.5")),
        ("45%", Decimal(45)),
        ("45 %", Decimal(45)),
        ("1,234.5", Decimal("1234.5")),
        (" 12 ", Decimal(12)),
        (45, Decimal(45)),
        (45.25, Decimal("45.25")),
        ("", None),
        (None, None),
        ("-3", Decimal(-3)),
    ],
)
def test_accepts_what_people_type(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("=A1+1", "error.number.formula"),
        ("=SUM(K2:K3)", "error.number.formula"),
        ("nan", "error.number.nan"),
        (float("nan"), "error.number.nan"),
        (float("inf"), "error.number.nan"),
        ("#DIV/0!", "error.number.nan"),
        ("abc", "error.number.not_a_number"),
        ("1,23", "error.number.not_a_number"),
        ("12..3", "error.number.not_a_number"),
        (True, "error.number.not_a_number"),
    ],
)
def test_refuses_with_a_reason(raw, key):
    with pytest.raises(NumberError) as exc:
        parse_number(raw)
    assert exc.value.message_key == key


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("100.00", "100.00"),
        ("60.0", "60.00"),
        (Decimal("1234.5"), "1,234.50"),
        (7, "7.00"),
        (None, ""),
        ("", ""),
        ("ไม่ใช่ตัวเลข", "ไม่ใช่ตัวเลข"),
    ],
)
def test_one_number_format_for_every_figure(value, text):
    assert format_figure(value) == text
