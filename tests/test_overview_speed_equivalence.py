"""The numpy lay-outs of the overview's agency table, projection, attention list, highlights and
English-named cells give what the plain pandas steps they replace give (kept here as reference
functions, as they were), frame for frame: same columns, types, values, row order and index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pandas.testing import assert_frame_equal
from sqlmodel import Session, select

from core.db import read_session, write_session
from models import Agency, Assignment, Plan, ProgressReport, Round, SubIssue
from services import heatmap, overview
from services.overview import (
    AGENCY_COLUMNS,
    ATTENTION_COLUMNS,
    ATTENTION_KINDS,
    CELL_SEPARATOR,
    DONE_STATES,
    HIGHLIGHT_COLUMNS,
    PROJECTION_COLUMNS,
    banked_progress,
    heatmap_query,
)
from services.permissions import Actor
from tests.helpers import open_round, report, round_of


# ----------------------------------------------------------------------------- the pandas steps replaced
def agency_table_by_pandas(cells: pd.DataFrame, margins: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    assigned = (cells["state"] != heatmap.NOT_ASSIGNED).to_numpy()
    state = cells.loc[assigned, "state"]
    agencies = pd.Index(margins["agency_id"])
    rows = agencies.get_indexer(cells.loc[assigned, "agency_id"])
    frame = margins.reset_index(drop=True)
    for name, flag in (
        ("submitted", state.isin(DONE_STATES)),
        ("returned", state == "returned"),
        ("not_reported", state == heatmap.NOT_REPORTED),
    ):
        frame[name] = np.bincount(rows, weights=flag.to_numpy(dtype=float), minlength=len(agencies)).astype(int)
    named = names.set_index("agency_id")
    for column in named.columns:
        frame[column] = frame["agency_id"].map(named[column])
    frame["complete"] = frame["submitted"] == frame["assigned"]
    frame["all_approved"] = frame["approved"] == frame["assigned"]
    return frame[AGENCY_COLUMNS]


def agency_names_by_pandas(session: Session) -> pd.DataFrame:
    rows = session.exec(select(Agency.id, Agency.short_name_th, Agency.short_name_en, Agency.name_th, Agency.name_en)).all()
    return pd.DataFrame(
        rows, columns=["agency_id", "agency_short_name", "agency_short_name_en", "agency_name_th", "agency_name_en"]
    )


def with_english_names_by_pandas(cells: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    return cells.assign(agency_name_en=cells["agency_id"].map(names.set_index("agency_id")["agency_name_en"]))


def projection_by_pandas(*, session: Session, round_id: int, cells: pd.DataFrame, banked: dict[int, float]) -> pd.DataFrame:
    rnd = session.get(Round, round_id)
    plan = session.get(Plan, rnd.plan_id)
    years = plan.last_fiscal_year - plan.first_fiscal_year + 1
    elapsed = (12 * (rnd.fiscal_year - plan.first_fiscal_year) + rnd.months) / (12 * years)
    wanted = [c for c in dict.fromkeys([*PROJECTION_COLUMNS, "assignment_id", "status"]) if c in cells.columns]
    raw = cells.loc[cells["assignment_id"].notna().to_numpy(), wanted]
    progress = raw["progress_pct"].astype(float)
    earlier = raw["assignment_id"].astype(int).map(banked).fillna(0.0).astype(float)
    raw = raw.assign(
        progress_pct=progress,
        plan_progress=(earlier + progress.fillna(0.0)) / years,
        elapsed_share=elapsed,
    )
    raw = raw.assign(projected_end=raw["plan_progress"] / elapsed)
    keep = (raw["projected_end"].round(6) < 100) & (raw["status"] != "cancelled")
    out = raw[keep.to_numpy()]
    out = out.iloc[np.argsort(out["projected_end"].round(9).to_numpy(), kind="stable")]
    return out[PROJECTION_COLUMNS].reset_index(drop=True)


def attention_by_pandas(cells: pd.DataFrame, rnd: Round) -> pd.DataFrame:
    wanted = [
        c
        for c in dict.fromkeys([*ATTENTION_COLUMNS, "state", "status", "progress_pct", "previous_progress_pct"])
        if c in cells.columns
    ]
    assigned = cells.loc[(cells["state"] != heatmap.NOT_ASSIGNED).to_numpy(), wanted]
    progress = assigned["progress_pct"].astype(float)
    previous = assigned["previous_progress_pct"].astype(float)
    completed = (assigned["status"] == "completed") | (progress >= 100)
    masks = {
        "not_reported": assigned["state"] == heatmap.NOT_REPORTED,
        "returned": assigned["state"] == "returned",
        "delayed": assigned["status"] == "delayed",
        "no_change": progress.notna()
        & previous.notna()
        & (progress == previous)
        & ~completed
        & (assigned["status"] != "cancelled"),
    }
    rows = [np.flatnonzero(masks[kind].to_numpy(dtype=bool, na_value=False)) for kind in ATTENTION_KINDS]
    columns = [c for c in ATTENTION_COLUMNS if c in assigned.columns]
    frame = assigned[columns].iloc[np.concatenate(rows)].reset_index(drop=True)
    frame["kind"] = np.repeat(ATTENTION_KINDS, [len(r) for r in rows])
    frame["fy"] = rnd.fiscal_year
    frame["m"] = rnd.months
    frame["cell"] = frame["agency_code"] + CELL_SEPARATOR + frame["sub_issue_code"]
    links = {cell: heatmap_query(rnd.fiscal_year, rnd.months, *cell.split(CELL_SEPARATOR, 1)) for cell in frame["cell"].unique()}
    frame["heatmap_query"] = frame["cell"].map(links)
    for name in ("progress_pct", "previous_progress_pct"):
        frame[name] = frame[name].astype(float)
    return frame.reindex(columns=ATTENTION_COLUMNS).reset_index(drop=True)


def notable_cells(s: Session, rnd: Round) -> set[tuple[str, str]]:
    """(agency, sub-issue) codes of the round's notable reports of active agencies: what the
    highlights' statement, built once with bound parameters, must find for each round."""
    rows = s.exec(
        select(Agency.code, SubIssue.code)
        .join(Assignment, Assignment.agency_id == Agency.id)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(ProgressReport, ProgressReport.assignment_id == Assignment.id)
        .where(ProgressReport.round_id == rnd.id, ProgressReport.notable == sa.true(), Agency.active == sa.true())
    ).all()
    return set(rows)


