"""The app's colours, defined once for the page's charts (core/charts.py) and the committee pack
(services/committee_pack): viridis for progress (colour-blind safe), Okabe–Ito for statuses and
series, pale for a cell nobody is assigned, white with a dashed red border for one not reported.
"""

from __future__ import annotations

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
STATUS_COLOURS = {
    "completed": "#0072B2",
    "on_track": "#009E73",
    "delayed": "#D55E00",
    "not_started": "#999999",
    "cancelled": "#000000",
}
SELECTED_OUTLINE = "#e11d48"  # the open cell and the selected round
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


def hex_to_rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def viridis(progress: float) -> str:
    """The viridis colour of a progress value 0–100 (linear between the 11 stops)."""
    p = min(max(float(progress), 0.0), 100.0) / 10
    low = min(int(p), 9)
    frac = p - low
    a, b = hex_to_rgb(VIRIDIS[low]), hex_to_rgb(VIRIDIS[low + 1])
    r, g, bl = (round(x + (y - x) * frac) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"
