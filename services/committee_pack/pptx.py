"""The pack as a PowerPoint deck: native tables and charts that stay editable."""

from __future__ import annotations

import io
import re
from datetime import date
from xml.sax.saxutils import escape as xml_escape

from core.charts import cell_label
from core.palette import (
    ACCENT,
    DARK_TEXT,
    EXPECTED_COLOUR,
    GREY,
    OVERALL_COLOUR,
    SERIES_COLOURS,
)
from services import figures, heatmap
from services.committee_pack.labels import (
    PACK_FONT_FALLBACK,
    Labels,
    Translator,
    agencies_in_order,
    as_float,
    cell_colours,
    figure_columns,
    is_missing,
    round_keys,
    series_order,
    subs_in_order,
)
from services.committee_pack.meeting import PackMeeting
from services.committee_pack.pdf import FONT
from services.committee_pack.text import COMBINING, clusters
from services.overview import OVERALL, RoundOverview, fmt_pct

TABLE_PT = 14  # the smallest type of any table in the deck
AGENCY_ROWS = 8  # an agency's items per slide
LIST_ROWS = 7  # attention rows per slide
HEAT_ROWS = 8  # heatmap agency lines per slide (with the two header rows and the total, clear of the legend)
HEAT_COLUMNS = 16  # heatmap sub-issues per slide
HIGHLIGHT_CHARS = 420  # a highlight's text on a slide


_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_FILLS = {f"{_A}{t}" for t in ("noFill", "solidFill", "gradFill", "blipFill", "pattFill", "grpFill")}
_AFTER_FONTS = [f"{_A}{t}" for t in ("sym", "hlinkClick", "hlinkMouseOver", "rtl", "extLst")]


def _put(parent, tag: str, before: list[str]):
    """`parent`'s child `tag`, added in schema order (before the first of `before`) if missing."""
    child = parent.find(tag)
    if child is None:
        child = parent.makeelement(tag, {})
        follower = next((c for c in parent if c.tag in before), None)
        if follower is None:
            parent.append(child)
        else:
            follower.addprevious(child)
    return child


def _solid_fill(parent, colour: str, index: int) -> None:
    """One a:solidFill of `colour` at `index` of `parent`, in place of any fill it had."""
    for child in [c for c in parent if c.tag in _FILLS]:
        parent.remove(child)
    fill = parent.makeelement(f"{_A}solidFill", {})
    fill.append(fill.makeelement(f"{_A}srgbClr", {"val": colour.lstrip("#").upper()}))
    parent.insert(index, fill)


def _pptx_font(run_font, size: float | None = None, bold: bool | None = None, colour: str | None = None) -> None:
    """Sarabun for the Latin, East Asian and complex-script (Thai) text of a run or a chart;
    size, bold and colour written straight into the run properties (python-pptx's setters are
    slow in bulk). The a:cs element carries the Thai charset and a sans-serif pitch family, so
    where Sarabun is not installed PowerPoint substitutes a font that has Thai (python-pptx
    cannot embed the font itself)."""
    _rpr_font(run_font._rPr, size, bold, colour)


def _rpr_font(rpr, size: float | None = None, bold: bool | None = None, colour: str | None = None) -> None:
    """`_pptx_font` on an a:rPr (or a:defRPr) element."""
    if colour is not None:
        _solid_fill(rpr, colour, 1 if len(rpr) and rpr[0].tag == f"{_A}ln" else 0)
    if size is not None:
        rpr.set("sz", str(round(size * 100)))
    if bold is not None:
        rpr.set("b", "1" if bold else "0")
    cs_before = _AFTER_FONTS
    ea_before = [f"{_A}cs", *cs_before]
    _put(rpr, f"{_A}latin", [f"{_A}ea", *ea_before]).set("typeface", FONT)
    _put(rpr, f"{_A}ea", ea_before).set("typeface", FONT)
    _put(rpr, f"{_A}cs", cs_before).attrib.update({"typeface": FONT, "pitchFamily": "34", "charset": "-34"})


_TABLE_STYLE = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}"  # python-pptx's default (new_tbl)
# what _rpr_font writes after a run's fill: Sarabun for Latin, East Asian and Thai (and so `_rpr_xml`)
_RUN_FONTS = f'<a:latin typeface="{FONT}"/><a:ea typeface="{FONT}"/><a:cs typeface="{FONT}" pitchFamily="34" charset="-34"/>'

# A slide is written as XML text, each shape as python-pptx 1.0.2 writes it (same elements, ids and
# names: "Title 1", "TextBox 2", "Table 3" …), and stored as the slide part's bytes: python-pptx's
# shape API, and parsing and serialising the XML, cost most of the build over a 350-slide deck.
_SLIDE_HEAD = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    ' xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>'
)
_SLIDE_TAIL = "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>"
_TITLE_LAYOUT, _BLANK_LAYOUT = 5, 6  # the default template's "Title Only" and "Blank"
_ALIGN = {"l": "l", "c": "ctr", "r": "r"}
_CTRL = re.compile(r"[\x00-\x08\x0B-\x1F]")  # python-pptx writes these in a run as "_x0007_"
_CELL_CTRL = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F]")


