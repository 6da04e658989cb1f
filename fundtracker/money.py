"""Money is Decimal pounds with two places; these helpers keep it that way."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


def to_money(value) -> Decimal:
    """Round a Decimal, int or numeric string to pence; ``None`` counts as zero.

    Floats are refused: they cannot carry pence exactly.
    """
    if value is None:
        return ZERO
    if isinstance(value, float):
        raise TypeError("Money must be Decimal, int or str, never float.")
    try:
        amount = Decimal(str(value).strip().replace(",", "") if isinstance(value, str) else value)
        if not amount.is_finite():
            raise InvalidOperation
        return amount.quantize(PENNY, rounding=ROUND_HALF_UP)
    except InvalidOperation as error:
        raise ValueError(f"“{value}” is not an amount of money.") from error


def format_gbp(value, *, pence: bool = True) -> str:
    """``Decimal("2240000")`` → ``"£2,240,000.00"``; negative amounts as ``"-£5.00"``."""
    amount = to_money(value)
    sign = "-" if amount < 0 else ""
    text = f"{abs(amount):,.2f}" if pence else f"{abs(amount):,.0f}"
    return f"{sign}£{text}"
