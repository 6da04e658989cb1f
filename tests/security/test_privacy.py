"""Nothing private reaches a public page, download or API answer (design §5).

A realistic database (the demo data set, plus the security world whose private texts carry a
marker) is read through every public URL: the home page, every page of the ``public`` and
``api`` namespaces with every profile and every published award, the CSV, the 360Giving file,
the open-data page and the PDF report as text (``pdftotext``). None may hold a user's full
name, username or email, a reviewer's justification, comment or conflict of interest, the title
or reference of a bid that is not a published award, or a document's file name.

Usernames that are plain words (``admin``, ``analyst``, ``approver``) are left out of the
search: the words appear in ordinary text. Scores are numbers, so they are looked for through
their texts and through the API's field names rather than as figures.
"""

import html
import json
import re
import shutil
import subprocess
from pathlib import PurePosixPath

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from bids.models import Award, Bid, Clarification, Document, Review, Score, SpendCategory
from forces.models import Collaboration, Force, Region
from tests.security.conftest import SECRET, build_world

pytestmark = pytest.mark.django_db

PUBLIC_NAMESPACES = ("public", "api")
PDFTOTEXT = shutil.which("pdftotext")


def public_patterns() -> set[str]:
    """``namespace:name`` of every pattern of the public namespaces."""
    names = set()
    for resolver in get_resolver().url_patterns:
        if getattr(resolver, "namespace", None) in PUBLIC_NAMESPACES:
            names |= {
                f"{resolver.namespace}:{p.name}"
                for p in resolver.url_patterns
                if isinstance(p, URLPattern)
            }
    return names


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "page.pdf"
    path.write_bytes(content)
    return subprocess.run(
        [PDFTOTEXT, "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def readable(response, tmp_path) -> str:
    """What a reader or a program gets from the answer: HTML and CSV unescaped, JSON decoded
    (so ``\\u`` escapes cannot hide a name), PDF as its text."""
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if content_type.startswith("application/pdf"):
        return pdf_text(body, tmp_path)
    text = body.decode()
    if "json" in content_type:
        return json.dumps(json.loads(text), ensure_ascii=False)
    return html.unescape(text)


def public_urls() -> dict[str, list[str]]:
    """Every public URL to read, by the URL pattern it belongs to."""
    awards = list(Award.objects.published().values_list("bid__reference", flat=True))
    urls = {
        "public:allocations": [reverse("public:allocations")]
        + [f"{reverse('public:allocations')}?financial_year={year}" for year in (2016, 2017)],
        "public:allocations_csv": [reverse("public:allocations_csv")],
        "public:allocations_pdf": [reverse("public:allocations_pdf")],
        "public:force_list": [reverse("public:force_list")],
        "public:force_detail": [
            reverse("public:force_detail", args=[slug])
            for slug in Force.objects.values_list("slug", flat=True)
        ],
        "public:region_list": [reverse("public:region_list")],
        "public:region_detail": [
            reverse("public:region_detail", args=[slug])
            for slug in Region.objects.values_list("slug", flat=True)
        ],
        "public:collaboration_detail": [
            reverse("public:collaboration_detail", args=[slug])
            for slug in Collaboration.objects.values_list("slug", flat=True)
        ],
        "public:category_list": [reverse("public:category_list")],
        "public:category_detail": [
            reverse("public:category_detail", args=[slug])
            for slug in SpendCategory.objects.values_list("slug", flat=True)
        ],
        "public:award_list": [
            f"{reverse('public:award_list')}?page={page}"
            for page in range(1, len(awards) // 50 + 2)
        ],
        "public:award_detail": [reverse("public:award_detail", args=[ref]) for ref in awards],
        "public:open_data": [reverse("public:open_data")],
        "public:giving360": [reverse("public:giving360")],
        "api:root": [reverse("api:root")],
        "api:awards": [
            f"{reverse('api:awards')}?page_size=100&page={page}"
            for page in range(1, len(awards) // 100 + 2)
        ],
        "api:allocations": [
            f"{reverse('api:allocations')}?group_by={group}"
            for group in ("category", "force", "region", "financial_year")
        ],
        "api:openapi": [reverse("api:openapi")],
    }
    urls["home"] = [reverse("home")]
    return urls


@pytest.fixture(scope="module")
def pages(django_db_setup, django_db_blocker, tmp_path_factory):
    """Every public answer's text by URL, read from the demo data set and the security world
    (built once, rolled back at the end of the module)."""
    tmp_path = tmp_path_factory.mktemp("pdf")
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", force=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
        build_world()
        client = Client(raise_request_exception=True)
        read = {}
        for name, urls in public_urls().items():
            if name == "public:allocations_pdf" and PDFTOTEXT is None:
                continue  # see test_the_pdf_report_is_read
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, f"{url} answered {response.status_code}"
                read[url] = (name, Words(readable(response, tmp_path)))
        secrets = forbidden()
        yield read, secrets
        transaction.set_rollback(True)


def forbidden() -> dict[str, set[str]]:
    """What must never be public, by kind."""
    users = list(User.objects.all())
    published = Bid.objects.published()
    # A private bid may share a project's name with a published one ("Accreditation of digital
    # forensic laboratories"), which is then public by the published award.
    published_titles = [Words(t) for t in set(published.values_list("title", flat=True))]
    private_bids = Bid.objects.exclude(pk__in=published.values("pk"))
    documents = Document.objects.all()
    return {
        "full name": {u.get_full_name() for u in users if u.first_name and u.last_name},
        "username": {u.username for u in users if not u.username.isalpha()},
        "email": {u.email for u in users if u.email},
        "justification": set(Score.objects.values_list("justification", flat=True)),
        "review comment": {c for c in Review.objects.values_list("comments", flat=True) if c},
        "conflict of interest": {
            c for c in Review.objects.values_list("conflict_details", flat=True) if c
        },
        "clarification": {
            text
            for pair in Clarification.objects.values_list("question", "answer")
            for text in pair
            if text
        },
        "unpublished title": {
            title
            for title in private_bids.values_list("title", flat=True)
            if not any(phrase(title) in words for words in published_titles)
        },
        "unpublished reference": set(private_bids.values_list("reference", flat=True)),
        "document file name": set(documents.values_list("original_name", flat=True))
        | {PurePosixPath(name).name for name in documents.values_list("file", flat=True)},
    }


WORD = re.compile(r"\w+")


class Words:
    """A text as its words, indexed by word, to look for thousands of phrases quickly. Words
    rather than characters: a phrase matches whatever punctuation or markup splits it, and a
    reference never matches inside a longer one."""

    def __init__(self, text: str):
        self.words = WORD.findall(text)
        self.at: dict[str, list[int]] = {}
        for index, word in enumerate(self.words):
            self.at.setdefault(word, []).append(index)

    def __contains__(self, phrase: tuple[str, ...]) -> bool:
        size = len(phrase)
        return any(
            tuple(self.words[start : start + size]) == phrase
            for start in self.at.get(phrase[0], ())
        )


def phrase(text: str) -> tuple[str, ...]:
    return tuple(WORD.findall(text))


def test_every_public_url_pattern_is_read(pages):
    read, _ = pages
    unread = public_patterns() - {name for name, _ in read.values()}
    if PDFTOTEXT is None:
        unread.discard("public:allocations_pdf")
    assert not unread


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) reads the PDF report")
def test_the_pdf_report_is_read_as_text(pages):
    read, _ = pages
    (words,) = [w for name, w in read.values() if name == "public:allocations_pdf"]
    assert phrase("Police funding allocations") in words
    assert phrase("Published award title 7") in words  # the security world's public award


def test_the_data_set_has_something_to_hide(pages):
    """The search is not vacuous: each kind of private text exists, in quantity."""
    _, secrets = pages
    for kind, texts in secrets.items():
        assert len(texts) >= 2, f"no {kind} to look for"
    assert any(SECRET in name for name in secrets["full name"])
    assert len(secrets["unpublished reference"]) > 100  # the demo data set's bids


@pytest.mark.parametrize(
    "kind",
    [
        "full name",
        "username",
        "email",
        "justification",
        "review comment",
        "conflict of interest",
        "clarification",
        "unpublished title",
        "unpublished reference",
        "document file name",
    ],
)
def test_no_public_answer_holds_private_text(pages, kind):
    read, secrets = pages
    phrases = {secret: phrase(secret) for secret in secrets[kind] if phrase(secret)}
    leaks = [
        f"{url}: {secret!r}"
        for url, (_, words) in read.items()
        for secret, words_of_secret in phrases.items()
        if words_of_secret in words
    ]
    assert not leaks, f"{kind} on public pages: " + "; ".join(leaks[:20])


def test_no_public_answer_holds_the_marker_of_private_text(pages):
    """Every private text of the security world carries the marker; published ones do not."""
    read, _ = pages
    leaks = [
        url
        for url, (_, words) in read.items()
        if any(SECRET.lower() in word.lower() for word in words.at)
    ]
    assert not leaks, f"private text on: {leaks[:20]}"


def test_the_api_has_no_field_for_people_or_scores(pages):
    read, _ = pages
    for url, (name, words) in read.items():
        if not name.startswith("api:") or name == "api:openapi":
            continue
        private = {w for w in words.at if re.search(r"score|review|justif|email|username", w)}
        assert not private, f"{url} has {private}"


def test_the_search_finds_a_phrase_however_it_is_marked_up_and_only_whole():
    page = Words(html.unescape('<td>Bid <a href="/x">SEC-2016-0001</a>.</td><p>Ann &amp; Bo</p>'))
    assert phrase("SEC-2016-0001") in page
    assert phrase("Ann & Bo") in page
    assert phrase("SEC-2016-000") not in page
    assert phrase("SEC-2016-00011") not in page
