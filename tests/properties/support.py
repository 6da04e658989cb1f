"""What the property tests share: a fingerprint of the database, a rolled-back example, and
strategies for the values a hostile or careless user types."""

import contextlib
import hashlib

from django.apps import apps
from django.db import connection, transaction
from hypothesis import strategies as st

# Signing in writes a session row: not the user's data.
_IGNORED = {"sessions.session", "admin.logentry"}
# Tables whose every value is compared, not only their number of rows.
_MONEY = (
    "bids.award",
    "bids.tranche",
    "bids.payment",
    "bids.spendreturn",
    "bids.fundingline",
    "bids.awardshare",
    "bids.bid",
    "bids.review",
    "bids.score",
    "bids.clarification",
    "bids.document",
)


def fingerprint() -> dict[str, object]:
    """The number of rows of every model (history tables included), and a hash of every row of
    the tables that carry money or a bid's answers: two equal fingerprints mean no write."""
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.label_lower not in _IGNORED and model._meta.managed
        }
    )
    quote = connection.ops.quote_name
    # One round trip for every count: this runs twice an example, hundreds of times a run.
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(f"SELECT %s, COUNT(*) FROM {quote(table)}" for table in tables),
            tables,
        )
        found: dict[str, object] = dict(cursor.fetchall())
    for label in _MONEY:
        model = apps.get_model(label)
        digest = hashlib.sha256()
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
        found[f"{label} rows"] = digest.hexdigest()
    return found


@contextlib.contextmanager
def rolled_back():
    """One example's writes, undone when it ends, so the next example starts from the same data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --------------------------------------------------------------------------- typed values

# Text a form field or query string may carry: anything printable or not, in any script.
any_text = st.text(max_size=60)
# Numbers as people and scripts write them, and as they should not.
numberish = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-0",
            "0.001",
            "1e6",
            "1E400",
            "NaN",
            "-Infinity",
            "£1,000",
            "1,00,000",
            "1.000,50",
            "99999999999999999999999999",
            "12.345",
            "-250000",
            "−5",
            "٣٤٥",
            "１２３",
            "0x10",
            "1_000",
            "\x00",
        ]
    ),
)
day_part = st.one_of(st.integers(-5, 40).map(str), numberish, any_text)
month_part = st.one_of(st.integers(-2, 14).map(str), numberish, any_text)
year_part = st.one_of(st.integers(1, 10000).map(str), st.integers(1990, 2040).map(str), numberish)
anything = st.one_of(any_text, numberish)
