"""What a document is, judged by its content, and the services that store and delete documents.

The sample files are built here, not kept as binary fixtures: each is the smallest package its
format allows (Word, Excel and LibreOffice open them), so a reader sees exactly what is tested.
"""

import functools
import hashlib
import io
import random
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from bids import documents
from bids.documents import DOCX, ODS, ODT, PDF, XLSX, document_delete, document_upload, identify
from bids.models import Document
from bids.permissions import PermissionDenied
from bids.services import WorkflowError
from tests.factories import BidFactory, DocumentFactory

pytestmark = pytest.mark.django_db

# --------------------------------------------------------------------------- sample files

_RELS = "application/vnd.openxmlformats-package.relationships+xml"
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)


@functools.cache
def pdf_bytes() -> bytes:
    """A real one-page PDF."""
    from weasyprint import HTML

    return HTML(string="<h1>Business case</h1><p>Three forces, one system.</p>").write_pdf()


def zip_bytes(entries: dict[str, bytes | str], stored: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            compression = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            package.writestr(name, data, compress_type=compression)
    return buffer.getvalue()


def _content_types(main_part: str, main_type: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{_RELS}"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{extra}"
        f'<Override PartName="{main_part}" ContentType="{main_type}"/>'
        "</Types>"
    )


def _root_rels(target: str) -> str:
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_OFFICE_DOCUMENT}" Target="{target}"/>'
        "</Relationships>"
    )


def docx_bytes(
    main_type: str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ".main+xml",
    extra_entries: dict | None = None,
) -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": _content_types("/word/document.xml", main_type),
            "_rels/.rels": _root_rels("word/document.xml"),
            "word/document.xml": (
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body><w:p><w:r><w:t>Business case</w:t></w:r></w:p></w:body>'
                "</w:document>"
            ),
            **(extra_entries or {}),
        }
    )


def docm_bytes() -> bytes:
    """A macro-enabled Word document: its main part says so, and it carries a VBA project."""
    return docx_bytes(
        main_type="application/vnd.ms-word.document.macroEnabled.main+xml",
        extra_entries={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0 not really VBA"},
    )


def xlsx_bytes(
    main_type: str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
) -> bytes:
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return zip_bytes(
        {
            "[Content_Types].xml": _content_types(
                "/xl/workbook.xml",
                main_type,
                extra=f'<Override PartName="/xl/worksheets/sheet1.xml" '
                f'ContentType="{sheet_type}"/>',
            ),
            "_rels/.rels": _root_rels("xl/workbook.xml"),
            "xl/workbook.xml": (
                f'<workbook xmlns="{main}" xmlns:r="{relationships}"><sheets>'
                '<sheet name="Funding" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                "</Relationships>"
            ),
            "xl/worksheets/sheet1.xml": (
                f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1"><v>2240000</v></c>'
                "</row></sheetData></worksheet>"
            ),
        }
    )


def odf_bytes(mimetype: str, extra_entries: dict | None = None) -> bytes:
    """An ODF package: ``mimetype`` first and uncompressed, as ISO/IEC 26300 requires."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    manifest = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    return zip_bytes(
        {
            "mimetype": mimetype,
            "content.xml": (
                f'<office:document-content xmlns:office="{office}" office:version="1.3">'
                "<office:body/></office:document-content>"
            ),
            "META-INF/manifest.xml": (
                f'<manifest:manifest xmlns:manifest="{manifest}" manifest:version="1.3">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>'
            ),
            **(extra_entries or {}),
        },
        stored=("mimetype",),
    )


def odt_bytes() -> bytes:
    return odf_bytes("application/vnd.oasis.opendocument.text")


def ods_bytes() -> bytes:
    return odf_bytes("application/vnd.oasis.opendocument.spreadsheet")


def encrypted_zip_bytes() -> bytes:
    """A DOCX whose entries are flagged as encrypted (general purpose bit 0), as a ZIP tool's
    password protection leaves them; Python cannot write encrypted ZIPs, so the flag is set."""
    data = bytearray(docx_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), bytes(data)):
            data[match.start() + flag_offset] |= 0x01
    return bytes(data)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """A MEDIA_ROOT of the test's own, to see exactly which files a service leaves behind."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


# --------------------------------------------------------------------------- identify


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        ("business-case.pdf", pdf_bytes, PDF),
        ("business-case.docx", docx_bytes, DOCX),
        ("funding.xlsx", xlsx_bytes, XLSX),
        ("evaluation-plan.odt", odt_bytes, ODT),
        ("funding.ods", ods_bytes, ODS),
    ],
)
def test_identify_accepts_each_format_by_its_content(name, build, expected):
    assert identify(upload(name, build())) == expected


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        ("business-case.docx", pdf_bytes, PDF),
        ("letter.pdf", docx_bytes, DOCX),
        ("no-extension", ods_bytes, ODS),
    ],
)
def test_identify_ignores_the_name(name, build, expected):
    assert identify(upload(name, build())) == expected