def _xfrm(tag: str, x: int, y: int, cx: int, cy: int) -> str:
    return f'<{tag}><a:off x="{x}" y="{y}"/><a:ext cx="{cx}" cy="{cy}"/></{tag}>'


def _run_text(text: str) -> str:
    """A run's text as python-pptx writes it: control characters but tab and line feed as
    "_x0007_" (CT_RegularTextRun), then XML-escaped."""
    if _CTRL.search(text):
        text = _CTRL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return xml_escape(text)


def _cell_text(text: str) -> str:
    """A table cell's text as the table's XML, parsed, held it: line ends read as line feeds
    (any other control character, which XML cannot hold, written as a run writes it)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CELL_CTRL.search(text):
        text = _CELL_CTRL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return xml_escape(text)


def _rpr_xml(size: float | None, bold: bool | None, colour: str | None, lang: str | None = None) -> str:
    """An a:rPr as `_rpr_font` makes it: size, bold, the colour's fill, Sarabun for every script."""
    attrs = f' lang="{lang}"' if lang else ""
    if size is not None:
        attrs += f' sz="{round(size * 100)}"'
    if bold is not None:
        attrs += f' b="{"1" if bold else "0"}"'
    return f"<a:rPr{attrs}>{_fill_xml(colour) if colour is not None else ''}{_RUN_FONTS}</a:rPr>"


def _paragraph_xml(text: str, size: float, bold: bool, colour: str | None, align: str | None) -> str:
    ppr = f'<a:pPr algn="{align}"/>' if align else ""
    return f"<a:p>{ppr}<a:r>{_rpr_xml(size, bold, colour)}<a:t>{_run_text(text)}</a:t></a:r></a:p>"


class _Slide:
    """A slide being written: its part (related to its layout and to the presentation), its
    shapes' XML and the next shape id (python-pptx's numbering: 1 is the shape tree)."""

    __slots__ = ("part", "xml", "next_id")

    def __init__(self, part) -> None:
        self.part = part
        self.xml: list[str] = []
        self.next_id = 2

    def shape_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def add_shape(self, name: str, c_nv_sp_pr: str, nv_pr: str, sp_pr: str, rest: str) -> None:
        """A ``p:sp`` shape with the next id, named as python-pptx names it ("TextBox 2"): its
        non-visual properties `c_nv_sp_pr` and `nv_pr`, its ``p:spPr`` content and what follows it."""
        i = self.shape_id()
        self.xml.append(
            f'<p:sp><p:nvSpPr><p:cNvPr id="{i}" name="{name} {i - 1}"/>{c_nv_sp_pr}{nv_pr}</p:nvSpPr>'
            f"<p:spPr>{sp_pr}</p:spPr>{rest}</p:sp>"
        )

    def blob(self) -> bytes:
        return f"{_SLIDE_HEAD}{''.join(self.xml)}{_SLIDE_TAIL}".encode()


# a table cell's look: its fill, its text's colour, bold, its paragraph's alignment ("ctr", "r")
_Look = tuple[str | None, str | None, bool, str | None]
_HEADER_LOOK: _Look = (ACCENT, "#FFFFFF", True, None)
_BODY_LOOK: _Look = (None, None, False, None)


def _fill_xml(colour: str) -> str:
    return f'<a:solidFill><a:srgbClr val="{colour.lstrip("#").upper()}"/></a:solidFill>'


