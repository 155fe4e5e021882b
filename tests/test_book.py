"""The book as readers see it: structure, figure sizes, and the PDF's Typst rules.

Quarto cannot be installed on a machine without internet access, so most of this is checked
without it: the structure of ``_quarto.yml``, the options that fix the PDF's defects, the
stored figures' sizes, and the Typst rules themselves, compiled by Typst (the ``typst``
package) against a small stand-in for the template's relevant behaviour: chapters numbered
"1.", headings that break to an odd page, a running header with the page number, parts.
Where ``quarto`` is on PATH, the rendered book is checked too (``tests/test_report.py``
renders it once for both).
"""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
import yaml
from PIL import Image

from mnist_pipeline import config, plots
from tests.helpers import STRAY_PERIOD

ROOT = config.PROJ_ROOT
HEADER = ROOT / "report" / "typst" / "header.typ"


def quarto() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text())


def test_part_one_is_the_study_with_conclusions_right_after_the_results():
    chapters = quarto()["book"]["chapters"]
    assert chapters[0] == "index.qmd"
    (part,) = [entry for entry in chapters if isinstance(entry, dict)]
    assert part["part"] == "The study"
    study = part["chapters"]
    notebooks = sorted(
        str(p.relative_to(ROOT)) for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")
    )
    assert study[0] == "report/introduction.qmd"
    assert study[1 : 1 + len(notebooks)] == notebooks
    assert study[1 + len(notebooks) :] == [
        "report/limitations.qmd",
        "report/future-work.qmd",
        "report/conclusions.qmd",
        "report/acknowledgements.qmd",
    ]


def test_engineering_and_references_are_appendices():
    assert quarto()["book"]["appendices"] == [
        "report/notebook-structure.qmd",
        "report/model-card.qmd",
        "report/libraries.qmd",
        "report/references.qmd",
    ]
    card = (ROOT / "report" / "model-card.qmd").read_text()
    assert "{{< include _model-card.md >}}" in card
    assert (ROOT / "report" / "_model-card.md").is_file(), "the evaluation chapter writes the card"
    assert "::: {#refs}" in (ROOT / "report" / "references.qmd").read_text()


def test_pdf_and_html_options_that_fix_the_readers_defects():
    cfg = quarto()
    typst, html = cfg["format"]["typst"], cfg["format"]["html"]
    assert typst["citeproc"] is True  # one bibliography, in ::: {#refs}, styled like the HTML
    assert cfg["link-citations"] is True
    assert (ROOT / typst["include-in-header"]) == HEADER and HEADER.is_file()
    assert html["code-overflow"] == "wrap"
    assert typst["tbl-colwidths"] is False  # wide pipe tables: no fixed widths, no overlap
    css = (ROOT / html["css"]).read_text()
    assert ".cell-output pre" in css and "pre-wrap" in css


def test_the_typst_header_holds_a_rule_for_each_defect():
    text = HEADER.read_text()
    for rule in [
        "#show ref:",  # stray period after chapter numbers
        '#show pagebreak.where(to: "odd"): pagebreak(weak: true)',  # blank pages
        "#set page(footer:",  # one page number per page
        '#show block.where(fill: rgb("#f1f3f5")): set par(justify: false)',  # justified code
        "#show table.cell: set par(justify: false)",  # justified cells
        "float: true",  # white gaps
        "#show outline.where(title: none)",  # the part's contents list chapters only
    ]:
        assert rule in text, rule


def test_the_libraries_table_has_a_caption_widths_and_a_citation():
    text = (ROOT / "report" / "libraries.qmd").read_text()
    div = re.search(
        r'::: \{#tbl-libraries tbl-colwidths="\[(\d+),(\d+),(\d+)\]"\}(.*?)\n:::', text, re.DOTALL
    )
    assert div, "the generated table sits in a {#tbl-libraries} div with tbl-colwidths"
    assert sum(int(w) for w in div.groups()[:3]) == 100
    assert "{{< include _versions.md >}}" in div.group(4)
    caption = div.group(4).strip().splitlines()[-1]
    assert caption and not caption.startswith(("|", "{{<"))
    assert "@tbl-libraries" in text


def test_the_abstract_states_headline_results_from_variables_with_their_chapters():
    text = (ROOT / "index.qmd").read_text()
    abstract = text.split("## How to read this book")[0]
    for variable in [
        "champion.test_accuracy",
        "robustness.model_4_min",
        "mnistc.model_4_mean",
        "model_4.test_looks",
        "logistic.test_accuracy",
    ]:
        assert "{{< var " + variable + " >}}" in abstract
    for section in ["@sec-evaluation", "@sec-baselines", "@sec-prediction", "@sec-serving"]:
        assert section in abstract


def stored_pngs():
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                if png:
                    yield path.name, Image.open(io.BytesIO(base64.b64decode(png)))


def test_stored_figures_fit_the_page_and_print_sharply():
    """At most 7 inches wide at 150 dpi or more (the PNG records its resolution)."""
    pngs = list(stored_pngs())
    assert len(pngs) >= 15
    for name, png in pngs:
        dpi = png.info.get("dpi", (72, 72))[0]
        assert dpi >= plots.PNG_DPI - 0.5, f"{name}: {dpi:.0f} dpi"
        assert png.width / dpi <= plots.MAX_WIDTH_IN + 0.01, (
            f"{name}: {png.width / dpi:.1f} in wide"
        )


# A stand-in for the template's behaviour that the rules correct (Quarto's book template for
# Typst, orange-book): chapters numbered "1.", each starting on an odd page, a running header
# with the page number, a part page that sets the state the header reads.
MOCK_TEMPLATE = r"""
#let part-change = state("part-change", false)
#let part(title) = {
  part-change.update(true); pagebreak(to: "odd"); text(size: 30pt, title)
  align(bottom, box(width: 8cm, outline(depth: 2, indent: 0em, title: none)))
}
#let book(body) = {
  set page(paper: "a4", numbering: "1", header: context {
    let chapter-page = query(heading.where(level: 1)).any(h => h.location().page() == here().page())
    if chapter-page or part-change.get() { return }
    [Running header #h(1fr) page #counter(page).display()]
  })
  set heading(numbering: (..n) => if n.pos().len() == 1 { numbering("1.", ..n) } else { numbering("1.1", ..n) })
  show heading.where(level: 1): set heading(supplement: [Chapter])
  show heading: it => { if it.level == 1 { pagebreak(to: "odd"); part-change.update(false) }; it }
  show figure: it => align(center)[#it #v(2.6em, weak: true)]
  set par(justify: true)
  body
}
"""

MOCK_BODY = r"""
#show: book
#part[The study]
= Introduction <sec-intro>
== A section of the introduction
As @sec-data shows (@sec-models), and @sec-models gives the rest. As in @sec-data. #lorem(60)
#figure(rect(width: 4cm, height: 14cm), caption: [A tall figure], kind: "quarto-float-fig", supplement: [Figure]) <fig-tall>
#lorem(500)
= Data <sec-data>
#block(fill: rgb("#f1f3f5"), width: 100%, inset: 8pt)[#raw("balance = data.class_balance(splits.y_train, splits.y_val, names=[\"train\", \"validation\"], normalise=True)")]
Back to @sec-intro (@sec-intro).
= Models <sec-models>
#lorem(40)
"""


@pytest.fixture(scope="module")
def mock_pdf(tmp_path_factory):
    typst = pytest.importorskip("typst", reason="the typst package compiles the Typst rules")
    pypdf = pytest.importorskip("pypdf")
    directory = tmp_path_factory.mktemp("typst")
    (directory / "template.typ").write_text(MOCK_TEMPLATE)
    main = directory / "book.typ"
    # Quarto's order: the header first, then the template's import, then the body.
    main.write_text(HEADER.read_text() + '\n#import "template.typ": book, part\n' + MOCK_BODY)
    reader = pypdf.PdfReader(io.BytesIO(typst.compile(str(main))))
    return [page.extract_text() for page in reader.pages]


def test_typst_rules_compile_and_write_chapter_references_without_a_period(mock_pdf):
    text = "\n".join(mock_pdf)
    assert re.search(r"Chapter\s2\b", text) and re.search(r"Chapter\s1\b", text)
    assert not STRAY_PERIOD.search(text), "a stray period after a chapter number"
    assert "Chapter\xa02." in text  # a period that ends a sentence stays


def test_typst_rules_leave_no_blank_page_and_number_each_page_once(mock_pdf):
    assert all(page.strip() for page in mock_pdf), "a blank page"
    assert len(mock_pdf) == 5  # the part, chapter 1 and its continuation, chapters 2 and 3
    for number, page in enumerate(mock_pdf, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        numbers = [line for line in lines if re.fullmatch(rf"(page )?{number}", line)]
        header = [line for line in lines if line.startswith("Running header")]
        expected = 0 if number == 1 else 1  # the part's page carries neither header nor number
        assert len(numbers) + len(header) == expected, (number, lines)


def test_typst_rules_list_only_chapters_on_the_part_page(mock_pdf):
    part = mock_pdf[0]
    assert "Introduction" in part and "Models" in part
    assert "A section of the introduction" not in part


def test_typst_rules_float_a_figure_below_the_chapter_title(mock_pdf):
    opening = mock_pdf[1]
    assert opening.index("1. Introduction") < opening.index("Figure")


def test_typst_rules_keep_a_table_after_its_code_and_break_it_across_pages(tmp_path):
    typst = pytest.importorskip("typst", reason="the typst package compiles the Typst rules")
    pypdf = pytest.importorskip("pypdf")
    rows = ", ".join(f"[row {i:02d}], [{i}]" for i in range(70))
    body = (
        "#show: book\n= Tables <sec-tables>\n#lorem(300)\n"
        '#block(fill: rgb("#f1f3f5"), width: 100%, inset: 8pt)[#raw("md_table(long)")]\n'
        f'#figure(table(columns: 2, {rows}), caption: [A long table], kind: "quarto-float-tbl", '
        "supplement: [Table])\nAfter the table.\n"
    )
    (tmp_path / "template.typ").write_text(MOCK_TEMPLATE)
    main = tmp_path / "book.typ"
    main.write_text(HEADER.read_text() + '\n#import "template.typ": book, part\n' + body)
    pages = [
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(typst.compile(str(main)))).pages
    ]
    text = "\n".join(pages)
    assert text.index("md_table(long)") < text.index("row 00") < text.index("row 69")
    assert text.index("row 69") < text.index("After the table.")
    first = next(i for i, page in enumerate(pages) if "row 00" in page)
    assert "md_table(long)" in pages[first], "the table left its code's page"
    assert "row 69" not in pages[first], "the table did not break across pages"


