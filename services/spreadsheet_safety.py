"""Text the app writes into spreadsheets stays text.

Excel, LibreOffice and Google Sheets read a cell whose text starts with ``=``, ``+``, ``-`` or
``@`` (also after a tab or carriage return, and in the full-width forms Thai input methods can
type) as a formula: an achievement saved as ``=HYPERLINK("http://…","x")`` would become a live
link in a committee member's workbook ("formula injection"). Every writer of the app goes
through this module:

- **XLSX, openpyxl** (`put`): text is always an explicit string cell (openpyxl would otherwise
  turn ``"=…"`` into a formula and ``"#N/A"`` into an error), and text that starts like a formula
  also gets the cell style's quote prefix (``quotePrefix="1"`` in styles.xml), so Excel shows it
  as text and keeps it as text when the cell is edited.
- **XLSX, XlsxWriter** (`xlsxwriter_frame`, `XLSXWRITER_OPTIONS`): strings are written with
  ``write_string`` (never a formula or a URL), formula-like ones with a ``quote_prefix`` format.
- **CSV** (`neutralise_csv`): formula-like text gets a leading apostrophe (OWASP). Text that
  already starts with apostrophes followed by a trigger gets one more, so `unneutralise_csv`
  undoes it exactly: the mapping is a bijection.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import pandas as pd

# What makes a spreadsheet read text as a formula, in ASCII and full width.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_TRIGGER_CLASS = "[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"
_CSV_NEEDS_QUOTE = re.compile(f"^'*{_TRIGGER_CLASS}")  # formula-like, or already apostrophe + formula-like
_CSV_QUOTED = re.compile(f"^'(?='*{_TRIGGER_CLASS})")  # the apostrophe neutralise_csv added
CSV_QUOTE = "'"

# XlsxWriter Workbook options: `write()` never turns a string into a formula, a URL or a number.
XLSXWRITER_OPTIONS: dict[str, bool] = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
QUOTE_PREFIX_FORMAT: dict[str, bool] = {"quote_prefix": True}


def looks_like_formula(value: object) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def formula_like(values: pd.Series | pd.Index) -> pd.Series:
    """`looks_like_formula` over a column, vectorised (non-text values are False)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    try:
        return series.str.match(_TRIGGER_CLASS, na=False).astype(bool)
    except AttributeError:  # no text at all in the column (numbers, None)
        return pd.Series(False, index=series.index)


# ----------------------------------------------------------------------------- CSV
def neutralise_csv(text: str) -> str:
    """The text as a CSV field a spreadsheet shows literally: ``=1+1`` → ``'=1+1``; ``'=1`` → ``''=1``."""
    return CSV_QUOTE + text if _CSV_NEEDS_QUOTE.match(text) else text


def unneutralise_csv(text: str) -> str:
    """The exact inverse of `neutralise_csv` on what it produced."""
    return text[1:] if _CSV_QUOTED.match(text) else text


def neutralise_csv_labels(labels: pd.Index) -> pd.Index:
    """`neutralise_csv` over an index of labels (row or column names), vectorised; other labels kept."""
    if not len(labels):
        return labels
    as_text = pd.Series(labels, dtype=object)
    try:
        quoted = as_text.str.match(_CSV_NEEDS_QUOTE.pattern, na=False).to_numpy(dtype=bool)
    except AttributeError:  # no text labels
        return labels
    if not quoted.any():
        return labels
    prefixed = as_text.where(~quoted, CSV_QUOTE + as_text.where(quoted, "").astype(str))
    return pd.Index(prefixed.tolist(), name=labels.name)


# ----------------------------------------------------------------------------- openpyxl
def put(cell, value: object) -> None:  # an openpyxl Cell
    """Set an openpyxl cell's value; text always as a text cell, formula-like text quote-prefixed."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl infers "f" for "=…" and "e" for "#N/A"
        if value.startswith(FORMULA_TRIGGERS):
            cell.quotePrefix = True


def put_row(ws, row: int, values: Iterable[object], first_column: int = 1) -> list:
    """`put` each value into the row, from `first_column`; returns the cells."""
    cells = []
    for column, value in enumerate(values, start=first_column):
        cell = ws.cell(row=row, column=column)
        put(cell, value)
        cells.append(cell)
    return cells


# ----------------------------------------------------------------------------- XlsxWriter
def xlsxwriter_frame(worksheet, frame: pd.DataFrame, *, quote_prefix, first_row: int = 0) -> None:
    """Write a DataFrame as a header row and one row per record with XlsxWriter, in one pass
    over its values: numbers as numbers, booleans as booleans, blanks left empty, every string
    with ``write_string`` (formula-like ones with the `quote_prefix` format, found vectorised per
    column), anything else as its text."""
    for col, name in enumerate(frame.columns):
        label = str(name)
        worksheet.write_string(first_row, col, label, quote_prefix if looks_like_formula(label) else None)
    start = first_row + 1
    for col in range(frame.shape[1]):
        column = frame.iloc[:, col]
        if pd.api.types.is_bool_dtype(column.dtype) and not column.hasnans:
            write = worksheet.write_boolean
            for row, value in enumerate(column.tolist(), start=start):
                write(row, col, value)
        elif pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
            write = worksheet.write_number
            for row, value in enumerate(column.to_numpy(dtype="float64", na_value=float("nan")).tolist(), start=start):
                if math.isfinite(value):  # NaN / NA stay blank (and XlsxWriter refuses infinities)
                    write(row, col, value)
        else:
            _write_mixed(worksheet, col, start, column, quote_prefix)


def _write_mixed(worksheet, col: int, start: int, column: pd.Series, quote_prefix) -> None:
    dangerous = formula_like(column).tolist()
    values = column.astype(object).where(column.notna(), None).tolist()
    write_string = worksheet.write_string
    for row, (value, quote) in enumerate(zip(values, dangerous, strict=True), start=start):
        if value is None:
            continue
        if isinstance(value, str):
            write_string(row, col, value, quote_prefix if quote else None)
        elif isinstance(value, bool):
            worksheet.write_boolean(row, col, value)
        elif isinstance(value, int | float):
            if math.isfinite(value):
                worksheet.write_number(row, col, value)
        else:
            text = str(value)
            write_string(row, col, text, quote_prefix if looks_like_formula(text) else None)


__all__ = [
    "FORMULA_TRIGGERS",
    "QUOTE_PREFIX_FORMAT",
    "XLSXWRITER_OPTIONS",
    "formula_like",
    "looks_like_formula",
    "neutralise_csv",
    "neutralise_csv_labels",
    "put",
    "put_row",
    "unneutralise_csv",
    "xlsxwriter_frame",
]
