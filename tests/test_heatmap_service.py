"""Heatmap aggregation: every cell state, and weighted margins recomputed independently."""

import re
from decimal import Decimal

import pytest
from sqlmodel import select

from core.db import read_session
from models import Agency, Assignment, MainIssue, ProgressReport, SubIssue
from services import heatmap
from services.demo import RETURN_COMMENT
from services.permissions import PermissionDenied
from tests.helpers import actor, open_round, report, round_of


def _independent(engine, round_id):
    """Weighted progress per agency, sub-issue, main issue and overall, straight from the ORM rows."""
    with read_session(engine) as s:
        rows = s.exec(
            select(Assignment, Agency.code, SubIssue.code, MainIssue.number)
            .join(Agency, Agency.id == Assignment.agency_id)
            .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
            .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
        ).all()
        reports = {r.assignment_id: r for r in s.exec(select(ProgressReport).where(ProgressReport.round_id == round_id))}
    sums: dict[tuple, list[Decimal]] = {}
    for a, agency, sub, main in rows:
        p = reports[a.id].progress_pct if a.id in reports and reports[a.id].progress_pct is not None else Decimal(0)
        for key in (("agency", agency), ("sub", sub), ("main", main), ("all",)):
            acc = sums.setdefault(key, [Decimal(0), Decimal(0)])
            acc[0] += a.weight * p
            acc[1] += a.weight
    return {k: float(v[0] / v[1]) for k, v in sums.items()}


def test_grid_has_every_agency_and_sub_issue_in_plan_order(demo_db):
    with read_session(demo_db) as s:
        grid = heatmap.cells(session=s, round_id=open_round(demo_db).id)
    assert len(grid) == 7 * 13
    assert list(grid["agency_code"].drop_duplicates()) == ["OTEPC", "ONIE", "OPEC", "BPS", "BIE", "BLA", "ICT"]
    assert list(grid["sub_issue_code"].drop_duplicates())[:6] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1"]


def test_each_cell_state_is_distinct(demo_db):
    with read_session(demo_db) as s:
        grid = heatmap.cells(session=s, round_id=open_round(demo_db).id).set_index(["agency_code", "sub_issue_code"])
    assert grid.loc[("BIE", "1.1"), "state"] == heatmap.NOT_ASSIGNED
    assert grid.loc[("BLA", "1.1"), "state"] == heatmap.NOT_REPORTED
    assert grid.loc[("OPEC", "3.1"), "state"] == "draft"
    assert grid.loc[("OTEPC", "1.5"), "state"] == "submitted"
    assert grid.loc[("BPS", "2.4"), "state"] == "returned"
    assert grid.loc[("BPS", "1.2"), "state"] == "approved"
    assert set(grid["state"]) == set(heatmap.CELL_STATES)
    assert (grid["state"] == heatmap.NOT_ASSIGNED).sum() == 7 * 13 - 27
    assert grid.loc[("BIE", "1.1"), ["progress_pct", "weight"]].isna().all()


