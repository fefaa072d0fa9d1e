"""The pack as an Excel workbook: a summary sheet and one sheet per main issue, every text cell
written as text (services.spreadsheet_safety)."""

from __future__ import annotations

import io
import re
from copy import copy
from datetime import date

from core.charts import cell_label
from core.palette import ACCENT
from services import figures, heatmap
from services.committee_pack.labels import (
    PACK_FONT,
    PACK_FONT_FALLBACK,
    Labels,
    Translator,
    agencies_in_order,
    as_float,
    cell_colours,
    figure_columns,
    is_missing,
    subs_in_order,
)
from services.committee_pack.meeting import PackMeeting
from services.committee_pack.text import COMBINING
from services.overview import RoundOverview, fmt_pct
from services.spreadsheet_safety import put_row

FONT_SIZE = 12  # Sarabun at 12 reads as Calibri 11 does


def _display_len(value: object) -> int:
    """Characters that take room (Thai vowel and tone marks above or below take none)."""
    return len(COMBINING.sub("", str(value)))


def _sheet(wb, title: str, header: list[str], rows: list[list[object]], formats: dict[int, str] | None = None):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title[:31])
    # every text a string cell, formula-like text (a plan or agency name starting with "=") quote-prefixed
    put_row(ws, 1, header)
    for r, row in enumerate(rows, start=2):
        put_row(ws, r, [None if is_missing(v) else v for v in row])
    fill = PatternFill("solid", fgColor=ACCENT.lstrip("#"))
    for cell in ws[1]:
        cell.font = Font(name=PACK_FONT, size=FONT_SIZE, bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for idx, fmt in (formats or {}).items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=idx + 1, max_col=idx + 1):
            cell.number_format = fmt
    for i, name in enumerate(header):
        longest = max([_display_len(name)] + [_display_len(r[i]) for r in rows if not is_missing(r[i])])
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(longest * 1.1 + 2, 8), 70)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = ws.dimensions
    return ws


def _fonts(wb) -> None:
    """Sarabun (PACK_FONT) as the workbook's default font and its theme's, so no cell falls back
    to Calibri (which has no Thai); Thai text naming no font falls back to PACK_FONT_FALLBACK."""
    from openpyxl.styles import Font
    from openpyxl.utils.indexed_list import IndexedList
    from openpyxl.writer.theme import theme_xml

    default = Font(name=PACK_FONT, sz=FONT_SIZE, family=2)
    wb._fonts = IndexedList([default])  # font 0: every cell without a font of its own
    wb._named_styles["Normal"].font = default
    theme = re.sub(r'typeface="(Calibri|Cambria)"', f'typeface="{PACK_FONT}"', theme_xml)
    theme = re.sub(r'<a:font script="Thai" typeface="[^"]*"/>', f'<a:font script="Thai" typeface="{PACK_FONT_FALLBACK}"/>', theme)
    wb.loaded_theme = theme.encode("utf-8")


