"""PDF documents from Django templates, through WeasyPrint: the one way the service makes PDFs.

Templates extend ``pdf/base.html``. WeasyPrint fetches nothing over the network: static files
come from the static file finders (or the collected files), ``data:`` URLs are read in place, and
every other URL is skipped with a warning in the log. Fonts are the system's, through fontconfig.

WeasyPrint is imported by the first PDF, not at start-up: it takes most of a second to load
(Pango through cffi), which every management command and worker would otherwise pay.

A long document can be made of parts (``join``): WeasyPrint lays out tens of
milliseconds a page, all of it Python on one core, so a document of hundreds of pages is laid out
as several smaller ones side by side in worker processes, and the PDFs are joined, with the
footer and page numbers drawn in at the end, when the number of pages is known.
"""

import functools
import hashlib
import io
import mimetypes
import multiprocessing
import os
import signal
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string

# Relative URLs in a template resolve against this when there is no request to take the host
# from; only its path matters to the fetcher.
DEFAULT_BASE_URL = "http://localhost/"


def render_pdf(template_name: str, context: Mapping | None = None, *, request=None) -> bytes:
    """The PDF of ``template_name`` rendered with ``context`` (and ``request``, when given, for
    context processors and absolute links)."""
    return html_to_pdf(render_to_string(template_name, context, request=request), request=request)


def html_to_pdf(html: str, *, request=None) -> bytes:
    """The PDF of ``html`` already rendered from a ``pdf/`` template, for a caller that needed
    the HTML itself first (to key a cache on it, say) and should not render it twice."""
    from weasyprint import HTML

    return HTML(
        string=html, base_url=_base_url(request), url_fetcher=_fetcher_class()()
    ).write_pdf()


def _base_url(request) -> str:
    return request.build_absolute_uri("/") if request is not None else DEFAULT_BASE_URL


@dataclass(frozen=True)
class LaidOut:
    """A part of a document laid out, to be joined to others (``join``), now or later.

    ``pdf`` is the part as WeasyPrint wrote it. ``fonts`` names each font the part embeds that
    can be shared, by the digest of the whole font file it was set in: the join embeds that file
    once in the document, for every part that uses it, in place of each part's own subset (a
    subset keeps each glyph's number in the whole font, so the whole font draws the same).
    ``font_files`` holds those files by digest (from a worker process, only with the first
    part it lays out with each); a part kept for later need not keep them, as long as they are
    kept once, apart, for the join.
    """

    pdf: bytes
    fonts: dict[str, str] = field(default_factory=dict)
    font_files: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)


def lay_out(html: str, *, request=None) -> LaidOut:
    """``html``, a ``pdf/`` template's HTML with no footer of its own, laid out here."""
    import weasyprint  # noqa: F401 - loaded before the font configuration that needs it

    if _font_config is None:
        _start_worker(in_worker=False)
    return _lay_out(html, _base_url(request))


def lay_out_side_by_side(htmls: Sequence[str], *, request=None) -> list[LaidOut]:
    """Each of ``htmls`` laid out (``lay_out``), in order, in one worker process a CPU when
    there are several."""
    import weasyprint  # noqa: F401 - loaded here, once, for the workers forked from here

    workers = min(os.cpu_count() or 1, len(htmls))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [lay_out(html, request=request) for html in htmls]
    base_url = _base_url(request)
    with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
        return pool.starmap(_lay_out, [(html, base_url) for html in htmls], chunksize=4)


@dataclass(frozen=True)
class Part:
    """A part of a document to join: ``html`` to lay out now, or ``laid_out`` ahead; with a
    ``caption`` written at the top of its first page, if any (see ``join``)."""

    html: str = ""
    laid_out: LaidOut | None = None
    caption: str = ""


@dataclass(frozen=True)
class Joined:
    """A joined document, the parts it laid out, by their place among the parts given, and
    the whole fonts it had by digest (those given, and those its parts were sent back with: a
    worker sends a font with the first part it lays out in it, which may not be the part that
    is kept)."""

    pdf: bytes
    laid_out: dict[int, LaidOut]
    font_files: dict[str, bytes] = field(default_factory=dict, repr=False)


