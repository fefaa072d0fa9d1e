"""A meeting document (`document.Document`) as a PDF in the official Thai form: A4 with the margins
of the Regulation on Correspondence, Sarabun 16 pt embedded, Thai shaped by HarfBuzz and broken
between dictionary words (`services.committee_pack.text.wrap`), attendance lists in aligned
columns, signatures at the right, the page number "- 2 -" at the top of every page after the first.

Body paragraphs are justified by spreading a line's spare width evenly between its letters, the
PDF's counterpart of Word's Thai distributed justification (w:jc="thaiDistribute"; a line without
Thai spreads it between words); a line too short for that, and a paragraph's last line, stay
left-aligned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.thaidate import thai_digits
from services.committee_pack.text import THAI, clusters, fit, wrap
from services.meeting_docs.document import (
    FONT_SIZE_PT,
    HEADER_DISTANCE_CM,
    ITEM_INDENT_CM,
    MARGIN_BOTTOM_CM,
    MARGIN_LEFT_CM,
    MARGIN_RIGHT_CM,
    MARGIN_TOP_CM,
    NAME_CM,
    NOTE_CM,
    NUMBER_CM,
    PAGE_HEIGHT_CM,
    PAGE_WIDTH_CM,
    PARAGRAPH_INDENT_CM,
    SIGN_DOTS_END_CM,
    SIGN_LEFT_CM,
    Block,
    Document,
    Heading,
    Paragraph,
    Rows,
    Signature,
    Spacer,
    Title,
)

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT = "Sarabun"

PAGE_W, PAGE_H = PAGE_WIDTH_CM * 10, PAGE_HEIGHT_CM * 10  # mm
LEFT, TOP = MARGIN_LEFT_CM * 10, MARGIN_TOP_CM * 10
RIGHT, BOTTOM = PAGE_W - MARGIN_RIGHT_CM * 10, PAGE_H - MARGIN_BOTTOM_CM * 10
CONTENT_W = RIGHT - LEFT
LINE_H = 8.0  # mm: one line of Sarabun 16 pt with room for Thai marks above and below
HEADER_Y = HEADER_DISTANCE_CM * 10  # the header line's top (mm)
SMALL_PT, DEMO_PT = 11, 12
GREY, RED, BLACK = (107, 114, 128), (185, 28, 28), (0, 0, 0)

# Attendance columns (mm): number, name, position (the rest) and a note when any row has one.
NUMBER_W, NAME_W, NOTE_W = NUMBER_CM * 10, NAME_CM * 10, NOTE_CM * 10  # mm
CELL_PAD = 2.0  # right padding inside a column
# A signature (mm from the left margin, as in the DOCX): "(ลงชื่อ) " at SIGN_LEFT, dots up to
# SIGN_DOTS_END, then the role; name and position centred under the dots.
SIGN_LEFT, SIGN_DOTS_END = SIGN_LEFT_CM * 10, SIGN_DOTS_END_CM * 10  # mm
MAX_GAP = 0.8  # mm: a justified line spreads at most this much extra space between two letters
MAX_WORD_GAP = 6.0  # mm: the same between two words of a line without Thai
LEADING_VOWELS = "เแโใไ"  # written before the consonant they follow in speech


def _fpdf_class():  # fpdf is imported lazily: a Streamlit page imports this module
    from fpdf import FPDF

    class _Pdf(FPDF):
        def __init__(self, doc: Document) -> None:
            super().__init__(orientation="P", unit="mm", format="A4")
            self.doc = doc
            for style, file in (("", "Regular"), ("B", "Bold")):
                self.add_font(FONT, style, str(FONT_DIR / f"Sarabun-{file}.ttf"))
            self.set_text_shaping(True)  # HarfBuzz places Thai vowels and tone marks
            self.set_margins(LEFT, TOP, PAGE_W - RIGHT)
            self.set_auto_page_break(False)  # the builder breaks pages itself (keeps, widows)
            self.c_margin = 0

        def cell(self, w=None, h=None, text="", *args, **kwargs):
            """Plain ASCII needs no shaping: skipping HarfBuzz for it is faster."""
            if self.text_shaping and str(text).isascii():
                saved, self.text_shaping = self.text_shaping, None
                try:
                    return super().cell(w, h, text, *args, **kwargs)
                finally:
                    self.text_shaping = saved
            return super().cell(w, h, text, *args, **kwargs)

        def font(self, size: float = FONT_SIZE_PT, style: str = "", colour: tuple[int, int, int] = BLACK) -> None:
            self.set_font(FONT, style, size)
            self.set_text_color(*colour)

        def header(self) -> None:
            doc, page = self.doc, self.page_no()
            if doc.demo:
                self.font(DEMO_PT, "B", RED)
                self.set_xy(LEFT, HEADER_Y)
                self.cell(CONTENT_W, LINE_H, doc.demo_mark, align="R")
            if page >= 2:
                number = f"- {page} -"
                self.font()
                self.set_xy(LEFT, HEADER_Y)
                self.cell(CONTENT_W, LINE_H, thai_digits(number) if doc.thai_digits else number, align="C")
                if doc.running_head:
                    number_w = self.get_string_width("- 0000 -")
                    self.font(SMALL_PT, colour=GREY)
                    room = CONTENT_W / 2 - number_w / 2 - 3
                    self.set_xy(LEFT, HEADER_Y)
                    self.cell(room, LINE_H, fit(self.get_string_width, doc.running_head, room))
            self.font()
            self.set_y(TOP)

    return _Pdf


def _letters(text: str) -> list[str]:
    """`text` cut where letter spacing may go: between grapheme clusters, keeping a leading vowel
    with its consonant, sara am (ำ, which HarfBuzz shapes with the tone mark before it) with the
    cluster before it, a space with the letter before it, and a run of non-Thai characters (a
    Latin word, a number, "(Covid-19)") whole: only Thai is spread letter by letter."""
    units: list[str] = []
    glue = False
    for cluster in clusters(text):
        latin = not THAI.match(cluster) and not cluster.isspace()
        after_latin = bool(units) and not THAI.search(units[-1][-1]) and not units[-1][-1].isspace()
        if units and (glue or cluster[0] == "\u0e33" or cluster.isspace() or (latin and after_latin)):
            units[-1] += cluster
        else:
            units.append(cluster)
        glue = cluster[-1] in LEADING_VOWELS
    return units


def _wrap_name(measure: Callable[[str], float], name: str, width: float) -> list[str]:
    """A person's name broken at its spaces (between title-and-first-name and surname), not inside
    a name as a dictionary would; a part wider than the column is wrapped as text."""
    lines: list[str] = []
    for part in name.split():
        if lines and measure(f"{lines[-1]} {part}") <= width:
            lines[-1] += f" {part}"
        else:
            lines += wrap(measure, part, width)
    return lines or [""]


@dataclass
class _Line:
    text: str
    x: float  # from the left margin
    width: float  # the room the line may fill (justification)
    label: str = ""  # bold lead-in drawn before the text
    justify: bool = False


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.pdf = _fpdf_class()(doc)
        self._widths: dict[str, dict[str, float]] = {}

    # ------------------------------------------------------------------ primitives
    @property
    def y(self) -> float:
        return self.pdf.get_y()

    def room(self) -> float:
        return BOTTOM - self.y

    def new_page(self) -> None:
        self.pdf.add_page()
        self.pdf.set_y(TOP)

    def need(self, height: float) -> None:
        if height > self.room() + 0.01 and self.y > TOP + 0.01:
            self.new_page()

    def measure(self, style: str = "") -> Callable[[str], float]:
        """The width of a text at 16 pt in `style` (and that font set), remembered: fpdf's
        measuring runs the bidi algorithm each time, and the same words come back often."""
        self.pdf.font(style=style)
        cache = self._widths.setdefault(style, {})

        def width(text: str) -> float:
            if text not in cache:
                self.pdf.font(style=style)
                cache[text] = self.pdf.get_string_width(text)
            return cache[text]

        return width

    def draw(self, line: _Line, style: str = "", align: str = "L") -> None:
        pdf = self.pdf
        x, y = LEFT + line.x, self.y
        if line.label:
            label_w = self.measure("B")(line.label + " ")
            pdf.font(style="B")
            pdf.set_xy(x, y)
            pdf.cell(label_w, LINE_H, line.label)
            x += label_w
        if line.justify and self._justify(line.text, x, y, LEFT + line.x + line.width - x, style):
            return
        pdf.font(style=style)
        pdf.set_xy(x, y)
        pdf.cell(LEFT + line.x + line.width - x, LINE_H, line.text, align=align)

    def _justify(self, text: str, x: float, y: float, width: float, style: str = "") -> bool:
        """Draw `text` filling `width`, the spare space spread evenly between its letters (each a
        consonant with its vowels and tone marks: HarfBuzz still places the marks), as Word's
        Thai distributed justification does; False (nothing drawn) for a line too short for it."""
        pdf = self.pdf
        thai = THAI.search(text) is not None
        units = _letters(text) if thai else re.findall(r"\S+\s*", text)  # Latin: words, as usual
        if len(units) < (8 if thai else 2):
            return False
        measure = self.measure(style)
        widths = [measure(u) for u in units]
        gap = (width - sum(widths)) / (len(units) - 1)
        if gap < 0 or gap > (MAX_GAP if thai else MAX_WORD_GAP):
            return False
        pdf.font(style=style)
        for unit, w in zip(units, widths, strict=True):
            if not unit.isspace():
                pdf.set_xy(x, y)
                pdf.cell(w, LINE_H, unit)
            x += w + gap
        return True

    def lines_down(self, lines: list[_Line], style: str = "", align: str = "L") -> None:
        for line in lines:
            self.draw(line, style, align)
            self.pdf.set_y(self.y + LINE_H)

    # ------------------------------------------------------------------ blocks as lines
    def title_lines(self, block: Title) -> list[_Line]:
        measure = self.measure("B")
        return [_Line(t, 0, CONTENT_W) for text in block.lines for t in wrap(measure, text, CONTENT_W)]

    def heading_lines(self, block: Heading) -> list[_Line]:
        indent = ITEM_INDENT_CM * 10 if block.level >= 2 else 0.0
        return [_Line(t, indent, CONTENT_W - indent) for t in wrap(self.measure("B"), block.text, CONTENT_W - indent)]

    def paragraph_lines(self, block: Paragraph) -> list[_Line]:
        """The first line after the indent and the bold label, the others at the margin."""
        measure = self.measure()
        indent = PARAGRAPH_INDENT_CM * 10 if block.indent else 0.0
        label_w = self.measure("B")(block.label + " ") if block.label else 0.0
        first_w = CONTENT_W - indent - label_w
        text = block.text
        # wrap() builds each line from the words in order, so the first line is a prefix of the text
        first = wrap(measure, text, first_w)[0] if text and first_w > 0 else ""
        lines = [_Line(first, indent, CONTENT_W - indent, label=block.label)]
        if text.startswith(first):
            rest = text[len(first) :].lstrip()
            lines += [_Line(t, 0, CONTENT_W) for t in wrap(measure, rest, CONTENT_W)] if rest else []
        else:  # not expected; every line then as narrow as the first, so nothing is lost
            lines = [_Line(t, 0, first_w) for t in wrap(measure, text, first_w)]
            lines[0] = _Line(lines[0].text, indent, CONTENT_W - indent, label=block.label)
        for line in lines[:-1]:
            line.justify = True
        return lines

    def row_cells(self, block: Rows) -> tuple[list[float], list[list[list[str]]]]:
        with_note = any(r.note for r in block.rows)
        widths = [NUMBER_W, NAME_W, CONTENT_W - NUMBER_W - NAME_W - (NOTE_W if with_note else 0)]
        if with_note:
            widths.append(NOTE_W)
        measure = self.measure()
        cells = [
            [
                (_wrap_name if i == 1 else wrap)(measure, text, w - CELL_PAD) if text else [""]
                for i, (text, w) in enumerate(zip((r.number, r.name, r.position, r.note), widths, strict=False))
            ]
            for r in block.rows
        ]
        return widths, cells

    def signature_parts(self, block: Signature) -> tuple[float, float, int, list[str], list[str], list[str], float]:
        """(label width, dot width, number of dots, role lines, name lines, position lines, centre)."""
        measure = self.measure()
        label_w = measure(f"({block.sign_label}) ")
        dot_w = measure(".")
        start = SIGN_LEFT + label_w
        dots = max(8, int((SIGN_DOTS_END - start) / dot_w))
        end = start + dots * dot_w
        role = wrap(measure, block.role, CONTENT_W - end - measure(" ")) if block.role else []
        centre = (start + end) / 2
        half = min(centre, CONTENT_W - centre)
        name = wrap(measure, f"({block.name})", 2 * half)
        position = wrap(measure, block.position, 2 * half) if block.position else []
        return label_w, dot_w, dots, role, name, position, centre

    def first_height(self, blocks: tuple[Block, ...], i: int) -> float:
        """What must share the page with the top of block `i`: a heading with what follows it
        (headings in a row all together), two lines of a paragraph, an attendance row, a whole
        signature."""
        if i >= len(blocks):
            return 0.0
        block = blocks[i]
        if isinstance(block, Heading):
            return len(self.heading_lines(block)) * LINE_H + self.first_height(blocks, i + 1)
        if isinstance(block, Paragraph):
            return min(2, len(self.paragraph_lines(block))) * LINE_H
        if isinstance(block, Rows) and block.rows:
            return max(len(c) for c in self.row_cells(Rows(block.rows[:1]))[1][0]) * LINE_H
        if isinstance(block, Signature):
            return self.signature_height(block)
        return LINE_H

    def signature_height(self, block: Signature) -> float:
        _, _, _, role, name, position, _ = self.signature_parts(block)
        return (max(1, len(role)) + len(name) + len(position)) * LINE_H

    # ------------------------------------------------------------------ blocks drawn
    def title(self, block: Title) -> None:
        lines = self.title_lines(block)
        self.need(len(lines) * LINE_H + LINE_H)
        self.lines_down(lines, "B", "C")

    def heading(self, blocks: tuple[Block, ...], i: int) -> None:
        self.need(self.first_height(blocks, i))  # never alone at the foot of a page
        self.lines_down(self.heading_lines(blocks[i]), "B")

    def paragraph(self, block: Paragraph) -> None:
        lines = self.paragraph_lines(block)
        while lines:
            fits = int((self.room() + 0.01) // LINE_H)
            if len(lines) <= fits:
                take = len(lines)
            elif fits < 2 and self.y > TOP + 0.01:  # no single first line at the foot of a page
                self.new_page()
                continue
            else:
                take = max(1, fits - 1 if len(lines) - fits == 1 and fits >= 3 else fits)  # nor a last one alone
            self.lines_down(lines[:take])
            lines = lines[take:]
            if lines:
                self.new_page()

    def rows(self, block: Rows) -> None:
        if not block.rows:
            return
        widths, cells = self.row_cells(block)
        pdf = self.pdf
        for row in cells:
            h = max(len(c) for c in row) * LINE_H
            self.need(h)
            y, x = self.y, LEFT
            pdf.font()
            for lines, w in zip(row, widths, strict=False):
                for i, text in enumerate(lines):
                    pdf.set_xy(x, y + i * LINE_H)
                    pdf.cell(w - CELL_PAD, LINE_H, text)
                x += w
            pdf.set_y(y + h)

    def signature(self, block: Signature) -> None:
        pdf = self.pdf
        self.need(self.signature_height(block))  # the block stays together
        label_w, dot_w, dots, role, name, position, centre = self.signature_parts(block)
        y = self.y
        pdf.font()
        pdf.set_xy(LEFT + SIGN_LEFT, y)
        pdf.cell(label_w, LINE_H, f"({block.sign_label})")
        pdf.set_xy(LEFT + SIGN_LEFT + label_w, y)
        pdf.cell(dots * dot_w, LINE_H, "." * dots)
        role_x = LEFT + SIGN_LEFT + label_w + dots * dot_w + pdf.get_string_width(" ")
        for i, text in enumerate(role):
            pdf.set_xy(role_x, y + i * LINE_H)
            pdf.cell(RIGHT - role_x, LINE_H, text)
        pdf.set_y(y + max(1, len(role)) * LINE_H)
        half = min(centre, CONTENT_W - centre)
        for text in name + position:
            pdf.set_xy(LEFT + centre - half, self.y)
            pdf.cell(2 * half, LINE_H, text, align="C")
            pdf.set_y(self.y + LINE_H)

    def build(self) -> bytes:
        doc, pdf = self.doc, self.pdf
        pdf.set_title(doc.title)
        pdf.set_lang(doc.lang)
        pdf.set_creator("reform-dashboard")
        self.new_page()
        blocks = doc.blocks
        for i, block in enumerate(blocks):
            if isinstance(block, Title):
                self.title(block)
            elif isinstance(block, Heading):
                self.heading(blocks, i)
            elif isinstance(block, Paragraph):
                self.paragraph(block)
            elif isinstance(block, Rows):
                self.rows(block)
            elif isinstance(block, Signature):
                self.signature(block)
            elif isinstance(block, Spacer) and self.y > TOP + 0.01:  # no blank line at a page's top
                pdf.set_y(self.y + LINE_H)
        return bytes(pdf.output())


def build_pdf(doc: Document) -> bytes:
    """`doc` as an A4 PDF: Sarabun 16 pt embedded, Thai shaped by HarfBuzz and broken between
    words; from page 2 on the header holds the running head and "- 2 -" (Thai digits when
    `doc.thai_digits`); a demo document shows `doc.demo_mark` in red at the top right of every
    page. The same words in the same order as `doc.text()` and the DOCX."""
    return _Builder(doc).build()
