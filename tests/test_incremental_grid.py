"""What a save records of itself (models.audit.DataChange) and how a cached round grid and
overview are brought up to date from it: the agencies a save wrote are read again, the rest is
kept, and the result is the grid and overview computed afresh, figure for figure."""

from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from pandas.testing import assert_frame_equal
from sqlmodel import select

from core import db
from core.db import read_session, write_session
from models import Agency, DataChange, DataVersion, Meeting, ProgressStatus
from services import heatmap, overview, progress
from services.progress import ReportInput
from tests.helpers import actor, agency_id, assignment, open_round, report, round_of

DRAFT = ReportInput(
    progress_pct=Decimal("61.5"),
    actual_value=Decimal(2),
    achievements="ร่างรายงาน",
    status=ProgressStatus.delayed,
    status_reason="รอการอนุมัติงบประมาณ",
)


def save(engine, who, agency, sub, round_id, *, data=DRAFT, reason=""):
    current = report(engine, agency, sub, round_id)
    a = actor(engine, who)
    with write_session(engine, a) as s:
        return progress.save_report(
            session=s,
            actor=a,
            assignment_id=assignment(engine, agency, sub).id,
            round_id=round_id,
            expected_version=current.version if current else None,
            data=data,
            correction_reason=reason,
        )


def version(engine) -> int:
    with read_session(engine) as s:
        return db.data_version(s)


def change(engine, v: int) -> DataChange | None:
    with read_session(engine) as s:
        return s.get(DataChange, v)


def grid(engine, round_id) -> heatmap.RoundGrid:
    with read_session(engine) as s:
        return heatmap.round_grid(session=s, round_id=round_id)


def assert_same_grid(got: heatmap.RoundGrid, want: heatmap.RoundGrid) -> None:
    assert_frame_equal(got.cells.reset_index(drop=True), want.cells.reset_index(drop=True))
    for name in ("by_agency", "by_main_issue", "by_sub_issue"):
        assert_frame_equal(getattr(got, name), getattr(want, name))
    assert got.overall == want.overall


def test_a_save_records_the_round_and_agency_it_wrote(demo_db):
    rnd = open_round(demo_db)
    before = version(demo_db)
    save(demo_db, "focal_bla", "BLA", "1.1", rnd.id)
    after = version(demo_db)
    assert after == before + 1
    row = change(demo_db, after)
    assert row is not None and not row.everything
    with read_session(demo_db) as s:
        assert heatmap.changes_since(session=s, since_version=before, until_version=after) == {
            (rnd.id, agency_id(demo_db, "BLA"))
        }


def test_a_plan_change_records_everything_and_a_meeting_edit_nothing_a_round_shows(demo_db):
    system = actor(demo_db, "admin")
    before = version(demo_db)
    with write_session(demo_db, system) as s:
        meeting = s.exec(select(Meeting)).first()
        meeting.venue = (meeting.venue or "") + " ห้องประชุม 2"
    with read_session(demo_db) as s:
        assert heatmap.changes_since(session=s, since_version=before, until_version=before + 1) == set()
    with write_session(demo_db, system) as s:
        agency = s.exec(select(Agency).where(Agency.code == "BLA")).one()
        agency.short_name_th = "สนก. (ใหม่)"
    assert change(demo_db, before + 2).everything
    with read_session(demo_db) as s:
        assert heatmap.changes_since(session=s, since_version=before, until_version=before + 2) is None


def test_a_version_without_its_record_counts_as_everything(demo_db):
    """A restore (or any write that moves the version itself) leaves no DataChange row."""
    before = version(demo_db)
    with write_session(demo_db, actor(demo_db, "admin")) as s:
        s.execute(sa.update(DataVersion).values(version=DataVersion.version + 1))
    with read_session(demo_db) as s:
        assert heatmap.changes_since(session=s, since_version=before, until_version=before + 1) is None
        assert heatmap.changes_since(session=s, since_version=before, until_version=before) == set()


def test_a_grid_refreshed_for_the_agencies_saved_equals_one_computed_afresh(demo_db):
    rnd = open_round(demo_db)
    cached, before = grid(demo_db, rnd.id), version(demo_db)
    save(demo_db, "focal_bla", "BLA", "1.1", rnd.id)
    save(
        demo_db,
        "focal_opec",
        "OPEC",
        "3.1",
        rnd.id,
        data=ReportInput(
            progress_pct=Decimal("12.25"),
            actual_value=Decimal(1),
            achievements="เริ่มงาน",
            status=ProgressStatus.delayed,
            status_reason="เพิ่งเริ่ม",
        ),
    )
    with read_session(demo_db) as s:
        changed = heatmap.changes_since(session=s, since_version=before, until_version=version(demo_db))
        agencies = heatmap.agencies_to_refresh(session=s, round_id=rnd.id, changed=changed)
        assert agencies == {agency_id(demo_db, "BLA"), agency_id(demo_db, "OPEC")}
        refreshed = heatmap.refresh_grid(session=s, grid=cached, round_id=rnd.id, agency_ids=agencies)
    fresh = grid(demo_db, rnd.id)
    assert_same_grid(refreshed, fresh)
    assert refreshed.overall != cached.overall  # the saves moved the round's figure
    bla = fresh.cells[(fresh.cells["agency_code"] == "BLA") & (fresh.cells["sub_issue_code"] == "1.1")]
    assert float(bla["progress_pct"].iloc[0]) == 61.5 and bla["state"].iloc[0] == "draft"