def join(
    parts: Sequence[Part],
    *,
    footer: str,
    request=None,
    font_files: Mapping[str, bytes] | None = None,
    whole_fonts: bool = True,
) -> Joined:
    """One PDF of ``parts`` in order, each a document of whole pages with no footer of its own
    (a ``pdf/`` template whose margin boxes are ``content: none``), with ``footer``, the HTML of
    a blank page that has only the footer, drawn on every page and "Page X of Y" written where
    pdf/base.html puts it. The parts' outlines are kept, in order, and the first part's metadata.

    Parts given as HTML are laid out side by side, in one worker process a CPU (forked, so that
    they start with WeasyPrint and the fonts loaded), the longest first; meanwhile the parts laid
    out ahead are joined, and each of the others is put in its place as soon as it is back. A
    part's ``caption`` is written on its first page where pdf/base.html sets a ``pdf-caption``
    paragraph that opens the page (the part leaves it empty): what a part laid out ahead cannot
    know, such as its place in a ranking. ``font_files`` has the whole fonts of the parts laid
    out ahead, by digest (``LaidOut``). A part that fails fails the whole document.

    Without ``whole_fonts``, each part keeps the subsets of the fonts it was laid out with: for
    a document of a few parts, whose subsets together are far smaller than the whole fonts.
    """
    import weasyprint  # noqa: F401 - loaded here, once, for the workers forked from here

    base_url = _base_url(request)
    files = dict(font_files or {})
    joined = _JoinedPdf(len(parts))
    # The footer first, then the longest part: the one the document waits for.
    pending = sorted(
        (index for index, part in enumerate(parts) if part.laid_out is None),
        key=lambda index: -len(parts[index].html),
    )
    htmls = [footer, *(parts[index].html for index in pending)]
    laid_out = {}

    def place(index: int, part: LaidOut) -> None:
        if whole_fonts:
            files.update(part.font_files)
        joined.place(index, part, files, parts[index].caption)

    workers = min(os.cpu_count() or 1, len(htmls))
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        footer_laid_out, *fresh = (lay_out(html, request=request) for html in htmls)
        laid_out = dict(zip(pending, fresh, strict=True))
        for index, part in enumerate(parts):
            place(index, part.laid_out or laid_out[index])
    else:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
            results = [pool.apply_async(_lay_out, (html, base_url)) for html in htmls]
            for index, part in enumerate(parts):
                if part.laid_out is not None:
                    place(index, part.laid_out)
            footer_laid_out = results[0].get()
            for index, result in zip(pending, results[1:], strict=True):
                laid_out[index] = result.get()
                place(index, laid_out[index])
    if whole_fonts:
        files.update(footer_laid_out.font_files)
    joined.set_footer(footer_laid_out, files)
    return Joined(joined.finish(), laid_out, files)


# One font configuration for all the parts a process lays out: a new one for each document
# would find and load the fonts again, which costs about as much as laying out a page.
_font_config = None
# The whole fonts a worker process has sent back already: each is sent with the first part
# that uses it, not with every part (a font file is a hundred kilobytes or more).
_fonts_sent: set[str] | None = None


def _start_worker(in_worker: bool = True) -> None:
    global _font_config, _fonts_sent
    from weasyprint.text.fonts import FontConfiguration

    if in_worker:
        _fonts_sent = set()
        # A worker forked from a gunicorn worker would otherwise keep its handlers, and ignore
        # the SIGTERM with which the pool ends it.
        for name in ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGABRT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
    _font_config = FontConfiguration()


def _lay_out(html: str, base_url: str) -> LaidOut:
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url, url_fetcher=_fetcher_class()()).render(
        font_config=_font_config
    )
    pdf = document.write_pdf()
    fonts, files = {}, {}
    for font in document.fonts.values():
        data = _whole_font(font)
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            fonts[font.name.decode()] = digest
            if _fonts_sent is None or digest not in _fonts_sent:
                files[digest] = data
    if _fonts_sent is not None:
        _fonts_sent.update(files)
    return LaidOut(pdf, fonts, files)


def _whole_font(font) -> bytes | None:
    """The whole file of a font WeasyPrint embedded as a subset, when it can stand in for the
    subset: a single TrueType font, not a collection, a variable font, a bitmap or colour font."""
    from weasyprint.text.fonts import get_hb_object_data

    if font.bitmap or font.png or font.svg or font.colr or font.used_in_forms:
        return None
    if "fvar" in font.tables or font.index != 0:
        return None
    data = get_hb_object_data(font.hb_face)
    if data[:4] not in (b"\x00\x01\x00\x00", b"true"):
        return None
    return data


# Where pdf/base.html's bottom-right margin box sets the first line of "Page X of Y": right
# aligned at the 18 mm side margin; the baseline is the 22 mm bottom margin less the 0.5 pt
# rule, the 2.5 mm padding, and the half-leading and ascent of 8.5 pt Liberation Sans in a
# line 1.3 high (0.905 em ascent, 0.212 em descent).
MM = 72 / 25.4
NUMBER_SIZE = 8.5
NUMBER_RIGHT = 18 * MM
NUMBER_BASELINE = (
    22 * MM - 0.5 - 2.5 * MM - (1.3 - 0.905 - 0.212) / 2 * NUMBER_SIZE - 0.905 * NUMBER_SIZE
)
# The numbers are set in Helvetica, one of the fonts every PDF reader has, so nothing is
# embedded; Liberation Sans was drawn to its widths (in thousandths of the size), so the
# numbers line up as WeasyPrint would set them.
# A caption written at the join sits where pdf/base.html sets the first line of a
# ``pdf-caption`` paragraph that opens a page: at the 18 mm margins, in 10 pt type on a line 1.4
# high.
CAPTION_SIZE = 10
CAPTION_LEFT = 18 * MM
CAPTION_BASELINE_FROM_TOP = (
    18 * MM + (1.4 - 0.905 - 0.212) / 2 * CAPTION_SIZE + 0.905 * CAPTION_SIZE
)
HELVETICA_WIDTHS = {" ": 278, "P": 667, "a": 556, "e": 556, "f": 278, "g": 556, "o": 556}
HELVETICA_WIDTHS.update(dict.fromkeys("0123456789", 556))


