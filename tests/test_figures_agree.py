"""One definition of each count, state symbol and rounding, everywhere: the figures the heatmap
and overview pages draw (the services and chart builders those pages call) against the PDF read
back with pypdf, the deck with python-pptx and the workbook with openpyxl, for the same round —
on both databases. The demo's open round holds drafts, a returned report and unreported items,
so a count that takes drafts for sent, a symbol drawn differently or a number rounded
differently shows up."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date

import openpyxl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlmodel import select

from core import charts
from core.db import read_session
from core.i18n import translate
from core.palette import STATUS_COLOURS
from models import Round
from services import committee_pack, figures, heatmap, overview
from services.overview import fmt_pct

AS_OF = date(2021, 10, 5)
PT_PER_MM = 72 / 25.4


def _labels(lang: str = "th") -> dict[str, str]:
    """The captions the page passes to charts.heatmap (ui.widgets.chart_labels, without Streamlit)."""
    keys = {
        "agency": "users.agency",
        "sub_issue": "col.sub_issue",
        "progress": "col.progress",
        "expected": "heatmap.expected",
        "status": "field.status",
        "state": "col.state",
        "target": "entry.target",
        "actual": "field.actual_value",
        "unit": "heatmap.unit",
        "updated_by": "history.who",
        "updated_at": "history.when",
        "change": "heatmap.measure.change",
    }
    labels = {k: translate(v, lang) for k, v in keys.items()} | {"lang": lang}
    for s in ("not_reported", "draft", "submitted", "approved", "returned"):
        labels[f"state.{s}"] = translate(f"state.{'missing' if s == 'not_reported' else s}", lang)
    return labels | {f"status.{s}": translate(f"status.{s}", lang) for s in STATUS_COLOURS}


def _round_id(engine, fy: int, months: int) -> int:
    with read_session(engine) as s:
        return s.exec(select(Round.id).where(Round.fiscal_year == fy, Round.months == months)).one()


class PageFigures:
    """What the heatmap and overview pages show for one round, from the calls the pages make."""

    def __init__(self, engine, round_id: int) -> None:
        with read_session(engine) as s:
            self.grid = heatmap.round_grid(session=s, round_id=round_id)
            self.ov = overview.round_overview(session=s, round_id=round_id, grid=self.grid)
            self.meeting = committee_pack.meeting_for(session=s, round_id=round_id, today=AS_OF)
        cells = heatmap.view_cells(self.grid)
        spec = charts.spec(charts.heatmap(cells, measure="progress", labels=_labels()))
        (rows,) = spec["datasets"].values()
        # the text of every cell of the page's chart, by (agency name, sub-issue code)
        self.cell_text = {(r["agency_short_name"], r["sub_issue_code"]): r["label"] for r in rows}
        self.subs = list(dict.fromkeys(cells.sort_values(["main_issue_number", "sub_issue_order"])["sub_issue_code"]))
        self.agencies = list(dict.fromkeys(cells["agency_short_name"]))
        table = heatmap.view_agencies(self.grid, cells)  # the heatmap page's per-agency table
        self.submitted = {
            r["agency_short_name"]: figures.fraction(r["submitted"], r["assigned"]) for r in table.to_dict("records")
        }
        self.agency_pct = {r["agency_short_name"]: fmt_pct(r["weighted_progress"]) for r in table.to_dict("records")}
        head = self.ov.headline
        self.overall = fmt_pct(head.overall)
        self.main_pct = {m.number: fmt_pct(m.weighted_progress) for m in head.main_issues}
        self.cards = {  # the overview page's count cards
            "overview.agencies_reported": head.agencies_reported,
            "overview.agencies_approved": head.agencies_approved,
            "overview.items_delayed": head.items_delayed,
            "overview.items_returned": head.items_returned,
            "overview.items_not_reported": head.items_not_reported,
        }

    def row_labels(self, agency: str) -> list[str]:
        """The agency's non-empty cell texts in column order (a not-assigned cell says nothing)."""
        return [self.cell_text[(agency, code)] for code in self.subs if self.cell_text[(agency, code)]]


@pytest.fixture
def page(demo_db) -> PageFigures:
    return PageFigures(demo_db, _round_id(demo_db, 2564, 12))


def test_the_demo_round_has_what_tells_the_definitions_apart(page):
    """A draft, a submitted, an approved and a returned report and an unreported item: the
    comparison below would pass on a round without them whatever the definitions."""
    states = set(page.ov.cells["state"])
    assert {"draft", "submitted", "approved", "returned", "not_reported"} <= states
    drafts = page.ov.cells[page.ov.cells["state"] == "draft"]
    agency = drafts["agency_short_name"].iloc[0]
    sent, total = map(int, page.submitted[agency].split("/"))
    assert sent < total  # an agency with a draft has not sent everything


