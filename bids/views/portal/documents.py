"""Documents of a bid in the portal (list, upload, download, delete) and the bid as a PDF.

``document_file_response`` and ``bid_pdf_response`` take a bid or document the caller has
already scoped to the user, so that other workspaces can serve them behind their own lookups.
"""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.views.generic import FormView, TemplateView, View

from bids import documents, permissions
from bids.forms.documents import DocumentUploadForm
from bids.models import Bid, Document
from bids.views.portal.base import BidMixin, bid_answers_context
from fundtracker.pdf import render_pdf

logger = logging.getLogger(__name__)


def _private(response: HttpResponse) -> HttpResponse:
    # A bid's papers must not stay in a shared cache or the browser's, nor be read as HTML.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_file_response(document: Document) -> FileResponse:
    """The stored file as a download, under its own name with the extension of its real type.

    The caller has checked that the user may see the document's bid.
    """
    try:
        file = document.file.open("rb")
    except FileNotFoundError:
        logger.error("The file of document %s (%s) is missing", document.pk, document.file.name)
        raise Http404("The file of this document is missing.") from None
    response = FileResponse(
        file,
        as_attachment=True,
        filename=documents.download_name(document),
        content_type=document.content_type,
    )
    _private(response)
    # Were the file ever opened in the browser after all, it could run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def bid_pdf_context(bid: Bid) -> dict:
    """What ``pdf/bid.html`` shows of ``bid``."""
    return {
        "bid": bid,
        **bid_answers_context(bid),
        "documents": list(bid.documents.order_by("uploaded_at", "pk")),
        "generated_at": timezone.now(),
    }


def bid_pdf_response(bid: Bid, request) -> HttpResponse:
    """The whole bid as an A4 PDF download, ``<reference>.pdf``.

    The caller has checked that the user may see ``bid`` (see ``bid_pdf_context``).
    """
    response = HttpResponse(
        render_pdf("pdf/bid.html", bid_pdf_context(bid), request=request),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = content_disposition_header(True, f"{bid.reference}.pdf")
    return _private(response)


class DocumentListView(BidMixin, FormView):
    """The bid's documents; the lead force's office adds them here while the bid is a draft."""

    template_name = "bids/portal/documents/document_list.html"
    form_class = DocumentUploadForm

    @cached_property
    def can_edit(self) -> bool:
        return permissions.can_edit_bid(self.request.user, self.bid)

    def post(self, request, *args, **kwargs):
        if not self.can_edit:
            return _cannot_change(request, self.bid)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            document = documents.document_upload(
                bid=self.bid,
                file=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                by=self.request.user,
            )
        except ValidationError as error:
            form.add_error("file", error)
            return self.form_invalid(form)
        messages.success(self.request, f"{document.original_name} has been uploaded")
        return redirect("portal:documents", reference=self.bid.reference)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["document_rows"] = [
            (document, documents.file_type(document.content_type))
            for document in self.bid.documents.select_related("uploaded_by").order_by(
                "uploaded_at", "pk"
            )
        ]
        if not self.can_edit:
            context.pop("form", None)
        return context


class DocumentDownloadView(BidMixin, View):
    """One document of a bid the office may see; any other id under the reference is 404."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        document = get_object_or_404(Document.objects.filter(bid=self.bid), pk=kwargs["pk"])
        return document_file_response(document)


class DocumentDeleteView(BidMixin, TemplateView):
    """Asks before removing a document from a draft; removes it on POST."""

    template_name = "bids/portal/documents/document_confirm_delete.html"

    @cached_property
    def document(self) -> Document:
        document = get_object_or_404(
            Document.objects.filter(bid=self.bid).select_related("uploaded_by"),
            pk=self.kwargs["pk"],
        )
        document.bid = self.bid
        return document

    def dispatch(self, request, *args, **kwargs):
        # Users without an office are turned away by OfficeMixin; for the others, an id that
        # is not a document of this bid is 404 before the bid's state is considered.
        if permissions.office_force_id(request.user) is not None and not (
            permissions.can_edit_bid(request.user, self.document.bid)
        ):
            return _cannot_change(request, self.bid)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        name = self.document.original_name
        try:
            documents.document_delete(document=self.document, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.info(request, message)
        else:
            messages.success(request, f"{name} has been deleted")
        return redirect("portal:documents", reference=self.bid.reference)

    def get_context_data(self, **kwargs):
        return super().get_context_data(document=self.document, **kwargs)


class BidPdfView(BidMixin, View):
    """Any bid the office may see, its own drafts included, as a PDF."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        return bid_pdf_response(self.bid, request)


def _cannot_change(request, bid: Bid):
    if permissions.is_office_of(request.user, bid):
        message = (
            f"Bid {bid.reference} is {bid.get_status_display().lower()}, "
            "so its documents can no longer be changed."
        )
    else:
        message = f"Only {bid.lead_force}'s office can change the documents of bid {bid.reference}."
    messages.info(request, message)
    return redirect("portal:documents", reference=bid.reference)


urlpatterns = [
    path("bids/<str:reference>/documents/", DocumentListView.as_view(), name="documents"),
    path(
        "bids/<str:reference>/documents/<int:pk>/",
        DocumentDownloadView.as_view(),
        name="document_download",
    ),
    path(
        "bids/<str:reference>/documents/<int:pk>/delete/",
        DocumentDeleteView.as_view(),
        name="document_delete",
    ),
    path("bids/<str:reference>/bid.pdf", BidPdfView.as_view(), name="bid_pdf"),
]
