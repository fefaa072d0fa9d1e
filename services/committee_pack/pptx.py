"""The pack as a PowerPoint deck: native tables and charts that stay editable."""

from __future__ import annotations

import io
from datetime import date

from core.palette import (
    ACCENT,
    DARK_TEXT,
    EXPECTED_COLOUR,
    GREY,
    OVERALL_COLOUR,
    SERIES_COLOURS,
)
from services import heatmap
from services.committee_pack.labels import (
    Labels,
    Translator,
    as_float,
    figure_columns,
    is_missing,
    round_keys,
    series_order,
    subs_in_order,
)
from services.committee_pack.pdf import FONT
from services.overview import OVERALL, RoundOverview, fmt_pct


def _pptx_font(run_font, size: float | None = None, bold: bool | None = None, colour: str | None = None) -> None:
    """Sarabun for the Latin and the complex-script (Thai) text of a run or a chart; size, bold
    and colour written straight into the run properties (python-pptx's setters are slow in bulk)."""
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn

    rpr = run_font._rPr
    if colour is not None:
        run_font.color.rgb = RGBColor.from_string(colour.lstrip("#"))
    if size is not None:
        rpr.set("sz", str(round(size * 100)))
    if bold is not None:
        rpr.set("b", "1" if bold else "0")
    latin = rpr.get_or_add_latin()
    latin.set("typeface", FONT)
    cs = rpr.find(qn("a:cs"))
    if cs is None:
        cs = rpr.makeelement(qn("a:cs"), {})
        ea = rpr.find(qn("a:ea"))
        (latin if ea is None else ea).addnext(cs)  # schema order: latin, ea, cs
    cs.set("typeface", FONT)


