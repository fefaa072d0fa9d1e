"""A meeting document (agenda or minutes) as a list of blocks, independent of the file format.

`services.meeting_docs.minutes` lays a meeting out in the official form of the Regulation on
Correspondence (ระเบียบสำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ) as these blocks; `docx` and `pdf` draw the
same blocks, so both files hold the same words in the same order. Every text here is final:
numbers, dates and Thai digits are already applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Page geometry of a Thai government document (cm): A4, top 2.5, left 3, right 2, bottom 2.
PAGE_WIDTH_CM, PAGE_HEIGHT_CM = 21.0, 29.7
MARGIN_TOP_CM, MARGIN_LEFT_CM, MARGIN_RIGHT_CM, MARGIN_BOTTOM_CM = 2.5, 3.0, 2.0, 2.0
FONT_SIZE_PT = 16  # TH Sarabun New / Sarabun 16 pt
PARAGRAPH_INDENT_CM = 2.5  # the first line of a body paragraph
ITEM_INDENT_CM = 1.25  # a numbered line (attendance row, sub-item heading) and what follows it
HEADER_DISTANCE_CM = 1.25  # the page header (page number, running head) from the top edge
# Attendance columns: number, name, position (the rest), note (role or reason, when any row has one).
NUMBER_CM, NAME_CM, NOTE_CM = ITEM_INDENT_CM, 5.5, 3.5
# A signature, from the left margin: "(ลงชื่อ) " at SIGN_LEFT_CM, dots up to SIGN_DOTS_END_CM, then
# the role; the name and position centred under the dots. The longest role ("ผู้ตรวจรายงานการประชุม",
# about 5.8 cm at 16 pt) just fits between the dots and the right margin.
SIGN_LEFT_CM, SIGN_DOTS_END_CM = 5.5, 10.0

Align = Literal["left", "center", "right", "justify"]


@dataclass(frozen=True)
class Title:
    """Centred, bold lines at the top of the first page (title, ครั้งที่, เมื่อ…, ณ …)."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    """A bold heading: a section ("ผู้มาประชุม", "ระเบียบวาระที่ 1 …") at `level` 1, a sub-item
    ("1.1 …") at level 2 (indented by ITEM_INDENT_CM)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    """Body text, justified, first line indented by PARAGRAPH_INDENT_CM. `label` is a bold lead-in
    on the same line ("มติที่ประชุม"), followed by the text. `indent` = False starts at the margin
    (e.g. "เริ่มประชุมเวลา 09.30 น.")."""

    text: str
    label: str = ""
    indent: bool = True


@dataclass(frozen=True)
class Row:
    """One numbered line of an attendance list: "1." | name | position (and "แทน …") | note.
    Drawn as aligned columns (a borderless table in DOCX)."""

    number: str
    name: str
    position: str
    note: str = ""


@dataclass(frozen=True)
class Rows:
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Signature:
    """A signature block at the right: "(ลงชื่อ) ........ <role>", "(<name>)", "<position>"."""

    role: str  # ผู้จดรายงานการประชุม / ผู้ตรวจรายงานการประชุม
    name: str
    position: str
    sign_label: str = "ลงชื่อ"


@dataclass(frozen=True)
class Spacer:
    """Vertical space of one empty line."""


Block = Title | Heading | Paragraph | Rows | Signature | Spacer


@dataclass(frozen=True)
class Document:
    """What a DOCX or PDF file holds. `running_head` appears on every page after the first, with
    the page number in the official form "- 2 -"; `demo` adds a DEMO mark to every page;
    `thai_digits` only tells renderers to draw page numbers in Thai digits too."""

    title: str  # the file's title property
    blocks: tuple[Block, ...]
    running_head: str = ""
    demo: bool = False
    demo_mark: str = "ข้อมูลตัวอย่าง"
    thai_digits: bool = False
    lang: str = "th"
    meta: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """Every word of the document in reading order, one block per line (tests read this
        beside the text extracted from the files)."""
        out: list[str] = []
        for block in self.blocks:
            if isinstance(block, Title):
                out.extend(block.lines)
            elif isinstance(block, Heading):
                out.append(block.text)
            elif isinstance(block, Paragraph):
                out.append(f"{block.label} {block.text}".strip())
            elif isinstance(block, Rows):
                out.extend(" ".join(p for p in (r.number, r.name, r.position, r.note) if p) for r in block.rows)
            elif isinstance(block, Signature):
                out.extend((f"({block.sign_label}) {block.role}", f"({block.name})", block.position))
        return "\n".join(out)