def test_downloads_hold_the_grid_with_thai_names(demo_db):
    import io

    import openpyxl

    with read_session(demo_db) as s:
        cells = heatmap.cells(session=s, round_id=open_round(demo_db).id)
    reported = cells.dropna(subset=["progress_pct"]).iloc[0]
    csv = heatmap.grid_csv(cells)
    assert csv.startswith("\ufeff".encode()) and "สนย.".encode() in csv  # BOM: Excel opens it as UTF-8
    book = openpyxl.load_workbook(io.BytesIO(heatmap.grid_xlsx(cells)))
    assert book.sheetnames == ["progress", "cells"]
    rows = list(book["progress"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == list(cells["agency_short_name"].drop_duplicates())
    assert list(rows[0][1:]) == list(cells["sub_issue_code"].drop_duplicates())
    value = rows[1 + list(cells["agency_short_name"].drop_duplicates()).index(reported["agency_short_name"])][
        1 + list(cells["sub_issue_code"].drop_duplicates()).index(reported["sub_issue_code"])
    ]
    assert value == pytest.approx(float(reported["progress_pct"]))
    assert book["cells"].max_row == len(cells) + 1


def test_a_view_filters_whole_agencies_orders_them_and_labels_in_its_language(demo_db):
    with read_session(demo_db) as s:
        grid = heatmap.round_grid(session=s, round_id=round_of(demo_db, 2564, 12).id)
    plain = heatmap.view_cells(grid)
    assert len(plain) == len(grid.cells) and not plain["selected"].any()
    assert plain["agency_order"].equals(grid.cells["agency_order"])  # plan order

    view = heatmap.view_cells(grid, main_filter=(2,), status_filter=("returned",), open_cell=("BPS", "2.4"), language="en")
    assert set(view["main_issue_number"]) == {2}
    assert set(view["agency_code"]) == set(view.loc[view["match"], "agency_code"]) == {"BPS"}  # every cell of a matching agency
    assert view["match"].sum() == 1 and len(view) == (grid.cells.query("agency_code == 'BPS'")["main_issue_number"] == 2).sum()
    assert set(view["main_issue_label"]) == {"Main issue 2"}
    assert view.loc[view["selected"], "sub_issue_code"].tolist() == ["2.4"]
    dated = view.dropna(subset=["updated_at"]).iloc[0]
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} 25\d\d BE \d\d:\d\d", dated["updated_at_text"])  # English months, BE years

    by_progress = heatmap.view_cells(grid, sort="progress")
    first = by_progress.sort_values("agency_order", kind="stable")["agency_code"].iloc[0]
    assert first == grid.by_agency.sort_values("weighted_progress", ascending=False)["agency_code"].iloc[0]
    table = heatmap.view_agencies(grid, view)
    assert table["agency_code"].tolist() == ["BPS"] and table["agency_short_name"].tolist() == ["สนย."]


def test_cells_carry_change_since_previous_round_and_who_updated(demo_db):
    rnd = round_of(demo_db, 2564, 9)
    with read_session(demo_db) as s:
        grid = heatmap.cells(session=s, round_id=rnd.id).set_index(["agency_code", "sub_issue_code"])
    cell = grid.loc[("BIE", "1.4")]
    assert cell["change_pct"] == cell["progress_pct"] - cell["previous_progress_pct"]
    assert cell["updated_by"] and cell["updated_at"] is not None


@pytest.mark.parametrize(("fy", "months"), [(2564, 12), (2563, 9), (2562, 3)])
def test_weighted_margins_match_an_independent_computation(demo_db, fy, months):
    rid = round_of(demo_db, fy, months).id
    expected = _independent(demo_db, rid)
    with read_session(demo_db) as s:
        agencies = heatmap.by_agency(session=s, round_id=rid).set_index("agency_code")["weighted_progress"]
        subs = heatmap.by_sub_issue(session=s, round_id=rid).set_index("sub_issue_code")["weighted_progress"]
        mains = heatmap.by_main_issue(session=s, round_id=rid).set_index("main_issue_number")["weighted_progress"]
        total = heatmap.overall(session=s, round_id=rid)
    close = pytest.approx
    assert {k: float(v) for k, v in agencies.items()} == close({k[1]: v for k, v in expected.items() if k[0] == "agency"})
    assert {k: float(v) for k, v in subs.items()} == close({k[1]: v for k, v in expected.items() if k[0] == "sub"})
    assert {int(k): float(v) for k, v in mains.items()} == close({k[1]: v for k, v in expected.items() if k[0] == "main"})
    assert total == close(expected[("all",)])


def test_unreported_cells_count_as_zero_in_the_margin(demo_db):
    rid = open_round(demo_db).id
    with read_session(demo_db) as s:
        bla = heatmap.by_agency(session=s, round_id=rid).set_index("agency_code").loc["BLA"]
    p13 = report(demo_db, "BLA", "1.3", rid).progress_pct  # weight 2; 1.1 (weight 1) is not reported
    assert (bla["assigned"], bla["reported"]) == (2, 1)
    assert float(bla["weighted_progress"]) == pytest.approx(float(2 * p13 / 3))


# ----------------------------------------------------------------------------- one cell
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("BPS~2.4", ("BPS", "2.4")),
        (" BPS ~ 2.4 ", ("BPS", "2.4")),
        ("BPS", None),
        ("~2.4", None),
        ("a~b~c", None),
        ("", None),
        (None, None),
    ],
)
def test_cell_key_round_trips_and_refuses_junk(value, expected):
    assert heatmap.parse_cell_key(value) == expected
    if expected:
        assert heatmap.parse_cell_key(heatmap.cell_key(*expected)) == expected