# The whole fonts compressed for a PDF, by digest: the same few files go into every joined
# document, and compressing one takes a few milliseconds.
_compressed_fonts: dict[str, bytes] = {}


class _JoinedPdf:
    """PDFs put in their places (``place``, in any order), then the outline, the footer, the
    page numbers and the captions (``finish``).

    Joined with pikepdf (qpdf): each part is opened and its pages copied in C++, where reading
    a part object by object in Python took most of the join.
    """

    def __init__(self, count: int):
        import pikepdf

        self.pdf = pikepdf.new()
        self.footer = None
        self.footer_part = None
        # The parts stay open until the document is written, which reads their pages' streams.
        self.parts = [None] * count
        self.pages = [0] * count
        self.captions = [""] * count
        self.outlines = [[] for _ in range(count)]
        self.font_files = {}
        self.version = ""

    def read(self, part: LaidOut, files: Mapping[str, bytes]):
        """``part`` opened, its fonts that have a whole font in ``files`` pointed at it."""
        import pikepdf

        pdf = pikepdf.Pdf.open(io.BytesIO(part.pdf))
        self.share_fonts(pdf, part.fonts, files)
        return pdf

    def set_footer(self, footer: LaidOut, files: Mapping[str, bytes]) -> None:
        import pikepdf
        from pikepdf import Name

        source = self.read(footer, files)
        page = source.pages[0]
        drawing = pikepdf.Stream(self.pdf, page.obj.Contents.read_bytes())
        drawing.Type = Name.XObject
        drawing.Subtype = Name.Form
        drawing.BBox = pikepdf.Array(page.mediabox)
        drawing.Resources = self.pdf.copy_foreign(page.obj.Resources)
        self.footer = drawing
        self.footer_part = source

    def place(self, index: int, part: LaidOut, files: Mapping[str, bytes], caption: str) -> None:
        """Put ``part`` in its place, ``index``, after the parts before it placed so far."""
        source = self.read(part, files)
        if index == 0:
            self.version = source.pdf_version
            if "/Info" in source.trailer:
                self.pdf.docinfo = self.pdf.copy_foreign(source.docinfo)
        at = sum(self.pages[:index])
        self.pdf.pages[at:at] = source.pages
        self.parts[index] = source
        self.pages[index] = len(source.pages)
        self.captions[index] = caption
        self.copy_outline(source.open_outline().root, self.outlines[index])

    def copy_outline(self, items, into: list) -> None:
        """The outline ``items`` of a part placed added to ``into``, each bookmark pointing at
        its page's copy in the document."""
        from pikepdf import Array, Dictionary, OutlineItem

        for item in items:
            destination = item.destination
            if destination is None and item.action is not None:
                destination = item.action.get("/D")
            if not isinstance(destination, Array) or not isinstance(destination[0], Dictionary):
                continue
            copied = OutlineItem(
                item.title,
                destination=Array([self.pdf.copy_foreign(destination[0]), *destination[1:]]),
            )
            self.copy_outline(item.children, copied.children)
            into.append(copied)

    def share_fonts(self, pdf, fonts: Mapping[str, str], files: Mapping[str, bytes]) -> None:
        """Point the fonts of ``pdf`` that have a whole font in ``files`` at that font,
        embedded once in the document, before the pages are copied: their own subsets are
        then not copied at all."""
        for font in _fonts_of(pdf):
            for descendant in font.get("/DescendantFonts", ()):
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is None:
                    continue
                digest = fonts.get(str(descriptor.get("/FontName")))
                if digest in files and "/FontFile2" in descriptor:
                    # The part's descriptor, copied with its pages, then points at the
                    # document's copy of the whole font (qpdf copies an object once).
                    del descriptor.FontFile2
                    self.pdf.copy_foreign(descriptor).FontFile2 = self.font_file(
                        digest, files[digest]
                    )

    def font_file(self, digest: str, data: bytes):
        """The whole font ``data`` as a stream of the document, added once."""
        import pikepdf

        if digest not in self.font_files:
            if digest not in _compressed_fonts:
                _compressed_fonts[digest] = zlib.compress(data)
            stream = pikepdf.Stream(self.pdf, b"")
            stream.write(_compressed_fonts[digest], filter=pikepdf.Name.FlateDecode)
            stream.Length1 = len(data)
            self.font_files[digest] = stream
        return self.font_files[digest]

    def finish(self) -> bytes:
        import pikepdf
        from pikepdf import Array, Dictionary, Name

        pdf = self.pdf
        captions = {}
        offset = 0
        with pdf.open_outline() as outline:
            for items in self.outlines:
                outline.root.extend(items)
        for pages, caption in zip(self.pages, self.captions, strict=True):
            if caption:
                captions[offset] = caption
            offset += pages
        font = pdf.make_indirect(
            Dictionary(
                Type=Name.Font,
                Subtype=Name.Type1,
                BaseFont=Name.Helvetica,
                Encoding=Name.WinAnsiEncoding,
            )
        )
        # Each page's own drawing is wrapped in q … Q, so that whatever state it leaves
        # (WeasyPrint turns the coordinates upside down) moves neither footer nor number.
        save = pikepdf.Stream(pdf, b"q\n")
        total = len(pdf.pages)
        for number, page in enumerate(pdf.pages, start=1):
            text = f"Page {number} of {total}"
            width = sum(HELVETICA_WIDTHS[c] for c in text) * NUMBER_SIZE / 1000
            box = page.mediabox
            x = float(box[2]) - NUMBER_RIGHT - width
            data = (
                f"\nQ q /Footer Do Q BT /PageNumber {NUMBER_SIZE} Tf {x:.2f} {NUMBER_BASELINE:.2f}"
                f" Td ({text}) Tj ET\n".encode()
            )
            if caption := captions.get(number - 1):
                y = float(box[3]) - CAPTION_BASELINE_FROM_TOP
                data += (
                    f"BT /PageNumber {CAPTION_SIZE} Tf {CAPTION_LEFT:.2f} {y:.2f} Td (".encode()
                    + _pdf_string(caption)
                    + b") Tj ET\n"
                )
            contents = page.obj.Contents
            drawing = list(contents) if isinstance(contents, Array) else [contents]
            page.obj.Contents = Array([save, *drawing, pikepdf.Stream(pdf, data)])
            resources = page.obj.Resources
            for kind, name, value in (
                (Name.Font, Name.PageNumber, font),
                (Name.XObject, Name.Footer, self.footer),
            ):
                if kind not in resources:
                    resources[kind] = Dictionary()
                resources[kind][name] = value
        out = io.BytesIO()
        # A new document says PDF 1.3 unless told otherwise: it says what the first part does.
        pdf.save(out, min_version=self.version)
        return out.getvalue()