def test_a_correction_of_the_previous_round_refreshes_the_change_column_of_this_one(demo_db):
    rnd, previous = open_round(demo_db), round_of(demo_db, 2564, 9)
    cached, before = grid(demo_db, rnd.id), version(demo_db)
    current = report(demo_db, "BLA", "1.3", previous.id)
    data = ReportInput.from_report(current)
    data.progress_pct = Decimal("5")
    save(demo_db, "secretariat", "BLA", "1.3", previous.id, data=data, reason="แก้ตามหนังสือแจ้งจากหน่วยงาน")
    with read_session(demo_db) as s:
        changed = heatmap.changes_since(session=s, since_version=before, until_version=version(demo_db))
        assert heatmap.agencies_to_refresh(session=s, round_id=rnd.id, changed=changed) == {agency_id(demo_db, "BLA")}
        refreshed = heatmap.refresh_grid(session=s, grid=cached, round_id=rnd.id, agency_ids={agency_id(demo_db, "BLA")})
        # a round two steps back is no part of this grid
        first = round_of(demo_db, 2562, 3)
        assert heatmap.agencies_to_refresh(session=s, round_id=rnd.id, changed={(first.id, 1)}) == set()
    assert_same_grid(refreshed, grid(demo_db, rnd.id))
    cell = refreshed.cells[(refreshed.cells["agency_code"] == "BLA") & (refreshed.cells["sub_issue_code"] == "1.3")]
    assert float(cell["previous_progress_pct"].iloc[0]) == 5.0


def test_a_grid_whose_items_changed_is_not_refreshed_but_computed_again(demo_db):
    rnd = open_round(demo_db)
    cached = grid(demo_db, rnd.id)
    bla = agency_id(demo_db, "BLA")
    shrunk = heatmap.RoundGrid(
        cells=cached.cells[~((cached.cells["agency_id"] == bla) & (cached.cells["sub_issue_code"] == "1.1"))],
        by_agency=cached.by_agency,
        by_main_issue=cached.by_main_issue,
        overall=cached.overall,
    )
    with read_session(demo_db) as s:
        assert heatmap.refresh_grid(session=s, grid=shrunk, round_id=rnd.id, agency_ids={bla}) is None


def test_an_overview_kept_across_saves_of_its_round_equals_one_computed_afresh(demo_db):
    rnd = open_round(demo_db)
    with read_session(demo_db) as s:
        earlier = overview.round_overview(session=s, round_id=rnd.id)
    before = version(demo_db)
    save(
        demo_db,
        "focal_bla",
        "BLA",
        "1.1",
        rnd.id,
        data=ReportInput(
            progress_pct=Decimal("99.8"),
            actual_value=Decimal(3),
            status=ProgressStatus.delayed,
            status_reason="ขาดอีกเล็กน้อย",
            notable=True,
            achievements="เด่น",
        ),
    )
    with read_session(demo_db) as s:
        changed = heatmap.changes_since(session=s, since_version=before, until_version=version(demo_db))
        assert overview.reach(session=s, round_id=rnd.id, changed=changed) == "this_round"
        kept = overview.round_overview(
            session=s, round_id=rnd.id, grid=heatmap.round_grid(session=s, round_id=rnd.id), earlier=earlier
        )
        fresh = overview.round_overview(session=s, round_id=rnd.id)
    assert kept.headline == fresh.headline and kept.headline != earlier.headline
    for name in ("trend", "projection", "attention", "highlights", "agencies", "by_sub_issue", "evaluations"):
        assert_frame_equal(getattr(kept, name), getattr(fresh, name), check_exact=False, rtol=1e-12)
    assert ("BLA", "1.1") in set(zip(fresh.highlights["agency_code"], fresh.highlights["sub_issue_code"], strict=True))


def test_how_far_saves_reach_into_a_round_overview(demo_db):
    rnd, previous, first = open_round(demo_db), round_of(demo_db, 2564, 9), round_of(demo_db, 2562, 3)
    with read_session(demo_db) as s:
        assert overview.reach(session=s, round_id=rnd.id, changed=set()) == "none"
        assert overview.reach(session=s, round_id=rnd.id, changed={(rnd.id, 1)}) == "this_round"
        assert overview.reach(session=s, round_id=rnd.id, changed={(rnd.id, 1), (previous.id, 2)}) == "earlier"
        assert overview.reach(session=s, round_id=first.id, changed={(rnd.id, 1)}) == "none"  # a later round only


def test_margins_from_the_cells_are_the_weighted_sums_over_assigned_items(demo_db):
    """The one definition: Σ(weight × progress) / Σ(weight), an unreported item counting 0,
    checked against a plain loop over the cells."""
    rnd = open_round(demo_db)
    g = grid(demo_db, rnd.id)
    items = g.cells[g.cells["assignment_id"].notna()]
    for code, part in items.groupby("agency_code"):
        w = part["weight"].astype(float).tolist()
        p = part["progress_pct"].astype(float).fillna(0).tolist()
        want = sum(a * b for a, b in zip(w, p, strict=True)) / sum(w)
        row = g.by_agency[g.by_agency["agency_code"] == code].iloc[0]
        assert abs(float(row["weighted_progress"]) - want) < 1e-9
        assert int(row["assigned"]) == len(part) and int(row["reported"]) == int(part["report_id"].notna().sum())
    assert list(g.by_main_issue["main_issue_number"]) == sorted(items["main_issue_number"].unique())
    subs = g.by_sub_issue["sub_issue_code"].tolist()
    assert subs == list(pd.unique(items.sort_values(["main_issue_number", "sub_issue_order"])["sub_issue_code"]))
