"""The committee pack: one round's overview as a PDF (Thai official style), a PowerPoint deck and
an Excel workbook, built from a `services.overview.RoundOverview` so the files show exactly the
figures the overview page shows. Thai by default (`lang="en"` for English); every visible string
comes from core/catalog.yaml, dates carry Buddhist-Era years.

Everything is drawn from the bundle's DataFrames (no database access), natively: the PDF's
heatmap and trend chart are rectangles, lines and text; the deck's tables and charts are
PowerPoint tables and charts that stay editable.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from core.i18n import translate
from core.thaidate import format_date
from services import heatmap
from services.overview import OVERALL, RoundOverview, fmt_change, fmt_pct
from services.spreadsheet_safety import put_row

FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT = "Sarabun"

# Colours as core/charts.py draws the heatmap page: viridis for progress (colour-blind safe),
# pale for not assigned, white with a dashed red border for not reported; Okabe–Ito for series.
NOT_ASSIGNED_FILL = "#eef2f7"
NOT_REPORTED_BORDER = "#dc2626"
DARK_TEXT = "#111827"
VIRIDIS = (  # matplotlib / Vega "viridis" at 0, 0.1, …, 1
    "#440154",
    "#482475",
    "#414487",
    "#355f8d",
    "#2a788e",
    "#21918c",
    "#22a884",
    "#44bf70",
    "#7ad151",
    "#bddf26",
    "#fde725",
)
DARK_TEXT_FROM = 70  # viridis is pale from here on: dark text (as on the page)
SERIES_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442")
OVERALL_COLOUR = "#000000"
EXPECTED_COLOUR = "#8c8c8c"
ACCENT = "#1f3b73"
GREY = "#5b6472"
RULE = "#c9ced6"
STATE_MARKS = ("draft", "submitted", "approved", "returned")


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def viridis(progress: float) -> str:
    """The viridis colour of a progress value 0–100 (linear between the 11 stops)."""
    p = min(max(float(progress), 0.0), 100.0) / 10
    low = min(int(p), 9)
    frac = p - low
    a, b = _rgb(VIRIDIS[low]), _rgb(VIRIDIS[low + 1])
    r, g, bl = (round(x + (y - x) * frac) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"


def file_name(overview: RoundOverview, extension: str) -> str:
    """'committee-pack-2564-12.pdf' and so on."""
    return f"committee-pack-{overview.round.fiscal_year}-{overview.round.months}.{extension}"


# ----------------------------------------------------------------------------- shared labels
class _Text:
    """`t("key", **params)` in the pack's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)


