"""Reading numbers the way people type them in Thai offices.

Accepted: Thai digits (๔๕), "ร้อยละ 45", "45%", "45 %", thousands separators ("1,234.5"),
surrounding spaces. Refused, with a reason: formulas, text, NaN and infinities, empty strings
where a value is required.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from services.errors import UserFacingError

THAI_TO_ARABIC = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_PERCENT_WORDS = ("ร้อยละ", "percent")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


class NumberError(UserFacingError, ValueError):
    """Why a value is not a number."""


def parse_number(value: object) -> Decimal | None:
    """A Decimal from a cell or a text field; None for blank. Raises NumberError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise NumberError("error.number.not_a_number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise NumberError("error.number.nan")
        return Decimal(str(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberError("error.number.nan")
        return value
    text = str(value).strip().translate(THAI_TO_ARABIC)
    if text == "":
        return None
    if text.startswith("="):
        raise NumberError("error.number.formula")
    lowered = text.lower()
    if lowered in {"nan", "inf", "-inf", "+inf", "infinity", "#n/a", "#value!", "#div/0!"}:
        raise NumberError("error.number.nan")
    for word in _PERCENT_WORDS:
        lowered = lowered.replace(word, "")
    lowered = lowered.replace("%", "").replace(" ", "").replace("\u00a0", "")
    if not _NUMBER.match(lowered):
        raise NumberError("error.number.not_a_number")
    try:
        return Decimal(lowered.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern above already guards
        raise NumberError("error.number.not_a_number") from exc


def format_figure(value: object) -> str:
    """The one way a report's figure (progress %, actual value) is written for people: thousands
    separated, two decimals ("1,234.50", "60.00"), whether it comes as a Decimal, a float or the
    text the audit trail stored ("60.0"); blank for None; anything else as it is."""
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,.2f}" if number.is_finite() else str(value)