def _fonts_of(pdf) -> list:
    """The fonts of every page of ``pdf`` and of the forms the pages draw, once each."""
    fonts, seen = [], set()
    resources = [page.obj.get("/Resources") for page in pdf.pages]
    while resources:
        found = resources.pop()
        if found is None:
            continue
        if found.is_indirect:
            if found.objgen in seen:
                continue
            seen.add(found.objgen)
        fonts.extend((found.get("/Font") or {}).values())
        for form in (found.get("/XObject") or {}).values():
            resources.append(form.get("/Resources"))
    return fonts


def _pdf_string(text: str) -> bytes:
    """``text`` as the inside of a PDF literal string in WinAnsiEncoding (Helvetica's)."""
    data = text.encode("cp1252")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def static_path(url: str) -> Path | None:
    """The file on disk behind a static file's URL, or ``None`` when it is not one."""
    prefix = urlsplit(settings.STATIC_URL).path
    if not prefix.startswith("/"):
        prefix = f"/{prefix}"
    path = unquote(urlsplit(url).path)
    if not path.startswith(prefix):
        return None
    name = path.removeprefix(prefix)
    if not name or ".." in Path(name).parts:
        return None
    found = finders.find(name)
    if found:
        return Path(found)
    if staticfiles_storage.exists(name):
        try:
            return Path(staticfiles_storage.path(name))
        except NotImplementedError:  # remote storage: nothing on this disk
            return None
    return None


@functools.cache
def _fetcher_class():
    from weasyprint import URLFetcher
    from weasyprint.urls import URLFetcherResponse

    class StaticFileFetcher(URLFetcher):
        """Serves ``STATIC_URL`` paths from disk and ``data:`` URLs; refuses everything else.

        Fetching the service's own pages over HTTP could tie up the worker that is rendering,
        and fetching other hosts would let a template reach wherever the server can.
        """

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = static_path(url)
            if path is None:
                raise ValueError(f"Only static files are fetched for PDFs, not {url}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticFileFetcher
