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

# A ZIP bomb is a small file that inflates to gigabytes. A package is refused unread when its
# central directory declares more than this in all, and again while it is inflated (in chunks,
# counting) should its entries turn out larger than they declared. Office XML packs about 20 to
# 1, so a real 20 MB spreadsheet stays well inside.
MAX_UNZIPPED_SIZE = 10 * MAX_SIZE
# Deflate can pack repeated bytes about 1,000 to 1, which is what bombs use; XML, even a sheet
# of empty cells, stays far below this. Only entries past ``_RATIO_FLOOR`` are judged, since a
# few kB of anything may pack tightly.
MAX_COMPRESSION_RATIO = 200
_RATIO_FLOOR = 1024 * 1024
# Real documents have tens of parts, large workbooks a few thousand; a ZIP of millions of empty
# entries costs the server time for nothing.
MAX_ENTRIES = 5000
# The few small parts that say what a package is are read whole; real ones are a few kB.
MAX_PART_SIZE = 1024 * 1024
_CHUNK = 64 * 1024
# Longer names than this are almost always generated, and no folder or file system takes
# them everywhere; Django itself cuts names at 255, so such a cut name is refused here too.
MAX_NAME_LENGTH = 200


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
TOO_LARGE_TO_CHECK = (
    "The selected file is too large to check. Save it as a PDF, or split it into smaller files"
)


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
            if len(entries) > MAX_ENTRIES:
                raise _refuse(TOO_LARGE_TO_CHECK)
            if len({entry.filename for entry in entries}) != len(entries):
                # Two entries of one name: readers disagree on which is the real one.
                raise damaged
            if any(entry.flag_bits & 0x1 for entry in entries):
                raise _refuse(
                    "The selected file is password-protected. Save it without a password, "
                    "then upload it again"
                )
            if sum(entry.file_size for entry in entries) > MAX_UNZIPPED_SIZE or any(
                _too_packed(entry.file_size, entry.compress_size) for entry in entries
            ):
                raise _refuse(TOO_LARGE_TO_CHECK)
            _inflate_all(package, entries)
            found = _odf_type(package, entries) or _ooxml_type(package)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError):
        raise damaged from None
    except NotImplementedError:
        # A compression method or ZIP feature Python cannot read, which Office never uses.
        raise _refuse(NOT_ACCEPTED) from None
    if found is None:
        raise _refuse(NOT_ACCEPTED)
    return found


def _too_packed(inflated: int, compressed: int) -> bool:
    return inflated > _RATIO_FLOOR and inflated > MAX_COMPRESSION_RATIO * max(compressed, 1)


def _inflate_all(package: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Inflate every entry in chunks, checking each one's CRC, and stop at the first byte past
    what the entry declared, past ``MAX_UNZIPPED_SIZE`` in all, or past the ratio: the sizes a
    central directory declares are the sender's word, and this does not take it."""
    budget = MAX_UNZIPPED_SIZE
    for entry in entries:
        inflated = 0
        with package.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                inflated += len(chunk)
                budget -= len(chunk)
                if (
                    inflated > entry.file_size
                    or budget < 0
                    or _too_packed(inflated, entry.compress_size)
                ):
                    raise _refuse(TOO_LARGE_TO_CHECK)


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
    if not ("META-INF/manifest.xml" in names and _starts_as_xml(package, "content.xml")):
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
    # The package's root relationships name its main part; Word and Excel open nothing else.
    main_parts = {
        target.lstrip("/")
        for kind, target in _elements(
            _read_part(package, "_rels/.rels"), "Relationship", "Type", "Target"
        )
        if kind in _OFFICE_DOCUMENT
    }
    for part_name, content_type in _elements(content_types, "Override", "PartName", "ContentType"):
        found = _OOXML_MAIN_PARTS.get(content_type)
        part_name = part_name.lstrip("/")
        if (
            found is not None
            and part_name in names
            and part_name in main_parts
            and _starts_as_xml(package, part_name)
        ):
            return found
    return None


# Transitional OOXML (what Office saves by default) and Strict OOXML name the relationship apart.
_OFFICE_DOCUMENT = {
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
}


def _elements(xml: bytes | None, tag: str, *attributes: str) -> list[tuple[str, ...]]:
    """The ``attributes`` of each ``tag`` child of the root of a small package part.

    OOXML forbids a DTD in its package parts, so a part that has one is not parsed at all (which
    also keeps entity-expansion tricks away from the XML parser).
    """
    if xml is None or b"<!DOCTYPE" in xml.upper():
        return []
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return []
    return [
        tuple(element.get(attribute, "") for attribute in attributes)
        for element in root
        if element.tag.rsplit("}", 1)[-1] == tag
    ]


def _starts_as_xml(package: zipfile.ZipFile, name: str) -> bool:
    """Whether the part exists and begins as an XML document does (its body may be large)."""
    try:
        with package.open(name) as stream:
            head = stream.read(256)
    except KeyError:
        return False
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


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


def check_name(name: str) -> str:
    """The name a file is shown under, or ``WorkflowError`` when the name itself is a trick.

    Browsers send only a file's own name; folders, a parent-folder ``..``, control characters
    (a NUL ends a name early in C, U+202E turns ``fdp.exe`` into ``exe.pdf`` on screen) or a
    name of dots come from a tool that is probing, and are refused rather than quietly mended.
    The file is stored under a random name whatever this one says.
    """
    name = name or ""
    if "/" in name or "\\" in name:
        raise _refuse(
            "The selected file's name must not include a folder. Rename the file, then upload "
            "it again"
        )
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise _refuse(
            "The selected file's name must not include control characters. Rename the file, "
            "then upload it again"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise _refuse(
            f"The selected file's name must be {MAX_NAME_LENGTH} characters or fewer. Rename "
            "the file, then upload it again"
        )
    if not any(c.isalnum() for c in name):
        raise _refuse(
            "The selected file's name must include letters or numbers. Rename the file, then "
            "upload it again"
        )
    return clean_name(name)


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
    (see ``identify``), under a plain name (see ``check_name``). It is stored under a random
    name with its SHA-256, size and the content type found, and the name it was uploaded with
    is kept for display and download.
    """
    bid = _locked_bid(bid)
    require(
        permissions.can_edit_bid(by, bid),
        "Only the lead force's office can add documents, and only while the bid is a draft.",
    )
    if kind not in Document.Kind.values:
        raise WorkflowError("Select what kind of document it is", code="invalid_kind")
    original_name = check_name(file.name)
    found = identify(file)
    sha256, size = _digest(file)
    document = Document(
        bid=bid,
        kind=kind,
        original_name=original_name,
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