class _PptxBuilder:
    W, H = 13.333, 7.5

    def __init__(self, ov: RoundOverview, lang: str, as_of: date, meeting: PackMeeting | None = None) -> None:
        from pptx import Presentation
        from pptx.util import Inches

        self.ov, self.t, self.as_of, self.meeting = ov, Translator(lang), as_of, meeting
        self.L = Labels(self.t, ov)
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(self.W), Inches(self.H)
        self.Inches = Inches
        _theme_fonts(self.prs)
        _indexed_relationships(self.prs.part.rels)
        self.slides: list[_Slide] = []
        self._sld_ids = self.prs.part._element.get_or_add_sldIdLst()
        self._next_sld_id = self._sld_ids._next_id
        self._layouts = {i: self.prs.slide_layouts[i].part for i in (_TITLE_LAYOUT, _BLANK_LAYOUT)}
        self._foot = f"{self.L.this_round()} · {self.t('pack.as_of', date=self.L.date(as_of))}"

    def _new_slide(self, layout: int) -> _Slide:
        """A slide part as python-pptx's `add_slide` makes one (/ppt/slides/slideN.xml, related to
        its layout as rId1, to the presentation, listed in its p:sldIdLst), its XML kept as text."""
        from pptx.opc.constants import CONTENT_TYPE as CT
        from pptx.opc.constants import RELATIONSHIP_TYPE as RT
        from pptx.opc.package import Part
        from pptx.opc.packuri import PackURI

        presentation = self.prs.part
        part = Part(PackURI(f"/ppt/slides/slide{len(self._sld_ids) + 1}.xml"), CT.PML_SLIDE, presentation.package)
        part.relate_to(self._layouts[layout], RT.SLIDE_LAYOUT)
        # p:sldId numbered as add_sldId numbers them (256 on, one past the largest) without its
        # search of the list for the largest, quadratic over the deck
        self._sld_ids._add_sldId(id=self._next_sld_id, rId=presentation.relate_to(part, RT.SLIDE))
        self._next_sld_id += 1
        slide = _Slide(part)
        self.slides.append(slide)
        return slide

    def text(
        self,
        slide: _Slide,
        x: float,
        y: float,
        w: float,
        h: float,
        paragraphs: list[tuple[str, float, bool, str]],
        align: str = "l",
        anchor: str | None = None,
    ) -> None:
        """A text box (python-pptx's add_textbox, word-wrapped), one run a paragraph."""
        In = self.Inches
        algn = _ALIGN[align]
        body = "".join(_paragraph_xml(text, size, bold, colour, algn) for text, size, bold, colour in paragraphs)
        anchored = f' anchor="{anchor}"' if anchor else ""
        slide.add_shape(
            "TextBox",
            '<p:cNvSpPr txBox="1"/>',
            "<p:nvPr/>",
            f'{_xfrm("a:xfrm", In(x), In(y), In(w), In(h))}<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/>',
            f'<p:txBody><a:bodyPr wrap="square"{anchored}><a:spAutoFit/></a:bodyPr><a:lstStyle/>{body}</p:txBody>',
        )

    def blank(self, title: str, size: float = 26) -> _Slide:
        """A "Title Only" slide, its title placeholder (as python-pptx clones it from the layout)
        placed across the top and saying `title`, bold in the accent colour."""
        slide = self._new_slide(_TITLE_LAYOUT)
        In = self.Inches
        slide.add_shape(
            "Title",
            '<p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>',
            '<p:nvPr><p:ph type="title"/></p:nvPr>',
            _xfrm("a:xfrm", In(0.5), In(0.3), In(12.3), In(0.95)),
            f'<p:txBody><a:bodyPr wrap="square"/><a:lstStyle/>{_paragraph_xml(title, size, True, ACCENT, "l")}</p:txBody>',
        )
        return slide

    def marks(self, slide: _Slide) -> None:
        """Round and date at the foot of the slide; a red demo marker on a demo plan."""
        self.text(slide, 0.5, 7.05, 9, 0.35, [(self._foot, 10, False, GREY)])
        if self.ov.plan.is_demo:
            In = self.Inches
            slide.add_shape(
                "Rounded Rectangle",
                "<p:cNvSpPr/>",
                "<p:nvPr/>",
                f"{_xfrm('a:xfrm', In(11.2), In(7.0), In(1.65), In(0.38))}"
                f'<a:prstGeom prst="roundRect"><a:avLst/></a:prstGeom>{_fill_xml("B91C1C")}<a:ln><a:noFill/></a:ln>',
                '<p:style><a:lnRef idx="1"><a:schemeClr val="accent1"/></a:lnRef><a:fillRef idx="3"><a:schemeClr val="accent1"/>'
                '</a:fillRef><a:effectRef idx="2"><a:schemeClr val="accent1"/></a:effectRef><a:fontRef idx="minor">'
                '<a:schemeClr val="lt1"/></a:fontRef></p:style>'
                '<p:txBody><a:bodyPr rtlCol="0" anchor="ctr"/><a:lstStyle/>'
                f"{_paragraph_xml(self.t('pack.demo_marker'), 11, True, '#FFFFFF', None)}</p:txBody>",
            )

    def table(
        self,
        slide: _Slide,
        x: float,
        y: float,
        w: float,
        header: list[str],
        rows: list[list[str]],
        widths: list[float],
        size: float = TABLE_PT,
        margin: float | None = None,
        looks: dict[tuple[int, int], _Look] | None = None,
        spans: dict[int, int] | None = None,
    ) -> None:
        """A native table, its text `size` pt (TABLE_PT at least: read from the back of a room);
        the header row bold white on the accent colour, any cell's look given in `looks` (by
        row and column, the header row 0); `spans`: header cells merged with the next ones (by
        column, how many columns the merged cell takes)."""

        In = self.Inches
        size = max(size, TABLE_PT)
        row_h = 0.2 + size / 72 * 1.35
        i = slide.shape_id()
        total = sum(widths)
        grid = "".join(f'<a:gridCol w="{In(w * cw / total)}"/>' for cw in widths)
        tc_pr = f'<a:tcPr marL="{In(margin)}" marR="{In(margin)}"' if margin is not None else "<a:tcPr"
        tc_end = f"{tc_pr}/></a:tc>"
        looks = looks or {}
        spans = spans or {}
        merged = {c for start, n in spans.items() for c in range(start + 1, start + n)}
        # each look's run properties and cell properties written once
        run_open: dict[_Look, tuple[str, str]] = {}

        def parts(look: _Look) -> tuple[str, str]:
            got = run_open.get(look)
            if got is None:
                fill, ink, bold, align = look
                ppr = f'<a:pPr algn="{align}"/>' if align else ""
                head = f"<a:txBody><a:bodyPr/><a:lstStyle/><a:p>{ppr}<a:r>{_rpr_xml(size, bold, ink, self.t.lang)}"
                tail = f"</a:r></a:p></a:txBody>{f'{tc_pr}>{_fill_xml(fill)}</a:tcPr></a:tc>' if fill else tc_end}"
                got = run_open[look] = (head, tail)
            return got

        xml = [
            f'<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{i}" name="Table {i - 1}"/><p:cNvGraphicFramePr>'
            '<a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>'
            f"{_xfrm('p:xfrm', In(x), In(y), In(w), In(row_h * (len(rows) + 1)))}"
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table">'
            f'<a:tbl><a:tblPr firstRow="1" bandRow="1"><a:tableStyleId>{_TABLE_STYLE}</a:tableStyleId>'
            f"</a:tblPr><a:tblGrid>{grid}</a:tblGrid>"
        ]
        tr = f'<a:tr h="{In(row_h)}">'
        header_parts, body_parts = parts(_HEADER_LOOK), parts(_BODY_LOOK)
        for r, values in enumerate([header, *rows]):
            if len(values) != len(widths):
                raise ValueError(f"row {r} has {len(values)} cells for {len(widths)} columns")
            xml.append(tr)
            plain = header_parts if r == 0 else body_parts
            for c, value in enumerate(values):
                look = looks.get((r, c))
                head, tail = plain if look is None else parts(look)
                if r == 0 and (c in spans or c in merged):
                    xml.append(f'<a:tc gridSpan="{spans[c]}">' if c in spans else '<a:tc hMerge="1">')
                else:
                    xml.append("<a:tc>")
                text = _cell_text(value) if value else ""
                xml.append(f"{head}<a:t>{text}</a:t>{tail}" if text else f"{head}<a:t/>{tail}")
            xml.append("</a:tr>")
        xml.append("</a:tbl></a:graphicData></a:graphic></p:graphicFrame>")
        slide.xml.append("".join(xml))

    def chart(
        self,
        slide: _Slide,
        kind: str,
        categories: list[str] | list[tuple[str, list[str]]],
        series: list[tuple[str, list[float | None], str, bool]],
        box: tuple[float, float, float, float],
    ):
        from pptx.chart.data import CategoryChartData
        from pptx.dml.color import RGBColor
        from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
        from pptx.enum.dml import MSO_LINE_DASH_STYLE
        from pptx.opc.constants import RELATIONSHIP_TYPE as RT
        from pptx.parts.chart import ChartPart

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
        # python-pptx's add_chart: the chart part related to the slide, a graphic frame naming it
        rId = slide.part.relate_to(ChartPart.new(chart_type, data, self.prs.part.package), RT.CHART)
        i = slide.shape_id()
        slide.xml.append(
            f'<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="{i}" name="Chart {i - 1}"/><p:cNvGraphicFramePr>'
            '<a:graphicFrameLocks noGrp="1"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr>'
            f"{_xfrm('p:xfrm', In(box[0]), In(box[1]), In(box[2]), In(box[3]))}"
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            f'<c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" r:id="{rId}"/>'
            "</a:graphicData></a:graphic></p:graphicFrame>"
        )
        chart = slide.part.related_part(rId).chart
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

    def title_slide(self) -> None:
        t, L = self.t, self.L
        slide = self._new_slide(_BLANK_LAYOUT)  # our own title block
        paragraphs = [
            (t("pack.title"), 32, True, ACCENT),
            (L.plan_name(), 18, False, DARK_TEXT),
            ("", 12, False, GREY),
            (L.this_round(), 26, True, DARK_TEXT),
            (f"{t('pack.period')} {L.period()}", 14, False, GREY),
            (t("pack.subtitle"), 14, False, GREY),
            (L.meeting(self.meeting), 16, self.meeting is not None, DARK_TEXT),
            (t("pack.as_of", date=L.date(self.as_of)), 14, False, GREY),
        ]
        if self.ov.plan.is_demo:
            paragraphs += [("", 12, False, GREY), (t("demo.banner"), 12, True, "#B91C1C")]
        self.text(slide, 0.8, 1.0, 11.7, 5.6, paragraphs, "c", anchor="ctr")  # one frame: lines flow, never overlap
        self.marks(slide)

    def summary_slide(self) -> None:
        t, L = self.t, self.L
        slide = self.blank(f"{t('overview.title')} · {L.this_round()}", 24)
        rows = [[label, value, note] for label, value, note in L.headline_cards()]
        header = [t("pack.col.item"), t("pack.col.value"), t("pack.col.note")]
        self.table(slide, 0.5, 1.3, 6.9, header, rows, [2.7, 1.5, 2.7], TABLE_PT, margin=0.06)
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
            chart = self.chart(slide, "line", cats, series, (7.55, 1.3, 5.4, 5.4))
            chart.has_title = True
            chart.chart_title.text_frame.text = t("overview.trend")
            _pptx_font(chart.chart_title.text_frame.paragraphs[0].runs[0].font, 13, True)
        self.marks(slide)

    def main_issue_slides(self) -> None:
        t, L = self.t, self.L
        subs = subs_in_order(self.ov.cells)
        margins = self.ov.by_sub_issue.set_index("sub_issue_code")
        sent = figures.counts(self.ov.cells, "sub_issue_code").set_index("sub_issue_code")
        for fig in self.ov.headline.main_issues:
            slide = self.blank(f"{t('heatmap.main_short', n=fig.number)} {L.main_issue(fig.number)}", 22)
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
                n = sent.loc[code] if code in sent.index else None
                counts = "–" if n is None else figures.fraction(n["submitted"], n["assigned"])  # sent of assigned
                rows.append([code, L.sub_issue(sub), fmt_pct(progress), counts])
                values.append(progress)
            header = [
                t("overview.col.sub_issue"),
                t("pack.col.sub_issue_name"),
                t("overview.col.weighted"),
                t("overview.col.submitted"),
            ]
            self.table(slide, 0.5, 1.9, 7.1, header, rows, [0.9, 3.5, 1.4, 1.3], TABLE_PT, margin=0.06)
            if rows:
                cats = [r[0] for r in rows]
                series = [(t("overview.col.weighted"), values, SERIES_COLOURS[(fig.number - 1) % len(SERIES_COLOURS)], False)]
                if fig.expected_progress is not None:
                    series.append((t("overview.series.expected"), [fig.expected_progress] * len(cats), EXPECTED_COLOUR, False))
                self.chart(slide, "bar", cats, series, (7.9, 1.8, 5.0, 5.0))
            self.marks(slide)

    def agency_slides(self) -> None:
        t, L = self.t, self.L
        cells = self.ov.cells
        assigned = cells[cells["state"] != heatmap.NOT_ASSIGNED]
        by_agency: dict[int, list[dict]] = {}
        for record in _records(assigned, _ITEM_COLUMNS):
            by_agency.setdefault(record["agency_id"], []).append(record)
        status, state = _memo(L.status), _memo(L.state_marked)  # a few values, translated once each
        header = [t("overview.col.sub_issue"), t("pack.col.sub_issue_name"), *figure_columns(t)]
        widths = [0.8, 3.6, 1.3, 1.7, 1.9, 1.0, 1.0, 1.0]
        for a in self.ov.agencies.to_dict("records"):
            name = L.agency(a)
            full = (a["agency_name_en"] if self.t.lang == "en" else "") or a["agency_name_th"]
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
            items = by_agency.get(a["agency_id"], [])
            rows = [
                [
                    r["sub_issue_code"],
                    L.sub_issue(r),
                    fmt_pct(as_float(r["progress_pct"])),
                    status(r["status"]),
                    state(r["state"]),
                    _num(r["target_value"]),
                    _num(r["actual_value"]),
                    L.unit(r),
                ]
                for r in items
            ]
            parts = _chunks(rows, AGENCY_ROWS)
            for i, part in enumerate(parts):  # TABLE_PT type: a long list continues on the next slide
                slide = self.blank(f"{name} · {full}{self.continued(i, len(parts))}", 22)
                self.text(slide, 0.5, 1.25, 12.3, 0.5, [(summary, 14, False, DARK_TEXT)])
                self.table(slide, 0.5, 1.95, 12.3, header, part, widths, TABLE_PT, margin=0.06)
                self.marks(slide)

    def continued(self, i: int, n: int) -> str:
        return f" {self.t('pack.continued', n=i + 1, total=n)}" if n > 1 else ""

    # ------------------------------------------------------------------ heatmap, attention, highlights
    def heatmap_slides(self) -> None:
        """Agencies × sub-issues as native tables: each cell coloured as the page's heatmap and
        saying what the page's cell says (core.charts.cell_label: number and mark), a total and
        the submitted count per agency, a total per sub-issue. Big grids continue on further
        slides (HEAT_ROWS agencies, HEAT_COLUMNS sub-issues, whole main issues, per slide)."""
        t, L = self.t, self.L
        cells = self.ov.cells
        subs = subs_in_order(cells).to_dict("records")
        agencies = agencies_in_order(cells).to_dict("records")
        grid = {
            (a, code): (state, as_float(p))
            for a, code, state, p in zip(
                *(cells[c].tolist() for c in ("agency_id", "sub_issue_code", "state", "progress_pct")), strict=True
            )
        }
        # each agency's total and submitted count (the agencies' table: one row an agency)
        table = self.ov.agencies
        margins = dict(
            zip(
                table["agency_id"].tolist(),
                zip(*(table[c].tolist() for c in ("weighted_progress", "submitted", "assigned")), strict=True),
                strict=True,
            )
        )
        sub_margin = self.ov.by_sub_issue.set_index("sub_issue_code")["weighted_progress"]
        legend = figures.legend_text(t.lang)
        column_groups: list[list[dict]] = [[]]
        for main in dict.fromkeys(s["main_issue_number"] for s in subs):  # whole main issues per slide
            mine = [s for s in subs if s["main_issue_number"] == main]
            for part in _chunks(mine, HEAT_COLUMNS):
                if column_groups[-1] and len(column_groups[-1]) + len(part) > HEAT_COLUMNS:
                    column_groups.append([])
                column_groups[-1].extend(part)
        # the agency column a fifth of the table, names in it kept to one line where they fit; a
        # name that wraps takes two lines' height, so fewer agencies go on that slide (LibreOffice
        # and PowerPoint grow a row to its text: nine two-line rows ran into the legend)
        per_line = _chars_per_line(12.5 * 3.2 / (3.2 + 0.85 * HEAT_COLUMNS + 2.1))
        agency_chunks = _chunks_by_lines(agencies, HEAT_ROWS, lambda a: _lines(L.agency(a), per_line))
        pages = [(cols, rows) for cols in column_groups for rows in agency_chunks]
        for i, (cols, rows) in enumerate(pages):
            slide = self.blank(f"{t('pack.heatmap')} · {L.this_round()}{self.continued(i, len(pages))}", 22)
            codes = [s["sub_issue_code"] for s in cols]
            groups = [t("heatmap.main_short", n=int(s["main_issue_number"])) for s in cols]
            header = [t("overview.col.agency"), *codes, t("pack.total"), t("pack.col.submitted_count")]
            # row 0: each main issue once, over its sub-issues (merged below); row 1: the codes
            firsts = [g if i == 0 or groups[i - 1] != g else "" for i, g in enumerate(groups)]
            body = [["", *firsts, "", ""]]
            for a in rows:
                margin = margins.get(a["agency_id"])
                body.append(
                    [
                        L.agency(a),
                        *(cell_label(*grid[(a["agency_id"], c)]) for c in codes),
                        fmt_pct(None if margin is None else as_float(margin[0])),
                        "–" if margin is None else figures.fraction(margin[1], margin[2]),
                    ]
                )
            body.append(
                [t("pack.total"), *(fmt_pct(as_float(sub_margin.get(c))) for c in codes), fmt_pct(self.ov.headline.overall), ""]
            )
            widths = [3.2, *([0.85] * len(codes)), 1.05, 1.05]
            looks = _heatmap_looks([[grid[(a["agency_id"], c)] for c in codes] for a in rows], groups, len(header))
            spans = _group_spans(groups)
            self.table(slide, 0.4, 1.3, 12.5, body[0], [header, *body[1:]], widths, TABLE_PT, 0.03, looks, spans)
            self.text(slide, 0.5, 6.45, 12.3, 0.55, [(legend, 12, False, GREY)])
            self.marks(slide)

    def _empty_slide(self, title: str, text: str) -> None:
        slide = self.blank(title, 22)
        self.text(slide, 0.5, 1.5, 12.3, 0.6, [(text, 18, False, DARK_TEXT)])
        self.marks(slide)

    def attention_slides(self) -> None:
        """The PDF's attention list (Labels.attention_listing, its note under each slide's table):
        kind, agency, sub-issue, progress, submission state (marked)."""
        t, L = self.t, self.L
        listing = L.attention_listing()
        heading = f"{t('overview.attention')} · {L.this_round()}"
        if listing.rows.empty:
            self._empty_slide(heading, t("overview.no_attention"))
            return
        header = [
            t("overview.col.kind"),
            t("overview.col.agency"),
            t("overview.col.sub_issue"),
            t("overview.col.progress"),
            t("overview.col.state"),
        ]
        rows = [
            [
                L.kind(r["kind"]),
                L.agency(r),
                f"{r['sub_issue_code']} {L.sub_issue(r)}",
                fmt_pct(as_float(r["progress_pct"])),
                L.state_marked(r["state"]),
            ]
            for r in listing.rows.to_dict("records")
        ]
        parts = _chunks(rows, LIST_ROWS)
        for i, part in enumerate(parts):
            slide = self.blank(f"{heading}{self.continued(i, len(parts))}", 22)
            self.table(slide, 0.5, 1.35, 12.3, header, part, [2.3, 2.0, 4.8, 1.4, 1.8], TABLE_PT, margin=0.06)
            if listing.note:
                self.text(slide, 0.5, 6.35, 12.3, 0.6, [(listing.note, 12, False, GREY)])
            self.marks(slide)

    def highlight_slides(self) -> None:
        """The PDF's highlights: agency · sub-issue · progress, and what was achieved (cut, saying
        so, past HIGHLIGHT_CHARS: a slide holds two)."""
        t, L = self.t, self.L
        frame = self.ov.highlights
        heading = f"{t('overview.highlights')} · {L.this_round()}"
        if frame.empty:
            self._empty_slide(heading, t("overview.no_highlights"))
            return
        parts = _chunks(frame.to_dict("records"), 2)
        for i, part in enumerate(parts):
            slide = self.blank(f"{heading}{self.continued(i, len(parts))}", 22)
            for j, r in enumerate(part):
                text = str(r["achievements"])
                shown = _cut(text, HIGHLIGHT_CHARS)
                paragraphs = [
                    (f"{L.agency(r)} · {r['sub_issue_code']} {L.sub_issue(r)} · {L.pct(r['progress_pct'])}", 18, True, ACCENT),
                    (shown, 16, False, DARK_TEXT),
                ]
                if shown != text:
                    paragraphs.append((t("text.clipped", shown=f"{len(shown) - 2:,}", total=f"{len(text):,}"), 12, False, GREY))
                self.text(slide, 0.5, 1.35 + j * 2.8, 12.3, 2.6, paragraphs)
            self.marks(slide)

    def build(self) -> bytes:
        self.prs.core_properties.title = f"{self.t('pack.title')} – {self.L.this_round()}"
        self.prs.core_properties.language = self.t.lang
        self.title_slide()
        self.summary_slide()
        self.heatmap_slides()
        self.attention_slides()
        self.highlight_slides()
        self.main_issue_slides()
        self.agency_slides()
        for slide in self.slides:
            slide.part.blob = slide.blob()
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _heatmap_looks(states: list[list[tuple[str, float | None]]], groups: list[str], n_cols: int) -> dict:
    """The heatmap table's looks (`_PptxBuilder.table`): row 0 the main issues (each centred over
    its sub-issues), row 1 the codes as a second header row, then each agency's cells coloured as
    the page's heatmap (`states`: state and progress per sub-issue), its total and submitted count
    right-aligned, and the last row the sub-issues' totals, centred under their cells."""
    n_codes, n_rows = len(groups), len(states) + 3
    looks: dict[tuple[int, int], _Look] = {(1, c): ("#E7EBF2", DARK_TEXT, True, "ctr" if c else None) for c in range(n_cols)}
    for c in range(1, n_codes + 1):
        if c == 1 or groups[c - 2] != groups[c - 1]:  # a main issue's first sub-issue: the merged cell
            looks[(0, c)] = (*_HEADER_LOOK[:3], "ctr")
    for r, row in enumerate(states, start=2):
        for c, (state, progress) in enumerate(row, start=1):
            fill, ink = cell_colours(state, progress)
            looks[(r, c)] = (fill, ink, True, "ctr")
    for r in range(2, n_rows):
        for c in range(n_codes + 1, n_cols):
            looks[(r, c)] = (*_BODY_LOOK[:3], "r")
    for c in range(1, n_codes + 1):
        looks[(n_rows - 1, c)] = (*_BODY_LOOK[:3], "ctr")
    return looks


