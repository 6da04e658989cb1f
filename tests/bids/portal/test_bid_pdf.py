"""'Download this bid as PDF': who gets it, and that it holds the whole bid on numbered A4 pages."""

import re
import shutil
import subprocess
import zlib
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.timezone import localtime

from bids.models import Bid, Document
from bids.views.portal.documents import bid_pdf_context
from fundtracker.pdf import render_pdf, static_path
from tests.factories import BidFactory, CollaborationFactory, DocumentFactory, force

pytestmark = pytest.mark.django_db


def pdf_url(bid) -> str:
    return reverse("portal:bid_pdf", args=[bid.reference])


def page_count(pdf: bytes) -> int:
    """Pages of a PDF, counted in its (possibly compressed) object streams."""
    page = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
    count = len(page.findall(pdf))
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            count += len(page.findall(zlib.decompress(stream.group(1))))
        except zlib.error:
            continue
    return count


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "bid.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def as_stored(bid: Bid) -> Bid:
    return Bid.objects.get(pk=bid.pk)


def rendered_html(bid: Bid) -> str:
    """The PDF's HTML, unescaped, with each run of white space as one space."""
    html = render_to_string("pdf/bid.html", bid_pdf_context(as_stored(bid)))
    return " ".join(unescape(html).split())


VALUE = '<dd class="govuk-summary-list__value">'


# --------------------------------------------------------------------------- who gets it


def test_the_lead_office_downloads_its_draft_as_a_pdf(client, office_user):
    bid = BidFactory()
    client.force_login(office_user)
    response = client.get(pdf_url(bid))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{bid.reference}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")


def test_a_partner_downloads_the_bid_once_it_is_submitted(client, partner_office_user):
    bid = BidFactory(partners=["leicestershire"], submitted=True)
    client.force_login(partner_office_user)
    response = client.get(pdf_url(bid))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_a_partner_gets_404_for_a_draft(client, partner_office_user):
    client.force_login(partner_office_user)
    assert client.get(pdf_url(BidFactory(partners=["leicestershire"]))).status_code == 404


@pytest.mark.parametrize("bid_kwargs", [{}, {"submitted": True}, {"approved": True}])
def test_another_forces_office_gets_404(client, other_office_user, bid_kwargs):
    client.force_login(other_office_user)
    assert client.get(pdf_url(BidFactory(**bid_kwargs))).status_code == 404


def test_analysts_are_told_the_portal_is_for_offices(client, analyst):
    client.force_login(analyst)
    assert client.get(pdf_url(BidFactory(submitted=True))).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(pdf_url(BidFactory(submitted=True)))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_pdf_view_makes_a_fixed_number_of_queries(
    client, office_user, django_assert_max_num_queries
):
    bid = BidFactory(partners=["leicestershire", "northamptonshire"])
    DocumentFactory.create_batch(3, bid=bid)
    client.force_login(office_user)
    with django_assert_max_num_queries(6):
        assert client.get(pdf_url(bid)).status_code == 200


# --------------------------------------------------------------------------- what it holds


def test_the_pdf_holds_the_whole_bid(office_user):
    bid = BidFactory(
        partners=["leicestershire", "northamptonshire"],
        collaboration=CollaborationFactory(name="East Midlands tri-force"),
        local_match_contribution="448000.00",
        submitted=True,
    )
    DocumentFactory(bid=bid, original_name="Business case v3.pdf", kind=Document.Kind.BUSINESS_CASE)
    DocumentFactory(
        bid=bid, original_name="Letter from Leicestershire.docx", kind=Document.Kind.OTHER
    )

    html = rendered_html(bid)

    nottinghamshire = force("nottinghamshire")
    for expected in [
        bid.reference,
        "East Midlands integrated technology plan",
        f"Status</dt> {VALUE}Submitted</dd>",
        "Police Transformation Fund",
        bid.round.name,
        "Nottinghamshire Police",
        nottinghamshire.policing_body,
        "East Midlands tri-force",
        "Leicestershire Police",
        "Northamptonshire Police",
        "One technology platform for three forces.",
        "Three forces run three different systems for the same work.",
        "Digital",
        "Implementation ready",
        "2016/17",
        "2017/18",
        "£2,240,000.00",
        "£3,500,000.00",
        "£5,740,000.00",
        "£448,000.00",
        "Paddy Tipping, 1 March 2016",
        "Charlotte Radford, 2 March 2016",
        "Business case v3.pdf (business case)",
        "Letter from Leicestershire.docx (other)",
        f"Submitted</dt> {VALUE}{localtime(bid.submitted_at):%-d %B %Y}</dd>",
    ]:
        assert expected in html, expected
    assert "Draft: this bid has not been submitted" not in html
    assert "Change" not in html
    assert "href=" not in html


def test_a_drafts_pdf_says_it_is_a_draft():
    html = rendered_html(BidFactory())
    assert "Draft: this bid has not been submitted to the Home Office" in html
    assert "Not submitted" in html


def test_a_long_case_for_change_runs_onto_more_pages():
    short = BidFactory()
    long = BidFactory(case_for_change="\n\n".join(["Three forces, three systems. " * 40] * 12))
    pages = [
        page_count(render_pdf("pdf/bid.html", bid_pdf_context(as_stored(bid))))
        for bid in (short, long)
    ]
    assert pages[0] >= 1
    assert pages[1] > pages[0] + 1


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_the_pdf_text_has_the_reference_years_sign_offs_and_page_numbers(
    client, office_user, tmp_path
):
    bid = BidFactory(case_for_change="\n\n".join(["Three forces, three systems. " * 40] * 12))
    client.force_login(office_user)
    pdf = client.get(pdf_url(bid)).content
    text = pdf_text(pdf, tmp_path)
    pages = page_count(pdf)
    assert pages > 1
    for expected in [bid.reference, "2016/17", "2017/18", "Paddy Tipping", "Charlotte Radford"]:
        assert expected in text
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    assert text.count(bid.reference) >= pages  # in every page's footer


# ---------------------------------------------------------------- what WeasyPrint may fetch


def test_pdfs_read_static_files_from_disk_and_nothing_else():
    found = static_path("http://testserver/static/src/application.scss")
    assert found is not None
    assert found.read_text().startswith("// The service's stylesheet")
    assert static_path("https://example.org/static/src/application.scss") == found
    assert static_path("http://testserver/static/../manage.py") is None
    assert static_path("http://testserver/static/src/missing.css") is None
    assert static_path("http://169.254.169.254/latest/meta-data/") is None