def _detail(engine, agency, sub, rnd=None, who="chair"):
    rnd = rnd or open_round(engine)
    with read_session(engine) as s:
        return heatmap.cell_detail(session=s, actor=actor(engine, who), round_id=rnd.id, agency_code=agency, sub_issue_code=sub)


def test_detail_of_a_returned_item_has_its_narrative_conversation_and_trend(demo_db):
    detail = _detail(demo_db, "BPS", "2.4")
    assert detail.state == "returned" and detail.key == "BPS~2.4"
    assert detail.report.review_comment == RETURN_COMMENT
    assert [e.action for e in detail.conversation] == ["return", "submit"]  # newest first
    assert detail.conversation[0].comment == RETURN_COMMENT
    trend = detail.trend
    assert len(trend) == 12  # every round of the 3-year plan
    assert trend["selected"].sum() == 1
    assert trend.loc[trend["selected"], "progress_pct"].item() == float(detail.report.progress_pct)
    assert list(trend["expected_pct"][:4]) == [25, 50, 75, 100]


def test_detail_of_a_notable_item_lists_its_evidence(demo_db):
    detail = _detail(demo_db, "BIE", "1.4", round_of(demo_db, 2563, 9))
    assert detail.report.notable
    assert [e.kind for e in detail.evidence] == ["link"] and detail.evidence[0].url.startswith("https://")


@pytest.mark.parametrize(("agency", "sub", "state"), [("BIE", "1.1", "not_assigned"), ("BLA", "1.1", "not_reported")])
def test_detail_of_empty_cells_says_which_kind_of_empty(demo_db, agency, sub, state):
    detail = _detail(demo_db, agency, sub, round_of(demo_db, 2564, 12) if state == "not_reported" else None)
    assert detail.state == state and detail.report is None
    assert detail.trend.empty == (state == "not_assigned")


def test_detail_of_an_unknown_cell_is_none(demo_db):
    assert _detail(demo_db, "NOPE", "1.1") is None
    assert _detail(demo_db, "BPS", "9.9") is None


def test_detail_rechecks_who_may_see_the_agency(demo_db):
    assert _detail(demo_db, "BPS", "2.4", who="focal_bps").state == "returned"
    with pytest.raises(PermissionDenied):
        _detail(demo_db, "BPS", "2.4", who="focal_bla")


# ----------------------------------------------------------------------------- downloads: text stays text
HOSTILE_NAMES = {"BPS": '=HYPERLINK("http://example.invalid","x")', "BLA": "-ดำเนินการ", "ICT": "'=already quoted"}
HOSTILE_SUB = "+1.1"
HOSTILE_EDITOR = "@SUM(A1)"


def _hostile_cells(engine):
    """The grid with agency names, a sub-issue code and editors' display names that look like formulas."""
    with read_session(engine) as s:
        cells = heatmap.cells(session=s, round_id=open_round(engine).id)
    names = [HOSTILE_NAMES.get(code, name) for code, name in zip(cells["agency_code"], cells["agency_short_name"], strict=True)]
    return cells.assign(
        agency_short_name=names,
        sub_issue_code=cells["sub_issue_code"].replace({"1.1": HOSTILE_SUB}),
        updated_by=cells["updated_by"].where(cells["updated_by"].isna(), HOSTILE_EDITOR),
    )


