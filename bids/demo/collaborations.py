"""The regional collaborations of forces that lead and join the demo's bids."""

from forces.models import Collaboration, CollaborationMembership, Force

# (slug, name, lead, partners, description)
COLLABORATIONS = [
    (
        "east-midlands-tri-force",
        "East Midlands tri-force",
        "nottinghamshire",
        ["leicestershire", "northamptonshire"],
        "Nottinghamshire, Leicestershire and Northamptonshire: one technology plan for three "
        "forces.",
    ),
    (
        "south-east-digital-partnership",
        "South East digital information-sharing partnership",
        "hampshire",
        ["surrey", "sussex", "thames-valley"],
        "Four forces of the South East sharing information on one digital platform.",
    ),
    (
        "eastern-seven-force-athena",
        "Eastern seven-force collaboration (Athena)",
        "hertfordshire",
        ["bedfordshire", "cambridgeshire", "norfolk", "suffolk", "essex", "kent"],
        "Seven forces of the East of England and Kent sharing the Athena IT system for "
        "investigations, custody and case preparation.",
    ),
    (
        "north-east-tri-force",
        "North East tri-force",
        "northumbria",
        ["durham", "cleveland"],
        "The three forces of the North East region.",
    ),
    (
        "yorkshire-and-the-humber-regional",
        "Yorkshire and the Humber regional collaboration",
        "west-yorkshire",
        ["south-yorkshire", "north-yorkshire", "humberside"],
        "The four forces of Yorkshire and the Humber.",
    ),
    (
        "north-west-regional",
        "North West regional collaboration",
        "greater-manchester",
        ["lancashire", "merseyside", "cheshire", "cumbria"],
        "The five forces of the North West.",
    ),
    (
        "west-midlands-regional",
        "West Midlands regional collaboration",
        "west-midlands",
        ["staffordshire", "west-mercia", "warwickshire"],
        "The four forces of the West Midlands region.",
    ),
    (
        "south-west-five-force",
        "South West five-force collaboration",
        "avon-and-somerset",
        ["devon-and-cornwall", "dorset", "gloucestershire", "wiltshire"],
        "The five forces of the South West.",
    ),
    (
        "all-wales",
        "All-Wales policing collaboration",
        "south-wales",
        ["gwent", "dyfed-powys", "north-wales"],
        "The four Welsh forces.",
    ),
    (
        "london-forces",
        "London forces collaboration",
        "metropolitan",
        ["city-of-london", "btp"],
        "The Metropolitan Police Service, City of London Police and British Transport Police.",
    ),
]


def ensure_collaborations(forces: dict[str, Force]) -> None:
    have = {c.slug: c for c in Collaboration.objects.all()}
    for slug, name, _, _, description in COLLABORATIONS:
        if slug not in have:
            have[slug] = Collaboration.objects.create(slug=slug, name=name, description=description)
    members = set(CollaborationMembership.objects.values_list("collaboration_id", "force_id"))
    CollaborationMembership.objects.bulk_create(
        [
            CollaborationMembership(
                collaboration=have[slug],
                force=forces[member],
                role=CollaborationMembership.Role.LEAD
                if member == lead
                else CollaborationMembership.Role.PARTNER,
            )
            for slug, _, lead, partners, _ in COLLABORATIONS
            for member in [lead, *partners]
            if (have[slug].pk, forces[member].pk) not in members
        ]
    )