class _PptxBuilder:
    W, H = 13.333, 7.5

    def __init__(self, ov: RoundOverview, lang: str, as_of: date) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.ov, self.t, self.as_of = ov, Translator(lang), as_of
        self.L = Labels(self.t, ov)
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(self.W), Inches(self.H)
        self.Inches = Inches

    def text(
        self, slide, x: float, y: float, w: float, h: float, paragraphs: list[tuple[str, float, bool, str]], align: str = "l"
    ):
        from pptx.enum.text import PP_ALIGN

        In = self.Inches
        box = slide.shapes.add_textbox(In(x), In(y), In(w), In(h))
        frame = box.text_frame
        frame.word_wrap = True
        for i, (text, size, bold, colour) in enumerate(paragraphs):
            p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            p.alignment = {"l": PP_ALIGN.LEFT, "c": PP_ALIGN.CENTER, "r": PP_ALIGN.RIGHT}[align]
            run = p.add_run()
            run.text = text
            _pptx_font(run.font, size, bold, colour)
        return box

    def title(self, slide, text: str, size: float = 26) -> None:
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = (
            self.Inches(0.5),
            self.Inches(0.3),
            self.Inches(12.3),
            self.Inches(0.95),
        )
        frame = shape.text_frame
        frame.word_wrap = True
        frame.text = ""
        run = frame.paragraphs[0].add_run()
        run.text = text
        _pptx_font(run.font, size, True, ACCENT)
        from pptx.enum.text import PP_ALIGN

        frame.paragraphs[0].alignment = PP_ALIGN.LEFT

    def marks(self, slide) -> None:
        """Round and date at the foot of the slide; a red demo marker on a demo plan."""
        foot = f"{self.L.this_round()} · {self.t('pack.as_of', date=self.L.date(self.as_of))}"
        self.text(slide, 0.5, 7.05, 9, 0.35, [(foot, 10, False, GREY)])
        if self.ov.plan.is_demo:
            from pptx.dml.color import RGBColor
            from pptx.enum.shapes import MSO_SHAPE

            In = self.Inches
            tag = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, In(11.2), In(7.0), In(1.65), In(0.38))
            tag.fill.solid()
            tag.fill.fore_color.rgb = RGBColor.from_string("B91C1C")
            tag.line.fill.background()
            frame = tag.text_frame
            frame.text = ""
            run = frame.paragraphs[0].add_run()
            run.text = self.t("pack.demo_marker")
            _pptx_font(run.font, 11, True, "#FFFFFF")

    def table(
        self, slide, x: float, y: float, w: float, header: list[str], rows: list[list[str]], widths: list[float], size: float = 11
    ):
        from pptx.dml.color import RGBColor

        In = self.Inches
        row_h = 0.2 + size / 72 * 1.35
        shape = slide.shapes.add_table(len(rows) + 1, len(header), In(x), In(y), In(w), In(row_h * (len(rows) + 1)))
        table = shape.table
        total = sum(widths)
        tbl = table._tbl  # widths and heights set in the XML: the API re-lays out the frame each time
        for grid_col, cw in zip(tbl.tblGrid.gridCol_lst, widths, strict=True):
            grid_col.w = In(w * cw / total)
        for tr in tbl.tr_lst:
            tr.h = In(row_h)
        fill = RGBColor.from_string(ACCENT.lstrip("#"))
        for r, values in enumerate([header, *rows]):
            for c, value in enumerate(values):
                cell = table.cell(r, c)
                run = cell.text_frame.paragraphs[0].add_run()
                run.text = value
                _pptx_font(run.font, size, r == 0, "#FFFFFF" if r == 0 else None)
                if r == 0:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = fill
        return table

    def chart(
        self,
        slide,
        kind: str,
        categories: list[str] | list[tuple[str, list[str]]],
        series: list[tuple[str, list[float | None], str, bool]],
        box: tuple[float, float, float, float],
    ):
        from pptx.chart.data import CategoryChartData
        from pptx.dml.color import RGBColor
        from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
        from pptx.enum.dml import MSO_LINE_DASH_STYLE

        data = CategoryChartData(number_format="0.0")
        if categories and isinstance(categories[0], tuple):  # two levels: (group, [leaf, …])
            for group, leaves in categories:
                parent = data.add_category(group)
                for leaf in leaves:
                    parent.add_sub_category(leaf)
        else:
            data.categories = categories
        for name, values, _, _ in series:
            data.add_series(name, [None if is_missing(v) else round(float(v), 2) for v in values])
        chart_type = {"line": XL_CHART_TYPE.LINE_MARKERS, "bar": XL_CHART_TYPE.BAR_CLUSTERED}[kind]
        In = self.Inches
        frame = slide.shapes.add_chart(chart_type, In(box[0]), In(box[1]), In(box[2]), In(box[3]), data)
        chart = frame.chart
        _pptx_font(chart.font, 11)
        chart.value_axis.minimum_scale = 0
        chart.value_axis.maximum_scale = 100
        chart.value_axis.has_major_gridlines = True
        chart.has_legend = len(series) > 1
        if chart.has_legend:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
        for plot_series, (_, _, colour, dashed) in zip(chart.plots[0].series, series, strict=True):
            rgb = RGBColor.from_string(colour.lstrip("#"))
            if kind == "line":
                plot_series.format.line.color.rgb = rgb
                plot_series.smooth = False
                if dashed:
                    plot_series.format.line.dash_style = MSO_LINE_DASH_STYLE.DASH
                plot_series.marker.format.fill.solid()
                plot_series.marker.format.fill.fore_color.rgb = rgb
            else:
                plot_series.format.fill.solid()
                plot_series.format.fill.fore_color.rgb = rgb
        if kind == "bar":
            chart.plots[0].has_data_labels = True
            labels = chart.plots[0].data_labels
            labels.number_format = "0.0"
            labels.number_format_is_linked = False
            _pptx_font(labels.font, 10)
            chart.category_axis.reverse_order = True  # first category on top, as in the tables
        return chart

    def blank(self):
        return self.prs.slides.add_slide(self.prs.slide_layouts[5])  # "Title Only"

    def title_slide(self) -> None:
        t, L = self.t, self.L
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[6])  # blank: our own title block
        paragraphs = [
            (t("pack.title"), 32, True, ACCENT),
            (L.plan_name(), 18, False, DARK_TEXT),
            ("", 12, False, GREY),
            (L.this_round(), 26, True, DARK_TEXT),
            (f"{t('pack.period')} {L.period()}", 14, False, GREY),
            (t("pack.subtitle"), 14, False, GREY),
            (t("pack.as_of", date=L.date(self.as_of)), 14, False, GREY),
        ]
        if self.ov.plan.is_demo:
            paragraphs += [("", 12, False, GREY), (t("demo.banner"), 12, True, "#B91C1C")]
        box = self.text(slide, 0.8, 1.0, 11.7, 5.6, paragraphs, "c")  # one frame: lines flow, never overlap
        from pptx.enum.text import MSO_ANCHOR

        box.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        self.marks(slide)

    def summary_slide(self) -> None:
        t, L = self.t, self.L
        slide = self.blank()
        self.title(slide, f"{t('overview.title')} · {L.this_round()}", 24)
        rows = [[label, value, note] for label, value, note in L.headline_cards()]
        self.table(slide, 0.5, 1.4, 6.0, [t("pack.col.item"), t("pack.col.value"), t("pack.col.note")], rows, [2.6, 1.4, 2.4], 11)
        tr = self.ov.trend
        if not tr.empty:
            keys = round_keys(tr)
            years = list(dict.fromkeys(fy for fy, _ in keys))
            cats = [(t("pack.fy_short", fy=y), [t("pack.round_months", months=m) for fy, m in keys if fy == y]) for y in years]
            series = []
            for n, name in enumerate(series_order(tr)):
                part = tr[tr["series"] == name].set_index(["fiscal_year", "months"])["actual"]
                label = t("overview.series.overall") if name == OVERALL else t("heatmap.main_short", n=int(name))
                colour = OVERALL_COLOUR if name == OVERALL else SERIES_COLOURS[(n - 1) % len(SERIES_COLOURS)]
                series.append((label, [part.get(k) for k in keys], colour, False))
            expected = tr[tr["series"] == series_order(tr)[0]].set_index(["fiscal_year", "months"])["expected"]
            series.append((t("overview.series.expected"), [expected.get(k) for k in keys], EXPECTED_COLOUR, True))
            chart = self.chart(slide, "line", cats, series, (6.8, 1.3, 6.1, 5.0))
            chart.has_title = True
            chart.chart_title.text_frame.text = t("overview.trend")
            _pptx_font(chart.chart_title.text_frame.paragraphs[0].runs[0].font, 13, True)
        self.marks(slide)

    def main_issue_slides(self) -> None:
        t, L = self.t, self.L
        subs = subs_in_order(self.ov.cells)
        margins = self.ov.by_sub_issue.set_index("sub_issue_code")
        for fig in self.ov.headline.main_issues:
            slide = self.blank()
            self.title(slide, f"{t('heatmap.main_short', n=fig.number)} {L.main_issue(fig.number)}", 22)
            summary = t(
                "pack.main_summary",
                progress=fmt_pct(fig.weighted_progress),
                expected=fmt_pct(fig.expected_progress),
                items=fig.assigned,
            )
            self.text(slide, 0.5, 1.3, 12.3, 0.4, [(summary, 14, False, DARK_TEXT)])
            mine = subs[subs["main_issue_number"] == fig.number]
            rows, values = [], []
            for sub in mine.to_dict("records"):
                code = sub["sub_issue_code"]
                m = margins.loc[code] if code in margins.index else None
                progress = None if m is None else as_float(m["weighted_progress"])
                counts = "–" if m is None else f"{int(m['reported'])}/{int(m['assigned'])}"
                rows.append([code, L.sub_issue(sub), fmt_pct(progress), counts])
                values.append(progress)
            header = [
                t("overview.col.sub_issue"),
                t("pack.col.sub_issue_name"),
                t("overview.col.weighted"),
                t("heatmap.reported"),
            ]
            self.table(slide, 0.5, 1.9, 7.0, header, rows, [1.0, 3.6, 1.4, 1.0], 11)
            if rows:
                cats = [r[0] for r in rows]
                series = [(t("overview.col.weighted"), values, SERIES_COLOURS[(fig.number - 1) % len(SERIES_COLOURS)], False)]
                if fig.expected_progress is not None:
                    series.append((t("overview.series.expected"), [fig.expected_progress] * len(cats), EXPECTED_COLOUR, False))
                self.chart(slide, "bar", cats, series, (7.8, 1.8, 5.1, 5.0))
            self.marks(slide)

    def agency_slides(self) -> None:
        t, L = self.t, self.L
        cells = self.ov.cells
        assigned = cells[cells["state"] != heatmap.NOT_ASSIGNED]
        by_agency: dict[int, list[dict]] = {}
        for record in assigned.to_dict("records"):
            by_agency.setdefault(record["agency_id"], []).append(record)
        for a in self.ov.agencies.to_dict("records"):
            slide = self.blank()
            name = a["agency_code"] if self.t.lang == "en" else a["agency_short_name"]
            full = (a["agency_name_en"] if self.t.lang == "en" else "") or a["agency_name_th"]
            self.title(slide, f"{name} · {full}", 22)
            summary = t(
                "pack.agency_summary",
                progress=fmt_pct(as_float(a["weighted_progress"])),
                submitted=a["submitted"],
                assigned=a["assigned"],
                approved=a["approved"],
                delayed=a["delayed"],
                returned=a["returned"],
                missing=a["not_reported"],
            )
            self.text(slide, 0.5, 1.3, 12.3, 0.4, [(summary, 13, False, DARK_TEXT)])
            items = by_agency.get(a["agency_id"], [])
            rows = [
                [
                    r["sub_issue_code"],
                    L.sub_issue(r),
                    fmt_pct(as_float(r["progress_pct"])),
                    L.status(r["status"]),
                    L.state(r["state"]),
                    _num(r["target_value"]),
                    _num(r["actual_value"]),
                    str(r["unit"] or ""),
                ]
                for r in items
            ]
            header = [t("overview.col.sub_issue"), t("pack.col.sub_issue_name"), *figure_columns(t)]
            size = 11 if len(rows) <= 10 else 9
            self.table(slide, 0.5, 1.9, 12.3, header, rows, [0.9, 4.0, 1.2, 1.6, 1.6, 1.0, 1.0, 1.0], size)
            self.marks(slide)

    def build(self) -> bytes:
        self.prs.core_properties.title = f"{self.t('pack.title')} – {self.L.this_round()}"
        self.prs.core_properties.language = self.t.lang
        self.title_slide()
        self.summary_slide()
        self.main_issue_slides()
        self.agency_slides()
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _num(value: object) -> str:
    if is_missing(value):
        return ""
    v = float(value)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def build_pptx(overview: RoundOverview, *, lang: str = "th", as_of: date | None = None) -> bytes:
    """The committee deck: a title slide, a summary slide (headline table and the trend as a native
    line chart), one slide per main issue (sub-issue table and bar chart) and one per agency (its
    items as a native table). Slides = 2 + main issues + agencies holding items."""
    return _PptxBuilder(overview, lang, as_of or date.today()).build()