# ----------------------------------------------------------------------------- PDF
def _pdf_rows(reader: PdfReader) -> list[dict[float, list[tuple[float, str]]]]:
    """Per page, the text runs grouped by their baseline (within 1 pt: shaped Thai and plain
    figures of one table row sit a fraction of a point apart), each row's runs by x."""
    pages = []
    for pdf_page in reader.pages:
        runs: list[tuple[float, float, str]] = []

        def visit(text, cm, tm, _font, _size, runs=runs):
            if text.strip():
                runs.append((tm[5] * cm[3] + cm[5], tm[4] * cm[0] + cm[4], re.sub(r"[\x00-\x1f]", "", text).strip()))

        pdf_page.extract_text(visitor_text=visit)
        rows: dict[float, list[tuple[float, str]]] = defaultdict(list)
        top = None
        for y, x, text in sorted(runs, key=lambda r: -r[0]):
            if top is None or top - y > 1.0:
                top = y
            rows[top].append((x, text))
        pages.append({y: sorted(row) for y, row in rows.items()})
    return pages


def test_pdf_counts_symbols_and_numbers_are_the_pages(page):
    reader = PdfReader(io.BytesIO(committee_pack.build_pdf(page.ov, as_of=AS_OF, meeting=page.meeting)))
    pages = _pdf_rows(reader)
    rows = [[text for _, text in runs] for p in pages for runs in p.values()]
    heat_rows, agency_rows = {}, {}
    for texts in rows:
        name = texts[0]
        if name in page.agencies and len(texts) > 1:
            if any(t in ("?", *charts.STATE_MARKS.values()) or t[-1:] in charts.STATE_MARKS.values() for t in texts[1:]):
                heat_rows[name] = texts[1:]
            elif re.fullmatch(r"\d+/\d+", texts[2] if len(texts) > 2 else ""):
                agency_rows[name] = texts[1:]
    assert set(heat_rows) == set(page.agencies), "every agency has a heatmap row with state marks"
    for agency in page.agencies:
        assert heat_rows[agency] == [*page.row_labels(agency), page.agency_pct[agency]], agency
        # the agency table: weighted progress, then submitted/assigned as the heatmap page counts it
        assert agency_rows[agency][:2] == [page.agency_pct[agency], page.submitted[agency]], agency
    text = "".join(p.extract_text() for p in reader.pages)
    squashed = re.sub(r"[\s\x00-\x1f]", "", text)
    for number, pct in page.main_pct.items():  # the main-issue table: number, name, weighted, expected
        assert any(len(t) >= 4 and t[0] == str(number) and t[-2] == pct for t in rows), number
    assert page.overall in squashed
    for mark, meaning in figures.legend("th"):
        assert re.sub(r"\s", "", f"{mark}{meaning}") in squashed, meaning  # the legend: the page's marks and words


def test_pdf_names_the_meeting_or_says_there_is_none(demo_db, page):
    reader = PdfReader(io.BytesIO(committee_pack.build_pdf(page.ov, as_of=AS_OF, meeting=page.meeting)))
    first = re.sub(r"[\s\x00-\x1f]", "", reader.pages[0].extract_text())
    assert page.meeting is None  # the open round has no meeting recorded
    assert re.sub(r"\s", "", translate("pack.no_meeting")) in first
    rid = _round_id(demo_db, 2563, 9)  # meeting 3/2563 reviewed this round
    nine = PageFigures(demo_db, rid)
    assert nine.meeting is not None and (nine.meeting.number, nine.meeting.year_be) == (3, 2563)
    reader = PdfReader(io.BytesIO(committee_pack.build_pdf(nine.ov, as_of=AS_OF, meeting=nine.meeting)))
    first = re.sub(r"[\s\x00-\x1f]", "", reader.pages[0].extract_text())
    assert "การประชุมครั้งที่3/2563วันที่26มิถุนายน2563" in first


# ----------------------------------------------------------------------------- PPTX
def _slide_title(slide) -> str:
    return slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""


def _tables(slide):
    return [shape.table for shape in slide.shapes if shape.has_table]


