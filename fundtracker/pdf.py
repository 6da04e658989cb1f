"""PDF documents from Django templates, through WeasyPrint: the one way the service makes PDFs.

Templates extend ``pdf/base.html``. WeasyPrint fetches nothing over the network: static files
come from the static file finders (or the collected files), ``data:`` URLs are read in place, and
every other URL is skipped with a warning in the log. Fonts are the system's, through fontconfig.

WeasyPrint is imported by the first PDF, not at start-up: it takes most of a second to load
(Pango through cffi), which every management command and worker would otherwise pay.
"""

import functools
import mimetypes
from collections.abc import Mapping
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

    base_url = request.build_absolute_uri("/") if request is not None else DEFAULT_BASE_URL
    return HTML(string=html, base_url=base_url, url_fetcher=_fetcher_class()()).write_pdf()


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
