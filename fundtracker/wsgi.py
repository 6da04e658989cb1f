"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundtracker.settings.production")

application = get_wsgi_application()

# The web server makes PDFs: WeasyPrint, most of a second to import, is loaded as each worker
# starts rather than by the first PDF the worker is asked for, which would keep that user waiting.
import weasyprint  # noqa: E402, F401

# Everything loaded at start (Django, the apps and their models, the URLs and the views they
# import, WeasyPrint) lives as long as the worker: moved out of the garbage collector's sight,
# it is not traversed again by every full collection, which otherwise took tens of milliseconds
# in the middle of a request (docs/decisions/0023-review-pages-under-load.md).
get_resolver().url_patterns  # noqa: B018 - imports every view now rather than on first use
gc.freeze()