def test_pptx_counts_symbols_and_numbers_are_the_pages(page):
    deck = Presentation(io.BytesIO(committee_pack.build_pptx(page.ov, as_of=AS_OF, meeting=page.meeting)))
    heading = translate("pack.heatmap")
    heat_slides = [s for s in deck.slides if _slide_title(s).startswith(heading)]
    assert heat_slides, "the deck has a heatmap slide"
    seen_cells, seen_rows = {}, {}
    for slide in heat_slides:
        (table,) = _tables(slide)
        header = [table.cell(1, c).text for c in range(len(table.columns))]
        for r in range(2, len(table.rows)):
            name = table.cell(r, 0).text
            if name == translate("pack.total"):
                continue
            values = [table.cell(r, c).text for c in range(len(table.columns))]
            seen_rows[name] = dict(zip(header, values, strict=True))
            for code, value in zip(header, values, strict=True):
                if code in page.subs:
                    seen_cells[(name, code)] = value
    assert seen_cells == page.cell_text  # every cell: the same number and the same mark
    for agency in page.agencies:
        row = seen_rows[agency]
        assert row[translate("pack.total")] == page.agency_pct[agency]
        assert row[translate("pack.col.submitted_count")] == page.submitted[agency]
    # every table is projector-sized
    sizes = {
        run.font.size.pt
        for slide in deck.slides
        for table in _tables(slide)
        for row in table.rows
        for cell in row.cells
        for p in cell.text_frame.paragraphs
        for run in p.runs
    }
    assert sizes and min(sizes) >= 14, sizes
    # the summary table's counts are the overview page's cards
    summary = _tables(deck.slides[1])[0]
    values = {summary.cell(r, 0).text: summary.cell(r, 1).text for r in range(1, len(summary.rows))}
    for key, count in page.cards.items():
        assert values[translate(key)] == str(count), key
    assert values[translate("overview.overall")] == translate("overview.pct", value=page.overall)
    # attention and highlights slides exist, with the bundle's rows
    titles = [_slide_title(s) for s in deck.slides]
    assert any(t.startswith(translate("overview.attention")) for t in titles)
    assert any(t.startswith(translate("overview.highlights")) for t in titles)
    attention_rows = sum(
        len(table.rows) - 1
        for s in deck.slides
        if _slide_title(s).startswith(translate("overview.attention"))
        for table in _tables(s)
    )
    assert attention_rows == len(page.ov.attention)
    # every run names a Thai-capable font for Latin, East Asian and complex (Thai) script
    xml = "".join(shape._element.xml for slide in deck.slides for shape in slide.shapes)
    for tag in ("a:latin", "a:ea", "a:cs"):
        faces = set(re.findall(rf'<{tag} typeface="([^"]+)"', xml))
        assert faces == {committee_pack.PACK_FONT}, (tag, faces)


# ----------------------------------------------------------------------------- XLSX
def test_xlsx_counts_symbols_numbers_fonts_and_names_are_the_pages(page):
    wb = openpyxl.load_workbook(io.BytesIO(committee_pack.build_xlsx(page.ov, as_of=AS_OF, meeting=page.meeting)))
    ws = wb[translate("pack.sheet.heatmap")]
    header = [c.value for c in ws[1]]
    seen_cells, seen_rows = {}, {}
    for row in ws.iter_rows(min_row=2):
        name = row[0].value
        if name not in page.agencies:
            continue
        values = dict(zip(header, row, strict=True))
        seen_rows[name] = values
        for code in page.subs:
            seen_cells[(name, code)] = values[code].value or ""
    assert seen_cells == page.cell_text
    for agency in page.agencies:
        total = seen_rows[agency][translate("pack.total")]
        assert total.number_format == "0.0" and fmt_pct(total.value) == page.agency_pct[agency]
        assert seen_rows[agency][translate("pack.col.submitted_count")].value == page.submitted[agency]
    agencies = wb[translate("pack.sheet.agencies")]
    by_name = {r[0].value: r for r in agencies.iter_rows(min_row=2)}
    assert set(by_name) == set(page.agencies)  # Thai short names, not English codes
    for agency in page.agencies:
        assert page.submitted[agency] in [c.value for c in by_name[agency]]
    summary = {r[0].value: r[1].value for r in wb[translate("pack.sheet.summary")].iter_rows(min_row=2)}
    for key, count in page.cards.items():
        assert summary[translate(key)] == count, key
    codes = set(page.ov.cells["agency_code"])
    for sheet in wb.worksheets:  # no English agency code anywhere in the Thai workbook
        for row in sheet.iter_rows():
            assert not codes & {c.value for c in row}, sheet.title
            for cell in row:
                assert cell.font.name == committee_pack.PACK_FONT, (sheet.title, cell.coordinate, cell.font.name)
    import zipfile

    with zipfile.ZipFile(io.BytesIO(committee_pack.build_xlsx(page.ov, as_of=AS_OF))) as z:
        styles = z.read("xl/styles.xml").decode()
        theme = z.read("xl/theme/theme1.xml").decode()
    assert "Calibri" not in styles and "Calibri" not in theme