def _isna(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


@dataclass(frozen=True)
class _Labels:
    """Language-dependent names of the bundle's things, shared by the three builders."""

    t: _Text
    ov: RoundOverview

    @property
    def lang(self) -> str:
        return self.t.lang

    def round(self, fiscal_year: int, months: int) -> str:
        return self.t("round.label", fy=fiscal_year, months=months)

    def this_round(self) -> str:
        return self.round(self.ov.round.fiscal_year, self.ov.round.months)

    def plan_name(self) -> str:
        return (self.ov.plan.name_en if self.lang == "en" else "") or self.ov.plan.name_th

    def agency(self, row: pd.Series | dict) -> str:
        return str(row["agency_code"]) if self.lang == "en" else str(row["agency_short_name"])

    def sub_issue(self, row: pd.Series | dict) -> str:
        en = row.get("sub_issue_name_en") if self.lang == "en" else None
        return str(en) if en and not _isna(en) else str(row["sub_issue_name_th"])

    def main_issue(self, number: int) -> str:
        fig = next((m for m in self.ov.headline.main_issues if m.number == number), None)
        if fig is None:
            return str(number)
        return (fig.name_en if self.lang == "en" else "") or fig.name_th

    def status(self, value: object) -> str:
        return "" if _isna(value) or not value else self.t(f"status.{value}")

    def state(self, value: object) -> str:
        if _isna(value) or value == heatmap.NOT_ASSIGNED:
            return ""
        return self.t("state.missing") if value == heatmap.NOT_REPORTED else self.t(f"state.{value}")

    def kind(self, value: str) -> str:
        return self.t(f"overview.kind.{value}")

    def pct(self, value: object) -> str:
        return self.t("overview.pct", value=fmt_pct(None if _isna(value) else float(value)))

    def date(self, d: date) -> str:
        return format_date(d, lang=self.lang)

    def period(self) -> str:
        return f"{self.date(self.ov.round.period_start)} – {self.date(self.ov.round.period_end)}"

    def change_note(self) -> str:
        h = self.ov.headline
        if h.previous_fiscal_year is None:
            return self.t("overview.no_previous")
        return self.t("overview.change_from", round=self.round(h.previous_fiscal_year, h.previous_months))

    def evaluation_value(self) -> tuple[str, str]:
        ev = self.ov.latest_evaluation
        if ev is None:
            return "–", self.t("overview.no_evaluation")
        level = (ev.level_en if self.lang == "en" else "") or ev.level_th
        return f"{ev.score:.2f}", self.t("overview.evaluation_level", level=level, fy=ev.fiscal_year)

    def headline_cards(self) -> list[tuple[str, str, str]]:
        """(label, value, note) of the eight headline figures, as every file shows them."""
        h = self.ov.headline
        score, level = self.evaluation_value()
        change = fmt_change(h.change)
        return [
            (
                self.t("overview.overall"),
                self.pct(h.overall),
                self.t("overview.expected_short", value=fmt_pct(h.expected_progress)),
            ),
            (
                self.t("overview.change"),
                change if h.change is None else self.t("overview.points", value=change),
                self.change_note(),
            ),
            (self.t("overview.agencies_reported"), str(h.agencies_reported), self.t("overview.of_agencies", n=h.agencies_total)),
            (self.t("overview.agencies_approved"), str(h.agencies_approved), self.t("overview.of_agencies", n=h.agencies_total)),
            (self.t("overview.items_delayed"), str(h.items_delayed), self.t("overview.of_items", n=h.items_assigned)),
            (self.t("overview.items_returned"), str(h.items_returned), self.t("overview.of_items", n=h.items_assigned)),
            (self.t("overview.items_not_reported"), str(h.items_not_reported), self.t("overview.of_items", n=h.items_assigned)),
            (self.t("overview.evaluation"), score, level),
        ]


def _subs_in_order(cells: pd.DataFrame) -> pd.DataFrame:
    """The plan's sub-issues in plan order, one row each."""
    cols = ["main_issue_number", "sub_issue_order", "sub_issue_code", "sub_issue_name_th", "sub_issue_name_en"]
    return cells[cols].drop_duplicates("sub_issue_code").sort_values(["main_issue_number", "sub_issue_order"], kind="stable")


def _agencies_in_order(cells: pd.DataFrame) -> pd.DataFrame:
    cols = ["agency_id", "agency_code", "agency_short_name", "agency_order"]
    return cells[cols].drop_duplicates("agency_id")  # cells come in plan order


def _round_keys(trend: pd.DataFrame) -> list[tuple[int, int]]:
    return list(dict.fromkeys(zip(trend["fiscal_year"].astype(int), trend["months"].astype(int), strict=True)))


def _series_order(trend: pd.DataFrame) -> list[str]:
    mains = sorted({s for s in trend["series"] if s != OVERALL}, key=int)
    return ([OVERALL] if (trend["series"] == OVERALL).any() else []) + mains


# ----------------------------------------------------------------------------- Thai line breaking
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_COMBINING = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")
_OPENING = "([{“‘\"'"
_CLOSING = ")]}”’\"',.:;!?%…ๆฯ/"


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """Break opportunities: Thai words (pythainlp's dictionary tokenizer), spaces kept."""
    if not _THAI.search(text):
        return tuple(re.findall(r"[^\s/]+/?|/|\s+", text))  # a break may follow "/"
    from pythainlp.tokenize import word_tokenize

    words: list[str] = []
    glue_next = False
    tokens = word_tokenize(text, engine="newmm", keep_whitespace=True)
    for word in (part for token in tokens for part in re.findall(r"[^/]+/?|/", token)):
        if words and not word.isspace() and (glue_next or word[0] in _CLOSING):
            words[-1] += word  # no break after "(" nor before ")", ",", "ๆ" …
        else:
            words.append(word)
        glue_next = not word.isspace() and word[-1] in _OPENING
    return tuple(words)


def _clusters(word: str) -> list[str]:
    """Grapheme clusters: a base character with its Thai vowel and tone marks."""
    out: list[str] = []
    for ch in word:
        if out and _COMBINING.match(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


HIGHLIGHT_MAX_LINES = 12  # a highlight's text in the PDF; past it the text is cut, with a note saying so


def wrap(measure: Callable[[str], float], text: str, width: float) -> list[str]:
    """Lines of `text` no wider than `width`, broken between words (Thai words found with a
    dictionary, since Thai has no spaces between words); a word wider than a line is broken
    between grapheme clusters, never between a consonant and its vowel or tone marks."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line, line_w = "", 0.0
        for word in _words(paragraph):
            w = measure(word)
            if line_w + w <= width or (not line and w <= width):
                line, line_w = line + word, line_w + w
                continue
            if word.isspace():
                continue  # the space at a break disappears
            if line.strip():
                lines.append(line.rstrip())
            line, line_w = "", 0.0
            if w <= width:
                line, line_w = word, w
                continue
            for cluster in _clusters(word):
                cw = measure(cluster)
                if line and line_w + cw > width:
                    lines.append(line)
                    line, line_w = "", 0.0
                line, line_w = line + cluster, line_w + cw
        lines.append(line.rstrip())
    return lines or [""]


# ============================================================================= PDF
A4_W, A4_H = 210.0, 297.0
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 20.0, 15.0, 18.0, 16.0
CONTENT_W = A4_W - MARGIN_L - MARGIN_R
PAGE_BOTTOM = A4_H - MARGIN_B


def _fpdf_class():  # fpdf is imported lazily: the page imports this module
    from fpdf import FPDF

    class _Pdf(FPDF):
        def __init__(self, t: _Text, running_head: str, demo: bool, as_of: str) -> None:
            super().__init__(orientation="P", unit="mm", format="A4")
            self.t, self.running_head, self.demo, self.as_of = t, running_head, demo, as_of
            for style, file in (("", "Regular"), ("B", "Bold")):
                self.add_font(FONT, style, str(FONT_DIR / f"Sarabun-{file}.ttf"))
            self.add_font(f"{FONT}SemiBold", "", str(FONT_DIR / "Sarabun-SemiBold.ttf"))
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

        def colour(self, hex_colour: str, what: str = "text") -> None:
            r, g, b = _rgb(hex_colour)
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
            self.cell(head_w, 5, _fit(self.get_string_width, self.running_head, head_w - 2.5))
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


def _fit(measure: Callable[[str], float], text: str, width: float) -> str:
    """`text`, cut between grapheme clusters with '…' when wider than `width`."""
    if measure(text) <= width:
        return text
    out = ""
    for cluster in _clusters(text):
        if measure(out + cluster + "…") > width:
            break
        out += cluster
    return out.rstrip() + "…"


@dataclass
class _Col:
    title: str
    width: float
    align: str = "L"  # L, C, R


class _PdfBuilder:
    def __init__(self, ov: RoundOverview, lang: str, as_of: date) -> None:
        self.ov, self.t = ov, _Text(lang)
        self.L = _Labels(self.t, ov)
        running = f"{self.t('pack.title')} · {self.L.this_round()}"
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
                lines = lines[: max_lines - 1] + [
                    _fit(pdf.get_string_width, lines[max_lines - 1] + "…", width - 2 * pdf.c_margin)
                ]
            return lines

        def header_size(title: str, width: float) -> float:
            """The header's size, smaller for a word that would not fit its column otherwise."""
            fitted = size
            while fitted > 6.5:
                pdf.font(fitted, "B")
                if (
                    max((pdf.get_string_width(w) for w in _words(title) if not w.isspace()), default=0)
                    <= width - 2 * pdf.c_margin
                ):
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
                None if callable(v) else wrapped("" if _isna(v) else str(v), c.width) for v, c in zip(row, cols, strict=True)
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
            if value is not None and not _isna(value):
                pdf.colour(viridis(value), "fill")
                pdf.rect(bx, by, bw * min(max(value, 0), 100) / 100, bh, style="F")
            if expected is not None and not _isna(expected):
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
        self.paragraph(t("pack.subtitle"), size=10.5, colour=GREY, align="C", gap=2)
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
            pdf.cell(w - 1.5, 7, _fit(pdf.get_string_width, value, w - 4))
            pdf.font(7.5)
            pdf.colour(GREY)
            pdf.set_xy(x + 1.2, y + 17.6)
            note_lines = wrap(pdf.get_string_width, note, w - 4)
            if len(note_lines) > 2:
                note_lines = [note_lines[0], _fit(pdf.get_string_width, " ".join(note_lines[1:]), w - 4)]
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
                self.bar(_none(r["weighted_progress"]), expected),
                fmt_pct(_none(r["weighted_progress"])),
                f"{r['submitted']}/{r['assigned']}",
                r["approved"],
                r["delayed"],
                r["returned"],
                r["not_reported"],
            ]
            for r in self.ov.agencies.to_dict("records")
        ]
        self.table(cols, rows, size=9)

    def heatmap(self) -> None:
        pdf, t, L = self.pdf, self.t, self.L
        cells = self.ov.cells
        subs = _subs_in_order(cells)
        agencies = _agencies_in_order(cells)
        self.new_page()
        self.heading(t("pack.heatmap"))
        label_w, total_w = 34.0, 13.0
        n = max(len(subs), 1)
        cell_w = min(14.0, (CONTENT_W - label_w - total_w) / n)
        grid_w = label_w + cell_w * n + total_w
        row_h = 6.2
        numbers = cell_w >= 7.5
        grid = {
            (a, code): (state, _none(p))
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
                pdf.cell(w, 5, _fit(pdf.get_string_width, label, w - 2.4), align="C")
                start = end + 1
            pdf.set_xy(MARGIN_L + label_w + n * cell_w, y)
            pdf.cell(total_w, 5, t("pack.total"), align="C")
            pdf.font(7.5 if cell_w >= 6 else 6)
            for i, code in enumerate(codes):
                pdf.set_xy(MARGIN_L + label_w + i * cell_w, y + 5.2)
                pdf.cell(cell_w, 4.5, _fit(pdf.get_string_width, code, cell_w - 0.6), align="C")
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
            pdf.cell(label_w, row_h, _fit(pdf.get_string_width, L.agency(agency), label_w - 2.4))
            for i, code in enumerate(codes):
                state, progress = grid[(agency["agency_id"], code)]
                self._heat_cell(MARGIN_L + label_w + i * cell_w, y, cell_w, row_h, state, progress, numbers)
            total = agency_margin.get(agency["agency_id"])
            self._total_cell(MARGIN_L + label_w + n * cell_w, y, total_w, row_h, _none(total))
            pdf.set_y(y + row_h)
        y = self.y + 0.6
        pdf.font(8, "B")
        pdf.colour(DARK_TEXT)
        pdf.set_xy(MARGIN_L, y)
        pdf.cell(label_w, row_h, t("pack.total"))
        for i, code in enumerate(codes):
            self._total_cell(MARGIN_L + label_w + i * cell_w, y, cell_w, row_h, _none(sub_margin.get(code)), small=not numbers)
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
            pdf.cell(w, h, "?", align="C")
            return
        value = progress if progress is not None else 0.0
        pdf.colour(viridis(value), "fill")
        pdf.rect(gx, gy, gw, gh, style="F")
        ink = DARK_TEXT if value >= DARK_TEXT_FROM else "#ffffff"
        mark_w = 1.8
        if numbers and progress is not None:
            pdf.font(7.5, "B")
            pdf.colour(ink)
            pdf.set_xy(x, y)
            pdf.cell(w - mark_w - 0.2, h, f"{progress:.0f}", align="R")
            self._mark(state, x + w - mark_w - 0.6, y + h / 2, ink)
        else:
            self._mark(state, x + w / 2 - 0.9, y + h / 2, ink)

    def _mark(self, state: str, x: float, cy: float, ink: str) -> None:
        """The workflow state drawn as a shape (Sarabun has no ✓ ↩ ✎): ✓ approved, ● submitted,
        ○ draft, ◀ returned."""
        pdf = self.pdf
        pdf.colour(ink, "draw")
        pdf.colour(ink, "fill")
        pdf.set_line_width(0.35)
        if state == "approved":
            pdf.polyline([(x, cy), (x + 0.6, cy + 0.7), (x + 1.7, cy - 0.9)])
        elif state == "submitted":
            pdf.circle(x + 0.85, cy, 0.6, style="F")
        elif state == "draft":
            pdf.set_line_width(0.3)
            pdf.circle(x + 0.85, cy, 0.65, style="D")
        elif state == "returned":
            pdf.polygon([(x + 0.1, cy), (x + 1.6, cy - 0.85), (x + 1.6, cy + 0.85)], style="F")

    def _total_cell(
        self, x: float, y: float, w: float, h: float, value: float | None, *, bold: bool = False, small: bool = False
    ) -> None:
        pdf = self.pdf
        pdf.font(6.5 if small else 7.5, "B" if bold else "")
        pdf.colour(DARK_TEXT)
        pdf.set_xy(x, y)
        text = fmt_pct(value, 0 if small else 1)
        pdf.cell(w, h, _fit(pdf.get_string_width, text, w - 0.4), align="C")

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
        items: list[tuple[Callable[[float, float], None], str]] = [
            (lambda x_, y_: self._heat_cell(x_, y_, 8, 5.5, heatmap.NOT_ASSIGNED, None, True), t("pack.legend.not_assigned")),
            (lambda x_, y_: self._heat_cell(x_, y_, 8, 5.5, heatmap.NOT_REPORTED, None, True), t("pack.legend.not_reported")),
        ]
        for state in STATE_MARKS:
            items.append(((lambda s: lambda x_, y_: self._mark(s, x_ + 3, y_ + 2.75, DARK_TEXT))(state), self.L.state(state)))
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
        keys = _round_keys(tr)
        series = _series_order(tr)
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
            pdf.cell(step, 3.8, _fit(pdf.get_string_width, t("pack.round_months", months=months), step), align="C")
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
                pdf.cell(span, 4, _fit(pdf.get_string_width, t("pack.fy_short", fy=fy), span), align="C")
                pdf.font(7)
        index = {k: i for i, k in enumerate(keys)}

        def line_of(values: dict[tuple[int, int], float], colour: str, width: float, dash: bool, marker: int | None) -> None:
            pdf.colour(colour, "draw")
            pdf.colour(colour, "fill")
            pdf.set_line_width(width)
            if dash:
                pdf.set_dash_pattern(dash=1.4, gap=1.0)
            points = [(index[k], v) for k, v in values.items() if not _isna(v)]
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

    def projection(self) -> None:
        t, L = self.t, self.L
        self.heading(t("overview.projection"))
        self.paragraph(t("overview.projection_rule"), size=8.5, colour=GREY)
        frame = self.ov.projection
        if frame.empty:
            self.paragraph(t("overview.no_projection"), size=9.5)
            return
        cols = [
            _Col(t("overview.col.agency"), 30),
            _Col(t("overview.col.sub_issue"), 77),
            _Col(t("overview.col.progress"), 22, "R"),
            _Col(t("overview.col.plan_progress"), 23, "R"),
            _Col(t("overview.col.projected_end"), 23, "R"),
        ]
        rows = [
            [
                L.agency(r),
                f"{r['sub_issue_code']} {L.sub_issue(r)}",
                fmt_pct(_none(r["progress_pct"])),
                fmt_pct(r["plan_progress"]),
                fmt_pct(r["projected_end"]),
            ]
            for r in frame.to_dict("records")
        ]
        self.table(cols, rows, size=9)

    def attention(self) -> None:
        t, L = self.t, self.L
        self.heading(t("overview.attention"))
        frame = self.ov.attention
        if frame.empty:
            self.paragraph(t("overview.no_attention"), size=9.5)
            return
        cols = [
            _Col(t("overview.col.kind"), 31),
            _Col(t("overview.col.agency"), 27),
            _Col(t("overview.col.sub_issue"), 68),
            _Col(t("overview.col.progress"), 24, "R"),
            _Col(t("overview.col.state"), 25),
        ]
        rows = [
            [
                L.kind(r["kind"]),
                L.agency(r),
                f"{r['sub_issue_code']} {L.sub_issue(r)}",
                fmt_pct(_none(r["progress_pct"])),
                L.state(r["state"]),
            ]
            for r in frame.to_dict("records")
        ]
        self.table(cols, rows, size=9)

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


def _none(value: object) -> float | None:
    return None if _isna(value) else float(value)


def build_pdf(overview: RoundOverview, *, lang: str = "th", as_of: date | None = None) -> bytes:
    """The committee pack as an A4 PDF: title block, headline figures, main issues, agencies, the
    heatmap, the trend chart, the projection, the attention list, highlights and evaluation
    scores; Sarabun embedded, Thai shaped by HarfBuzz, page numbers, a demo marker on every page
    of a demo plan."""
    return _PdfBuilder(overview, lang, as_of or date.today()).build()


# ============================================================================= PowerPoint
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

        self.ov, self.t, self.as_of = ov, _Text(lang), as_of
        self.L = _Labels(self.t, ov)
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
            data.add_series(name, [None if _isna(v) else round(float(v), 2) for v in values])
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
            keys = _round_keys(tr)
            years = list(dict.fromkeys(fy for fy, _ in keys))
            cats = [(t("pack.fy_short", fy=y), [t("pack.round_months", months=m) for fy, m in keys if fy == y]) for y in years]
            series = []
            for n, name in enumerate(_series_order(tr)):
                part = tr[tr["series"] == name].set_index(["fiscal_year", "months"])["actual"]
                label = t("overview.series.overall") if name == OVERALL else t("heatmap.main_short", n=int(name))
                colour = OVERALL_COLOUR if name == OVERALL else SERIES_COLOURS[(n - 1) % len(SERIES_COLOURS)]
                series.append((label, [part.get(k) for k in keys], colour, False))
            expected = tr[tr["series"] == _series_order(tr)[0]].set_index(["fiscal_year", "months"])["expected"]
            series.append((t("overview.series.expected"), [expected.get(k) for k in keys], EXPECTED_COLOUR, True))
            chart = self.chart(slide, "line", cats, series, (6.8, 1.3, 6.1, 5.0))
            chart.has_title = True
            chart.chart_title.text_frame.text = t("overview.trend")
            _pptx_font(chart.chart_title.text_frame.paragraphs[0].runs[0].font, 13, True)
        self.marks(slide)

    def main_issue_slides(self) -> None:
        t, L = self.t, self.L
        subs = _subs_in_order(self.ov.cells)
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
                progress = None if m is None else _none(m["weighted_progress"])
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
                progress=fmt_pct(_none(a["weighted_progress"])),
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
                    fmt_pct(_none(r["progress_pct"])),
                    L.status(r["status"]),
                    L.state(r["state"]),
                    _num(r["target_value"]),
                    _num(r["actual_value"]),
                    str(r["unit"] or ""),
                ]
                for r in items
            ]
            header = [
                t("overview.col.sub_issue"),
                t("pack.col.sub_issue_name"),
                t("overview.col.progress"),
                t("overview.col.status"),
                t("overview.col.state"),
                t("pack.col.target"),
                t("pack.col.actual"),
                t("pack.col.unit"),
            ]
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
    if _isna(value):
        return ""
    v = float(value)
    return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"


