"""Files attached to bids: what a file really is, and the services that store and delete them.

A file's type comes from its content, never from its name or the browser's word for it: a PDF
by its ``%PDF-`` header, DOCX and XLSX by the parts their ZIP package declares, ODT and ODS by
the ``mimetype`` entry their ZIP package starts with. Anything else is refused, and so are
macro-enabled, password-protected and damaged files.
"""

import hashlib
import os
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO
from xml.etree import ElementTree

from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction

from bids import permissions
from bids.models import Bid, BidEvent, Document
from bids.permissions import require
from bids.services.base import WorkflowError, record_event

MAX_SIZE = 20 * 1024 * 1024
MAX_SIZE_LABEL = "20 MB"
ACCEPTED_LABEL = "PDF, DOCX, XLSX, ODT or ODS"

# A ZIP declares how much each entry inflates to; past this in all, it is refused unread,
# so a small file cannot make the server inflate gigabytes. Spreadsheet XML packs about 20 to 1.
MAX_UNZIPPED_SIZE = 25 * MAX_SIZE
# The few small parts that say what a package is are read whole; real ones are a few kB.
MAX_PART_SIZE = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    name: str
    content_type: str
    extension: str


PDF = FileType("PDF", "application/pdf", "pdf")
DOCX = FileType(
    "DOCX",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "docx",
)
XLSX = FileType("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
ODT = FileType("ODT", "application/vnd.oasis.opendocument.text", "odt")
ODS = FileType("ODS", "application/vnd.oasis.opendocument.spreadsheet", "ods")
FILE_TYPES = (PDF, DOCX, XLSX, ODT, ODS)

# The content type of an OOXML package's main part names what the package is.
_OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
_OOXML_MACRO_PARTS = {
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.sheet.binary.macroEnabled.main",
    "application/vnd.ms-office.vbaProject",
}
_ODF_TYPES = {t.content_type.encode(): t for t in (ODT, ODS)}

_ZIP_MAGIC = b"PK\x03\x04"
# Word 97–2003, Excel 97–2003, and any Office file saved with a password.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

NOT_ACCEPTED = f"The selected file must be a {ACCEPTED_LABEL}"


def _refuse(message: str) -> WorkflowError:
    return WorkflowError(message, code="invalid_file")


def identify(file: IO[bytes] | File) -> FileType:
    """The type of ``file`` from its content; ``WorkflowError`` saying why when it is refused.

    Reads the file from its start and leaves it there. Empty and oversized files are refused
    here too, so that nothing reaches storage without passing through this one check.
    """
    size = _size(file)
    if size == 0:
        raise _refuse("The selected file is empty")
    if size > MAX_SIZE:
        raise _refuse(f"The selected file must be smaller than {MAX_SIZE_LABEL}")
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(_ZIP_MAGIC):
            return _identify_zip(file)
        if head.startswith(_OLE_MAGIC):
            raise _refuse(
                "The selected file is password-protected or in an old Office format (DOC or "
                "XLS). Save it without a password as DOCX, XLSX or PDF, then upload it again"
            )
        raise _refuse(NOT_ACCEPTED)
    finally:
        file.seek(0)


def _size(file) -> int:
    size = getattr(file, "size", None)
    if size is None:
        size = file.seek(0, os.SEEK_END)
    return size


def _identify_zip(file) -> FileType:
    damaged = _refuse("The selected file is damaged and cannot be opened. Upload a copy that opens")
    try:
        with zipfile.ZipFile(file) as package:
            entries = package.infolist()
            if not entries:
                raise damaged
            if any(entry.flag_bits & 0x1 for entry in entries):
                raise _refuse(
                    "The selected file is password-protected. Save it without a password, "
                    "then upload it again"
                )
            if sum(entry.file_size for entry in entries) > MAX_UNZIPPED_SIZE:
                raise _refuse(
                    "The selected file is too large to check. Save it as a PDF, or split it "
                    "into smaller files"
                )
            if package.testzip() is not None:
                raise damaged
            found = _odf_type(package, entries) or _ooxml_type(package)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError):
        raise damaged from None
    except NotImplementedError:
        # A compression method or ZIP feature Python cannot read, which Office never uses.
        raise _refuse(NOT_ACCEPTED) from None
    if found is None:
        raise _refuse(NOT_ACCEPTED)
    return found