def _heatmap_sheet(wb, overview: RoundOverview, L: Labels) -> None:
    """Agencies × sub-issues as the page's heatmap: each cell's text (core.charts.cell_label:
    number and mark) on its colour, the agency's total (a number, one decimal) and its submitted
    count (services.figures), the sub-issues' totals, and the legend below."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    t = L.t
    cells = overview.cells
    subs = subs_in_order(cells).to_dict("records")
    codes = [s["sub_issue_code"] for s in subs]
    grid = {
        (a, c): (st, as_float(p))
        for a, c, st, p in zip(cells["agency_id"], cells["sub_issue_code"], cells["state"], cells["progress_pct"], strict=True)
    }
    margins = overview.agencies.set_index("agency_id")
    sub_margin = overview.by_sub_issue.set_index("sub_issue_code")["weighted_progress"]
    header = [t("overview.col.agency"), *codes, t("pack.total"), t("pack.col.submitted_count")]
    rows, looks = [], []
    for a in agencies_in_order(cells).to_dict("records"):
        m = margins.loc[a["agency_id"]] if a["agency_id"] in margins.index else None
        states = [grid[(a["agency_id"], c)] for c in codes]
        rows.append(
            [
                L.agency(a),
                *(cell_label(st, p) for st, p in states),
                None if m is None else as_float(m["weighted_progress"]),
                "" if m is None else figures.fraction(m["submitted"], m["assigned"]),
            ]
        )
        looks.append(states)
    rows.append([t("pack.total"), *(as_float(sub_margin.get(c)) for c in codes), as_float(overview.headline.overall), ""])
    ws = _sheet(wb, t("pack.sheet.heatmap"), header, rows, {len(codes) + 1: "0.0"})
    for c in range(2, len(codes) + 2):
        ws.cell(row=len(rows) + 1, column=c).number_format = "0.0"
    centre = Alignment(horizontal="center", vertical="center")
    # a look's style, set once through openpyxl (which registers its font and fill in the workbook,
    # in cell order as before) and copied to every further cell of that look: openpyxl's style
    # setters hash and look up each new Font and PatternFill, slow over thousands of cells
    styles: dict[tuple[str, str], tuple] = {}  # (fill, ink): the cell's style array before and after
    for r, states in enumerate(looks, start=2):
        for c, (state, progress) in enumerate(states, start=2):
            cell = ws.cell(row=r, column=c)
            fill, ink = cell_colours(state, progress)
            known = styles.get((fill, ink))
            if known is not None and cell._style == known[0]:  # the same style before: the same after
                cell._style = copy(known[1])
                continue
            before = copy(cell._style)
            cell.alignment = centre
            cell.fill = PatternFill("solid", fgColor=fill.lstrip("#").upper())
            cell.font = Font(name=PACK_FONT, size=FONT_SIZE, bold=True, color=ink.lstrip("#").upper())
            styles.setdefault((fill, ink), (before, copy(cell._style)))
    for c in range(2, len(codes) + 2):
        ws.column_dimensions[get_column_letter(c)].width = 8
    bold = Font(name=PACK_FONT, size=FONT_SIZE, bold=True)
    for c in range(1, len(header) + 1):
        ws.cell(row=len(rows) + 1, column=c).font = bold
    at = len(rows) + 3  # the legend: each mark and what it means, the page's words
    for i, (mark, meaning) in enumerate(figures.legend(L.lang)):
        put_row(ws, at + i, [mark or "", meaning])
        ws.cell(row=at + i, column=1).alignment = centre
    put_row(ws, at + len(figures.legend(L.lang)), ["", t("figures.legend.zero")])
    put_row(ws, at + len(figures.legend(L.lang)) + 1, ["", t("figures.submitted_rule")])


def build_xlsx(
    overview: RoundOverview, *, lang: str = "th", as_of: date | None = None, meeting: PackMeeting | None = None
) -> bytes:
    """The committee workbook for `meeting` (None: it says none is recorded): a summary sheet
    (every headline figure as a number; main issues), the heatmap (the page's cell texts and
    colours), one sheet per main issue (agency × sub-issue rows: progress, status, submission state,
    target, actual), the per-agency table, the attention list and the projection (every item: the PDF and the deck
    list the first, Labels.projection_listing/attention_listing). Thai headers, frozen header
    rows, column widths from the content."""
    from openpyxl import Workbook

    t = Translator(lang)
    L = Labels(t, overview)
    as_of = as_of or date.today()
    h = overview.headline
    wb = Workbook()
    _fonts(wb)
    wb.remove(wb.active)
    pct, score_format = "0.0", "0.00"
    ev = overview.latest_evaluation
    summary: list[tuple[str, object, str, str | None]] = [  # label, value, note, number format
        (t("pack.plan"), L.plan_name(), t("pack.demo_marker") if overview.plan.is_demo else "", None),
        (t("pack.round"), L.this_round(), t("pack.as_of", date=L.date(as_of)), None),
        (t("pack.period"), L.period(), "", None),
        (t("pack.subtitle"), L.meeting(meeting), "", None),
        (t("overview.overall"), h.overall, t("overview.pct", value=fmt_pct(h.overall)), pct),
        (t("overview.expected"), h.expected_progress, "", pct),
        (t("overview.change"), h.change, L.change_note(), "+0.0;-0.0;0.0"),
        (t("pack.previous_overall"), h.previous_overall, "", pct),
        (t("overview.agencies_reported"), h.agencies_reported, t("overview.of_agencies", n=h.agencies_total), "0"),
        (t("overview.agencies_approved"), h.agencies_approved, t("overview.of_agencies", n=h.agencies_total), "0"),
        (t("overview.items_assigned"), h.items_assigned, "", "0"),
        (t("overview.items_delayed"), h.items_delayed, t("overview.of_items", n=h.items_assigned), "0"),
        (t("overview.items_returned"), h.items_returned, t("overview.of_items", n=h.items_assigned), "0"),
        (t("overview.items_not_reported"), h.items_not_reported, t("overview.of_items", n=h.items_assigned), "0"),
        (t("overview.evaluation"), ev.score if ev else None, L.evaluation_value()[1], score_format),
    ]
    for m in h.main_issues:
        label = f"{t('heatmap.main_short', n=m.number)} {L.main_issue(m.number)}"
        summary.append((label, m.weighted_progress, t("overview.expected_short", value=fmt_pct(m.expected_progress)), pct))
    header = [t("pack.col.item"), t("pack.col.value"), t("pack.col.note")]
    ws = _sheet(wb, t("pack.sheet.summary"), header, [[label, value, note] for label, value, note, _ in summary])
    ws.column_dimensions["A"].width = min(ws.column_dimensions["A"].width, 45)
    ws.column_dimensions["B"].width = 45
    from openpyxl.styles import Alignment

    for row, (*_, number_format) in enumerate(summary, start=2):
        cell = ws.cell(row=row, column=2)
        if number_format:
            cell.number_format = number_format
            cell.alignment = Alignment(horizontal="right")
        else:
            cell.alignment = Alignment(horizontal="left", wrap_text=True)
        ws.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")

    _heatmap_sheet(wb, overview, L)

    cells = overview.cells
    assigned = cells[cells["state"] != heatmap.NOT_ASSIGNED]
    header = [
        t("overview.col.agency"),
        t("pack.col.sub_issue_code"),
        t("pack.col.sub_issue_name"),
        t("pack.col.weight"),
        *figure_columns(t),
    ]
    for m in h.main_issues:
        part = assigned[assigned["main_issue_number"] == m.number]
        rows = [
            [
                L.agency(r),
                r["sub_issue_code"],
                L.sub_issue(r),
                as_float(r["weight"]),
                as_float(r["progress_pct"]),
                L.status(r["status"]),
                L.state_marked(r["state"]),
                as_float(r["target_value"]),
                as_float(r["actual_value"]),
                L.unit(r),
            ]
            for r in part.to_dict("records")
        ]
        _sheet(wb, t("pack.sheet.main", n=m.number), header, rows, {3: "0.##", 4: "0.00", 7: "#,##0.##", 8: "#,##0.##"})

    agency_header = [
        t("overview.col.agency"),
        t("overview.col.weighted"),
        t("overview.col.submitted"),
        t("overview.col.approved"),
        t("overview.col.delayed"),
        t("overview.col.returned"),
        t("overview.col.not_reported"),
    ]
    agency_rows = [
        [
            L.agency(r),
            as_float(r["weighted_progress"]),
            figures.fraction(r["submitted"], r["assigned"]),  # sent or approved of assigned
            int(r["approved"]),
            int(r["delayed"]),
            int(r["returned"]),
            int(r["not_reported"]),
        ]
        for r in overview.agencies.to_dict("records")
    ]
    _sheet(wb, t("pack.sheet.agencies"), agency_header, agency_rows, {1: pct})

    attention_header = [
        t("overview.col.kind"),
        t("overview.col.agency"),
        t("pack.col.sub_issue_code"),
        t("pack.col.sub_issue_name"),
        t("overview.col.progress"),
        t("overview.col.state"),
    ]
    attention_rows = [
        [
            L.kind(r["kind"]),
            L.agency(r),
            r["sub_issue_code"],
            L.sub_issue(r),
            as_float(r["progress_pct"]),
            L.state_marked(r["state"]),
        ]
        for r in overview.attention.to_dict("records")
    ]
    _sheet(wb, t("pack.sheet.attention"), attention_header, attention_rows, {4: "0.00"})

    projection_header = [
        t("overview.col.agency"),
        t("pack.col.sub_issue_code"),
        t("pack.col.sub_issue_name"),
        t("overview.col.progress"),
        t("overview.col.plan_progress"),
        t("overview.col.projected_end"),
    ]
    projection_rows = [
        [
            L.agency(r),
            r["sub_issue_code"],
            L.sub_issue(r),
            as_float(r["progress_pct"]),
            as_float(r["plan_progress"]),
            as_float(r["projected_end"]),
        ]
        for r in overview.projection.to_dict("records")
    ]
    _sheet(wb, t("pack.sheet.projection"), projection_header, projection_rows, {3: "0.00", 4: "0.00", 5: "0.00"})

    wb.properties.title = f"{t('pack.title')} – {L.this_round()}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
