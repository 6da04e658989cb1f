"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundtracker.settings.production")

application = get_wsgi_application()

# The web server makes PDFs: WeasyPrint, most of a second to import, is loaded as each worker
# starts rather than by the first PDF the worker is asked for, which would keep that user waiting.
import weasyprint  # noqa: E402, F401