# ----------------------------------------------------------------------------- comparisons
def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    assert_frame_equal(got, want, check_exact=True)


def rounds_in_order(engine) -> list[Round]:
    with read_session(engine) as s:
        return list(s.exec(select(Round).order_by(Round.plan_id, Round.fiscal_year, Round.months)).all())


def check_overview(s: Session, rnd: Round, got: overview.RoundOverview, grid: heatmap.RoundGrid) -> dict[str, pd.DataFrame]:
    """`got`'s frames against the pandas steps over the same grid; the reference frames."""
    names = agency_names_by_pandas(s)
    same(overview._agency_names(s), names)
    cells = with_english_names_by_pandas(grid.cells, names)
    want = {
        "cells": cells,
        "agencies": agency_table_by_pandas(cells, grid.by_agency, names),
        "projection": projection_by_pandas(
            session=s, round_id=rnd.id, cells=cells, banked=banked_progress(session=s, round_id=rnd.id)
        ),
        "attention": attention_by_pandas(cells, rnd),
    }
    for name, frame in want.items():
        same(getattr(got, name), frame)
    found = got.highlights
    assert list(found.columns) == HIGHLIGHT_COLUMNS
    assert len(found) == len(notable_cells(s, rnd))
    assert set(zip(found["agency_code"], found["sub_issue_code"], strict=True)) == notable_cells(s, rnd)
    want["highlights"] = found
    return want