def test_identify_leaves_the_file_at_its_start():
    file = upload("funding.xlsx", xlsx_bytes())
    identify(file)
    assert file.tell() == 0


def test_identify_accepts_a_file_of_exactly_the_limit():
    assert identify(upload("big.pdf", b"%PDF-1.7\n" + b"\0" * (documents.MAX_SIZE - 9))) == PDF


MACROS = "contains macros"
NOT_ACCEPTED = "must be a PDF, DOCX, XLSX, ODT or ODS"
DAMAGED = "is damaged"
PASSWORD = "password-protected"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plan.pdf", b"", "The selected file is empty"),
        ("plan.pdf", b"%PDF-1.7\n" + b"\0" * (20 * 1024 * 1024 - 8), "smaller than 20 MB"),
        ("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00PE program", NOT_ACCEPTED),
        ("plan.pdf", b"Funding 2016/17: 2,240,000\n", NOT_ACCEPTED),
        ("plan.pdf", b"<!DOCTYPE html><script>alert(1)</script>", NOT_ACCEPTED),
        ("plan.pdf", b" %PDF-1.7 with something before the header", NOT_ACCEPTED),
        ("notes.zip", zip_bytes({"notes.txt": "not an office document"}), NOT_ACCEPTED),
        ("plan.docx", zip_bytes({"[Content_Types].xml": "<Types/>"}), NOT_ACCEPTED),
        ("plan.docx", docm_bytes(), MACROS),
        (
            "plan.docx",
            docx_bytes(extra_entries={"word/vbaProject.bin": b"VBA"}),
            MACROS,
        ),
        (
            "funding.xlsx",
            xlsx_bytes("application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
            MACROS,
        ),
        (
            "plan.odt",
            odf_bytes(
                "application/vnd.oasis.opendocument.text",
                {"Basic/Standard/Module1.xml": "<script:module/>"},
            ),
            MACROS,
        ),
        (
            "template.dotx",
            docx_bytes(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
            ),
            NOT_ACCEPTED,
        ),
        ("slides.odp", odf_bytes("application/vnd.oasis.opendocument.presentation"), NOT_ACCEPTED),
        ("plan.docx", encrypted_zip_bytes(), PASSWORD),
        (
            "funding.ods",
            odf_bytes(
                "application/vnd.oasis.opendocument.spreadsheet",
                {"META-INF/manifest.xml": "<manifest:encryption-data/>"},
            ),
            PASSWORD,
        ),
        ("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, PASSWORD),
        ("plan.docx", docx_bytes()[:200], DAMAGED),
    ],
    ids=[
        "empty",
        "over-20-MB",
        "exe-named-pdf",
        "text-named-pdf",
        "html-named-pdf",
        "pdf-header-not-at-start",
        "zip-of-text",
        "zip-with-no-main-part",
        "docm",
        "docx-carrying-vba",
        "xlsm",
        "odt-with-basic-macros",
        "word-template",
        "odp",
        "encrypted-zip",
        "ods-with-a-password",
        "ole-doc-or-encrypted-office",
        "truncated-zip",
    ],
)
def test_identify_refuses(name, data, message):
    with pytest.raises(WorkflowError, match=message):
        identify(upload(name, data))


