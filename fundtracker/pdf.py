"""PDF documents from Django templates, through WeasyPrint: the one way the service makes PDFs.

Templates extend ``pdf/base.html``. WeasyPrint fetches nothing over the network: static files
come from the static file finders (or the collected files), ``data:`` URLs are read in place, and
every other URL is skipped with a warning in the log. Fonts are the system's, through fontconfig.

WeasyPrint is imported by the first PDF, not at start-up: it takes most of a second to load
(Pango through cffi), which every management command and worker would otherwise pay.

A long document can be made of parts (``html_parts_to_pdf``): WeasyPrint lays out tens of
milliseconds a page, all of it Python on one core, so a document of hundreds of pages is laid out
as several smaller ones side by side in worker processes, and the PDFs are joined, with the
footer and page numbers drawn in at the end, when the number of pages is known.
"""

import functools
import io
import mimetypes
import multiprocessing
import os
import signal
from collections.abc import Iterable, Mapping
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


def html_parts_to_pdf(parts: Iterable[str], *, footer: str, request=None) -> bytes:
    """One PDF of ``parts`` in order, each the HTML of a ``pdf/`` template with no footer of its
    own (its margin boxes ``content: none``), with ``footer``, the HTML of a blank page that has
    only the footer, drawn on every page and "Page X of Y" written where pdf/base.html puts it.

    The parts are laid out side by side, in one worker process a CPU, forked so that they start
    with WeasyPrint and the fonts loaded; each is sent to a worker as soon as ``parts`` yields
    it, and joined to the pages before it as soon as it is back. A part begins a page, so a long
    part (a run of pages) costs a little at its edges but no more. The footer, the same on every
    page, is laid out once. A part that fails fails the whole document.
    """
    import weasyprint  # noqa: F401 - loaded here, once, for the workers forked from here

    base_url = _base_url(request)
    joined = _JoinedPdf()
    workers = os.cpu_count() or 1
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        _start_worker()
        joined.set_footer(_lay_out(footer, base_url))
        for part in parts:
            joined.append(_lay_out(part, base_url))
        return joined.finish()
    with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
        laid_out = [pool.apply_async(_lay_out, (footer, base_url))]
        laid_out += [pool.apply_async(_lay_out, (part, base_url)) for part in parts]
        joined.set_footer(laid_out[0].get())
        for part in laid_out[1:]:
            joined.append(part.get())
        return joined.finish()


# One font configuration for all the parts a process lays out: a new one for each document
# would find and load the fonts again, which costs about as much as laying out a page.
_font_config = None


def _start_worker() -> None:
    global _font_config
    from weasyprint.text.fonts import FontConfiguration

    # A worker forked from a gunicorn worker would otherwise keep its handlers, and ignore the
    # SIGTERM with which the pool ends it.
    for name in ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGABRT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    _font_config = FontConfiguration()


def _lay_out(html: str, base_url: str) -> bytes:
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url, url_fetcher=_fetcher_class()())
    return document.render(font_config=_font_config).write_pdf()


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
HELVETICA_WIDTHS = {" ": 278, "P": 667, "a": 556, "e": 556, "f": 278, "g": 556, "o": 556}
HELVETICA_WIDTHS.update(dict.fromkeys("0123456789", 556))


class _JoinedPdf:
    """PDFs joined one after another (with their outlines, and the metadata of the first),
    then the footer and the page numbers drawn on every page."""

    def __init__(self):
        from pypdf import PdfWriter

        self.writer = PdfWriter()
        self.footer = None
        self.first = True

    def set_footer(self, pdf: bytes) -> None:
        from pypdf import PdfReader
        from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NameObject

        page = PdfReader(io.BytesIO(pdf)).pages[0]
        footer = DecodedStreamObject()
        footer.set_data(page.get_contents().get_data())
        footer.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): ArrayObject(FloatObject(v) for v in page.mediabox),
                NameObject("/Resources"): page["/Resources"].clone(self.writer),
            }
        )
        self.footer = self.writer._add_object(footer.flate_encode())

    def append(self, pdf: bytes) -> None:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        if self.first and reader.metadata:
            self.writer.add_metadata(reader.metadata)
        self.first = False
        self.writer.append(reader)

    def finish(self) -> bytes:
        from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

        writer = self.writer
        font = writer._add_object(
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Font"),
                    NameObject("/Subtype"): NameObject("/Type1"),
                    NameObject("/BaseFont"): NameObject("/Helvetica"),
                    NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
                }
            )
        )
        # Each page's own drawing is wrapped in q … Q, so that whatever state it leaves
        # (WeasyPrint turns the coordinates upside down) moves neither footer nor number.
        save = DecodedStreamObject()
        save.set_data(b"q\n")
        save = writer._add_object(save)
        total = len(writer.pages)
        for number, page in enumerate(writer.pages, start=1):
            text = f"Page {number} of {total}"
            width = sum(HELVETICA_WIDTHS[c] for c in text) * NUMBER_SIZE / 1000
            x = float(page.mediabox.right) - NUMBER_RIGHT - width
            stamp = DecodedStreamObject()
            stamp.set_data(
                f"\nQ q /Footer Do Q BT /PageNumber {NUMBER_SIZE} Tf {x:.2f} {NUMBER_BASELINE:.2f}"
                f" Td ({text}) Tj ET\n".encode()
            )
            contents = page.raw_get("/Contents")
            drawing = list(contents) if isinstance(contents, ArrayObject) else [contents]
            page[NameObject("/Contents")] = ArrayObject([save, *drawing, writer._add_object(stamp)])
            resources = page["/Resources"]
            for kind, name, value in (
                ("/Font", "/PageNumber", font),
                ("/XObject", "/Footer", self.footer),
            ):
                if kind not in resources:
                    resources[NameObject(kind)] = DictionaryObject()
                resources[kind][NameObject(name)] = value
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()


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
