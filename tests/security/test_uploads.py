"""Hostile uploads: each is refused with a message that says why, and leaves nothing behind.

The files are built here: a program renamed ``report.pdf``, files past the size limit, ZIP
bombs dressed as Word documents (by ratio, by entry count, and one whose central directory
understates what it inflates to), Office packages without the parts Office needs, and names
that try to climb out of the media folder. "Nothing behind" means no ``Document`` row, no event
and no file under ``MEDIA_ROOT``.
"""

import io
import re
import struct
import time
import zipfile
from html import unescape

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bids import documents
from bids.documents import DOCX, PDF, document_upload, identify
from bids.models import BidEvent, Document
from bids.services import WorkflowError
from tests.bids.test_documents import (
    _content_types,
    _root_rels,
    docx_bytes,
    odf_bytes,
    pdf_bytes,
    stored_files,
    zip_bytes,
)
from tests.factories import BidFactory

pytestmark = pytest.mark.django_db

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_XML = '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'
NOT_ACCEPTED = "The selected file must be a PDF, DOCX, XLSX, ODT or ODS"
TOO_LARGE_TO_CHECK = "The selected file is too large to check"
DAMAGED = "The selected file is damaged"

# An x86-64 Linux program's first bytes, and a Windows one's (the DOS stub starts "MZ").
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + b"\x02\x00\x3e\x00" + b"\0" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 46 + b"PE\0\0" + b"\0" * 200


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def draft(media):
    return BidFactory()


# --------------------------------------------------------------------------- hostile files