def test_the_typst_header_compiles_alone_in_an_empty_document(tmp_path):
    """Quarto includes the header before the template's imports: a template symbol in it
    (``part``, ``book``...) fails the whole PDF with "unknown variable"."""
    typst = pytest.importorskip("typst", reason="the typst package compiles the Typst rules")
    main = tmp_path / "alone.typ"
    main.write_text(HEADER.read_text() + "\n= A chapter\nSome text.\n")
    assert typst.compile(str(main))[:4] == b"%PDF"


def test_a_template_symbol_in_the_header_would_be_caught(tmp_path):
    typst = pytest.importorskip("typst", reason="the typst package compiles the Typst rules")
    main = tmp_path / "broken.typ"
    main.write_text(HEADER.read_text() + "\n#let mnist-template-part = part\n")
    with pytest.raises(Exception, match="unknown variable: part"):
        typst.compile(str(main))


# A shortcode shown as code must be escaped `{{{< var x >}}}`: Quarto still parses `{{< var >}}`
# inside inline code and aborts the render ("Cannot get Attr from TypeNil", shortcodes.lua).
UNESCAPED_SHORTCODE = re.compile(r"(?<!\{)\{\{<")
FENCED = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)


def code_spans(markdown: str) -> list[str]:
    """The fenced blocks and inline code spans of a Markdown text."""
    blocks = [m.group(0) for m in FENCED.finditer(markdown)]
    rest = FENCED.sub("", markdown)
    return blocks + [m.group(2) for m in INLINE_CODE.finditer(rest)]


def markdown_sources():
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")):
        for number, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "markdown":
                yield f"{path.name} cell {number}", "".join(cell["source"])
    for path in [
        ROOT / "README.md",
        *sorted(ROOT.glob("*.qmd")),
        *sorted(ROOT.glob("report/*.qmd")),
    ]:
        yield str(path.relative_to(ROOT)), path.read_text()


def test_code_spans_find_an_unescaped_shortcode():
    spans = code_spans("Write `{{< var x >}}` or\n```\n{{< var y >}}\n```\nnot {{< var z >}}.")
    assert [bool(UNESCAPED_SHORTCODE.search(s)) for s in spans] == [True, True]
    assert not any(UNESCAPED_SHORTCODE.search(s) for s in code_spans("`{{{< var x >}}}`"))


def test_no_unescaped_shortcode_is_shown_as_code():
    offenders = [
        f"{where}: {span.strip()[:60]}"
        for where, text in markdown_sources()
        for span in code_spans(text)
        if UNESCAPED_SHORTCODE.search(span)
    ]
    assert not offenders, "write {{{< ... >}}} in code: " + "; ".join(offenders)


def code_cells():
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")):
        for number, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                yield f"{path.name} cell {number}", "".join(cell["source"])


def test_every_figure_has_alt_text():
    figures = [(where, src) for where, src in code_cells() if "#| label: fig-" in src]
    assert len(figures) >= 21
    missing = [where for where, src in figures if "#| fig-alt:" not in src]
    assert not missing, f"figures without fig-alt: {missing}"


def test_the_percent_sign_never_starts_a_line_in_prose():
    """One percent style: a non-breaking space between a number and "%", everywhere in prose."""
    offenders = [
        where
        for where, text in markdown_sources()
        if where != "README.md" and re.search(r"(?<![=\w.])\d+(?:\.\d+)? ?%", FENCED.sub("", text))
    ]
    assert not offenders, offenders


@pytest.mark.parametrize(
    "text",
    [
        "as shown in (Chapter 4.) above",
        "Chapter 7. gives the details",
        "see Chapter 2.. Then",
        "see Chapter 4.\nfor the details",
        "see Chapter\xa04.  \n  where the model",
    ],
)
def test_stray_period_pattern_finds_the_templates_period(text):
    assert STRAY_PERIOD.search(text)


@pytest.mark.parametrize(
    "text",
    [
        # the false alarm of the real render: a sentence ends, a code block follows
        "the test set waits until Chapter 10.\nsplits = prepare.make_splits(mnist, seed=SEED)",
        "until Chapter 10.\nmd_table(data.shapes_table(x_train=splits.x_train))",
        "until Chapter 10.\nfrom mnist_pipeline import data",
        "until Chapter 10.\nimport numpy as np",
        "described in Chapter 3. The next step",
        "in Chapter 3, the baselines",
        "Chapter 12 has no period",
    ],
)
def test_stray_period_pattern_lets_sentences_and_code_be(text):
    assert not STRAY_PERIOD.search(text), text