def _group_spans(groups: list[str]) -> dict[int, int]:
    """Row 0's cells of one main issue merged into one: its first column (the table's, after the
    agency's) and how many columns it spans (python-pptx's merge: gridSpan, then hMerge)."""
    spans: dict[int, int] = {}
    start = 1
    while start <= len(groups):
        end = start
        while end + 1 <= len(groups) and groups[end] == groups[start - 1]:
            end += 1
        if end > start:
            spans[start] = end - start + 1
        start = end + 1
    return spans


def _indexed_relationships(rels) -> None:
    """python-pptx's `get_or_add` (1.0.2) on these relationships (the presentation's: one per
    slide) with an index of them, where python-pptx walks them all to find an existing one:
    adding a slide relates it to the presentation, quadratic over a 350-slide deck. The index is
    rebuilt whenever the count of relationships changed other than through it (the builder only
    adds slides); a relationship it cannot confirm is left to python-pptx's own search."""
    search = rels.get_or_add
    index: dict[tuple[str, int], str] = {}
    held = [-1]  # the count of relationships the index holds

    def get_or_add(reltype: str, target_part) -> str:
        if len(rels) != held[0]:
            index.clear()
            index.update({(r.reltype, id(r.target_part)): rId for rId, r in rels.items() if not r.is_external})
            held[0] = len(rels)
        key = (reltype, id(target_part))
        rId = index.get(key)
        if rId is not None:
            if rId in rels and rels[rId].target_part is target_part:
                return rId
            held[0] = -1  # stale: rebuilt next time
            return search(reltype, target_part)
        rId = index[key] = rels._add_relationship(reltype, target_part)  # none exists: a new one
        held[0] = len(rels)
        return rId

    rels.get_or_add = get_or_add


