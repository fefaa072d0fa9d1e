"""A meeting document (`document.Document`) as an editable Word file in the official Thai form:
A4, margins 2.5/3/2/2 cm, TH Sarabun New 16 pt set for Latin and complex script (Thai) alike,
Thai distributed justification, attendance lists in a borderless table, signatures at the right,
and the page number "- 2 -" at the top of every page after the first."""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.text.paragraph import Paragraph as DocxParagraph

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
    Document,
    Heading,
    Paragraph,
    Rows,
    Signature,
    Spacer,
    Title,
)

FONT = "TH Sarabun New"  # the government's standard font; Word and LibreOffice substitute it when missing
LATIN_LANG, THAI_LANG = "en-US", "th-TH"  # w:lang val (Latin text) and bidi (complex script: Thai)
CONTENT_CM = PAGE_WIDTH_CM - MARGIN_LEFT_CM - MARGIN_RIGHT_CM
SMALL_PT = 11  # the running head in the header
DEMO_PT = 12
GREY = RGBColor(0x6B, 0x72, 0x80)
RED = RGBColor(0xB9, 0x1C, 0x1C)

CELL_RIGHT_PAD_CM = 0.2

# A signature: "(ลงชื่อ) " from SIGN_LEFT_CM, dots (a dotted tab leader) up to SIGN_DOTS_END_CM, then the
# role; the name and the position are centred under the dots, right of the page's middle. (document.py holds the positions both files use.)
SIGN_LABEL_CM = 1.75  # "(ลงชื่อ) " at 16 pt
SIGN_CENTRE_CM = (SIGN_LEFT_CM + SIGN_LABEL_CM + SIGN_DOTS_END_CM) / 2


# ---------------------------------------------------------------------------- XML helpers
def _child(parent, tag: str, *, before: tuple[str, ...] = ()):
    """`parent`'s child `tag`, created (before the first of `before` present, else last) if missing."""
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        for name in before:
            anchor = parent.find(qn(name))
            if anchor is not None:
                anchor.addprevious(found)
                break
        else:
            parent.append(found)
    return found


def _set_fonts(rpr, size_pt: float | None = FONT_SIZE_PT, *, lang: bool = False) -> None:
    """The font for every script (ascii, hAnsi, eastAsia and cs: Word draws Thai with the complex
    script font and size) and the size for both (sz, szCs), theme fonts removed; `lang`: the
    languages too (Thai for the complex script)."""
    fonts = _child(rpr, "w:rFonts", before=("w:b", "w:bCs", "w:i", "w:color", "w:sz", "w:szCs", "w:lang"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    if size_pt is not None:
        half_points = str(round(size_pt * 2))
        _child(rpr, "w:sz", before=("w:szCs", "w:lang")).set(qn("w:val"), half_points)
        _child(rpr, "w:szCs", before=("w:lang",)).set(qn("w:val"), half_points)
    if lang:
        lang_el = _child(rpr, "w:lang")
        lang_el.set(qn("w:val"), LATIN_LANG)
        lang_el.set(qn("w:eastAsia"), LATIN_LANG)
        lang_el.set(qn("w:bidi"), THAI_LANG)  # Thai is a complex script: w:bidi holds its language


def _bold_cs(rpr) -> None:
    """Bold for the complex script (Thai) too: Word keeps w:b and w:bCs apart."""
    _child(rpr, "w:bCs", before=("w:i", "w:color", "w:sz", "w:szCs", "w:lang"))


def _restyle(style: BaseStyle, *, bold: bool = False) -> None:
    """A built-in style reset to the document's font and size, black, no spacing; `bold` for both
    scripts. The paragraph settings are then set through python-docx."""
    el = style.element
    for tag in ("w:pPr", "w:rPr"):
        old = el.find(qn(tag))
        if old is not None:
            el.remove(old)
    rpr = el.get_or_add_rPr()
    _set_fonts(rpr)
    if bold:
        style.font.bold = True
        _bold_cs(rpr)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if style.type == WD_STYLE_TYPE.PARAGRAPH:
        fmt = style.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing = 1.0


def _setup_styles(document) -> None:
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    rpr_default = _child(_child(defaults, "w:rPrDefault"), "w:rPr")
    _set_fonts(rpr_default, lang=True)
    spacing = _child(_child(_child(defaults, "w:pPrDefault"), "w:pPr"), "w:spacing")
    for attr in list(spacing.attrib):
        del spacing.attrib[attr]
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")

    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), lang=True)
    fmt = normal.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    fmt.widow_control = True

    title = styles["Title"]
    _restyle(title, bold=True)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.keep_with_next = True
    for level, indent in ((1, 0.0), (2, ITEM_INDENT_CM)):
        heading = styles[f"Heading {level}"]
        _restyle(heading, bold=True)
        fmt = heading.paragraph_format
        fmt.keep_with_next = fmt.keep_together = True
        fmt.left_indent = Cm(indent)
        outline = OxmlElement("w:outlineLvl")  # Word's navigation pane and the PDF bookmarks
        outline.set(qn("w:val"), str(level - 1))
        heading.element.get_or_add_pPr().append(outline)
    for name in ("Title Char", "Heading 1 Char", "Heading 2 Char"):  # the linked character styles
        if name in [s.name for s in styles]:
            _restyle(styles[name], bold=True)

    header = styles["Header"]
    _restyle(header)
    tabs = header.paragraph_format.tab_stops
    tabs.add_tab_stop(Cm(CONTENT_CM / 2), WD_TAB_ALIGNMENT.CENTER)
    tabs.add_tab_stop(Cm(CONTENT_CM), WD_TAB_ALIGNMENT.RIGHT)


# ---------------------------------------------------------------------------- page
def _setup_page(document, doc: Document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    section.top_margin, section.bottom_margin = Cm(MARGIN_TOP_CM), Cm(MARGIN_BOTTOM_CM)
    section.left_margin, section.right_margin = Cm(MARGIN_LEFT_CM), Cm(MARGIN_RIGHT_CM)
    section.header_distance = section.footer_distance = Cm(HEADER_DISTANCE_CM)
    section.gutter = Cm(0)
    section.different_first_page_header_footer = True  # page 1 carries no page number

    first = section.first_page_header
    first.is_linked_to_previous = False
    p = first.paragraphs[0]
    if doc.demo:
        p.add_run("\t\t")
        _demo_run(p, doc.demo_mark)

    p = section.header.paragraphs[0]
    if doc.running_head:
        run = p.add_run(doc.running_head)
        run.font.size = Pt(SMALL_PT)
        _set_fonts(run._r.get_or_add_rPr(), SMALL_PT)
        run.font.color.rgb = GREY
    p.add_run("\t- ")
    _page_field(p, thai=doc.thai_digits)
    p.add_run(" -")
    if doc.demo:
        p.add_run("\t")
        _demo_run(p, doc.demo_mark)
    if doc.thai_digits:  # the section's page numbers in Thai digits as well (Word: Insert > Page Number)
        sect = section._sectPr
        pg = _child(sect, "w:pgNumType", before=("w:cols", "w:formProt", "w:vAlign", "w:titlePg", "w:docGrid"))
        pg.set(qn("w:fmt"), "thaiNumbers")


def _demo_run(p: DocxParagraph, mark: str) -> None:
    run = p.add_run(mark)
    run.font.bold = True
    run.font.color.rgb = RED
    rpr = run._r.get_or_add_rPr()
    _bold_cs(rpr)
    _set_fonts(rpr, DEMO_PT)


def _page_field(p: DocxParagraph, *, thai: bool) -> None:
    """The PAGE field (begin, instruction, separate, a cached "2", end). Thai digits come from the
    section's number format (w:pgNumType thaiNumbers), which Word applies to a PAGE field without
    a format switch; not from `\\* ThaiArabic`, which LibreOffice reads as Thai letters (ก ข ค).
    LibreOffice ignores the number format and shows Arabic digits: the right number at least."""
    for kind in ("begin", "instr", "separate", "text", "end"):
        run = p.add_run()
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = " PAGE "
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = "๒" if thai else "2"
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)


# ---------------------------------------------------------------------------- blocks
def _title(document, block: Title) -> None:
    for line in block.lines:
        document.add_paragraph(line, style="Title")


def _heading(document, block: Heading) -> None:
    document.add_paragraph(block.text, style="Heading 2" if block.level >= 2 else "Heading 1")


