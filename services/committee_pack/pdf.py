"""The pack as a PDF in Thai official style: Sarabun embedded, HarfBuzz shaping, Buddhist-Era
dates, page numbers, the heatmap and the trend drawn natively (rectangles, lines, text)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from core.charts import NOT_REPORTED_MARK, cell_label
from core.palette import (
    ACCENT,
    DARK_TEXT,
    DARK_TEXT_FROM,
    EXPECTED_COLOUR,
    GREY,
    NOT_ASSIGNED_FILL,
    NOT_REPORTED_BORDER,
    OVERALL_COLOUR,
    RULE,
    SERIES_COLOURS,
    hex_to_rgb,
    viridis,
)
from services import figures, heatmap
from services.committee_pack.labels import (
    PACK_FONT,
    Labels,
    Listing,
    Translator,
    agencies_in_order,
    as_float,
    is_missing,
    round_keys,
    series_order,
    subs_in_order,
)
from services.committee_pack.meeting import PackMeeting
from services.committee_pack.text import HIGHLIGHT_MAX_LINES, fit, words, wrap
from services.overview import OVERALL, RoundOverview, fmt_pct

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT = PACK_FONT

A4_W, A4_H = 210.0, 297.0
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 20.0, 15.0, 18.0, 16.0
CONTENT_W = A4_W - MARGIN_L - MARGIN_R
PAGE_BOTTOM = A4_H - MARGIN_B


# What the PDFs measure and shape again and again, remembered across builds (pure functions of
# the font, size and text: the fonts are the files in FONT_DIR); emptied when they grow past this.
_CACHE_MAX = 50_000
# characters drawn as their own glyph whatever is around them: ASCII and the marks of the heatmap's
# cells and the pack's separators (Thai vowels and tone marks need HarfBuzz to sit right)
_UNSHAPED = frozenset(chr(c) for c in range(128)) | frozenset("→√←·…–")
_WIDTHS: dict[tuple, float] = {}
_BIDI: dict[tuple, tuple] = {}


def _fpdf_class():  # fpdf is imported lazily: the page imports this module
    from fpdf import FPDF
    from fpdf.bidi import BidiParagraph, auto_detect_base_direction
    from fpdf.fonts import TTFFont

    class _ShapedTTFFont(TTFFont):
        """A font remembering its shaped texts for one document (HarfBuzz runs once per text, size
        and direction): the glyphs a text picks are already in the document's subset, with the
        same codes, when the text is drawn again."""

        __slots__ = ()  # the layout of TTFFont, so a font added by add_font can become one

        def _remembered(self, kind: str, compute, text, font_size_pt, text_shaping_params):
            params = text_shaping_params or {}
            key = (
                kind,
                text,
                font_size_pt,
                params.get("fragment_direction"),
                params.get("script"),
                params.get("language"),
                tuple(sorted((params.get("features") or {}).items())),
            )
            shaped = self.subset.__dict__.setdefault("_pack_shaped", {})  # the subset: this document's
            found = shaped.get(key)
            if found is None:
                found = shaped[key] = compute(text, font_size_pt, text_shaping_params)
            return found

        def shape_text(self, text, font_size_pt, text_shaping_params):
            return self._remembered("shape", super().shape_text, text, font_size_pt, text_shaping_params)

        def shaped_text_width(self, text, font_size_pt, text_shaping_params):
            return self._remembered("width", super().shaped_text_width, text, font_size_pt, text_shaping_params)

    class _Pdf(FPDF):
        def __init__(self, t: Translator, running_head: str, demo: bool, as_of: str) -> None:
            super().__init__(orientation="P", unit="mm", format="A4")
            self.t, self.running_head, self.demo, self.as_of = t, running_head, demo, as_of
            for style, file in (("", "Regular"), ("B", "Bold")):
                self.add_font(FONT, style, str(FONT_DIR / f"Sarabun-{file}.ttf"))
            self.add_font(f"{FONT}SemiBold", "", str(FONT_DIR / "Sarabun-SemiBold.ttf"))
            for font in self.fonts.values():
                font.__class__ = _ShapedTTFFont
            self.set_text_shaping(True)  # HarfBuzz places Thai vowels and tone marks
            self.set_margins(MARGIN_L, MARGIN_T, MARGIN_R)
            self.set_auto_page_break(False)  # the builder breaks pages itself (tables repeat headers)
            self.alias_nb_pages()
            self.c_margin = 1.2

        def cell(self, w=None, h=None, text="", *args, **kwargs):
            """Plain ASCII needs no shaping: skipping HarfBuzz for it keeps big grids fast."""
            if self.text_shaping and str(text).isascii() and "{nb}" not in str(text):
                saved, self.text_shaping = self.text_shaping, None
                try:
                    return super().cell(w, h, text, *args, **kwargs)
                finally:
                    self.text_shaping = saved
            return super().cell(w, h, text, *args, **kwargs)

        def centred(self, w: float, h: float, text: str) -> None:
            """cell(w, h, text, align="C") at the current position (which it leaves as it was),
            without the cell's layout work: the thousands of heatmap cells say a number and a
            mark, one glyph per character (_UNSHAPED), placed where the cell would place them."""
            if not text:
                return
            if not _UNSHAPED.issuperset(text):
                x, y = self.x, self.y
                self.cell(w, h, text, align="C")
                self.set_xy(x, y)
                return
            saved, self.text_shaping = self.text_shaping, None  # measured as cell() measures it
            try:
                width = self.get_string_width(text)
            finally:
                self.text_shaping = saved
            self.text(self.x + (w - width) / 2, self.y + 0.5 * h + 0.3 * self.font_size, text)

        def get_string_width(self, s: str, normalized: bool = False, markdown: bool = False) -> float:
            """Widths remembered by font, size and text: wrapping a table measures the same words
            thousands of times, and each measure shapes the text with HarfBuzz."""
            key = (
                self.font_family,
                self.font_style,
                self.font_size_pt,
                self.font_stretching,
                self.char_spacing,
                self.underline,
                self.strikethrough,
                bool(self.text_shaping),
                s,
                normalized,
                markdown,
            )
            width = _WIDTHS.get(key)
            if width is None:
                if len(_WIDTHS) > _CACHE_MAX:
                    _WIDTHS.clear()
                width = _WIDTHS[key] = super().get_string_width(s, normalized, markdown)
            return width

        def _preload_bidirectional_text(self, text: str, markdown: bool):
            """fpdf2's own (2.8.9), with the bidirectional segments of a text remembered: the
            Unicode bidi algorithm runs per character in Python, for every measure and cell."""
            if not self.text_shaping:
                return self._preload_font_styles(text, markdown)
            key = (text, self.text_shaping["direction"], self.str_alias_nb_pages)
            found = _BIDI.get(key)
            if found is None:
                direction = self.text_shaping["direction"] or auto_detect_base_direction(text)
                segments = BidiParagraph(
                    text=text, base_direction=direction, preserve_bn_chars=True, alias=self.str_alias_nb_pages
                ).get_bidi_fragments()
                if len(_BIDI) > _CACHE_MAX:
                    _BIDI.clear()
                found = _BIDI[key] = (direction, segments)
            self.text_shaping["paragraph_direction"], segments = found
            emphasis = ("B" in self.font_style, "I" in self.font_style, self.strikethrough, self.underline)
            fragments = []
            for bidi_text, bidi_direction in segments:
                self.text_shaping["fragment_direction"] = bidi_direction
                fragments.extend(self._preload_font_styles(bidi_text, markdown, _initial_emphasis=emphasis))
                emphasis = getattr(self, "_markdown_emphasis", emphasis)
            return tuple(fragments)

        def colour(self, hex_colour: str, what: str = "text") -> None:
            r, g, b = hex_to_rgb(hex_colour)
            {"text": self.set_text_color, "fill": self.set_fill_color, "draw": self.set_draw_color}[what](r, g, b)

        def font(self, size: float, style: str = "") -> None:
            if style == "S":
                self.set_font(f"{FONT}SemiBold", "", size)
            else:
                self.set_font(FONT, style, size)

        def header(self) -> None:
            self.font(8)
            self.colour(GREY)
            self.set_xy(MARGIN_L, 8)
            head_w = CONTENT_W - (30 if self.demo else 0)
            self.cell(head_w, 5, fit(self.get_string_width, self.running_head, head_w - 2.5))
            if self.demo:
                self.colour("#b91c1c", "fill")
                self.colour("#ffffff")
                self.font(8.5, "B")
                self.set_xy(A4_W - MARGIN_R - 28, 7.6)
                self.cell(28, 5.6, self.t("pack.demo_marker"), align="C", fill=True)
            self.colour(RULE, "draw")
            self.set_line_width(0.2)
            self.line(MARGIN_L, 14, A4_W - MARGIN_R, 14)
            self.set_y(MARGIN_T)

        def footer(self) -> None:
            self.colour(RULE, "draw")
            self.set_line_width(0.2)
            self.line(MARGIN_L, A4_H - 11, A4_W - MARGIN_R, A4_H - 11)
            self.font(8)
            self.colour(GREY)
            self.set_xy(MARGIN_L, A4_H - 10)
            self.cell(CONTENT_W / 3, 5, self.as_of)
            self.cell(CONTENT_W / 3, 5, self.t("pack.page", page=self.page_no(), total="{nb}"), align="C")
            if self.demo:
                self.colour("#b91c1c")
                self.cell(CONTENT_W / 3, 5, self.t("pack.demo_marker"), align="R")

    return _Pdf


@dataclass
class _Col:
    title: str
    width: float
    align: str = "L"  # L, C, R


class _PdfBuilder:
    def __init__(self, ov: RoundOverview, lang: str, as_of: date, meeting: PackMeeting | None = None) -> None:
        self.ov, self.t, self.meeting = ov, Translator(lang), meeting
        self.L = Labels(self.t, ov)
        running = f"{self.t('pack.title')} · {self.L.this_round()}"
        if meeting is not None:  # every page names the meeting it is prepared for
            running += f" · {self.t('meeting.number', number=meeting.number, year=meeting.year_be)}"
        self.pdf = _fpdf_class()(self.t, running, ov.plan.is_demo, self.t("pack.as_of", date=self.L.date(as_of)))
        self.as_of = as_of

    # ------------------------------------------------------------------ primitives
    @property
    def y(self) -> float:
        return self.pdf.get_y()

    def new_page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_y(MARGIN_T)

    def need(self, height: float) -> None:
        if self.y + height > PAGE_BOTTOM:
            self.new_page()

    def text_lines(self, lines: Sequence[str], x: float, y: float, w: float, line_h: float, align: str = "L") -> None:
        for i, line in enumerate(lines):
            self.pdf.set_xy(x, y + i * line_h)
            self.pdf.cell(w, line_h, line, align=align)

    def paragraph(
        self, text: str, *, size: float = 10, style: str = "", colour: str = DARK_TEXT, align: str = "L", gap: float = 1.5
    ) -> None:
        pdf = self.pdf
        pdf.font(size, style)
        pdf.colour(colour)
        line_h = size * 0.55
        lines = wrap(pdf.get_string_width, text, CONTENT_W - 2 * pdf.c_margin)
        for line in lines:
            self.need(line_h)
            pdf.set_xy(MARGIN_L, self.y)
            pdf.cell(CONTENT_W, line_h, line, align=align)
            pdf.set_y(self.y + line_h)
        pdf.set_y(self.y + gap)

    def heading(self, text: str) -> None:
        self.need(22)
        pdf = self.pdf
        y = self.y + 2
        pdf.colour(ACCENT, "fill")
        pdf.rect(MARGIN_L, y + 0.8, 1.4, 5.4, style="F")
        pdf.font(13, "S")
        pdf.colour(ACCENT)
        pdf.set_xy(MARGIN_L + 2.5, y)
        pdf.cell(CONTENT_W - 2.5, 7, text)
        pdf.set_y(y + 9)

    def table(self, cols: list[_Col], rows: list[list[object]], *, size: float = 9, max_lines: int = 4) -> None:
        """A table that breaks across pages (repeating its header); a cell may be a string or a
        callable drawing into (x, y, w, h)."""
        pdf = self.pdf
        line_h = size * 0.5
        pad = 1.0

        def wrapped(text: str, width: float) -> list[str]:
            pdf.font(size)
            lines = wrap(pdf.get_string_width, text, width - 2 * pdf.c_margin)
            if len(lines) > max_lines:
                lines = lines[: max_lines - 1] + [fit(pdf.get_string_width, lines[max_lines - 1] + "…", width - 2 * pdf.c_margin)]
            return lines

        def header_size(title: str, width: float) -> float:
            """The header's size, smaller for a word that would not fit its column otherwise."""
            fitted = size
            while fitted > 6.5:
                pdf.font(fitted, "B")
                if max((pdf.get_string_width(w) for w in words(title) if not w.isspace()), default=0) <= width - 2 * pdf.c_margin:
                    break
                fitted -= 0.5
            return fitted

        sizes = [header_size(c.title, c.width) for c in cols]
        header = []
        for c, s_ in zip(cols, sizes, strict=True):
            pdf.font(s_, "B")
            header.append(wrap(pdf.get_string_width, c.title, c.width - 2 * pdf.c_margin)[:max_lines])
        header_h = max(len(h) for h in header) * line_h + 2 * pad

        def draw_header() -> None:
            x, y = MARGIN_L, self.y
            pdf.colour("#e7ebf2", "fill")
            pdf.rect(MARGIN_L, y, sum(c.width for c in cols), header_h, style="F")
            pdf.colour(DARK_TEXT)
            for col, lines, s_ in zip(cols, header, sizes, strict=True):
                pdf.font(s_, "B")
                self.text_lines(lines, x, y + pad, col.width, line_h, "C" if col.align != "L" else "L")
                x += col.width
            pdf.set_y(y + header_h)

        self.need(header_h + line_h + 2 * pad)
        draw_header()
        for i, row in enumerate(rows):
            texts = [
                None if callable(v) else wrapped("" if is_missing(v) else str(v), c.width) for v, c in zip(row, cols, strict=True)
            ]
            h = max(len(t) if t else 1 for t in texts) * line_h + 2 * pad
            if self.y + h > PAGE_BOTTOM:
                self.new_page()
                draw_header()
            y = self.y
            if i % 2:
                pdf.colour("#f6f7f9", "fill")
                pdf.rect(MARGIN_L, y, sum(c.width for c in cols), h, style="F")
            x = MARGIN_L
            pdf.font(size)
            pdf.colour(DARK_TEXT)
            for value, col, lines in zip(row, cols, texts, strict=True):
                if callable(value):
                    value(x, y, col.width, h)
                    pdf.font(size)
                    pdf.colour(DARK_TEXT)
                else:
                    self.text_lines(lines, x, y + pad, col.width, line_h, col.align)
                x += col.width
            pdf.colour(RULE, "draw")
            pdf.set_line_width(0.15)
            pdf.line(MARGIN_L, y + h, MARGIN_L + sum(c.width for c in cols), y + h)
            pdf.set_y(y + h)
        pdf.set_y(self.y + 3)

    def bar(self, value: float | None, expected: float | None) -> Callable[[float, float, float, float], None]:
        """A progress bar cell (viridis-filled to the value) with the expected value as a tick."""

        def draw(x: float, y: float, w: float, h: float) -> None:
            pdf = self.pdf
            bx, bw, bh = x + 1.5, w - 3, min(3.2, h - 2)
            by = y + (h - bh) / 2
            pdf.colour("#e5e7eb", "fill")
            pdf.rect(bx, by, bw, bh, style="F")
            if value is not None and not is_missing(value):
                pdf.colour(viridis(value), "fill")
                pdf.rect(bx, by, bw * min(max(value, 0), 100) / 100, bh, style="F")
            if expected is not None and not is_missing(expected):
                ex = bx + bw * min(max(expected, 0), 100) / 100
                pdf.colour(DARK_TEXT, "draw")
                pdf.set_line_width(0.5)
                pdf.line(ex, by - 0.9, ex, by + bh + 0.9)

        return draw

    # ------------------------------------------------------------------ sections
    def title_block(self) -> None:
        pdf, t, L = self.pdf, self.t, self.L
        pdf.set_y(MARGIN_T + 2)
        self.paragraph(t("pack.title"), size=17, style="B", colour=ACCENT, align="C", gap=0.5)
        self.paragraph(L.plan_name(), size=11.5, align="C", gap=0.5)
        self.paragraph(t("pack.subtitle"), size=10.5, colour=GREY, align="C", gap=0.5)
        # the meeting it is prepared for (services.committee_pack.meeting), or plainly none
        self.paragraph(L.meeting(self.meeting), size=11, style="S" if self.meeting else "", align="C", gap=2)
        self.paragraph(L.this_round(), size=14, style="S", align="C", gap=0.5)
        self.paragraph(
            f"{t('pack.period')} {L.period()} · {t('pack.as_of', date=L.date(self.as_of))}",
            size=10,
            colour=GREY,
            align="C",
            gap=1,
        )
        if self.ov.plan.is_demo:
            self.paragraph(t("demo.banner"), size=9, colour="#b91c1c", align="C", gap=1)
        pdf.colour(ACCENT, "draw")
        pdf.set_line_width(0.4)
        pdf.line(MARGIN_L + 40, self.y + 1, A4_W - MARGIN_R - 40, self.y + 1)
        pdf.set_y(self.y + 5)

    def cards(self) -> None:
        pdf = self.pdf
        self.heading(self.t("overview.title"))
        cards = self.L.headline_cards()
        per_row, gap, h = 4, 3.0, 25.0
        w = (CONTENT_W - gap * (per_row - 1)) / per_row
        for i, (label, value, note) in enumerate(cards):
            if i % per_row == 0:
                self.need(h + gap)
                top = self.y
            x = MARGIN_L + (i % per_row) * (w + gap)
            y = top
            pdf.colour("#f3f5f9", "fill")
            pdf.colour(RULE, "draw")
            pdf.set_line_width(0.2)
            pdf.rect(x, y, w, h, style="DF")
            pdf.colour(ACCENT if i == 0 else "#94a3b8", "fill")
            pdf.rect(x, y, 1.2, h, style="F")
            pdf.font(8.5)
            pdf.colour(GREY)
            label_lines = wrap(pdf.get_string_width, label, w - 4)[:2]
            self.text_lines(label_lines, x + 1.2, y + 1.2, w - 1.5, 3.9)
            pdf.font(15 if len(value) < 14 else 12, "B")
            pdf.colour(DARK_TEXT)
            pdf.set_xy(x + 1.2, y + 10.2)
            pdf.cell(w - 1.5, 7, fit(pdf.get_string_width, value, w - 4))
            pdf.font(7.5)
            pdf.colour(GREY)
            pdf.set_xy(x + 1.2, y + 17.6)
            note_lines = wrap(pdf.get_string_width, note, w - 4)
            if len(note_lines) > 2:
                note_lines = [note_lines[0], fit(pdf.get_string_width, " ".join(note_lines[1:]), w - 4)]
            self.text_lines(note_lines, x + 1.2, y + 17.4, w - 1.5, 3.3)
            if i % per_row == per_row - 1 or i == len(cards) - 1:
                pdf.set_y(top + h + gap)
        pdf.set_y(self.y + 2)

    def main_issues(self) -> None:
        t, L = self.t, self.L
        self.heading(t("overview.main_issues"))
        cols = [
            _Col(t("overview.col.main_issue"), 22, "C"),
            _Col("", 73),
            _Col("", 40),
            _Col(t("overview.col.weighted"), 22, "R"),
            _Col(t("overview.col.expected"), 18, "R"),
        ]
        rows = [
            [
                str(m.number),
                L.main_issue(m.number),
                self.bar(m.weighted_progress, m.expected_progress),
                fmt_pct(m.weighted_progress),
                fmt_pct(m.expected_progress),
            ]
            for m in self.ov.headline.main_issues
        ]
        h = self.ov.headline
        rows.append(
            [
                "",
                t("overview.overall"),
                self.bar(h.overall, h.expected_progress),
                fmt_pct(h.overall),
                fmt_pct(h.expected_progress),
            ]
        )
        self.table(cols, rows, size=9.5)

    def agencies(self) -> None:
        t = self.t
        self.heading(t("overview.agencies"))
        cols = [
            _Col(t("overview.col.agency"), 30),
            _Col("", 28),
            _Col(t("overview.col.weighted"), 22, "R"),
            _Col(t("overview.col.submitted"), 21, "C"),
            _Col(t("overview.col.approved"), 17, "R"),
            _Col(t("overview.col.delayed"), 15, "R"),
            _Col(t("overview.col.returned"), 17, "R"),
            _Col(t("overview.col.not_reported"), 25, "R"),
        ]
        expected = self.ov.headline.expected_progress
        rows = [
            [
                self.L.agency(r),
                self.bar(as_float(r["weighted_progress"]), expected),
                fmt_pct(as_float(r["weighted_progress"])),
                figures.fraction(r["submitted"], r["assigned"]),
                r["approved"],
                r["delayed"],
                r["returned"],
                r["not_reported"],
            ]
            for r in self.ov.agencies.to_dict("records")
        ]
        self.table(cols, rows, size=9)
        self.paragraph(t("figures.submitted_rule"), size=8, colour=GREY)

    def heatmap(self) -> None:
        pdf, t, L = self.pdf, self.t, self.L
        cells = self.ov.cells
        subs = subs_in_order(cells)
        agencies = agencies_in_order(cells)
        self.new_page()
        self.heading(t("pack.heatmap"))
        label_w, total_w = 34.0, 13.0
        n = max(len(subs), 1)
        cell_w = min(14.0, (CONTENT_W - label_w - total_w) / n)
        grid_w = label_w + cell_w * n + total_w
        row_h = 6.2
        numbers = cell_w >= 7.5
        grid = {
            (a, code): (state, as_float(p))
            for a, code, state, p in zip(
                cells["agency_id"], cells["sub_issue_code"], cells["state"], cells["progress_pct"], strict=True
            )
        }
        sub_margin = self.ov.by_sub_issue.set_index("sub_issue_code")["weighted_progress"]
        agency_margin = self.ov.agencies.set_index("agency_id")["weighted_progress"]
        codes = list(subs["sub_issue_code"])
        mains = list(subs["main_issue_number"])

        def draw_head() -> None:
            y = self.y
            pdf.font(7.5, "B")
            pdf.colour(DARK_TEXT)
            start = 0
            while start < len(codes):  # one group label per main issue
                end = start
                while end + 1 < len(codes) and mains[end + 1] == mains[start]:
                    end += 1
                x = MARGIN_L + label_w + start * cell_w
                w = (end - start + 1) * cell_w
                pdf.colour("#e7ebf2", "fill")
                pdf.rect(x + 0.3, y, w - 0.6, 5, style="F")
                label = t("heatmap.main_short", n=int(mains[start]))
                pdf.set_xy(x, y)
                pdf.cell(w, 5, fit(pdf.get_string_width, label, w - 2.4), align="C")
                start = end + 1
            pdf.set_xy(MARGIN_L + label_w + n * cell_w, y)
            pdf.cell(total_w, 5, t("pack.total"), align="C")
            pdf.font(7.5 if cell_w >= 6 else 6)
            for i, code in enumerate(codes):
                pdf.set_xy(MARGIN_L + label_w + i * cell_w, y + 5.2)
                pdf.cell(cell_w, 4.5, fit(pdf.get_string_width, code, cell_w - 0.6), align="C")
            pdf.set_y(y + 10.2)

        self.need(row_h * 3 + 12)
        draw_head()
        for agency in agencies.to_dict("records"):
            if self.y + row_h > PAGE_BOTTOM - 28:
                self.new_page()
                draw_head()
            y = self.y
            pdf.font(8)
            pdf.colour(DARK_TEXT)
            pdf.set_xy(MARGIN_L, y)
            pdf.cell(label_w, row_h, fit(pdf.get_string_width, L.agency(agency), label_w - 2.4))
            for i, code in enumerate(codes):
                state, progress = grid[(agency["agency_id"], code)]
                self._heat_cell(MARGIN_L + label_w + i * cell_w, y, cell_w, row_h, state, progress, numbers)
            total = agency_margin.get(agency["agency_id"])
            self._total_cell(MARGIN_L + label_w + n * cell_w, y, total_w, row_h, as_float(total))
            pdf.set_y(y + row_h)
        y = self.y + 0.6
        pdf.font(8, "B")
        pdf.colour(DARK_TEXT)
        pdf.set_xy(MARGIN_L, y)
        pdf.cell(label_w, row_h, t("pack.total"))
        for i, code in enumerate(codes):
            self._total_cell(MARGIN_L + label_w + i * cell_w, y, cell_w, row_h, as_float(sub_margin.get(code)), small=not numbers)
        self._total_cell(MARGIN_L + label_w + n * cell_w, y, total_w, row_h, self.ov.headline.overall, bold=True)
        pdf.colour(DARK_TEXT, "draw")
        pdf.set_line_width(0.3)
        pdf.line(MARGIN_L, y - 0.3, MARGIN_L + grid_w, y - 0.3)
        pdf.set_y(y + row_h + 3)
        self.heat_legend()

    def _heat_cell(self, x: float, y: float, w: float, h: float, state: str, progress: float | None, numbers: bool) -> None:
        pdf = self.pdf
        gx, gy, gw, gh = x + 0.25, y + 0.25, w - 0.5, h - 0.5
        if state == heatmap.NOT_ASSIGNED:
            pdf.colour(NOT_ASSIGNED_FILL, "fill")
            pdf.rect(gx, gy, gw, gh, style="F")
            return
        if state == heatmap.NOT_REPORTED:
            pdf.colour("#ffffff", "fill")
            pdf.colour(NOT_REPORTED_BORDER, "draw")
            pdf.set_line_width(0.35)
            pdf.set_dash_pattern(dash=0.8, gap=0.55)
            pdf.rect(gx + 0.2, gy + 0.2, gw - 0.4, gh - 0.4, style="DF")
            pdf.set_dash_pattern()
            pdf.font(8.5, "B")
            pdf.colour(DARK_TEXT)
            pdf.set_xy(x, y)
            pdf.centred(w, h, NOT_REPORTED_MARK)
            return
        value = progress if progress is not None else 0.0
        pdf.colour(viridis(value), "fill")
        pdf.rect(gx, gy, gw, gh, style="F")
        pdf.font(7.5, "B")
        pdf.colour(DARK_TEXT if value >= DARK_TEXT_FROM else "#ffffff")
        pdf.set_xy(x, y)
        # the page's text: its number (core.charts.cell_number) and mark (* → √ ←, Sarabun glyphs)
        pdf.centred(w, h, cell_label(state, progress, numbers=numbers))

    def _total_cell(
        self, x: float, y: float, w: float, h: float, value: float | None, *, bold: bool = False, small: bool = False
    ) -> None:
        pdf = self.pdf
        pdf.font(6.5 if small else 7.5, "B" if bold else "")
        pdf.colour(DARK_TEXT)
        pdf.set_xy(x, y)
        text = fmt_pct(value, 0 if small else 1)
        pdf.cell(w, h, fit(pdf.get_string_width, text, w - 0.4), align="C")

    def heat_legend(self) -> None:
        pdf, t = self.pdf, self.t
        self.need(24)
        y = self.y
        pdf.font(8)
        pdf.colour(DARK_TEXT)
        pdf.set_xy(MARGIN_L, y)
        label = t("pack.legend.scale")
        pdf.cell(pdf.get_string_width(label) + 3, 5, label)
        x0, bw = pdf.get_x() + 1, 50.0
        for i in range(50):  # the viridis ramp
            pdf.colour(viridis(i * 2 + 1), "fill")
            pdf.rect(x0 + i * bw / 50, y + 0.8, bw / 50 + 0.05, 3.4, style="F")
        pdf.font(7)
        for v in (0, 50, 100):
            pdf.set_xy(x0 + bw * v / 100 - 5, y + 4.3)
            pdf.cell(10, 3.5, str(v), align="C")
        y += 9
        x = MARGIN_L
        pdf.font(8)
        # the page's legend (services.figures): each state's look and mark, then what it means
        states = (heatmap.NOT_ASSIGNED, heatmap.NOT_REPORTED, *figures.MARKED_STATES)
        items: list[tuple[Callable[[float, float], None], str]] = [
            ((lambda s: lambda x_, y_: self._heat_cell(x_, y_, 8, 5.5, s, None, False))(state), text)
            for state, (_, text) in zip(states, figures.legend(self.t.lang), strict=True)
        ]
        for draw, text in items:
            pdf.font(8)
            width = 9 + pdf.get_string_width(text) + 5
            if x + width > A4_W - MARGIN_R:
                x, y = MARGIN_L, y + 7
            draw(x, y)
            pdf.font(8)
            pdf.colour(DARK_TEXT)
            pdf.set_xy(x + 8.5, y)
            pdf.cell(width - 9, 5.5, text)
            x += width
        pdf.set_y(y + 8)
        self.paragraph(t("pack.legend.note"), size=8, colour=GREY)

    def trend(self) -> None:
        pdf, t = self.pdf, self.t
        tr = self.ov.trend
        self.heading(t("overview.trend"))
        if tr.empty:
            return
        keys = round_keys(tr)
        series = series_order(tr)
        chart_h, left_axis, legend_h = 62.0, 10.0, 12.0
        self.need(chart_h + 14 + legend_h + 8)
        top = self.y + 2
        x0, w = MARGIN_L + left_axis, CONTENT_W - left_axis - 2
        step = w / len(keys)
        ymax = max(100.0, float(tr["actual"].max(skipna=True) or 0), float(tr["expected"].max(skipna=True) or 0))

        def px(i: int) -> float:
            return x0 + (i + 0.5) * step

        def py(v: float) -> float:
            return top + chart_h - chart_h * v / ymax

        pdf.font(7)
        pdf.set_line_width(0.15)
        for v in (0, 25, 50, 75, 100):
            pdf.colour("#dde2ea" if v else "#9aa3b2", "draw")
            pdf.line(x0, py(v), x0 + w, py(v))
            pdf.colour(GREY)
            pdf.set_xy(MARGIN_L, py(v) - 2)
            pdf.cell(left_axis - 1, 4, str(v), align="R")
        years = [fy for fy, _ in keys]
        for i, (fy, months) in enumerate(keys):
            pdf.colour(GREY)
            pdf.set_xy(px(i) - step / 2, top + chart_h + 0.8)
            pdf.cell(step, 3.8, fit(pdf.get_string_width, t("pack.round_months", months=months), step), align="C")
            if i == 0 or years[i - 1] != fy:
                if i:
                    pdf.colour("#9aa3b2", "draw")
                    pdf.set_dash_pattern(dash=0.6, gap=0.6)
                    pdf.line(x0 + i * step, top, x0 + i * step, top + chart_h + 8.5)
                    pdf.set_dash_pattern()
                span = years.count(fy) * step
                pdf.font(7.5, "B")
                pdf.colour(DARK_TEXT)
                pdf.set_xy(x0 + i * step, top + chart_h + 4.6)
                pdf.cell(span, 4, fit(pdf.get_string_width, t("pack.fy_short", fy=fy), span), align="C")
                pdf.font(7)
        index = {k: i for i, k in enumerate(keys)}

        def line_of(values: dict[tuple[int, int], float], colour: str, width: float, dash: bool, marker: int | None) -> None:
            pdf.colour(colour, "draw")
            pdf.colour(colour, "fill")
            pdf.set_line_width(width)
            if dash:
                pdf.set_dash_pattern(dash=1.4, gap=1.0)
            points = [(index[k], v) for k, v in values.items() if not is_missing(v)]
            for (i, v), (j, u) in zip(points, points[1:], strict=False):
                if keys[i][0] == keys[j][0] and j == i + 1:  # each fiscal year is its own line
                    pdf.line(px(i), py(v), px(j), py(u))
            pdf.set_dash_pattern()
            if marker is not None:
                for i, v in points:
                    self._marker(marker, px(i), py(v), colour)

        expected = tr[tr["series"] == series[0]].set_index(["fiscal_year", "months"])["expected"] if series else pd.Series()
        line_of({k: float(v) for k, v in expected.items()}, EXPECTED_COLOUR, 0.45, True, None)
        legend = [(t("overview.series.expected"), EXPECTED_COLOUR, True, None, 0.45)]
        for n, name in enumerate(series):
            part = tr[tr["series"] == name].set_index(["fiscal_year", "months"])["actual"]
            colour = OVERALL_COLOUR if name == OVERALL else SERIES_COLOURS[(n - 1) % len(SERIES_COLOURS)]
            width = 0.7 if name == OVERALL else 0.4
            label = t("overview.series.overall") if name == OVERALL else t("heatmap.main_short", n=int(name))
            line_of({k: float(v) for k, v in part.items()}, colour, width, False, n)
            legend.append((label, colour, False, n, width))
        y = top + chart_h + 10.5
        x = MARGIN_L + left_axis
        pdf.font(8)
        for label, colour, dash, marker, width in legend:
            item_w = 12 + pdf.get_string_width(label) + 4
            if x + item_w > A4_W - MARGIN_R:
                x, y = MARGIN_L + left_axis, y + 5
            pdf.colour(colour, "draw")
            pdf.set_line_width(width)
            if dash:
                pdf.set_dash_pattern(dash=1.4, gap=1.0)
            pdf.line(x, y + 2.5, x + 9, y + 2.5)
            pdf.set_dash_pattern()
            if marker is not None:
                self._marker(marker, x + 4.5, y + 2.5, colour)
            pdf.colour(DARK_TEXT)
            pdf.set_xy(x + 10, y)
            pdf.cell(item_w - 10, 5, label)
            x += item_w
        pdf.set_y(y + 7)
        self.paragraph(t("overview.trend_note"), size=8, colour=GREY)

    def _marker(self, kind: int, x: float, y: float, colour: str) -> None:
        """Series markers differ in shape too: ● ■ ▲ ◆ ▼ …"""
        pdf = self.pdf
        pdf.colour(colour, "fill")
        r = 0.95
        shape = kind % 5
        if shape == 0:
            pdf.circle(x, y, r, style="F")
        elif shape == 1:
            pdf.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7, style="F")
        elif shape == 2:
            pdf.polygon([(x, y - r * 1.1), (x + r, y + r * 0.8), (x - r, y + r * 0.8)], style="F")
        elif shape == 3:
            pdf.polygon([(x, y - r * 1.15), (x + r, y), (x, y + r * 1.15), (x - r, y)], style="F")
        else:
            pdf.polygon([(x, y + r * 1.1), (x + r, y - r * 0.8), (x - r, y - r * 0.8)], style="F")

    def _listing(
        self, heading: str, listing: Listing, empty: str, cols: list[_Col], row: Callable[[dict], list[object]], note: str = ""
    ) -> None:
        """A section that lists `listing`'s rows as a table (saying what it leaves out), or says
        `empty` when there is nothing."""
        self.heading(heading)
        if note:
            self.paragraph(note, size=8.5, colour=GREY)
        if listing.rows.empty:
            self.paragraph(empty, size=9.5)
            return
        if listing.note:
            self.paragraph(listing.note, size=8.5, colour=GREY)
        self.table(cols, [row(r) for r in listing.rows.to_dict("records")], size=9)

    def projection(self) -> None:
        t, L = self.t, self.L
        cols = [
            _Col(t("overview.col.agency"), 30),
            _Col(t("overview.col.sub_issue"), 77),
            _Col(t("overview.col.progress"), 22, "R"),
            _Col(t("overview.col.plan_progress"), 23, "R"),
            _Col(t("overview.col.projected_end"), 23, "R"),
        ]
        self._listing(
            t("overview.projection"),
            self.L.projection_listing(),
            t("overview.no_projection"),
            cols,
            lambda r: [
                L.agency(r),
                f"{r['sub_issue_code']} {L.sub_issue(r)}",
                fmt_pct(as_float(r["progress_pct"])),
                fmt_pct(r["plan_progress"]),
                fmt_pct(r["projected_end"]),
            ],
            note=t("overview.projection_rule"),
        )

    def attention(self) -> None:
        t, L = self.t, self.L
        cols = [
            _Col(t("overview.col.kind"), 31),
            _Col(t("overview.col.agency"), 27),
            _Col(t("overview.col.sub_issue"), 68),
            _Col(t("overview.col.progress"), 24, "R"),
            _Col(t("overview.col.state"), 25),
        ]
        self._listing(
            t("overview.attention"),
            self.L.attention_listing(),
            t("overview.no_attention"),
            cols,
            lambda r: [
                L.kind(r["kind"]),
                L.agency(r),
                f"{r['sub_issue_code']} {L.sub_issue(r)}",
                fmt_pct(as_float(r["progress_pct"])),
                L.state_marked(r["state"]),
            ],
        )

    def highlights(self) -> None:
        pdf, t, L = self.pdf, self.t, self.L
        self.heading(t("overview.highlights"))
        frame = self.ov.highlights
        if frame.empty:
            self.paragraph(t("overview.no_highlights"), size=9.5)
            return
        for r in frame.to_dict("records"):
            self.need(20)
            title = f"{L.agency(r)} · {r['sub_issue_code']} {L.sub_issue(r)} · {L.pct(r['progress_pct'])}"
            self.paragraph(title, size=10, style="S", colour=ACCENT, gap=0.5)
            pdf.font(10)
            text = str(r["achievements"])
            lines = wrap(pdf.get_string_width, text, CONTENT_W - 8 - 2 * pdf.c_margin)
            if len(lines) > HIGHLIGHT_MAX_LINES:  # cut visibly: a highlight never runs over the footer
                lines = lines[:HIGHLIGHT_MAX_LINES]
                shown = sum(len(line) for line in lines)
                lines[-1] = lines[-1].rstrip() + " …"
                lines.append(t("text.clipped", shown=f"{shown:,}", total=f"{len(text):,}"))
            line_h = 5.2
            self.need(len(lines) * line_h + 4)
            y = self.y
            pdf.colour(viridis(80), "fill")
            pdf.rect(MARGIN_L + 1, y, 1, len(lines) * line_h + 1, style="F")
            pdf.colour(DARK_TEXT)
            pdf.font(10)
            self.text_lines(lines, MARGIN_L + 5, y + 0.5, CONTENT_W - 5, line_h)
            pdf.set_y(y + len(lines) * line_h + 4)

    def evaluations(self) -> None:
        t = self.t
        frame = self.ov.evaluations
        if frame.empty:
            return
        self.heading(t("overview.evaluations"))
        cols = [
            _Col(t("overview.col.fiscal_year"), 24, "C"),
            _Col(t("overview.col.component"), 91),
            _Col(t("overview.col.score"), 20, "R"),
            _Col(t("overview.col.level"), 40),
        ]
        rows = [
            [
                str(r["fiscal_year"]),
                r["component"],
                f"{r['score']:.2f}",
                (r["level_en"] if self.t.lang == "en" else "") or r["level_th"],
            ]
            for r in frame.to_dict("records")
        ]
        self.table(cols, rows, size=9)

    def build(self) -> bytes:
        pdf = self.pdf
        pdf.set_title(f"{self.t('pack.title')} – {self.L.this_round()}")
        pdf.set_lang(self.t.lang)
        pdf.set_creation_date(datetime.combine(self.as_of, datetime.min.time()))
        self.new_page()
        self.title_block()
        self.cards()
        self.main_issues()
        self.agencies()
        self.heatmap()
        self.need(110)
        self.trend()
        self.projection()
        self.attention()
        self.highlights()
        self.evaluations()
        return bytes(pdf.output())


def build_pdf(
    overview: RoundOverview, *, lang: str = "th", as_of: date | None = None, meeting: PackMeeting | None = None
) -> bytes:
    """The committee pack as an A4 PDF for `meeting` (`meeting_for`; None: the cover says no
    meeting is recorded for the round): title block, headline figures, main issues, agencies, the
    heatmap, the trend chart, the projection, the attention list, highlights and evaluation
    scores; Sarabun embedded, Thai shaped by HarfBuzz, page numbers, a demo marker on every page
    of a demo plan."""
    return _PdfBuilder(overview, lang, as_of or date.today(), meeting).build()
