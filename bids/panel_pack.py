"""The funding panel's pack: a cover, the ranked list with the funding line, then a page for each
recommended bid with its reviews and moderation, as one PDF (``pack_pdf``).

WeasyPrint takes tens of milliseconds a page, so a bid's page is laid out once and kept
(``PanelPackPage``): when the bid is moderated (``lay_out_ahead``, after the moderation commits)
or else by the first download that needs it. A kept page is used while the HTML it was laid out
from is what the bid's page would be now, so a change to anything the page shows lays it out
again. What depends on the other bids — the rank, and the place against the funding line — is
not on the kept page: it is written at its top as the pages are joined. A download lays out the
cover and the ranked list, which change whenever any bid's score or the envelope does.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Q
from django.template.loader import render_to_string

from bids.funding_line import Row
from bids.models import Bid, Criterion, PanelPackPage, PdfFontFile
from bids.moderation import Moderation, criterion_text, moderated_text, moderation_sheet, person
from fundtracker.money import ZERO, format_gbp
from fundtracker.pdf import LaidOut, Part, join, lay_out_side_by_side
from fundtracker.years import fy_label

logger = logging.getLogger(__name__)

TEMPLATE = "pdf/panel_pack.html"
# In every kept page's digest: a new value lays every page out again, for a change to how pages
# are laid out that their HTML does not show (the HTML, WeasyPrint's version are in already).
LAYOUT_VERSION = "1"


def bid_page(bid: Bid, criteria: list[Criterion], *, withheld: bool = False) -> dict:
    """What a bid's page shows, from a bid fetched with ``BidQuerySet.for_panel_pack``; without
    its reviews and the reasons for its moderation when ``withheld``."""
    sheet = moderation_sheet(criteria, [] if withheld else bid.panel_reviews)
    partners = [force.name for force in bid.partner_forces.all()]
    moderation = Moderation.from_event(next(iter(bid.moderations), None), bid)
    lines = bid.funding_lines.all()
    return {
        "bid": bid,
        "sheet": sheet,
        "moderation": moderation,
        "withheld": withheld,
        # Written out here rather than in the template: two hundred bids' pages of loops and
        # filters would take longer to render than the queries to run.
        "lead": bid.lead_force.name + (f", with {', '.join(partners)}" if partners else ""),
        "profile": "; ".join(
            f"{fy_label(line.financial_year)} {format_gbp(line.amount)}" for line in lines
        ),
        "total": sum((line.amount for line in lines), ZERO),
        "moderated": moderated_text(bid, moderation),
        "criteria": [criterion_text(criterion) for criterion in sheet.rows],
        "verdicts": "\n".join(
            f"{person(review.reviewer)}: {'–' if total is None else total} out of "
            f"100, {review.get_recommendation_display().lower()}."
            + (f" {review.comments}" if review.comments else "")
            for review, total in zip(sheet.reviews, sheet.totals, strict=True)
        ),
    }


def bid_page_html(bid: Bid, criteria: list[Criterion], *, withheld: bool = False) -> str:
    """The HTML of a bid's page: rendered without a request, so that a page laid out ahead and
    one a download asks for are the same HTML."""
    return render_to_string(
        TEMPLATE, {"part": "bid", "page": bid_page(bid, criteria, withheld=withheld)}
    )


def page_digest(html: str) -> str:
    import weasyprint

    digest = hashlib.sha256(f"{LAYOUT_VERSION}\0{weasyprint.__version__}\0".encode())
    digest.update(html.encode())
    return digest.hexdigest()


def caption(row: Row) -> str:
    """What a bid's page says at its top of its place in the ranking."""
    return f"Rank {row.position} · {row.tag} · {row.item.reference}"


@dataclass(frozen=True)
class BidPage:
    """A bid's page as a download asks for it: its row of the funding line, whether its reviews
    are withheld from the reader, its HTML and that HTML's digest."""

    row: Row
    withheld: bool
    html: str
    digest: str

    @property
    def bid_id(self) -> int:
        return self.row.item.pk


def bid_pages(rows: list[Row], criteria: list[Criterion], withheld: set[int]) -> list[BidPage]:
    """The page of each bid of the funding line's ``rows`` (``row.item``, fetched with
    ``for_panel_pack``); ``withheld`` are the bids whose reviews the reader may not see."""
    pages = []
    for row in rows:
        hidden = row.item.pk in withheld
        html = bid_page_html(row.item, criteria, withheld=hidden)
        pages.append(BidPage(row, hidden, html, page_digest(html)))
    return pages


