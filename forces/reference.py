"""The reference data every installation has: the policing regions and the 46 forces.

``load_reference_data`` is called by a data migration (with the historical models) and by the
``load_reference_data`` command (with the current ones); both are idempotent.
"""

import csv
from pathlib import Path

from django.utils.text import slugify

FORCES_CSV = Path(__file__).resolve().parent / "data" / "forces.csv"
NATIONAL = "National"

# The ten policing regions of England and Wales, then forces that police the whole country.
REGIONS = [
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "Eastern",
    "London",
    "South East",
    "South West",
    "Wales",
    NATIONAL,
]


def read_forces(path: Path = FORCES_CSV) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_reference_data(region_model, force_model) -> tuple[int, int]:
    """Create or update the regions and forces; returns how many of each were created."""
    regions, created_regions = {}, 0
    for order, name in enumerate(REGIONS, start=1):
        region, created = region_model.objects.update_or_create(
            slug=slugify(name), defaults={"name": name, "order": order}
        )
        regions[name] = region
        created_regions += created
    created_forces = 0
    for row in read_forces():
        _, created = force_model.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "name": row["name"],
                "kind": row["kind"],
                "region": regions[row["region"] or NATIONAL],
                "nation": row["nation"],
                "policing_body": row["policing_body"],
                "ons_code": row["ons_code"],
                "population": int(row["population"]) if row["population"] else None,
                "population_year": int(row["population_year"]) if row["population_year"] else None,
            },
        )
        created_forces += created
    return created_regions, created_forces
