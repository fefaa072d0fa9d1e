"""One definition of each count, state, symbol and rounding a round's figures show — on the
heatmap and overview pages, in presentation mode and in every committee-pack file (PDF, PPTX,
XLSX). Pages and builders take their counts, symbols and legends from here, so the chair never
sees two numbers for one thing.

Counts are over *items*: the assignments of the round's plan held by active agencies (the
heatmap's assigned cells). Every item is in exactly one submission state:

- ``submitted`` ("ส่งแล้ว"): the agency sent its report — submission state ``submitted`` or
  ``approved``. This is the count every "x/y" shows (agency tables, sub-issue tables, the
  heatmap page's margins): a draft is the agency's provisional figure, not yet sent, so it is
  not counted as sent;
- ``approved``: of those, the secretariat approved it;
- ``draft``: a report saved but not sent (its figure is provisional; drawn with "*");
- ``returned``: sent back for correction (not counted as sent until it is sent again);
- ``not_reported``: nothing filed in the round.

So ``assigned = submitted + draft + returned + not_reported``. Weighted progress counts every
report's figure, drafts included, and an unreported item as 0 (services.heatmap).

Symbols (the glyphs are in the bundled Sarabun): ``core.charts.STATE_MARKS`` and
``NOT_REPORTED_MARK``; a cell's text is ``core.charts.cell_label`` (its number rounded by
``core.charts.cell_number``: 99.8 is "99", never "100"). Percentages elsewhere:
``services.overview.fmt_pct`` (one decimal).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.charts import NOT_REPORTED_MARK, STATE_MARKS, cell_label, cell_number
from core.i18n import translate

NOT_ASSIGNED = "not_assigned"
NOT_REPORTED = "not_reported"
SUBMITTED_STATES = ("submitted", "approved")  # counted as sent ("ส่งแล้ว")
MARKED_STATES = ("draft", "submitted", "approved", "returned")  # the states a reported cell marks
COUNT_COLUMNS = ["assigned", "submitted", "approved", "draft", "returned", "not_reported"]

__all__ = [
    "COUNT_COLUMNS",
    "MARKED_STATES",
    "NOT_ASSIGNED",
    "NOT_REPORTED",
    "NOT_REPORTED_MARK",
    "STATE_MARKS",
    "SUBMITTED_STATES",
    "cell_label",
    "cell_number",
    "counts",
    "fraction",
    "legend",
    "legend_text",
    "symbol",
]


def symbol(state: object) -> str:
    """The state's mark: "*" draft, "→" submitted, "√" approved, "←" returned, "?" not reported,
    "" not assigned."""
    if state == NOT_REPORTED:
        return NOT_REPORTED_MARK
    return STATE_MARKS.get(str(state), "") if isinstance(state, str) else ""


def counts(cells: pd.DataFrame, by: str | list[str]) -> pd.DataFrame:
    """Per group of `by` (cell columns, e.g. ``agency_code`` or ``sub_issue_code``), the counts of
    the module's definitions over assigned items: ``assigned, submitted, approved, draft,
    returned, not_reported``. Groups without an assigned item are left out."""
    keys = [by] if isinstance(by, str) else list(by)
    assigned = (cells["state"] != NOT_ASSIGNED).to_numpy(dtype=bool, na_value=False)
    if len(keys) == 1:  # numpy sums per group in the order groups first show (a groupby costs 5×)
        key = cells[keys[0]].to_numpy()[assigned]
        state = cells["state"].to_numpy(dtype=object)[assigned]
        codes, groups = pd.factorize(key, sort=False)
        known = codes >= 0  # a missing key is no group (as groupby's dropna)
        codes, state = codes[known], state[known]
        size = len(groups)
        flags = {
            "assigned": np.ones(len(state), dtype=bool),
            "submitted": np.isin(state, list(SUBMITTED_STATES)),
            "approved": state == "approved",
            "draft": state == "draft",
            "returned": state == "returned",
            "not_reported": state == NOT_REPORTED,
        }
        out = pd.DataFrame({keys[0]: pd.Series(groups, dtype=cells[keys[0]].dtype)})
        for name in COUNT_COLUMNS:
            out[name] = np.bincount(codes, weights=flags[name], minlength=size).astype(int)
        return out
    items = cells[assigned]
    state = items["state"]
    flags = pd.DataFrame(
        {
            **{k: items[k] for k in keys},
            "assigned": 1,
            "submitted": state.isin(SUBMITTED_STATES).astype(int),
            "approved": (state == "approved").astype(int),
            "draft": (state == "draft").astype(int),
            "returned": (state == "returned").astype(int),
            "not_reported": (state == NOT_REPORTED).astype(int),
        }
    )
    return flags.groupby(keys, sort=False)[COUNT_COLUMNS].sum().reset_index()


def fraction(x: object, y: object) -> str:
    """A count of a total as every view writes it: "4/5"."""
    return f"{int(x)}/{int(y)}"


def legend(lang: str) -> list[tuple[str, str]]:
    """(mark, meaning) of every state a heatmap cell can be in, in the order every legend lists
    them; the not-assigned and not-reported cells are told by their look (mark "" and "?")."""
    return [
        ("", translate("figures.legend.not_assigned", lang)),
        (NOT_REPORTED_MARK, translate("figures.legend.not_reported", lang)),
        *((STATE_MARKS[s], translate(f"figures.legend.{s}", lang)) for s in MARKED_STATES),
    ]


def legend_text(lang: str) -> str:
    """The legend as one line (the page's and the presentation's caption)."""
    parts = [f"{mark} {text}".strip() for mark, text in legend(lang)]
    return " · ".join([*parts, translate("figures.legend.zero", lang)])
