"""Small numpy helpers for the grid's DataFrames: pandas' per-operation overhead, not the work,
is what a column of a few thousand cells costs, so the hot paths (services.heatmap,
services.overview, core.charts) read a column's own values, label each distinct value once and
build each DataFrame once from fresh arrays."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def values(column: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A column's own values: its extension array, or its numpy array (not a copy)."""
    return column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()


def per_distinct(column_values, label: Callable[[object], object], *, missing: object) -> np.ndarray:
    """`label` of each of `column_values` as an object array, worked out once per distinct value;
    a missing value is `missing`."""
    codes, distinct = pd.factorize(column_values)  # a missing value: code -1, the last entry
    return np.array([label(v) for v in distinct] + [missing], dtype=object)[codes]


def frame(columns: dict) -> pd.DataFrame:
    """A DataFrame of fresh arrays (not copied again), each column keeping its type: an object
    array is passed as a Series, which pandas would otherwise read as text."""
    return pd.DataFrame(
        {
            name: pd.Series(v, dtype=object, copy=False) if isinstance(v, np.ndarray) and v.dtype == object else v
            for name, v in columns.items()
        },
        copy=False,
    )
