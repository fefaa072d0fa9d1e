"""The committee pack: one round's overview as a PDF (Thai official style), a PowerPoint deck and
an Excel workbook, built from a `services.overview.RoundOverview` so the files show exactly the
figures the overview page shows. One module per file (`pdf`, `pptx`, `xlsx`), what they share
in `labels` (and Thai line breaking in `text`), the colours in core/palette.py. Thai by default (`lang="en"` for English); every visible string
comes from core/catalog.yaml, dates carry Buddhist-Era years.

Everything is drawn from the bundle's DataFrames (no database access), natively: the PDF's
heatmap and trend chart are rectangles, lines and text; the deck's tables and charts are
PowerPoint tables and charts that stay editable.
"""

from services.committee_pack.labels import PACK_FONT, file_name
from services.committee_pack.meeting import PackMeeting, meeting_for
from services.committee_pack.pdf import build_pdf
from services.committee_pack.pptx import build_pptx
from services.committee_pack.text import clusters, wrap
from services.committee_pack.xlsx import build_xlsx

__all__ = [
    "PACK_FONT",
    "PackMeeting",
    "build_pdf",
    "build_pptx",
    "build_xlsx",
    "clusters",
    "file_name",
    "meeting_for",
    "wrap",
]
