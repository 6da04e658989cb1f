"""A backup made as the README says restores every award and its money (README, "Backup and
restore"): ``pg_dump -Fc`` of the database, ``pg_restore`` into a fresh one, read back through a
second connection. PostgreSQL only; the restored database is dropped afterwards."""

import os
import shutil
import subprocess
import uuid
from decimal import Decimal

import psycopg2
import pytest
from django.db import connection

from bids.models import Award, Tranche
from tests.factories import AwardFactory, BidFactory, PaymentFactory, TrancheFactory

TOOLS = ("pg_dump", "pg_restore", "createdb", "dropdb")

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Backups are PostgreSQL's pg_dump and pg_restore; SQLite is a file to copy.",
    ),
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in TOOLS),
        reason="The PostgreSQL client tools (pg_dump, pg_restore) are not installed.",
    ),
    # pg_dump reads what is committed, so the awards are committed; the reference data that
    # migrations load is put back after the test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def client_options(settings: dict) -> tuple[list[str], dict]:
    """Command-line options and environment for the PostgreSQL client tools."""
    options = []
    if settings.get("HOST"):
        options += ["--host", settings["HOST"]]
    if settings.get("PORT"):
        options += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        options += ["--username", settings["USER"]]
    environment = {**os.environ}
    if settings.get("PASSWORD"):
        environment["PGPASSWORD"] = settings["PASSWORD"]
    return options, environment


def run(command: list[str], environment: dict) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert result.returncode == 0, f"{' '.join(command)} failed: {result.stderr}"


@pytest.fixture
def awards():
    """Three awards, one of two tranches with a payment, as (reference, total, tranche total)."""
    made = []
    for number, years in enumerate(([2016], [2016, 2017], [2017]), start=1):
        award = AwardFactory(bid=BidFactory(approved=True, reference=f"BAK-2016-{number:04d}"))
        for year in years:
            tranche = TrancheFactory(
                award=award, financial_year=year, amount=Decimal(f"{number}00000.50")
            )
        made.append(award)
    PaymentFactory(tranche=tranche, amount=Decimal("1000.25"))
    return {
        award.bid.reference: (
            award.total,
            Tranche.objects.filter(award=award).totals()["allocated"],
        )
        for award in Award.objects.select_related("bid")
    }


def test_a_dump_restores_every_award_and_its_tranches(awards, tmp_path):
    settings = connection.settings_dict
    options, environment = client_options(settings)
    dump = tmp_path / "fundtracker.dump"
    # Named after the database it restores, as the README suggests for a restore test.
    restored = f"{settings['NAME'].removeprefix('test_')}_restore_{uuid.uuid4().hex[:8]}"

    run(["pg_dump", *options, "--format=custom", f"--file={dump}", settings["NAME"]], environment)
    assert dump.stat().st_size > 0
    run(["createdb", *options, restored], environment)
    try:
        run(
            [
                "pg_restore",
                *options,
                "--no-owner",
                "--exit-on-error",
                f"--dbname={restored}",
                str(dump),
            ],
            environment,
        )
        second = psycopg2.connect(
            dbname=restored,
            host=settings.get("HOST") or None,
            port=settings.get("PORT") or None,
            user=settings.get("USER") or None,
            password=settings.get("PASSWORD") or None,
        )
        try:
            with second.cursor() as cursor:
                cursor.execute(
                    """
                    SELECT bid.reference, award.total, SUM(tranche.amount)
                    FROM bids_award award
                    JOIN bids_bid bid ON bid.id = award.bid_id
                    JOIN bids_tranche tranche ON tranche.award_id = award.id
                    GROUP BY bid.reference, award.total
                    """
                )
                found = {reference: (total, allocated) for reference, total, allocated in cursor}
                cursor.execute("SELECT SUM(amount) FROM bids_payment")
                paid = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'bids_bidevent_append_only'"
                )
                triggers = cursor.fetchone()[0]
        finally:
            second.close()
    finally:
        run(["dropdb", *options, "--if-exists", restored], environment)

    assert found == awards
    assert paid == Decimal("1000.25")
    # The restored database refuses to rewrite bid events as the original does.
    assert triggers == 1