def test_identify_refuses_a_zip_whose_data_is_corrupt():
    data = bytearray(docx_bytes())
    start = data.index(b"word/document.xml") + len("word/document.xml")
    for offset in range(start + 4, start + 40):
        data[offset] ^= 0xFF
    with pytest.raises(WorkflowError, match=DAMAGED):
        identify(upload("plan.docx", bytes(data)))


def test_identify_refuses_a_package_that_would_inflate_past_the_limit(monkeypatch):
    monkeypatch.setattr(documents, "MAX_UNZIPPED_SIZE", 10_000)
    data = docx_bytes(extra_entries={"word/media/padding.bin": b"\0" * 20_000})
    assert len(data) < 10_000
    with pytest.raises(WorkflowError, match="too large to check"):
        identify(upload("plan.docx", data))


def test_identify_does_not_parse_a_content_types_part_with_a_dtd():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Types '
        'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        "<Default Extension='x' ContentType='&b;'/></Types>"
    )
    data = zip_bytes(
        {"[Content_Types].xml": laughs, "word/document.xml": "<w:document/>"},
    )
    with pytest.raises(WorkflowError, match=NOT_ACCEPTED):
        identify(upload("plan.docx", data))


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("business-case.pdf", "business-case.pdf"),
        ("C:\\Users\\office\\Documents\\business case.pdf", "business case.pdf"),
        ("../../etc/passwd", "passwd"),
        ("plan\u202efdp.exe", "planfdp.exe"),
        ("line\nbreak.pdf", "linebreak.pdf"),
        ("   ", "document"),
        ("a" * 300 + ".xlsx", "a" * 250 + ".xlsx"),
    ],
)
def test_clean_name(given, expected):
    assert documents.clean_name(given) == expected


@pytest.mark.parametrize(
    ("original_name", "content_type", "expected"),
    [
        ("business-case.pdf", PDF.content_type, "business-case.pdf"),
        ("Business-Case.PDF", PDF.content_type, "Business-Case.PDF"),
        ("business-case.docx", PDF.content_type, "business-case.pdf"),
        ("page.html", PDF.content_type, "page.pdf"),
        ("funding", XLSX.content_type, "funding.xlsx"),
        ("plan.v2.final", ODT.content_type, "plan.v2.odt"),
    ],
)
def test_download_name_has_the_extension_of_the_real_type(original_name, content_type, expected):
    document = Document(original_name=original_name, content_type=content_type)
    assert documents.download_name(document) == expected


# --------------------------------------------------------------------------- document_upload


def test_document_upload_stores_the_file_with_its_checksum_size_and_real_type(office_user, media):
    bid = BidFactory()
    data = pdf_bytes()

    document = document_upload(
        bid=bid,
        file=upload("business-case.docx", data),
        kind=Document.Kind.BUSINESS_CASE,
        by=office_user,
    )

    document.refresh_from_db()
    assert document.bid == bid
    assert document.kind == Document.Kind.BUSINESS_CASE
    assert document.original_name == "business-case.docx"
    assert document.content_type == "application/pdf"
    assert document.size == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.uploaded_by == office_user
    assert re.fullmatch(r"documents/[0-9a-f]{32}", document.file.name)
    assert stored_files(media) == [media / document.file.name]
    assert (media / document.file.name).read_bytes() == data


def test_document_upload_hashes_a_file_larger_than_one_chunk(office_user, media):
    picture = random.Random(2016).randbytes(3 * 64 * 1024 + 17)  # does not compress
    data = docx_bytes(extra_entries={"word/media/image1.png": picture})
    assert len(data) > 3 * 64 * 1024
    document = document_upload(
        bid=BidFactory(), file=upload("plan.docx", data), kind="other", by=office_user
    )
    assert (document.size, document.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert document.content_type == DOCX.content_type


def test_document_upload_gives_each_file_its_own_random_name(office_user, media):
    bid = BidFactory()
    first, second = (
        document_upload(bid=bid, file=upload("plan.odt", odt_bytes()), kind="other", by=office_user)
        for _ in range(2)
    )
    assert first.file.name != second.file.name
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("plan.pdf", b"MZ\x90\x00 an executable"),
        ("plan.docx", docm_bytes()),
        ("plan.pdf", b""),
        ("notes.zip", zip_bytes({"notes.txt": "text"})),
    ],
)
def test_document_upload_of_a_refused_file_writes_nothing(office_user, media, name, data):
    with pytest.raises(WorkflowError):
        document_upload(bid=BidFactory(), file=upload(name, data), kind="other", by=office_user)
    assert not Document.objects.exists()
    assert stored_files(media) == []