def bomb_docx(inflated: int = 60 * 1024 * 1024) -> bytes:
    """A valid-looking DOCX whose one picture is ``inflated`` bytes of zeros, about 1,000 to 1."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", _content_types("/word/document.xml", DOCX_MAIN))
        package.writestr("_rels/.rels", _root_rels("word/document.xml"))
        package.writestr("word/document.xml", WORD_XML)
        with package.open("word/media/image1.png", "w") as picture:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(inflated // len(chunk)):
                picture.write(chunk)
    return buffer.getvalue()


def understated_docx() -> bytes:
    """A DOCX whose padding entry inflates to 4 MB while its headers say 1 kB: a reader that
    trusted the declared size would budget for 1 kB and then inflate all of it."""
    data = bytearray(
        docx_bytes(extra_entries={"word/media/padding.bin": b"\0" * (4 * 1024 * 1024)})
    )
    name = b"word/media/padding.bin"
    # The uncompressed size sits 22 bytes into a local header and 24 into a central one.
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            name_offset = 30 if signature == b"PK\x03\x04" else 46
            if data[start + name_offset : start + name_offset + len(name)] == name:
                struct.pack_into("<I", data, start + size_offset, 1024)
            start += 4
    return bytes(data)


def many_entries_docx(count: int) -> bytes:
    return docx_bytes(extra_entries={f"customXml/item{n}.xml": "" for n in range(count)})


def docx_without_root_relationships() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": _content_types("/word/document.xml", DOCX_MAIN),
            "word/document.xml": WORD_XML,
        }
    )


def docx_whose_main_part_is_a_program() -> bytes:
    return docx_bytes(extra_entries={"word/document.xml": PE})


def docx_whose_relationships_point_elsewhere() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": _content_types("/word/document.xml", DOCX_MAIN),
            "_rels/.rels": _root_rels("word/other.xml"),
            "word/document.xml": WORD_XML,
        }
    )


def odt_without_manifest() -> bytes:
    return zip_bytes(
        {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<office/>"},
        stored=("mimetype",),
    )


HOSTILE_FILES = [
    ("elf-named-pdf", "report.pdf", lambda: ELF, NOT_ACCEPTED),
    ("pe-named-pdf", "report.pdf", lambda: PE, NOT_ACCEPTED),
    ("pe-named-docx", "report.docx", lambda: PE, NOT_ACCEPTED),
    (
        "one-byte-over-20-MB",
        "report.pdf",
        lambda: b"%PDF-1.7\n" + b"\0" * (documents.MAX_SIZE - 8),
        "The selected file must be smaller than 20 MB",
    ),
    ("zip-bomb-by-ratio", "report.docx", bomb_docx, TOO_LARGE_TO_CHECK),
    ("zip-bomb-understating-its-size", "report.docx", understated_docx, DAMAGED),
    ("zip-of-too-many-entries", "report.docx", lambda: many_entries_docx(5000), TOO_LARGE_TO_CHECK),
    (
        "docx-without-root-relationships",
        "report.docx",
        docx_without_root_relationships,
        NOT_ACCEPTED,
    ),
    (
        "docx-relating-another-part",
        "report.docx",
        docx_whose_relationships_point_elsewhere,
        NOT_ACCEPTED,
    ),
    (
        "docx-whose-body-is-a-program",
        "report.docx",
        docx_whose_main_part_is_a_program,
        NOT_ACCEPTED,
    ),
    ("xlsx-that-is-any-zip", "funding.xlsx", lambda: zip_bytes({"a.txt": "a"}), NOT_ACCEPTED),
    ("odt-without-manifest", "plan.odt", odt_without_manifest, NOT_ACCEPTED),
    (
        "odt-whose-content-is-a-program",
        "plan.odt",
        lambda: odf_bytes("application/vnd.oasis.opendocument.text", {"content.xml": ELF}),
        NOT_ACCEPTED,
    ),
]


@pytest.fixture(scope="module")
def hostile_bytes():
    """Each hostile file built once: the bomb takes a moment to deflate."""
    return {case: build() for case, _, build, _ in HOSTILE_FILES}


def text(response) -> str:
    return unescape(response.content.decode())


def assert_nothing_written(bid, media):
    assert not Document.objects.filter(bid=bid).exists()
    assert not BidEvent.objects.filter(bid=bid, action=BidEvent.Action.DOCUMENT_UPLOADED).exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("case", "name", "message"),
    [(case, name, message) for case, name, _, message in HOSTILE_FILES],
    ids=[case for case, *_ in HOSTILE_FILES],
)
def test_a_hostile_file_is_refused_with_a_reason_and_writes_nothing(
    client, office_user, draft, media, hostile_bytes, case, name, message
):
    client.force_login(office_user)
    response = client.post(
        reverse("portal:documents", args=[draft.reference]),
        {"kind": "other", "file": SimpleUploadedFile(name, hostile_bytes[case])},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'<a href="#id_file">{message}' in html
    assert_nothing_written(draft, media)


def test_the_bomb_is_small_and_its_check_is_quick(hostile_bytes):
    data = hostile_bytes["zip-bomb-by-ratio"]
    assert len(data) < 200 * 1024  # 60 MB of zeros in under 200 kB
    started = time.monotonic()
    with pytest.raises(WorkflowError, match=TOO_LARGE_TO_CHECK):
        identify(SimpleUploadedFile("report.docx", data))
    # Refused from its central directory, before a byte of it is inflated.
    assert time.monotonic() - started < 0.5


def test_an_understated_entry_is_inflated_no_further_than_it_declared(monkeypatch):
    """The reader stops at the declared size: the CRC of that much then fails to match."""
    read = []
    real_read = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        chunk = real_read(self, n)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    with pytest.raises(WorkflowError, match=DAMAGED):
        identify(SimpleUploadedFile("report.docx", understated_docx()))
    assert sum(read) < 64 * 1024


def test_inflating_counts_every_byte_against_the_budget(monkeypatch):
    """The second line of defence, should a directory's sums ever pass: inflating stops at the
    budget, whatever the entries declared."""
    monkeypatch.setattr(documents, "MAX_UNZIPPED_SIZE", 3 * 1024 * 1024)
    data = docx_bytes(extra_entries={"word/media/padding.bin": b"\x01" * (4 * 1024 * 1024)})
    package = zipfile.ZipFile(io.BytesIO(data))
    with pytest.raises(WorkflowError, match=TOO_LARGE_TO_CHECK):
        documents._inflate_all(package, package.infolist())


def strict_docx() -> bytes:
    """A DOCX saved as Strict Open XML, whose root relationship has the ISO namespace."""
    strict = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
    return zip_bytes(
        {
            "[Content_Types].xml": _content_types("/word/document.xml", DOCX_MAIN),
            "_rels/.rels": (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                f'relationships"><Relationship Id="rId1" Type="{strict}" '
                'Target="/word/document.xml"/></Relationships>'
            ),
            "word/document.xml": '<?xml version="1.0"?>\n' + WORD_XML,
        }
    )


def test_real_documents_still_pass():
    assert identify(SimpleUploadedFile("plan.docx", many_entries_docx(500))) == DOCX
    assert identify(SimpleUploadedFile("strict.docx", strict_docx())) == DOCX
    assert identify(SimpleUploadedFile("plan.pdf", pdf_bytes())) == PDF


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/passwd.pdf", "must not include a folder"),
        ("/etc/passwd.pdf", "must not include a folder"),
        ("..\\..\\Windows\\win.ini.pdf", "must not include a folder"),
        ("C:\\Windows\\System32\\report.pdf", "must not include a folder"),
        ("report.pdf\x00.exe", "must not include control characters"),
        ("report\u202efdp.exe", "must not include control characters"),
        ("a" * 197 + ".pdf", "must be 200 characters or fewer"),
        ("..", "must include letters or numbers"),
        ("....", "must include letters or numbers"),
        (". . .", "must include letters or numbers"),
        ("", "must include letters or numbers"),
    ],
    ids=[
        "parent-folders",
        "absolute-path",
        "windows-parent-folders",
        "windows-absolute-path",
        "nul-byte",
        "right-to-left-override",
        "201-characters",
        "two-dots",
        "only-dots",
        "dots-and-spaces",
        "no-name",
    ],
)
def test_the_service_refuses_a_name_that_is_a_trick_and_writes_nothing(
    office_user, draft, media, name, message
):
    # A plain ``File`` keeps its name as given: Django's own upload classes would mend it first.
    file = File(io.BytesIO(pdf_bytes()), name=name)
    with pytest.raises(WorkflowError, match=message):
        document_upload(bid=draft, file=file, kind="other", by=office_user)
    assert_nothing_written(draft, media)


def test_a_name_of_200_characters_is_accepted(office_user, draft, media):
    name = "a" * 196 + ".pdf"
    file = File(io.BytesIO(pdf_bytes()), name=name)
    document = document_upload(bid=draft, file=file, kind="other", by=office_user)
    assert document.original_name == name
    assert len(stored_files(media)) == 1


def raw_upload(client, bid, filename: str, data: bytes):
    """POST the upload form as a hand-made multipart body, so the file name reaches the server
    exactly as given (Django's test client would keep only its last path segment)."""
    boundary = "fundtracker-boundary-7MA4YWxkTrZu0gW"
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="kind"\r\n\r\nother\r\n',
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode(),
            data,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return client.post(
        reverse("portal:documents", args=[bid.reference]),
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
        ("report\u202efdp.pdf", "reportfdp.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "<img src=x onerror=alert(1)>.pdf"),
    ],
    ids=["parent-folders", "absolute-path", "windows-path", "right-to-left-override", "html"],
)
def test_over_http_a_name_keeps_only_its_last_part_and_the_file_a_random_name(
    client, office_user, draft, media, filename, shown
):
    """Django's request parser cuts folders and unprintable characters out of a file name before
    any form sees it, so over HTTP such a name arrives mended; what matters is where the bytes
    go (a random name inside the documents folder) and that the name is shown as text."""
    client.force_login(office_user)
    response = raw_upload(client, draft, filename, pdf_bytes())
    assert response.status_code == 302
    document = draft.documents.get()
    assert document.original_name == shown
    [stored] = stored_files(media)
    assert stored.parent == media / "documents"
    assert re.fullmatch(r"[0-9a-f]{32}", stored.name)
    page = client.get(reverse("portal:documents", args=[draft.reference]))
    assert "<img src=x" not in page.content.decode()
    assert shown in text(page)


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("a" * 300 + ".pdf", "The selected file&#x27;s name must be 200 characters or fewer"),
        ("....", "The selected file&#x27;s name must include letters or numbers"),
        ("..", "Select a file"),
    ],
    ids=["300-characters", "only-dots", "parent-folder"],
)
def test_over_http_a_name_that_cannot_be_mended_is_refused(
    client, office_user, draft, media, filename, message
):
    client.force_login(office_user)
    response = raw_upload(client, draft, filename, pdf_bytes())
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'<a href="#id_file">{message}' in html
    assert_nothing_written(draft, media)


# --------------------------------------------------------------------------- serving


def test_an_upload_is_served_only_to_those_who_may_see_the_bid_and_only_as_a_download(
    client, office_user, other_office_user, draft, media
):
    client.force_login(office_user)
    raw_upload(client, draft, "../Business case.pdf", pdf_bytes())
    document = draft.documents.get()
    download = reverse("portal:document_download", args=[draft.reference, document.pk])

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Business case.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == pdf_bytes()

    client.force_login(other_office_user)
    assert client.get(download).status_code == 404
    client.logout()
    response = client.get(download)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    # The media folder has no URL of its own: the view is the only way in.
    assert client.get(f"/media/{document.file.name}").status_code in (302, 404)