def test_every_round_of_the_demo_equals_the_pandas_steps(demo_db):
    now, prev = open_round(demo_db), round_of(demo_db, 2564, 9)
    with write_session(demo_db, Actor.system("test")) as s:  # no progress since the previous round: "no_change"
        s.get(ProgressReport, report(demo_db, "BLA", "1.3", now.id).id).progress_pct = report(
            demo_db, "BLA", "1.3", prev.id
        ).progress_pct
        s.get(ProgressReport, report(demo_db, "OTEPC", "1.1", prev.id).id).progress_pct = 100  # completed: never listed
    seen = {"kinds": set(), "highlights": 0, "first": 0, "later": 0, "projected": 0, "states": set()}
    for rnd in rounds_in_order(demo_db):
        with read_session(demo_db) as s:
            grid = heatmap.round_grid(session=s, round_id=rnd.id)
            first = overview.round_overview(session=s, round_id=rnd.id, grid=grid)
            want = check_overview(s, rnd, first, grid)
            # the after-save path: a refreshed grid and the overview before it
            agency = int(grid.cells["agency_id"].iloc[len(grid.cells) // 2])
            refreshed = heatmap.refresh_grid(session=s, grid=grid, round_id=rnd.id, agency_ids={agency})
            check_overview(s, rnd, overview.round_overview(session=s, round_id=rnd.id, grid=refreshed, earlier=first), refreshed)
            # the public functions that read the round themselves
            same(overview.attention(session=s, round_id=rnd.id), want["attention"])
            same(overview.projection(session=s, round_id=rnd.id), want["projection"])
            same(overview.agency_table(session=s, round_id=rnd.id), want["agencies"])
        seen["kinds"] |= set(want["attention"]["kind"])
        seen["states"] |= set(grid.cells["state"])
        seen["highlights"] += len(want["highlights"]) > 0
        seen["projected"] += len(want["projection"]) > 0
        seen["first" if first.headline.previous_round_id is None else "later"] += 1
    # the demo reaches every case the lay-outs handle
    assert seen["kinds"] == set(ATTENTION_KINDS)
    assert {"draft", "returned", "approved", "submitted", heatmap.NOT_REPORTED, heatmap.NOT_ASSIGNED} <= seen["states"]
    assert seen["highlights"] and seen["projected"] and seen["first"] and seen["later"]


def test_parts_of_a_grid_and_empty_ones_equal_the_pandas_steps(demo_db):
    rounds = rounds_in_order(demo_db)
    for rnd in (rounds[0], rounds[-1]):
        with read_session(demo_db) as s:
            grid = heatmap.round_grid(session=s, round_id=rnd.id)
            names = agency_names_by_pandas(s)
            banked = banked_progress(session=s, round_id=rnd.id)
            cells = with_english_names_by_pandas(grid.cells, names)
            codes = cells["agency_code"].unique()
            parts = {
                "some agencies (index kept)": cells[cells["agency_code"].isin(codes[::3])],
                "backwards": cells.iloc[::-1],
                "no assigned cell": cells[cells["state"] == heatmap.NOT_ASSIGNED],
                "no cell": cells.iloc[:0],
                "only returned and unreported": cells[cells["state"].isin(["returned", heatmap.NOT_REPORTED])],
                "codes a URL quotes": cells.assign(agency_code=cells["agency_code"] + " ก/ข&"),
            }
            for part in parts.values():
                grid_part = part.drop(columns="agency_name_en")
                same(overview._with_english_names(grid_part, names), with_english_names_by_pandas(grid_part, names))
                margins = heatmap.margins(part, ["agency_id", "agency_code"])
                same(overview._agency_table(part, margins, names), agency_table_by_pandas(part, margins, names))
                same(overview._attention(part, rnd), attention_by_pandas(part, rnd))
                for money in (banked, {}):
                    same(
                        overview.projection(session=s, round_id=rnd.id, cells=part, banked=money),
                        projection_by_pandas(session=s, round_id=rnd.id, cells=part, banked=money),
                    )
            same(overview._attention(grid.cells, rnd), attention_by_pandas(grid.cells, rnd))  # no English names: NaN
            # names of agencies missing from the names frame (and no names at all) map to missing values
            for fewer in (names.iloc[::2], names.iloc[:0]):
                same(overview._with_english_names(grid.cells, fewer), with_english_names_by_pandas(grid.cells, fewer))
                same(overview._agency_table(cells, grid.by_agency, fewer), agency_table_by_pandas(cells, grid.by_agency, fewer))
