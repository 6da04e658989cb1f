"""fundtracker.pdf: a document laid out in parts, side by side, and joined with its footer and
page numbers as if it had been laid out whole."""

import io
import re
import shutil
import subprocess

import pikepdf
import pytest
from django.template import Context, Template

from fundtracker import pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) reads the PDFs"
)

PART = Template(
    '{% extends "pdf/base.html" %}'
    "{% block title %}Joined document{% endblock %}"
    '{% block page_number %}""{% endblock %}'
    "{% block style %}@page { @bottom-left { content: none; } @bottom-right { content: none; } }"
    "section + section { break-before: page; }{% endblock %}"
    "{% block content %}{% for title in titles %}<section><h2>{{ title }}</h2>"
    "<p>Text of {{ title }}.</p></section>{% endfor %}{% endblock %}"
)
FOOTER = Template(
    '{% extends "pdf/base.html" %}'
    '{% block page_number %}""{% endblock %}'
    "{% block footer %}Joined footer · not for publication{% endblock %}"
)
WHOLE = Template(
    '{% extends "pdf/base.html" %}'
    "{% block footer %}Joined footer · not for publication{% endblock %}"
    "{% block style %}section + section { break-before: page; }{% endblock %}"
    "{% block content %}{% for title in titles %}<section><h2>{{ title }}</h2>"
    "<p>Text of {{ title }}.</p></section>{% endfor %}{% endblock %}"
)


def render(template: Template, **context) -> str:
    return template.render(Context(context))


