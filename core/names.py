"""Plan names in the reader's language: one rule for every page, chart and export.

The plan keeps each name in Thai and in English (agency short and full names, main issues,
sub-issues, units; `models.plan`). English mode shows the English name and falls back to the Thai
one when the plan gives no English; Thai mode always shows the Thai.

Each helper takes a model row (`Agency`, `SubIssue`, `MainIssue`, `Assignment`) or a row of a
service's frame (a pandas row, a mapping or a named tuple), whose columns follow one convention:
the Thai column and its English twin (`en_column`): ``agency_short_name`` / ``agency_short_name_en``,
``agency_name_th`` / ``agency_name_en``, ``main_issue_name_th`` / ``main_issue_name_en``,
``sub_issue_name_th`` / ``sub_issue_name_en``, ``unit`` / ``unit_en``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

# kind -> (Thai, English) attribute pairs tried in turn: a model's own fields, then a frame's columns
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "agency": (("short_name_th", "short_name_en"), ("agency_short_name", "agency_short_name_en")),
    "agency_full": (("name_th", "name_en"), ("agency_name_th", "agency_name_en")),
    "main_issue": (("name_th", "name_en"), ("main_issue_name_th", "main_issue_name_en")),
    "sub_issue": (("name_th", "name_en"), ("sub_issue_name_th", "sub_issue_name_en")),
    "unit": (("unit", "unit_en"),),
}


def _text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value)


def pick(th: object, en: object, lang: str) -> str:
    """`en` in English when it holds anything, else `th`."""
    english = _text(en).strip()
    return english if lang == "en" and english else _text(th)


def en_column(column: str) -> str:
    """The English twin of a Thai column: ``*_th`` → ``*_en``, any other ``x`` → ``x_en``."""
    return column[:-3] + "_en" if column.endswith("_th") else column + "_en"


def _get(obj: Any, name: str) -> tuple[bool, object]:
    if isinstance(obj, (Mapping, pd.Series)):
        return (name in obj.keys(), obj.get(name))
    return (hasattr(obj, name), getattr(obj, name, None))


def _name(obj: Any, kind: str, lang: str) -> str:
    for th, en in _FIELDS[kind]:
        has, value = _get(obj, th)
        if has:
            return pick(value, _get(obj, en)[1], lang)
    raise AttributeError(f"{type(obj).__name__} holds no {kind} name ({', '.join(p[0] for p in _FIELDS[kind])})")


def agency_name(obj: Any, lang: str) -> str:
    """An agency's short name (the one tables, charts and lists show)."""
    return _name(obj, "agency", lang)


def agency_full_name(obj: Any, lang: str) -> str:
    return _name(obj, "agency_full", lang)


def main_issue_name(obj: Any, lang: str) -> str:
    return _name(obj, "main_issue", lang)


def sub_issue_name(obj: Any, lang: str) -> str:
    return _name(obj, "sub_issue", lang)


def unit_name(obj: Any, lang: str) -> str:
    """An owner's unit of its target (an `Assignment` or a row with ``unit`` / ``unit_en``)."""
    return _name(obj, "unit", lang)


def column(frame: pd.DataFrame, th_column: str, lang: str) -> pd.Series:
    """A frame's Thai column in the reader's language: its English twin where that holds a name."""
    th = frame[th_column]
    en_name = en_column(th_column)
    if lang != "en" or en_name not in frame.columns:
        return th
    en = frame[en_name]
    use = en.notna() & (en.astype(str).str.strip() != "")
    return en.where(use, th)


def localize(frame: pd.DataFrame, lang: str, *th_columns: str) -> pd.DataFrame:
    """A copy of `frame` whose Thai name columns hold the names in the reader's language, so code
    that reads ``agency_short_name``, ``sub_issue_name_th`` or ``unit`` shows the right ones."""
    if lang != "en":
        return frame
    out = frame.copy()
    for name in th_columns:
        if name in out.columns:
            out[name] = column(out, name, lang)
    return out