# what an agency's item rows read of the cells (and the names' other columns, where a frame has them)
_ITEM_COLUMNS = frozenset(
    {
        "agency_id",
        "sub_issue_code",
        "progress_pct",
        "status",
        "state",
        "target_value",
        "actual_value",
        "name_th",
        "name_en",
        "sub_issue_name_th",
        "sub_issue_name_en",
        "unit",
        "unit_en",
    }
)


def _records(frame, columns: frozenset[str]) -> list[dict]:
    """`frame.to_dict("records")` of those of `columns` it has (python values, as to_dict gives),
    column by column: to_dict over every column of 3,250 cells cost ~40 ms."""
    names = [c for c in frame.columns if c in columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*(frame[c].tolist() for c in names), strict=True)]


def _memo(label):
    """`label` (one value's text) worked out once for each value."""
    seen: dict = {}

    def cached(value):
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = label(value)
            return out
        except TypeError:  # unhashable
            return label(value)

    return cached


def _num(value: object) -> str:
    if is_missing(value):
        return ""
    v = float(value)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def _chunks(rows: list, size: int) -> list[list]:
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [[]]


def _chars_per_line(width_in: float, pt: float = TABLE_PT) -> int:
    """How many characters of table text fit a line of a column `width_in` inches wide (Sarabun:
    about 0.47 em a character, Thai and digits alike, measured on the deck), less the cell's margins."""
    return max(1, int((width_in - 0.2) / (pt / 72 * 0.47)))


