"""The documents pages of the portal: what each role gets at each URL, and what an upload does."""

import hashlib
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bids.models import Document
from tests.bids.test_documents import docm_bytes, pdf_bytes, stored_files, xlsx_bytes
from tests.factories import BidFactory, DocumentFactory

pytestmark = pytest.mark.django_db

PDF_DATA = b"%PDF-1.4 test"  # what DocumentFactory stores


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def draft(media):
    """A Nottinghamshire draft with Leicestershire as partner, and one document."""
    bid = BidFactory(partners=["leicestershire"])
    DocumentFactory(bid=bid, original_name="business-case.pdf", kind=Document.Kind.BUSINESS_CASE)
    return bid


@pytest.fixture
def submitted(media):
    bid = BidFactory(partners=["leicestershire"], submitted=True)
    DocumentFactory(bid=bid, original_name="business-case.pdf", kind=Document.Kind.BUSINESS_CASE)
    return bid


def url(name: str, bid, *args) -> str:
    return reverse(f"portal:{name}", args=[bid.reference, *args])


def upload_data(name="funding.xlsx", data=None, kind="other"):
    return {"kind": kind, "file": SimpleUploadedFile(name, xlsx_bytes() if data is None else data)}


def every_request(bid):
    """Each documents URL of ``bid`` with the method that uses it: (method, url, data)."""
    document = bid.documents.get()
    return [
        ("get", url("documents", bid), None),
        ("post", url("documents", bid), upload_data()),
        ("get", url("document_download", bid, document.pk), None),
        ("get", url("document_delete", bid, document.pk), None),
        ("post", url("document_delete", bid, document.pk), {}),
    ]


def text(response) -> str:
    return unescape(response.content.decode())


def send(client, method, path, data):
    if method == "post":
        return client.post(path, data or {})
    return client.get(path)


def assert_nothing_changed(bid, media):
    document = bid.documents.get()
    assert bid.documents.count() == 1
    assert stored_files(media) == [media / document.file.name]


# --------------------------------------------------------------------------- who gets what


@pytest.mark.parametrize("state", ["draft", "submitted"])
def test_another_forces_office_gets_404_everywhere(client, other_office_user, request, state):
    bid = request.getfixturevalue(state)
    media = request.getfixturevalue("media")
    client.force_login(other_office_user)
    for method, path, data in every_request(bid):
        assert send(client, method, path, data).status_code == 404, (method, path)
    assert_nothing_changed(bid, media)


def test_a_partner_gets_404_everywhere_while_the_bid_is_a_draft(
    client, partner_office_user, draft, media
):
    client.force_login(partner_office_user)
    for method, path, data in every_request(draft):
        assert send(client, method, path, data).status_code == 404, (method, path)
    assert_nothing_changed(draft, media)


def test_analysts_are_told_the_portal_is_for_offices(client, analyst, draft, media):
    client.force_login(analyst)
    for method, path, data in every_request(draft):
        assert send(client, method, path, data).status_code == 403, (method, path)
    assert_nothing_changed(draft, media)


def test_anonymous_users_are_sent_to_sign_in(client, draft, media):
    login = reverse("login")
    for method, path, data in every_request(draft):
        response = send(client, method, path, data)
        assert response.status_code == 302, (method, path)
        assert response.url.startswith(f"{login}?next="), (method, path)
    assert_nothing_changed(draft, media)


def test_an_unknown_reference_is_404(client, office_user, media):
    client.force_login(office_user)
    response = client.get(reverse("portal:documents", args=["PTF-2016-9999"]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["document_download", "document_delete"])
def test_a_document_of_another_bid_is_404_under_this_bids_reference(
    client, office_user, draft, name
):
    other = DocumentFactory(bid=BidFactory())
    client.force_login(office_user)
    assert client.get(url(name, draft, other.pk)).status_code == 404
    assert client.post(url("document_delete", draft, other.pk)).status_code == 404
    assert Document.objects.filter(pk=other.pk).exists()


# --------------------------------------------------------------------------- the list


def test_the_lead_office_sees_its_drafts_documents_with_an_upload_form(client, office_user, draft):
    document = draft.documents.get()
    client.force_login(office_user)
    response = client.get(url("documents", draft))
    assert response.status_code == 200
    html = response.content.decode()
    assert "business-case.pdf" in html
    assert "Business case" in html
    assert "13\xa0bytes" in html
    assert f"SHA-256 {document.sha256[:12]}…" in html
    assert document.sha256 in html
    assert url("document_download", draft, document.pk) in html
    assert url("document_delete", draft, document.pk) in html
    assert 'enctype="multipart/form-data"' in html
    assert 'class="govuk-file-upload"' in html
    assert "Upload document" in html
    assert url("bid_pdf", draft) in html


def test_the_list_is_read_only_once_the_bid_is_submitted(client, office_user, submitted):
    document = submitted.documents.get()
    client.force_login(office_user)
    html = client.get(url("documents", submitted)).content.decode()
    assert "business-case.pdf" in html
    assert url("document_download", submitted, document.pk) in html
    assert url("document_delete", submitted, document.pk) not in html
    assert "<form" not in html.split('id="main-content"')[1]
    assert "is submitted, so documents can no longer be added or removed" in html


def test_a_partner_sees_the_documents_once_the_bid_is_submitted(
    client, partner_office_user, submitted
):
    document = submitted.documents.get()
    client.force_login(partner_office_user)
    html = text(client.get(url("documents", submitted)))
    assert url("document_download", submitted, document.pk) in html
    assert url("document_delete", submitted, document.pk) not in html
    assert "Upload document" not in html
    assert "Only Nottinghamshire Police's office can add or remove documents" in html


def test_the_list_makes_the_same_queries_however_many_documents(
    client, office_user, draft, django_assert_max_num_queries
):
    client.force_login(office_user)
    with django_assert_max_num_queries(5) as one:
        client.get(url("documents", draft))
    DocumentFactory.create_batch(5, bid=draft)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url("documents", draft))
    assert response.content.decode().count("<details") == 6