def test_grid_csv_neutralises_formula_like_names_reversibly(demo_db, tmp_path):
    import csv
    import io

    import openpyxl

    from services.spreadsheet_safety import looks_like_formula, neutralise_csv, unneutralise_csv
    from tests.test_excel_io import soffice_convert

    cells = _hostile_cells(demo_db)
    data = heatmap.grid_csv(cells)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    names = list(cells["agency_short_name"].drop_duplicates())
    assert [r[0] for r in rows[1:]] == [neutralise_csv(n) for n in names]
    assert [unneutralise_csv(r[0]) for r in rows[1:]] == names  # the exact names come back
    assert rows[0][1] == "'" + HOSTILE_SUB and unneutralise_csv(rows[0][1]) == HOSTILE_SUB
    assert "''=already quoted" in [r[0] for r in rows]
    assert not any(looks_like_formula(field) for field in [*rows[0], *(r[0] for r in rows[1:])])

    out = soffice_convert({"grid.csv": data}, "xlsx:Calc MS Excel 2007 XML", tmp_path, infilter="CSV:44,34,76,1")
    sheet = openpyxl.load_workbook(out / "grid.xlsx").active  # LibreOffice evaluates formulas in a CSV it opens
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, len(names) + 2)] == [neutralise_csv(n) for n in names]


def test_grid_xlsx_writes_formula_like_text_as_quote_prefixed_text(demo_db, tmp_path):
    import io

    import openpyxl

    from tests.test_excel_io import formula_parts, libreoffice_csv

    cells = _hostile_cells(demo_db)
    data = heatmap.grid_xlsx(cells)
    assert formula_parts(data) == []
    book = openpyxl.load_workbook(io.BytesIO(data))
    progress = book["progress"]
    names = list(cells["agency_short_name"].drop_duplicates())
    column_a = [progress.cell(row=r, column=1) for r in range(2, len(names) + 2)]
    assert [c.value for c in column_a] == names and {c.data_type for c in column_a} == {"s"}
    assert [c.quotePrefix for c in column_a] == [n.startswith(("=", "-")) for n in names]
    header = progress.cell(row=1, column=2)
    assert (header.value, header.quotePrefix) == (HOSTILE_SUB, True)
    cells_sheet = book["cells"]
    editor_col = [c.value for c in cells_sheet[1]].index("updated_by") + 1
    editors = {cells_sheet.cell(row=r, column=editor_col).value for r in range(2, cells_sheet.max_row + 1)}
    assert HOSTILE_EDITOR in editors

    sheets = libreoffice_csv({"grid.xlsx": data}, tmp_path)["grid"]
    assert [r[0] for r in sheets["progress"][1 : len(names) + 1]] == names  # literally, not "x"
    assert sheets["progress"][0][1] == HOSTILE_SUB
    assert HOSTILE_EDITOR in {r[editor_col - 1] for r in sheets["cells"][1:]}


@pytest.mark.parametrize(
    ("text", "neutralised"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://example.invalid","x")', '\'=HYPERLINK("http://example.invalid","x")'),
        ("+66 2 123 4567", "'+66 2 123 4567"),
        ("-ดำเนินการ", "'-ดำเนินการ"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("＝SUM(A1)", "'＝SUM(A1)"),
        ("'=1", "''=1"),
        ("''@x", "'''@x"),
        ("'plain", "'plain"),
        ("'", "'"),
        ("plain", "plain"),
        (" =1", " =1"),
        ("สนย.", "สนย."),
        ("", ""),
    ],
)
def test_csv_neutralisation_cases(text, neutralised):
    from services.spreadsheet_safety import neutralise_csv, unneutralise_csv

    assert neutralise_csv(text) == neutralised
    assert unneutralise_csv(neutralised) == text


def test_csv_neutralisation_is_a_bijection_over_every_short_string():
    """Every string of up to 4 characters over the characters that matter: the mapping is
    injective, undone exactly, never leaves a formula, and the vectorised form agrees."""
    import itertools

    import pandas as pd

    from services.spreadsheet_safety import looks_like_formula, neutralise_csv, neutralise_csv_labels, unneutralise_csv

    alphabet = ["'", "=", "+", "-", "@", "\t", "\r", "＝", "＠", "a", "ก", " "]
    texts = ["".join(chars) for n in range(5) for chars in itertools.product(alphabet, repeat=n)]
    images = [neutralise_csv(t) for t in texts]
    assert len(set(images)) == len(texts) == 1 + 12 + 12**2 + 12**3 + 12**4
    assert [unneutralise_csv(i) for i in images] == texts
    assert not [i for i in images if looks_like_formula(i)]
    assert list(neutralise_csv_labels(pd.Index(texts))) == images
