"""Consistency checks over the seeded data."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from bids.models import Payment, SpendReturn, Tranche
from fundtracker.money import MONEY_FIELD, ZERO

ReturnStatus = SpendReturn.Status


def tranche_mismatches() -> list[tuple[int, Decimal, Decimal, Decimal, Decimal]]:
    """Tranches whose ``paid`` or ``spent`` differ from their payments and verified returns.

    One query; compared in Python because SQLite sums decimals as floats.
    """
    output = DecimalField(**MONEY_FIELD)
    paid = (
        Payment.objects.filter(tranche=OuterRef("pk"))
        .values("tranche")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    spent = (
        SpendReturn.objects.filter(tranche=OuterRef("pk"), status=ReturnStatus.VERIFIED)
        .values("tranche")
        .annotate(total=Sum("amount_spent"))
        .values("total")
    )
    rows = Tranche.objects.annotate(
        paid_sum=Coalesce(Subquery(paid, output_field=output), Value(ZERO), output_field=output),
        spent_sum=Coalesce(Subquery(spent, output_field=output), Value(ZERO), output_field=output),
    ).values_list("pk", "paid", "paid_sum", "spent", "spent_sum")
    cent = Decimal("0.01")
    return [
        row
        for row in rows.iterator(chunk_size=5000)
        if row[1].quantize(cent) != row[2].quantize(cent)
        or row[3].quantize(cent) != row[4].quantize(cent)
    ]
