"""Every response carries the security headers; no template needs an inline script."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/", "text/html"),
        ("/allocations/", "text/html"),
        ("/allocations.csv", "text/csv"),
        ("/allocations/report.pdf", "application/pdf"),
        ("/api/v1/awards/", "application/json"),
        ("/open-data/360giving.json", "application/json"),
        ("/accounts/login/", "text/html"),
        ("/no-such-page/", "text/html"),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(client, url, content_type):
    response = client.get(url)

    assert response["Content-Type"].startswith(content_type)
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_pdf_report_still_renders(client):
    response = client.get("/allocations/report.pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_signed_in_pages_and_redirects_carry_the_policy(client, analyst):
    assert "Content-Security-Policy" in client.get("/review/")
    client.force_login(analyst)
    assert "frame-ancestors 'none'" in client.get("/review/")["Content-Security-Policy"]


def test_https_responses_carry_hsts_in_production(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get("/", secure=True)

    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_session_and_csrf_cookies_are_out_of_scripts_reach(client, office_user):
    page = client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "username": "notts-office",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": page.context["csrf_token"],
        },
    )

    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert page.cookies["csrftoken"]["httponly"]


def _html_templates():
    # WeasyPrint renders the PDF templates on the server, where no policy applies.
    return sorted(
        p for p in TEMPLATES.rglob("*.html") if "pdf" not in p.relative_to(TEMPLATES).parts
    )


def test_no_template_has_an_inline_script_or_event_handler():
    offending = []
    for path in _html_templates():
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag:
                offending.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        for handler in re.findall(r"\son[a-z]+\s*=", text):
            offending.append(f"{path.relative_to(TEMPLATES)}: {handler.strip()}")
        if re.search(r"<style\b", text) or "javascript:" in text:
            offending.append(f"{path.relative_to(TEMPLATES)}: <style> or javascript: URL")

    assert _html_templates()
    assert offending == []


def test_a_public_page_served_from_the_cache_carries_the_policy(client):
    client.get("/allocations/")

    response = client.get("/allocations/")

    assert response["X-Cache"] == "hit"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