def pages_text(document: bytes, tmp_path) -> list[str]:
    """The text of each page, as pdftotext lays it out, spaces collapsed."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "document.pdf"
    path.write_bytes(document)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [re.sub(r"\s+", " ", page).strip() for page in out.split("\f")[:-1]]


def words(document: bytes, tmp_path, page: int) -> dict[str, tuple[float, ...]]:
    """Each word of a page with its box (x min, y min, x max, y max), from pdftotext."""
    path = tmp_path / "boxes.pdf"
    path.write_bytes(document)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = {}
    for match in re.finditer(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        out,
    ):
        found.setdefault(match.group(5), tuple(float(v) for v in match.groups()[:4]))
    return found


PARTS = [["Alpha", "Bravo"], ["Charlie"], ["Delta", "Echo", "Foxtrot"]]


@pytest.mark.parametrize("cpus", [1, 2], ids=["one process", "worker processes"])
def test_parts_are_joined_in_order_with_the_footer_and_numbers_on_every_page(
    cpus, monkeypatch, tmp_path
):
    monkeypatch.setattr(pdf.os, "cpu_count", lambda: cpus)
    parts = (render(PART, titles=titles) for titles in PARTS)

    document = pdf.join([pdf.Part(html=html) for html in parts], footer=render(FOOTER)).pdf

    pages = pages_text(document, tmp_path)
    titles = [title for titles in PARTS for title in titles]
    assert len(pages) == len(titles)
    for number, (title, page) in enumerate(zip(titles, pages, strict=True), start=1):
        assert page.startswith(f"{title} Text of {title}.")
        assert "Joined footer · not for publication" in page
        assert page.endswith(f"Page {number} of {len(titles)}")
    with pikepdf.open(io.BytesIO(document)) as joined, joined.open_outline() as outline:
        assert [item.title for item in outline.root] == titles
        assert str(joined.docinfo.Title) == "Joined document"


def test_the_number_and_footer_are_where_a_document_laid_out_whole_has_them(tmp_path):
    titles = [f"Section {n}" for n in range(1, 13)]
    whole = pdf.html_to_pdf(render(WHOLE, titles=titles))
    joined = pdf.join(
        [
            pdf.Part(html=render(PART, titles=titles[:5])),
            pdf.Part(html=render(PART, titles=titles[5:])),
        ],
        footer=render(FOOTER),
    ).pdf

    assert pages_text(joined, tmp_path) == pages_text(whole, tmp_path)
    for page in (1, 7, 12):
        laid_out, stamped = words(whole, tmp_path, page), words(joined, tmp_path, page)
        for word in ("Page", str(page), "of", "12", "Joined", "publication"):
            x_min, _, x_max, y_max = laid_out[word]
            # Helvetica and Liberation Sans have the same widths; their boxes' heights differ
            # by their ascents and descents, which pdftotext counts, not their baselines.
            assert stamped[word][0] == pytest.approx(x_min, abs=0.05)
            assert stamped[word][2] == pytest.approx(x_max, abs=0.05)
            assert stamped[word][3] == pytest.approx(y_max, abs=0.1)


def page_image(document: bytes, tmp_path, page: int):
    """A page drawn by pdftoppm, in grey, at 40 dots an inch."""
    from PIL import Image

    path = tmp_path / "drawn.pdf"
    path.write_bytes(document)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "40",
            "-gray",
            "-f",
            str(page),
            "-l",
            str(page),
            path,
            tmp_path / "drawn",
        ],
        check=True,
    )
    (drawn,) = tmp_path.glob("drawn-*.pgm")
    image = Image.open(drawn)
    image.load()
    drawn.unlink()
    return image


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm draws the pages")
def test_the_footer_drawn_over_a_page_hides_nothing_of_it(tmp_path):
    from PIL import ImageChops

    titles = ["Alpha", "Bravo"]
    whole = pdf.html_to_pdf(render(WHOLE, titles=titles))
    joined = pdf.join([pdf.Part(html=render(PART, titles=titles))], footer=render(FOOTER)).pdf

    for page in (1, 2):
        laid_out, stamped = page_image(whole, tmp_path, page), page_image(joined, tmp_path, page)
        width, height = laid_out.size
        # Above the footer's rule: the page number is set in another font.
        above = (0, 0, width, height * 0.9)
        assert laid_out.crop(above).getextrema()[0] < 128  # something is drawn there
        # The same to a grey level or so: the two are drawn with different subsets of the font.
        difference = ImageChops.difference(laid_out.crop(above), stamped.crop(above))
        assert difference.getextrema()[1] <= 8


CAPTIONED = Template(
    '{% extends "pdf/base.html" %}'
    '{% block page_number %}""{% endblock %}'
    "{% block style %}@page { @bottom-left { content: none; } @bottom-right { content: none; } }"
    "{% endblock %}"
    '{% block content %}<p class="pdf-caption">{{ caption|default:"&nbsp;" }}</p>'
    "<h2>Kept part</h2><p>Text of the kept part.</p>{% endblock %}"
)


def test_a_caption_written_at_the_join_sits_where_the_layout_puts_it(tmp_path):
    caption = "Rank 12 · Funded within envelope · PTF-2016-0042"
    footer = render(FOOTER)
    laid_out = pdf.join([pdf.Part(html=render(CAPTIONED, caption=caption))], footer=footer).pdf
    kept = pdf.lay_out(render(CAPTIONED))
    written = pdf.join([pdf.Part(laid_out=kept, caption=caption)], footer=footer).pdf

    assert pages_text(written, tmp_path) == pages_text(laid_out, tmp_path)
    expected, stamped = words(laid_out, tmp_path, 1), words(written, tmp_path, 1)
    for word in ("Rank", "12", "Funded", "PTF-2016-0042", "Kept"):
        x_min, _, x_max, y_max = expected[word]
        assert stamped[word][0] == pytest.approx(x_min, abs=0.05)
        assert stamped[word][2] == pytest.approx(x_max, abs=0.05)
        assert stamped[word][3] == pytest.approx(y_max, abs=0.1)


def test_a_part_laid_out_ahead_shares_the_whole_font_with_the_others(tmp_path):
    kept = pdf.lay_out(render(PART, titles=["Alpha"]))
    files = kept.font_files
    kept = pdf.LaidOut(kept.pdf, kept.fonts)  # as kept: the font files apart

    joined = pdf.join(
        [pdf.Part(html=render(PART, titles=["Bravo"])), pdf.Part(laid_out=kept)],
        footer=render(FOOTER),
        font_files=files,
    ).pdf

    assert [page.split(" Joined")[0] for page in pages_text(joined, tmp_path)] == [
        "Bravo Text of Bravo.",
        "Alpha Text of Alpha.",
    ]
    streams = {
        descendant.FontDescriptor.FontFile2.objgen
        for page in pikepdf.open(io.BytesIO(joined)).pages
        for font in page.Resources.Font.values()
        for descendant in font.get("/DescendantFonts", ())
    }
    assert len(streams) == len(set(kept.fonts.values()))


def test_without_whole_fonts_each_part_keeps_its_own_subsets(tmp_path):
    parts = [pdf.Part(html=render(PART, titles=[title])) for title in ("Alpha", "Bravo")]

    joined = pdf.join(parts, footer=render(FOOTER), whole_fonts=False).pdf

    assert [page.split(" Joined")[0] for page in pages_text(joined, tmp_path)] == [
        "Alpha Text of Alpha.",
        "Bravo Text of Bravo.",
    ]
    whole = pdf.lay_out(render(PART, titles=["Alpha"])).font_files
    document = pikepdf.open(io.BytesIO(joined))
    embedded = [
        descendant.FontDescriptor.FontFile2.read_bytes()
        for page in document.pages
        for font in page.Resources.Font.values()
        for descendant in font.get("/DescendantFonts", ())
    ]
    assert embedded
    assert max(map(len, embedded)) < min(map(len, whole.values()))
