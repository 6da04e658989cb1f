"""The form that uploads a document to a draft bid; ``bids.documents`` decides what is accepted."""

from django import forms

from bids import documents
from bids.models import Document


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of document is it?",
        choices=Document.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what kind of document it is",
            "invalid_choice": "Select what kind of document it is",
        },
    )
    file = forms.FileField(
        label="Upload a file",
        help_text=f"A {documents.ACCEPTED_LABEL} file, up to {documents.MAX_SIZE_LABEL}.",
        # An empty file gets the same message here as from the service.
        allow_empty_file=True,
        error_messages={
            "required": "Select a file",
            "invalid": "Select a file",
            "missing": "Select a file",
        },
        widget=forms.FileInput(
            attrs={
                # Only a hint to the browser's file picker: the content decides (bids.documents).
                "accept": ".pdf,.docx,.xlsx,.odt,.ods,"
                + ",".join(t.content_type for t in documents.FILE_TYPES),
            }
        ),
    )

    def clean_file(self):
        # Checked here as well as in the service so that an oversized or empty upload is
        # turned away before anything else runs; the service checks the content.
        file = self.cleaned_data["file"]
        if file.size == 0:
            raise forms.ValidationError("The selected file is empty", code="empty")
        if file.size > documents.MAX_SIZE:
            raise forms.ValidationError(
                f"The selected file must be smaller than {documents.MAX_SIZE_LABEL}",
                code="too_large",
            )
        try:
            documents.check_name(file.name)
        except forms.ValidationError as error:
            raise forms.ValidationError(error.messages, code="invalid_name") from None
        return file