def build_pptx(overview: RoundOverview, *, lang: str = "th", as_of: date | None = None) -> bytes:
    """The committee deck: a title slide, a summary slide (headline table and the trend as a native
    line chart), one slide per main issue (sub-issue table and bar chart) and one per agency (its
    items as a native table). Slides = 2 + main issues + agencies holding items."""
    return _PptxBuilder(overview, lang, as_of or date.today()).build()


# ============================================================================= Excel
def _display_len(value: object) -> int:
    """Characters that take room (Thai vowel and tone marks above or below take none)."""
    return len(_COMBINING.sub("", str(value)))


def _sheet(wb, title: str, header: list[str], rows: list[list[object]], formats: dict[int, str] | None = None):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title[:31])
    # every text a string cell, formula-like text (a plan or agency name starting with "=") quote-prefixed
    put_row(ws, 1, header)
    for r, row in enumerate(rows, start=2):
        put_row(ws, r, [None if _isna(v) else v for v in row])
    fill = PatternFill("solid", fgColor=ACCENT.lstrip("#"))
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for idx, fmt in (formats or {}).items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=idx + 1, max_col=idx + 1):
            cell.number_format = fmt
    for i, name in enumerate(header):
        longest = max([_display_len(name)] + [_display_len(r[i]) for r in rows if not _isna(r[i])])
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

    t = _Text(lang)
    L = _Labels(t, overview)
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
        t("overview.col.progress"),
        t("overview.col.status"),
        t("overview.col.state"),
        t("pack.col.target"),
        t("pack.col.actual"),
        t("pack.col.unit"),
    ]
    for m in h.main_issues:
        part = assigned[assigned["main_issue_number"] == m.number]
        rows = [
            [
                r["agency_code"],
                r["agency_short_name"],
                r["sub_issue_code"],
                L.sub_issue(r),
                _none(r["weight"]),
                _none(r["progress_pct"]),
                L.status(r["status"]),
                L.state(r["state"]),
                _none(r["target_value"]),
                _none(r["actual_value"]),
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
            _none(r["weighted_progress"]),
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
            _none(r["progress_pct"]),
            L.state(r["state"]),
        ]
        for r in overview.attention.to_dict("records")
    ]
    _sheet(wb, t("pack.sheet.attention"), attention_header, attention_rows, {5: "0.00"})

    wb.properties.title = f"{t('pack.title')} – {L.this_round()}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["build_pdf", "build_pptx", "build_xlsx", "file_name", "viridis", "wrap"]