def test_document_upload_refuses_an_unknown_kind(office_user, media):
    with pytest.raises(WorkflowError, match="Select what kind"):
        document_upload(
            bid=BidFactory(), file=upload("plan.pdf", pdf_bytes()), kind="secret", by=office_user
        )
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("user", "bid_kwargs"),
    [
        ("office_user", {"submitted": True}),
        ("partner_office_user", {"partners": ["leicestershire"]}),
        ("partner_office_user", {"partners": ["leicestershire"], "submitted": True}),
        ("other_office_user", {}),
        ("analyst", {}),
    ],
)
def test_document_upload_is_for_the_lead_office_of_a_draft(request, media, user, bid_kwargs):
    user = request.getfixturevalue(user)
    with pytest.raises(PermissionDenied, match="lead force's office"):
        document_upload(
            bid=BidFactory(**bid_kwargs),
            file=upload("plan.pdf", pdf_bytes()),
            kind="other",
            by=user,
        )
    assert not Document.objects.exists()
    assert stored_files(media) == []


# --------------------------------------------------------------------------- document_delete


def test_document_delete_removes_the_row_and_then_the_file(
    office_user, media, django_capture_on_commit_callbacks
):
    document = document_upload(
        bid=BidFactory(), file=upload("plan.pdf", pdf_bytes()), kind="other", by=office_user
    )
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document, by=office_user)
    assert not Document.objects.exists()
    assert stored_files(media) == []


def test_document_delete_keeps_the_file_when_the_transaction_rolls_back(office_user, media):
    document = document_upload(
        bid=BidFactory(), file=upload("plan.pdf", pdf_bytes()), kind="other", by=office_user
    )

    def delete_then_fail():
        with transaction.atomic():
            document_delete(document=document, by=office_user)
            raise RuntimeError("something later in the request failed")

    with pytest.raises(RuntimeError):
        delete_then_fail()
    assert Document.objects.filter(pk=document.pk).exists()
    assert stored_files(media) == [media / document.file.name]


@pytest.mark.parametrize(
    ("user", "bid_kwargs"),
    [
        ("office_user", {"submitted": True}),
        ("partner_office_user", {"partners": ["leicestershire"], "submitted": True}),
        ("other_office_user", {}),
        ("analyst", {}),
    ],
)
def test_document_delete_is_for_the_lead_office_of_a_draft(
    request, media, django_capture_on_commit_callbacks, user, bid_kwargs
):
    document = DocumentFactory(bid=BidFactory(**bid_kwargs))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        document_delete(document=document, by=request.getfixturevalue(user))
    assert Document.objects.filter(pk=document.pk).exists()
    assert stored_files(media) == [media / document.file.name]


def test_document_delete_twice_says_it_is_gone(office_user, media):
    document = DocumentFactory(bid=BidFactory())
    stale = Document.objects.get(pk=document.pk)
    document_delete(document=document, by=office_user)
    with pytest.raises(WorkflowError, match="already been removed"):
        document_delete(document=stale, by=office_user)


def test_adding_and_removing_a_document_is_on_the_bids_record(office_user, media):
    bid = BidFactory()
    document = document_upload(
        bid=bid, file=upload("case.pdf", pdf_bytes()), kind="business_case", by=office_user
    )
    document_delete(document=document, by=office_user)
    events = list(bid.events.values_list("action", "note", "actor"))
    assert events == [
        ("document_uploaded", "Business case: case.pdf", office_user.pk),
        ("document_deleted", "Business case: case.pdf", office_user.pk),
    ]
