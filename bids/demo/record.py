"""The 2016/17 round's fourteen awards: the public record, completed with plausible ones."""

from dataclasses import dataclass

from bids.models import Bid


@dataclass(frozen=True)
class RealAward:
    number: int
    lead: str
    partners: tuple[str, ...]
    collaboration: str | None
    title: str
    category: str
    tranches: dict
    summary: str
    problem: str
    bid_type: str = Bid.BidType.IMPLEMENTATION_READY


# The 2016/17 round: "£23m to 14 projects led by 10 forces". The first four and Norfolk's three
# projects are on the public record (design §1; Norfolk's amounts were not published, so ours are
# made up); the other seven are plausible inventions that complete the round.
REAL_AWARDS = [
    RealAward(
        1,
        "nottinghamshire",
        ("leicestershire", "northamptonshire"),
        "east-midlands-tri-force",
        "East Midlands integrated technology",
        "digital",
        {2016: 2_240_000, 2017: 3_500_000},
        "Nottinghamshire, Leicestershire and Northamptonshire will replace three forces' "
        "separate systems with one integrated technology platform.",
        "Three forces run different systems for the same work and pay to maintain all three.",
    ),
    RealAward(
        2,
        "hampshire",
        ("surrey", "sussex", "thames-valley"),
        "south-east-digital-partnership",
        "Digital information-sharing platform for the South East",
        "digital",
        {2016: 1_500_000},
        "Hampshire, Surrey, Sussex and Thames Valley will share intelligence and case "
        "information on one digital platform.",
        "Officers cannot see what neighbouring forces know about the people they deal with.",
    ),
    RealAward(
        3,
        "west-yorkshire",
        (),
        None,
        "Digital transmission of crime-scene images (fingerprints and footwear marks)",
        "forensics",
        {2016: 280_000, 2017: 420_000},
        "Crime-scene examiners will send images of fingerprints and footwear marks digitally, "
        "so identifications come in hours rather than days.",
        "Lifts and photographs travel by courier to the bureau, so identifications take days.",
    ),
    RealAward(
        4,
        "hertfordshire",
        ("bedfordshire", "cambridgeshire", "norfolk", "suffolk", "essex", "kent"),
        "eastern-seven-force-athena",
        "Strategic collaboration: the Athena shared IT system",
        "collaboration-and-shared-services",
        {2016: 660_000},
        "Seven forces will deepen their strategic collaboration on the shared Athena system for "
        "investigations, custody and case preparation.",
        "Each force runs its own processes around the shared system, losing its benefits.",
    ),
    RealAward(
        5,
        "norfolk",
        (),
        None,
        "Facial recognition in the Child Abuse Image Database",
        "child-sexual-abuse-and-exploitation",
        {2016: 420_000},
        "Facial recognition in the Child Abuse Image Database will help identify victims and "
        "offenders faster and spare investigators repeated viewing of images.",
        "Investigators search images by hand; victims in new images go unidentified for months.",
    ),
    RealAward(
        6,
        "norfolk",
        (),
        None,
        "Online child sexual exploitation: digital triage for investigators",
        "child-sexual-abuse-and-exploitation",
        {2016: 310_000},
        "Triage tools will let investigators find indecent images on seized devices within "
        "hours, so children at risk are safeguarded sooner.",
        "Seized devices wait months for examination while suspects stay in contact with children.",
    ),
    RealAward(
        7,
        "norfolk",
        (),
        None,
        "Child sexual abuse victims' hub with health and social care",
        "child-sexual-abuse-and-exploitation",
        {2016: 270_000},
        "A hub shared with health and social care will support victims of child sexual abuse "
        "from first report to court.",
        "Victims tell their story to several agencies and many withdraw before trial.",
        Bid.BidType.PROOF_OF_CONCEPT,
    ),
    RealAward(
        8,
        "metropolitan",
        (),
        None,
        "Firearms training pipeline for the armed policing uplift",
        "armed-policing",
        {2016: 3_400_000},
        "More instructors and range time to train the additional armed officers London needs.",
        "Training capacity limits how quickly London can add the armed officers it needs.",
    ),
    RealAward(
        9,
        "metropolitan",
        (),
        None,
        "Body-worn video for armed officers",
        "armed-policing",
        {2016: 1_200_000},
        "Every armed officer will wear a camera, recording deployments for evidence and "
        "accountability.",
        "Armed deployments are recorded only in officers' notes, which are contested afterwards.",
    ),
    RealAward(
        10,
        "west-midlands",
        (),
        None,
        "Regional counter-terrorism armed response training",
        "armed-policing",
        {2016: 2_500_000},
        "Training for counter-terrorism specialist firearms officers serving the region.",
        "The region relies on other forces for its counter-terrorism specialist firearms officers.",
    ),
    RealAward(
        11,
        "west-midlands",
        (),
        None,
        "Data-driven insights: a shared analytics capability",
        "other-transformation",
        {2016: 1_400_000, 2017: 1_100_000},
        "One analytics platform that joins the force's data to predict demand and spot "
        "vulnerable people earlier.",
        "Data sits in dozens of systems that cannot be searched together.",
        Bid.BidType.PROOF_OF_CONCEPT,
    ),
    RealAward(
        12,
        "greater-manchester",
        (),
        None,
        "Shared control room with fire and rescue",
        "collaboration-and-shared-services",
        {2016: 1_800_000},
        "Police and fire and rescue will take and dispatch emergency calls from one control room.",
        "Two control rooms take calls about the same incidents and dispatch separately.",
    ),
    RealAward(
        13,
        "avon-and-somerset",
        (),
        None,
        "Regional cyber crime and digital forensics capability",
        "specialist-capabilities",
        {2016: 1_150_000},
        "A regional team to investigate cyber crime and examine digital devices for the South "
        "West forces.",
        "No force in the region can investigate complex cyber crime on its own.",
    ),
    RealAward(
        14,
        "lancashire",
        (),
        None,
        "Specialist training for child sexual exploitation investigators",
        "workforce",
        {2016: 850_000},
        "Accredited training for detectives and staff who investigate child sexual exploitation.",
        "Few investigators are trained for the complexity of child sexual exploitation cases.",
    ),
]


def real_reference(award: RealAward) -> str:
    return f"PTF-2016-{award.number:04d}"