def _read_part(package: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = package.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_SIZE:
        return None
    return package.read(info)


def _odf_type(package: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> FileType | None:
    """ODF (ISO/IEC 26300): the package's first entry is ``mimetype``, holding the type."""
    if entries[0].filename != "mimetype":
        return None
    found = _ODF_TYPES.get((_read_part(package, "mimetype") or b"").strip())
    if found is None:
        return None
    names = package.namelist()
    if "content.xml" not in names:
        raise _refuse(NOT_ACCEPTED)
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise _refuse(
            "The selected file contains macros. Save it without macros, then upload it again"
        )
    manifest = _read_part(package, "META-INF/manifest.xml") or b""
    if b"encryption-data" in manifest:
        raise _refuse(
            "The selected file is password-protected. Save it without a password, "
            "then upload it again"
        )
    return found


def _ooxml_type(package: zipfile.ZipFile) -> FileType | None:
    """OOXML (ISO/IEC 29500): ``[Content_Types].xml`` gives each part's content type."""
    content_types = _read_part(package, "[Content_Types].xml")
    if content_types is None:
        return None
    names = set(package.namelist())
    if any(name.lower().endswith("vbaproject.bin") for name in names) or any(
        part.encode() in content_types for part in _OOXML_MACRO_PARTS
    ):
        raise _refuse(
            "The selected file contains macros. Save it as DOCX or XLSX (not DOCM or XLSM), "
            "then upload it again"
        )
    for part_name, content_type in _overrides(content_types):
        found = _OOXML_MAIN_PARTS.get(content_type)
        if found is not None and part_name.lstrip("/") in names:
            return found
    return None


def _overrides(content_types: bytes) -> list[tuple[str, str]]:
    """The ``(PartName, ContentType)`` pairs of ``[Content_Types].xml``.

    OOXML forbids a DTD there, so a file that has one is not parsed at all (which also keeps
    entity-expansion tricks away from the XML parser).
    """
    if b"<!DOCTYPE" in content_types.upper():
        return []
    try:
        root = ElementTree.fromstring(content_types)
    except ElementTree.ParseError:
        return []
    return [
        (element.get("PartName", ""), element.get("ContentType", ""))
        for element in root
        if element.tag.rsplit("}", 1)[-1] == "Override"
    ]


def _digest(file: File) -> tuple[str, int]:
    """SHA-256 and size, read in chunks so a large file is never held in memory whole."""
    sha256 = hashlib.sha256()
    size = 0
    file.seek(0)
    for chunk in file.chunks():
        sha256.update(chunk)
        size += len(chunk)
    file.seek(0)
    return sha256.hexdigest(), size


def clean_name(name: str) -> str:
    """The file's own name without any folder, control characters or surrounding spaces."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: 254 - len(extension)]}.{extension}" if dot and extension else name[:255]
    return name or "document"


def file_type(content_type: str) -> FileType | None:
    """The accepted type with this content type."""
    return next((t for t in FILE_TYPES if t.content_type == content_type), None)


def download_name(document: Document) -> str:
    """The name a document downloads under: its original name, with the extension of what it
    really is, so that a PDF named ``.html`` is never saved as a page a browser would run."""
    known = file_type(document.content_type)
    extension = known.extension if known else ""
    name = clean_name(document.original_name)
    stem, dot, current = name.rpartition(".")
    if not extension or (dot and current.lower() == extension):
        return name
    return f"{stem if dot and stem else name}.{extension}"


def _locked_bid(bid: Bid) -> Bid:
    return Bid.objects.select_for_update().get(pk=bid.pk)


@transaction.atomic
def document_upload(*, bid: Bid, file: File, kind: str, by: User) -> Document:
    """Attach a file to a draft bid; only the lead force's office may.

    The file must be a PDF, DOCX, XLSX, ODT or ODS of at most 20 MB, judged by its content
    (see ``identify``). It is stored under a random name with its SHA-256, size and the
    content type found, and the name it was uploaded with is kept for display and download.
    """
    bid = _locked_bid(bid)
    require(
        permissions.can_edit_bid(by, bid),
        "Only the lead force's office can add documents, and only while the bid is a draft.",
    )
    if kind not in Document.Kind.values:
        raise WorkflowError("Select what kind of document it is", code="invalid_kind")
    found = identify(file)
    sha256, size = _digest(file)
    document = Document(
        bid=bid,
        kind=kind,
        original_name=clean_name(file.name),
        content_type=found.content_type,
        size=size,
        sha256=sha256,
        uploaded_by=by,
    )
    # The name given here is ignored: ``upload_to`` makes a random one.
    document.file.save(found.extension, file, save=False)
    try:
        document.save()
    except BaseException:
        document.file.delete(save=False)
        raise
    record_event(
        bid,
        BidEvent.Action.DOCUMENT_UPLOADED,
        by,
        note=f"{document.get_kind_display()}: {document.original_name}",
    )
    return document


@transaction.atomic
def document_delete(*, document: Document, by: User) -> None:
    """Remove a document from a draft bid; only the lead force's office may.

    The stored file goes once the transaction commits, so a rollback leaves row and file.
    """
    bid = _locked_bid(document.bid)
    require(
        permissions.can_edit_bid(by, bid),
        "Only the lead force's office can remove documents, and only while the bid is a draft.",
    )
    try:
        document = Document.objects.select_for_update().get(pk=document.pk, bid=bid)
    except Document.DoesNotExist:
        raise WorkflowError("This document has already been removed.") from None
    storage, name = document.file.storage, document.file.name
    record_event(
        bid,
        BidEvent.Action.DOCUMENT_DELETED,
        by,
        note=f"{document.get_kind_display()}: {document.original_name}",
    )
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))
