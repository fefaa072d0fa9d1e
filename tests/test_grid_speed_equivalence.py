"""The numpy lay-outs of the heatmap's grid, margins and view give what the plain pandas steps they
replace give, frame for frame: same columns, types, values and row order."""

import itertools

import numpy as np
import pandas as pd
from pandas.testing import assert_frame_equal

from core import charts
from core.db import read_session
from services import figures, heatmap
from tests.helpers import open_round

LABELS = {"lang": "th", "state.draft": "ร่าง", "state.approved": "อนุมัติ", "status.delayed": "ล่าช้า", "status.on_track": "ตามแผน"}


def grid(engine) -> heatmap.RoundGrid:
    with read_session(engine) as s:
        return heatmap.round_grid(session=s, round_id=open_round(engine).id)


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    assert_frame_equal(got, want, check_exact=True)


def margins_by_pandas(cells: pd.DataFrame, keys: list[str], order: list[str] | None = None) -> pd.DataFrame:
    """heatmap.margins with a pandas groupby (sums in the same order, so the same floats)."""
    items = cells[cells["assignment_id"].notna()]
    weight = items["weight"].astype("float64").fillna(0.0)
    frame = pd.DataFrame(
        {
            **{k: items[k] for k in keys},
            "wp": weight * items["progress_pct"].astype("float64").fillna(0.0),
            "w": weight,
            "assigned": 1,
            "reported": items["report_id"].notna().astype(int),
            "approved": (items["state"] == "approved").astype(int),
            "delayed": (items["status"] == "delayed").fillna(False).astype(bool).astype(int),
            **{f"order_{c}": items[c] for c in order or []},
        }
    )
    out = frame.groupby(keys[0], sort=False).agg(
        **{k: (k, "first") for k in keys[1:]},
        wp=("wp", lambda v: np.bincount(np.zeros(len(v), dtype=int), weights=v.to_numpy())[0]),
        w=("w", lambda v: np.bincount(np.zeros(len(v), dtype=int), weights=v.to_numpy())[0]),
        **{n: (n, "sum") for n in ("assigned", "reported", "approved", "delayed")},
        **{f"order_{c}": (f"order_{c}", "first") for c in order or []},
    )
    out = out.reset_index()
    if order:
        out = out.sort_values([f"order_{c}" for c in order], kind="stable").reset_index(drop=True)
    out["weighted_progress"] = pd.array(
        np.where(out["w"] != 0, out["wp"] / out["w"].where(out["w"] != 0, 1.0), np.nan), dtype="Float64"
    )
    for n in ("assigned", "reported", "approved", "delayed"):
        out[n] = out[n].astype(int)
    for k in keys:
        out[k] = out[k].astype(cells[k].dtype)
    return out[[*keys, *heatmap.MARGIN_COLUMNS]]


def test_margins_equal_a_pandas_groupby(demo_db):
    g = grid(demo_db)
    same(g.by_agency, margins_by_pandas(g.cells, ["agency_id", "agency_code"]))
    same(g.by_sub_issue, margins_by_pandas(g.cells, ["sub_issue_id", "sub_issue_code"], ["main_issue_number", "sub_issue_order"]))
    same(g.by_main_issue, margins_by_pandas(g.cells, ["main_issue_number"], ["main_issue_number"]))
    assert g.overall == heatmap.margins(g.cells, [])["weighted_progress"].iloc[0]


def test_a_grid_refreshed_for_every_agency_or_none_is_the_grid(demo_db):
    g = grid(demo_db)
    with read_session(demo_db) as s:
        rid = open_round(demo_db).id
        everyone = heatmap.refresh_grid(session=s, grid=g, round_id=rid, agency_ids=set(g.cells["agency_id"].tolist()))
        some = heatmap.refresh_grid(session=s, grid=g, round_id=rid, agency_ids=set(g.cells["agency_id"].tolist()[::20]))
        assert heatmap.refresh_grid(session=s, grid=g, round_id=rid, agency_ids=set()) is g
        assert heatmap.refresh_grid(session=s, grid=g, round_id=rid, agency_ids={10**9}) is None
        subset = heatmap.cells(session=s, round_id=rid, agency_ids=g.cells["agency_id"].unique()[:2].tolist())
    for got in (everyone, some):
        same(got.cells, g.cells)
        for name in ("by_agency", "by_main_issue", "by_sub_issue"):
            same(getattr(got, name), getattr(g, name))
        assert got.overall == g.overall
    want = g.cells[g.cells["agency_id"].isin(subset["agency_id"].unique())].reset_index(drop=True)
    same(subset, want)


def view_agencies_by_merges(g: heatmap.RoundGrid, cells: pd.DataFrame) -> pd.DataFrame:
    sent = figures.counts(g.cells, "agency_code")[["agency_code", "submitted", "draft"]]
    names = cells[["agency_code", "agency_short_name", "agency_short_name_en"]].drop_duplicates()
    return g.by_agency.merge(names, on="agency_code").merge(sent, on="agency_code", how="left")


def test_every_view_equals_the_pandas_steps(demo_db):
    g = grid(demo_db)
    open_cell = tuple(g.cells[["agency_code", "sub_issue_code"]].iloc[len(g.cells) // 2])
    for sort, status_filter, lang in itertools.product(
        heatmap.VIEW_SORTS, [(), ("delayed",), ("not_reported", "returned"), ("nothing",)], ["th", "en"]
    ):
        cells = heatmap.view_cells(g, sort=sort, status_filter=status_filter, open_cell=open_cell, language=lang)
        same(heatmap.view_agencies(g, cells), view_agencies_by_merges(g, cells))
        got, compact = charts._heatmap_frame(cells, LABELS | {"lang": lang})
        want, want_compact = charts._heatmap_frame_steps(cells, LABELS | {"lang": lang})
        assert compact == want_compact
        same(got, want)
    bare = g.cells.drop(columns=["updated_at"])  # no match, selected or main_issue_label columns
    same(charts._heatmap_frame(bare, LABELS)[0], charts._heatmap_frame_steps(bare, LABELS)[0])


def test_view_labels_are_worked_out_per_distinct_value(demo_db):
    g = grid(demo_db)
    cells = heatmap.view_cells(g, language="en")
    assert not cells["selected"].any()
    dated = cells["updated_at"].notna()
    assert (cells.loc[~dated, "updated_at_text"] == "").all()
    assert cells.loc[dated, "updated_at_text"].str.len().gt(0).all()
    assert cells["main_issue_label"].notna().all()