def pack_pdf(
    *, cover: str, ranked: list[str], footer: str, pages: list[BidPage], request=None
) -> bytes:
    """The pack: the HTML of its ``cover``, the parts of its ``ranked`` list and its ``footer``
    (laid out now), then the bids' ``pages``, kept or laid out now and kept. Three queries,
    however many bids."""
    kept = {
        (page.bid_id, page.withheld): page
        for page in PanelPackPage.objects.filter(
            Q(bid__in=[page.bid_id for page in pages if not page.withheld], withheld=False)
            | Q(bid__in=[page.bid_id for page in pages if page.withheld], withheld=True)
        )
    }
    parts = [Part(html=cover), *(Part(html=html) for html in ranked)]
    for page in pages:
        found = kept.get((page.bid_id, page.withheld))
        if found is not None and found.digest == page.digest:
            laid_out = LaidOut(bytes(found.pdf), found.fonts)
            parts.append(Part(laid_out=laid_out, caption=caption(page.row)))
        else:
            parts.append(Part(html=page.html, caption=caption(page.row)))
    needed = {digest for part in parts if part.laid_out for digest in part.laid_out.fonts.values()}
    font_files = {
        font.digest: bytes(font.data) for font in PdfFontFile.objects.filter(digest__in=needed)
    }
    joined = join(parts, footer=footer, request=request, font_files=font_files)
    keep(
        (
            (page.bid_id, page.withheld, page.digest, joined.laid_out[index])
            for index, page in enumerate(pages, start=1 + len(ranked))
            if index in joined.laid_out
        ),
        font_files=joined.font_files,
        stored=font_files.keys(),
    )
    return joined.pdf


def keep(
    pages: Iterable[tuple[int, bool, str, LaidOut]],
    *,
    font_files: Mapping[str, bytes] | None = None,
    stored: Collection[str] = (),
) -> None:
    """Keep bids' pages laid out, ``(bid id, withheld, digest, laid out)``, in place of any
    earlier page of the same bid, and the whole fonts they were set in, but those ``stored``
    already. A font's file comes with the first page laid out in it, or from ``font_files``
    (a joined document's, whose other parts may have been sent it)."""
    pages = list(pages)
    if not pages:
        return
    files = dict(font_files or {})
    for *_, laid_out in pages:
        files.update(laid_out.font_files)
    needed = {digest for *_, laid_out in pages for digest in laid_out.fonts.values()}
    new = sorted((needed - set(stored)) & files.keys())
    if new:
        PdfFontFile.objects.bulk_create(
            [PdfFontFile(digest=digest, data=files[digest]) for digest in new],
            ignore_conflicts=True,
        )
    PanelPackPage.objects.bulk_create(
        [
            PanelPackPage(
                bid_id=bid, withheld=withheld, digest=digest, pdf=laid_out.pdf, fonts=laid_out.fonts
            )
            for bid, withheld, digest, laid_out in pages
        ],
        update_conflicts=True,
        unique_fields=["bid", "withheld"],
        update_fields=["digest", "pdf", "fonts", "laid_out_at"],
    )


def lay_out_ahead(bids: Iterable[int]) -> int:
    """Lay out and keep the page of each of ``bids`` that is recommended and whose kept page
    (for the panel: the pages withheld for a reader with a conflict are laid out when asked
    for) is not what its page would be now; how many were laid out."""
    bids = list(
        Bid.objects.filter(pk__in=list(bids), status=Bid.Status.RECOMMENDED).for_panel_pack()
    )
    criteria = defaultdict(list)
    for criterion in Criterion.objects.filter(round__in={bid.round_id for bid in bids}):
        criteria[criterion.round_id].append(criterion)
    kept = dict(
        PanelPackPage.objects.filter(bid__in=bids, withheld=False).values_list("bid", "digest")
    )
    stale = []
    for bid in bids:
        html = bid_page_html(bid, criteria[bid.round_id])
        digest = page_digest(html)
        if kept.get(bid.pk) != digest:
            stale.append((bid.pk, digest, html))
    laid_out = lay_out_side_by_side([html for *_, html in stale])
    keep((bid, False, digest, page) for (bid, digest, _), page in zip(stale, laid_out, strict=True))
    return len(stale)


def lay_out_ahead_quietly(bids: Iterable[int]) -> None:
    """``lay_out_ahead`` after a change has committed: a failure is logged, and the page is laid
    out at the next download instead, rather than failing what the reader did."""
    try:
        lay_out_ahead(bids)
    except Exception:
        logger.exception("Laying out panel pack pages ahead failed; a download will lay them out")
