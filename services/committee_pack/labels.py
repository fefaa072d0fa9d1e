"""What every file of the pack shares: its name, the translator, the labels drawn from the bundle
(agency, sub-issue, round, status, figures) and the order of rows, columns and series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from core import names
from core.i18n import translate
from core.palette import DARK_TEXT, DARK_TEXT_FROM, NOT_ASSIGNED_FILL, NOT_REPORTED_BORDER, viridis
from core.thaidate import format_date
from services import figures, heatmap
from services.committee_pack.meeting import PackMeeting
from services.overview import OVERALL, RoundOverview, fmt_change, fmt_pct

# The pack's one type family: Sarabun (SIL OFL, in assets/fonts) — embedded in the PDF; the deck
# and the workbook cannot embed it (python-pptx and openpyxl write no font parts), so they name it
# on every run and cell style, with the Thai script's fallback set in their themes.
PACK_FONT = "Sarabun"
PACK_FONT_FALLBACK = "Leelawadee UI"  # Windows' Thai UI font (Tahoma has Thai too, but few of our marks)


# The PDF and the deck list the two long listings as far as a committee reads them: the lowest
# projections, and the first items of each kind of attention (in plan order); the workbook lists
# every item (at large scale thousands: hundreds of pages, and minutes of drawing).
PROJECTION_ROWS = 50
ATTENTION_ROWS_PER_KIND = 30


@dataclass(frozen=True)
class Listing:
    """The rows of a listing a document shows, and the note saying what it leaves out ("" when
    it shows them all)."""

    rows: pd.DataFrame
    note: str


def file_name(overview: RoundOverview, extension: str) -> str:
    """'committee-pack-2564-12.pdf' and so on."""
    return f"committee-pack-{overview.round.fiscal_year}-{overview.round.months}.{extension}"


class Translator:
    """`t("key", **params)` in the pack's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)


def is_missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


@dataclass(frozen=True)
class Labels:
    """Language-dependent names of the bundle's things, shared by the three builders."""

    t: Translator
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
        """The agency's short name in the pack's language (core.names: English, else the Thai)."""
        return names.agency_name(row, self.lang)

    def sub_issue(self, row: pd.Series | dict) -> str:
        return names.sub_issue_name(row, self.lang)

    def unit(self, row: pd.Series | dict) -> str:
        return names.unit_name(row, self.lang)

    def main_issue(self, number: int) -> str:
        fig = next((m for m in self.ov.headline.main_issues if m.number == number), None)
        if fig is None:
            return str(number)
        return (fig.name_en if self.lang == "en" else "") or fig.name_th

    def status(self, value: object) -> str:
        return "" if is_missing(value) or not value else self.t(f"status.{value}")

    def state(self, value: object) -> str:
        if is_missing(value) or value == heatmap.NOT_ASSIGNED:
            return ""
        return self.t("state.missing") if value == heatmap.NOT_REPORTED else self.t(f"state.{value}")

    def state_marked(self, value: object) -> str:
        """The state with its heatmap mark in front (services.figures): "→ ส่งแล้ว รอตรวจสอบ"."""
        text = self.state(value)
        mark = figures.symbol(value)
        return f"{mark} {text}" if mark and text else text

    def meeting(self, meeting: PackMeeting | None) -> str:
        """The meeting the pack is prepared for, or a plain word that none is recorded."""
        if meeting is None:
            return self.t("pack.no_meeting")
        return self.t("pack.meeting", number=meeting.number, year=meeting.year_be, date=self.date(meeting.held_on))

    def kind(self, value: str) -> str:
        return self.t(f"overview.kind.{value}")

    def projection_listing(self) -> Listing:
        """The round's projection as the PDF lists it: its PROJECTION_ROWS lowest (it is sorted
        lowest first)."""
        frame = self.ov.projection
        if len(frame) <= PROJECTION_ROWS:
            return Listing(frame, "")
        note = self.t(
            "pack.listing.projection_cut", shown=PROJECTION_ROWS, total=f"{len(frame):,}", sheet=self.t("pack.sheet.projection")
        )
        return Listing(frame.iloc[:PROJECTION_ROWS], note)

    def attention_listing(self) -> Listing:
        """The round's attention list as the PDF and the deck list it: the first
        ATTENTION_ROWS_PER_KIND items of each kind, and, when that leaves some out, each kind's count."""
        frame = self.ov.attention
        kept = (frame.groupby("kind", sort=False).cumcount() < ATTENTION_ROWS_PER_KIND).to_numpy()
        if kept.all():
            return Listing(frame, "")
        counts = " · ".join(f"{self.kind(kind)} {n:,}" for kind, n in frame["kind"].value_counts(sort=False).items())
        note = self.t(
            "pack.listing.attention_cut",
            n=ATTENTION_ROWS_PER_KIND,
            shown=f"{int(kept.sum()):,}",
            total=f"{len(frame):,}",
            counts=counts,
            sheet=self.t("pack.sheet.attention"),
        )
        return Listing(frame[kept], note)

    def pct(self, value: object) -> str:
        return self.t("overview.pct", value=fmt_pct(None if is_missing(value) else float(value)))

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


def subs_in_order(cells: pd.DataFrame) -> pd.DataFrame:
    """The plan's sub-issues in plan order, one row each."""
    cols = ["main_issue_number", "sub_issue_order", "sub_issue_code", "sub_issue_name_th", "sub_issue_name_en"]
    return cells[cols].drop_duplicates("sub_issue_code").sort_values(["main_issue_number", "sub_issue_order"], kind="stable")


def agencies_in_order(cells: pd.DataFrame) -> pd.DataFrame:
    cols = ["agency_id", "agency_code", "agency_short_name", "agency_short_name_en", "agency_order"]
    return cells[cols].drop_duplicates("agency_id")  # cells come in plan order


def round_keys(trend: pd.DataFrame) -> list[tuple[int, int]]:
    return list(dict.fromkeys(zip(trend["fiscal_year"].astype(int), trend["months"].astype(int), strict=True)))


def series_order(trend: pd.DataFrame) -> list[str]:
    mains = sorted({s for s in trend["series"] if s != OVERALL}, key=int)
    return ([OVERALL] if (trend["series"] == OVERALL).any() else []) + mains


def as_float(value: object) -> float | None:
    return None if is_missing(value) else float(value)


def figure_columns(t: Translator) -> list[str]:
    """The headers of an item's figures, in the order every file of the pack lists them."""
    keys = (
        "overview.col.progress",
        "overview.col.status",
        "overview.col.state",
        "pack.col.target",
        "pack.col.actual",
        "pack.col.unit",
    )
    return [t(key) for key in keys]


def cell_colours(state: str, progress: float | None) -> tuple[str, str]:
    """(fill, ink) of a heatmap cell in every pack file, as the page draws it: pale when not
    assigned, white with the not-reported red when nothing is filed, else the progress colour
    (viridis) with text dark or white to contrast."""
    if state == heatmap.NOT_ASSIGNED:
        return NOT_ASSIGNED_FILL, DARK_TEXT
    if state == heatmap.NOT_REPORTED:
        return "#FFFFFF", NOT_REPORTED_BORDER
    value = progress if progress is not None else 0.0
    return viridis(value), DARK_TEXT if value >= DARK_TEXT_FROM else "#FFFFFF"