def _paragraph(document, block: Paragraph) -> None:
    p = document.add_paragraph()
    p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.THAI_JUSTIFY  # w:jc="thaiDistribute"
    if block.indent:
        p.paragraph_format.first_line_indent = Cm(PARAGRAPH_INDENT_CM)
    if block.label:
        run = p.add_run(block.label)
        run.font.bold = True
        _bold_cs(run._r.get_or_add_rPr())
        p.add_run(" " + block.text if block.text else "")
    else:
        p.add_run(block.text)


def _no_borders(tbl) -> None:
    """No grid lines, and cells without left padding (the numbers at the margin); children put
    in the order the schema wants (tblBorders, tblLayout, tblCellMar, tblLook)."""
    tbl_pr = tbl.tblPr
    borders = _child(tbl_pr, "w:tblBorders", before=("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"))
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "nil")
        borders.append(edge)
    margins = _child(tbl_pr, "w:tblCellMar", before=("w:tblLook",))
    for side, cm in (("top", 0), ("left", 0), ("bottom", 0), ("right", CELL_RIGHT_PAD_CM)):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(round(cm * 567)))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)


def _rows(document, block: Rows) -> None:
    if not block.rows:
        return
    with_note = any(r.note for r in block.rows)
    widths = [NUMBER_CM, NAME_CM, CONTENT_CM - NUMBER_CM - NAME_CM - (NOTE_CM if with_note else 0)]
    if with_note:
        widths.append(NOTE_CM)
    table = document.add_table(rows=0, cols=len(widths))
    table.style = None
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False  # w:tblLayout fixed: the widths below hold
    _no_borders(table._tbl)
    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(round(Cm(w).twips) for w in widths)))
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in block.rows:
        cells = table.add_row().cells
        _child(table.rows[-1]._tr.get_or_add_trPr(), "w:cantSplit")  # a person's line stays on one page
        texts = [row.number, row.name, row.position, row.note][: len(widths)]
        for cell, text, width in zip(cells, texts, widths, strict=True):
            cell.width = Cm(width)
            cell.paragraphs[0].text = text
            cell.paragraphs[0].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT


def _signature(document, block: Signature) -> None:
    first = document.add_paragraph()
    fmt = first.paragraph_format
    fmt.left_indent = Cm(SIGN_LEFT_CM)
    fmt.tab_stops.add_tab_stop(Cm(SIGN_DOTS_END_CM), WD_TAB_ALIGNMENT.LEFT, WD_TAB_LEADER.DOTS)  # from the margin
    first.add_run(f"({block.sign_label}) \t {block.role}")
    # The name and the position centred under the dots: a centred paragraph whose indents are
    # symmetric about the dots' middle.
    left = max(0.0, 2 * SIGN_CENTRE_CM - CONTENT_CM)
    right = max(0.0, CONTENT_CM - 2 * SIGN_CENTRE_CM)
    lines = [first]
    for text in (f"({block.name})", block.position):
        if not text:
            continue
        p = document.add_paragraph(text)
        p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.left_indent, p.paragraph_format.right_indent = Cm(left), Cm(right)
        lines.append(p)
    for p in lines:
        p.paragraph_format.keep_together = True
    for p in lines[:-1]:
        p.paragraph_format.keep_with_next = True


def build_docx(doc: Document) -> bytes:
    """`doc` as a .docx: every text an ordinary editable paragraph or table cell, in the order of
    `doc.blocks`; TH Sarabun New 16 pt (Latin and Thai), A4 with the official margins; from page 2
    on the header holds the running head and "- 2 -" (Thai digits when `doc.thai_digits`); a demo
    document shows `doc.demo_mark` in red at the top right of every page."""
    document = new_docx()
    _setup_styles(document)
    _setup_page(document, doc)
    body = document.element.body
    for p in list(body.iterchildren(qn("w:p"))):  # the template's empty first paragraph
        body.remove(p)
    for block in doc.blocks:
        if isinstance(block, Title):
            _title(document, block)
        elif isinstance(block, Heading):
            _heading(document, block)
        elif isinstance(block, Paragraph):
            _paragraph(document, block)
        elif isinstance(block, Rows):
            _rows(document, block)
        elif isinstance(block, Signature):
            _signature(document, block)
        elif isinstance(block, Spacer):
            document.add_paragraph()
    props = document.core_properties
    props.title = doc.title
    props.language = doc.lang
    props.author = props.last_modified_by = ""
    props.comments = ""
    props.keywords = ""
    props.subject = doc.meta.get("subject", "")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
