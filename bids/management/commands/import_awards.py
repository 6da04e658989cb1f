from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from bids.importer import COLUMNS, AwardImportError, ImportResult, awards_import


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


class Command(BaseCommand):
    help = (
        "Import published awards from a UTF-8 CSV file, one row per tranche, with the header "
        f"{','.join(COLUMNS)}. A file with any bad row imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and say what it would create, without writing anything.",
        )
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help="The user recorded as making the awards (default: the inactive user “import”).",
        )

    def handle(self, *args, file: Path, dry_run: bool, by: str | None, **options):
        actor = None
        if by:
            try:
                actor = User.objects.get(username=by)
            except User.DoesNotExist:
                raise CommandError(f"There is no user “{by}”.") from None
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            result = awards_import(data=data, by=actor, dry_run=dry_run, source=file.name)
        except AwardImportError as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            lines = len({p.line for p in error.problems})
            raise CommandError(
                f"{file.name}: {_count(lines, 'bad line')}, so nothing was imported."
            ) from None
        except IntegrityError as error:
            # Another import wrote the same records between the check and the write.
            raise CommandError(
                f"Nothing was imported: the database refused it ({error})."
            ) from None
        self._report(result, options["verbosity"])

    def _report(self, result: ImportResult, verbosity: int) -> None:
        would = "would be " if result.dry_run else ""
        if result.dry_run:
            self.stdout.write("Dry run: nothing was written.")
        for what, names in [
            ("fund", result.funds_created),
            ("round", result.rounds_created),
            ("spend category", result.categories_created),
        ]:
            for name in names:
                self.stdout.write(f"New {what} {would}created: {name}")
        if verbosity > 1:
            for reference in result.created:
                self.stdout.write(f"{reference} {would}created")
            for reference in result.unchanged:
                self.stdout.write(f"{reference} unchanged")
        self.stdout.write(
            f"{_count(len(result.created), 'award')} {would}created, "
            f"{len(result.unchanged)} unchanged."
        )
