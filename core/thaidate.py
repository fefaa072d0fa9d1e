"""Thai calendar helpers: Buddhist-Era years, Thai month names, fiscal years and rounds.

The Thai fiscal year runs 1 October – 30 September and is named after the later BE year:
FY2563 = 1 ต.ค. 2562 – 30 ก.ย. 2563. Rounds are cumulative from 1 October: 3, 6, 9, 12 months.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

BE_OFFSET = 543
LOCAL_TZ = ZoneInfo("Asia/Bangkok")
ROUND_MONTHS = (3, 6, 9, 12)

MONTHS_TH = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
MONTHS_TH_ABBR = (
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
)
MONTHS_EN = tuple(calendar.month_name[1:])
MONTHS_EN_ABBR = tuple(calendar.month_abbr[1:])
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def to_be(year_ce: int) -> int:
    return year_ce + BE_OFFSET


def to_ce(year_be: int) -> int:
    return year_be - BE_OFFSET


def thai_digits(text: str) -> str:
    """Arabic digits → Thai digits (๐–๙), for official documents."""
    return text.translate(THAI_DIGITS)


def format_date(d: date, *, short: bool = False, lang: str = "th", digits: str = "arabic") -> str:
    """'26 มิถุนายน 2563' or short '26 มิ.ย. 63'; English keeps the BE year and says so, long and
    short alike: '26 June 2563 BE', '26 Jun 2563 BE' (a bare '2563' reads as a typo to a reader of CE)."""
    if lang == "en":
        month = MONTHS_EN_ABBR[d.month - 1] if short else MONTHS_EN[d.month - 1]
        text = f"{d.day} {month} {to_be(d.year)} BE"
    elif short:
        text = f"{d.day} {MONTHS_TH_ABBR[d.month - 1]} {to_be(d.year) % 100:02d}"
    else:
        text = f"{d.day} {MONTHS_TH[d.month - 1]} {to_be(d.year)}"
    return thai_digits(text) if digits == "thai" else text


def format_time(t: time | datetime, *, lang: str = "th") -> str:
    """'09.30 น.' in Thai, '09:30' in English."""
    return f"{t.hour:02d}.{t.minute:02d} น." if lang == "th" else f"{t.hour:02d}:{t.minute:02d}"


def format_datetime(dt: datetime, *, lang: str = "th", short: bool = True) -> str:
    return f"{format_date(dt.date(), short=short, lang=lang)} {format_time(dt, lang=lang)}"


def format_local_datetime(dt: datetime, *, lang: str = "th") -> str:
    """`dt` (stored in UTC) as it reads in Thailand, with a Buddhist-Era year."""
    return format_datetime(dt.astimezone(LOCAL_TZ) if dt.tzinfo else dt, lang=lang)


def fiscal_year_of(d: date) -> int:
    """The BE fiscal year a date falls in: 1 Oct 2019 (CE) → 2563."""
    return to_be(d.year + 1 if d.month >= 10 else d.year)


def fiscal_year_bounds(fy_be: int) -> tuple[date, date]:
    """First and last day of a BE fiscal year."""
    start_ce = to_ce(fy_be) - 1
    return date(start_ce, 10, 1), date(start_ce + 1, 9, 30)


def round_period(fy_be: int, months: int) -> tuple[date, date]:
    """Cumulative period of a round: from 1 October to the end of the n-th month."""
    if months not in ROUND_MONTHS:
        raise ValueError(f"a round covers 3, 6, 9 or 12 months, not {months}")
    start, _ = fiscal_year_bounds(fy_be)
    end_month_index = start.month - 1 + months - 1  # 0-based month index counted from start year
    year = start.year + end_month_index // 12
    month = end_month_index % 12 + 1
    return start, date(year, month, calendar.monthrange(year, month)[1])


def round_containing(d: date) -> tuple[int, int]:
    """The (fiscal year, months) of the round whose last quarter contains `d`."""
    fy = fiscal_year_of(d)
    start, _ = fiscal_year_bounds(fy)
    months_in = (d.year - start.year) * 12 + d.month - start.month + 1
    return fy, ((months_in - 1) // 3 + 1) * 3