def _lines(text: str, per_line: int) -> int:
    """The lines `text` takes at `per_line` characters a line (combining marks take no room)."""
    width = len(COMBINING.sub("", text))
    return max(1, -(-width // per_line))


def _chunks_by_lines(rows: list, lines: int, lines_of) -> list[list]:
    """`rows` in order, as many to a chunk as fit `lines` lines (a row taking `lines_of(row)`)."""
    out: list[list] = [[]]
    used = 0
    for row in rows:
        need = lines_of(row)
        if out[-1] and used + need > lines:
            out.append([])
            used = 0
        out[-1].append(row)
        used += need
    return out


def _cut(text: str, limit: int) -> str:
    """`text`, cut between grapheme clusters with " …" past `limit` characters."""
    if len(text) <= limit:
        return text
    out = ""
    for cluster in clusters(text):
        if len(out) + len(cluster) > limit:
            break
        out += cluster
    return out.rstrip() + " …"


def _theme_fonts(prs) -> None:
    """The deck's theme fonts: Sarabun for headings and body (Latin, East Asian and complex
    script) and, for Thai text that names no font, the fallback PACK_FONT_FALLBACK."""
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    theme = prs.slide_master.part.part_related_by(RT.THEME)
    xml = theme.blob.decode("utf-8")
    for kind in ("majorFont", "minorFont"):
        start, end = xml.index(f"<a:{kind}>"), xml.index(f"</a:{kind}>")
        block = xml[start:end]
        block = re.sub(r'<a:(latin|ea|cs) typeface="[^"]*"', lambda m: f'<a:{m.group(1)} typeface="{FONT}"', block)
        block = re.sub(
            r'<a:font script="Thai" typeface="[^"]*"/>', f'<a:font script="Thai" typeface="{PACK_FONT_FALLBACK}"/>', block
        )
        xml = xml[:start] + block + xml[end:]
    theme._blob = xml.encode("utf-8")


def build_pptx(
    overview: RoundOverview, *, lang: str = "th", as_of: date | None = None, meeting: PackMeeting | None = None
) -> bytes:
    """The committee deck: a title slide (naming `meeting`, or that none is recorded), a summary
    slide (headline table and the trend as a native line chart), the heatmap (native tables
    coloured as the page's, with its numbers and marks), the attention list, the highlights, one
    slide per main issue (sub-issue table and bar chart) and one per agency (its items as a native
    table). Tables are TABLE_PT (14 pt) or larger; a long table continues on the next slide.
    Every run names Sarabun (Latin, East Asian, complex script): python-pptx cannot embed it."""
    return _PptxBuilder(overview, lang, as_of or date.today(), meeting).build()
