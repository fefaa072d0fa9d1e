"""The pack as an Excel workbook: a summary sheet and one sheet per main issue, every text cell
written as text (services.spreadsheet_safety)."""

from __future__ import annotations

import io
from datetime import date

from core.palette import (
    ACCENT,
)
from services import heatmap
from services.committee_pack.labels import (
    Labels,
    Translator,
    as_float,
    figure_columns,
    is_missing,
)
from services.committee_pack.text import COMBINING
from services.overview import RoundOverview, fmt_pct
from services.spreadsheet_safety import put_row


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
        cell.font = Font(bold=True, color="FFFFFF")
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


def build_xlsx(overview: RoundOverview, *, lang: str = "th", as_of: date | None = None) -> bytes:
    """The committee workbook: a summary sheet (every headline figure as a number; main issues),
    one sheet per main issue (agency × sub-issue rows: progress, status, submission state,
    target, actual), the per-agency table and the attention list. Thai headers, frozen header
    rows, column widths from the content."""
    from openpyxl import Workbook

    t = Translator(lang)
    L = Labels(t, overview)
    as_of = as_of or date.today()
    h = overview.headline
    wb = Workbook()
    wb.remove(wb.active)
    pct, score_format = "0.0", "0.00"
    ev = overview.latest_evaluation
    summary: list[tuple[str, object, str, str | None]] = [  # label, value, note, number format
        (t("pack.plan"), L.plan_name(), t("pack.demo_marker") if overview.plan.is_demo else "", None),
        (t("pack.round"), L.this_round(), t("pack.as_of", date=L.date(as_of)), None),
        (t("pack.period"), L.period(), "", None),
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

    cells = overview.cells
    assigned = cells[cells["state"] != heatmap.NOT_ASSIGNED]
    header = [
        t("pack.col.agency_code"),
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
                r["agency_code"],
                r["agency_short_name"],
                r["sub_issue_code"],
                L.sub_issue(r),
                as_float(r["weight"]),
                as_float(r["progress_pct"]),
                L.status(r["status"]),
                L.state(r["state"]),
                as_float(r["target_value"]),
                as_float(r["actual_value"]),
                str(r["unit"] or ""),
            ]
            for r in part.to_dict("records")
        ]
        _sheet(wb, t("pack.sheet.main", n=m.number), header, rows, {4: "0.##", 5: "0.00", 8: "#,##0.##", 9: "#,##0.##"})

    agency_header = [
        t("pack.col.agency_code"),
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
            r["agency_code"],
            r["agency_short_name"],
            as_float(r["weighted_progress"]),
            f"{r['submitted']}/{r['assigned']}",
            int(r["approved"]),
            int(r["delayed"]),
            int(r["returned"]),
            int(r["not_reported"]),
        ]
        for r in overview.agencies.to_dict("records")
    ]
    _sheet(wb, t("pack.sheet.agencies"), agency_header, agency_rows, {2: pct})

    attention_header = [
        t("overview.col.kind"),
        t("pack.col.agency_code"),
        t("overview.col.agency"),
        t("pack.col.sub_issue_code"),
        t("pack.col.sub_issue_name"),
        t("overview.col.progress"),
        t("overview.col.state"),
    ]
    attention_rows = [
        [
            L.kind(r["kind"]),
            r["agency_code"],
            r["agency_short_name"],
            r["sub_issue_code"],
            L.sub_issue(r),
            as_float(r["progress_pct"]),
            L.state(r["state"]),
        ]
        for r in overview.attention.to_dict("records")
    ]
    _sheet(wb, t("pack.sheet.attention"), attention_header, attention_rows, {5: "0.00"})

    wb.properties.title = f"{t('pack.title')} – {L.this_round()}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