# --------------------------------------------------------------------------- upload


def test_the_lead_office_uploads_a_document_to_its_draft(client, office_user, draft, media):
    client.force_login(office_user)
    data = pdf_bytes()
    response = client.post(
        url("documents", draft),
        upload_data("Business case v3.docx", data, kind=Document.Kind.BUSINESS_CASE),
        follow=True,
    )
    assert response.redirect_chain == [(url("documents", draft), 302)]
    document = draft.documents.get(original_name="Business case v3.docx")
    assert document.content_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    assert document.uploaded_by == office_user
    assert (media / document.file.name).read_bytes() == data
    assert "Business case v3.docx has been uploaded" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.pdf", b"MZ\x90\x00 a Windows program", "The selected file must be a PDF, DOCX"),
        ("plan.pdf", b"<html><script>alert(1)</script></html>", "The selected file must be a PDF"),
        ("plan.docm", docm_bytes(), "The selected file contains macros"),
        ("plan.pdf", b"", "The selected file is empty"),
        (
            "plan.pdf",
            b"%PDF-1.7\n" + b"\0" * (20 * 1024 * 1024 - 8),
            "The selected file must be smaller than 20 MB",
        ),
    ],
    ids=["exe", "html", "docm", "empty", "over-20-MB"],
)
def test_a_refused_upload_says_why_and_changes_nothing(
    client, office_user, draft, media, name, data, message
):
    client.force_login(office_user)
    response = client.post(url("documents", draft), upload_data(name, data))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'<a href="#id_file">{message}' in html
    assert "govuk-file-upload--error" in html
    assert html.count(message) == 2  # in the summary and beside the field
    assert "<title>Error: " in html
    assert_nothing_changed(draft, media)


def test_an_upload_without_a_file_or_a_kind_asks_for_both(client, office_user, draft, media):
    client.force_login(office_user)
    response = client.post(url("documents", draft), {})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Select what kind of document it is" in html
    assert "Select a file" in html
    assert_nothing_changed(draft, media)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("office_user", "is submitted, so its documents can no longer be changed"),
        ("partner_office_user", "Only Nottinghamshire Police's office can change the documents"),
    ],
)
def test_nobody_uploads_to_a_submitted_bid(client, request, submitted, media, user, message):
    client.force_login(request.getfixturevalue(user))
    response = client.post(url("documents", submitted), upload_data(), follow=True)
    assert response.redirect_chain == [(url("documents", submitted), 302)]
    assert message in text(response)
    assert_nothing_changed(submitted, media)


# --------------------------------------------------------------------------- download


def test_download_serves_the_file_privately_under_its_name(client, office_user, draft):
    document = draft.documents.get()
    client.force_login(office_user)
    response = client.get(url("document_download", draft, document.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_DATA
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="business-case.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(PDF_DATA))


@pytest.mark.parametrize(
    ("original_name", "disposition"),
    [
        ('Plan "final".pdf', 'attachment; filename="Plan \\"final\\".pdf"'),
        ("Cynllun – £2m.pdf", "attachment; filename*=utf-8''Cynllun%20%E2%80%93%20%C2%A32m.pdf"),
        ("page.html", 'attachment; filename="page.pdf"'),
    ],
)
def test_download_names_are_safe(client, office_user, draft, original_name, disposition):
    document = DocumentFactory(bid=draft, original_name=original_name)
    client.force_login(office_user)
    response = client.get(url("document_download", draft, document.pk))
    assert response["Content-Disposition"] == disposition


def test_a_partner_downloads_from_a_submitted_bid(client, partner_office_user, submitted):
    client.force_login(partner_office_user)
    response = client.get(url("document_download", submitted, submitted.documents.get().pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_DATA


def test_a_document_whose_file_is_missing_is_404(client, office_user, draft, media):
    document = draft.documents.get()
    (media / document.file.name).unlink()
    client.force_login(office_user)
    assert client.get(url("document_download", draft, document.pk)).status_code == 404


def test_stored_files_have_no_public_url(client, office_user, draft):
    document = draft.documents.get()
    client.force_login(office_user)
    assert client.get(f"/media/{document.file.name}").status_code == 404


# --------------------------------------------------------------------------- delete


def test_the_lead_office_deletes_a_document_of_its_draft(
    client, office_user, draft, media, django_capture_on_commit_callbacks
):
    document = draft.documents.get()
    client.force_login(office_user)
    confirm = client.get(url("document_delete", draft, document.pk))
    assert confirm.status_code == 200
    assert "Are you sure you want to delete business-case.pdf?" in confirm.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("document_delete", draft, document.pk), follow=True)

    assert response.redirect_chain == [(url("documents", draft), 302)]
    assert "business-case.pdf has been deleted" in response.content.decode()
    assert not draft.documents.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize("user", ["office_user", "partner_office_user"])
def test_nobody_deletes_from_a_submitted_bid(
    client, request, submitted, media, django_capture_on_commit_callbacks, user
):
    document = submitted.documents.get()
    client.force_login(request.getfixturevalue(user))
    assert client.get(url("document_delete", submitted, document.pk)).url == url(
        "documents", submitted
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("document_delete", submitted, document.pk))
    assert response.status_code == 302
    assert response.url == url("documents", submitted)
    assert_nothing_changed(submitted, media)
