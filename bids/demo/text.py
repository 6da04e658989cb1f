"""Themes and word pools that generated bids, reviews, decisions and returns draw from."""

from dataclasses import dataclass

from bids.models import Review

Recommendation = Review.Recommendation


@dataclass(frozen=True)
class Theme:
    category: str
    title: str
    does: str
    outcome: str
    problem: str


THEMES = [
    Theme(
        "digital",
        "Body-worn video for frontline officers",
        "issue body-worn cameras to every response and neighbourhood officer",
        "more early guilty pleas and fewer complaints",
        "Officers' accounts of incidents are disputed in court and in complaints.",
    ),
    Theme(
        "digital",
        "Digital evidence transfer to the Crown Prosecution Service",
        "send case files and media to prosecutors digitally instead of on discs",
        "cases are ready for the first hearing",
        "Officers still burn video evidence to discs and drive them to prosecutors.",
    ),
    Theme(
        "digital",
        "Mobile data for response and neighbourhood officers",
        "give officers tablets with access to force systems on patrol",
        "officers spend more of their shift in the community",
        "Officers return to the station to check records and write up reports.",
    ),
    Theme(
        "digital",
        "Digital interview recording",
        "replace tape-based interview recording with digital recording and secure storage",
        "interviews are shared with prosecutors the same day",
        "Interview tapes are copied by hand and the machines are out of support.",
    ),
    Theme(
        "digital",
        "Online crime reporting and digital public contact",
        "let the public report crime and follow their case online",
        "call handlers are free for emergencies",
        "Non-emergency calls take most call handlers' time.",
    ),
    Theme(
        "digital",
        "Digital evidence management system",
        "store all digital evidence in one searchable, audited system",
        "evidence is found in minutes and kept only as long as it is needed",
        "Digital evidence sits on discs, drives and desktops across the force.",
    ),
    Theme(
        "digital",
        "Cloud migration of core policing systems",
        "move records, intelligence and case systems to an assured cloud service",
        "systems stay available and cost less to run",
        "Ageing data centres are expensive and fail at busy times.",
    ),
    Theme(
        "armed-policing",
        "Armed response vehicle uplift",
        "recruit, train and equip additional armed response vehicle crews",
        "armed officers reach a terrorist attack within minutes",
        "Armed response times in rural areas fall short of the national standard.",
    ),
    Theme(
        "armed-policing",
        "Firearms training facility",
        "build a modern indoor range and scenario village shared by neighbouring forces",
        "armed officers train for realistic threats close to home",
        "Officers travel hundreds of miles to train on scenarios they may face.",
    ),
    Theme(
        "armed-policing",
        "Counter-terrorism specialist firearms officers",
        "train more counter-terrorism specialist firearms officers",
        "the region can respond to a marauding terrorist attack",
        "The region depends on mutual aid for its counter-terrorism response.",
    ),
    Theme(
        "armed-policing",
        "Less-lethal options: Taser training and equipment",
        "train more officers in Taser use and the decision-making that goes with it",
        "dangerous incidents are resolved with less harm",
        "Few frontline officers carry less-lethal options.",
    ),
    Theme(
        "specialist-capabilities",
        "Regional cyber crime unit",
        "build a regional team to investigate cyber crime and support victims",
        "victims of online fraud and hacking get an investigation, not just a crime number",
        "Cyber crime is rising while few officers have the skills to investigate it.",
    ),
    Theme(
        "specialist-capabilities",
        "Shared surveillance capability",
        "combine the forces' surveillance teams under one command",
        "covert operations are available to every force at any time",
        "Each force keeps a small surveillance team that cannot cover every operation.",
    ),
    Theme(
        "specialist-capabilities",
        "Drone capability for search and major incidents",
        "operate drones for missing-person searches, road collisions and major incidents",
        "searches are quicker and the helicopter is kept for what only it can do",
        "Searches for missing people take many officers and hours.",
    ),
    Theme(
        "specialist-capabilities",
        "Automatic number plate recognition (ANPR) network upgrade",
        "replace and extend the ANPR camera network on the strategic road network",
        "travelling criminals are stopped before they reach the next force area",
        "Gaps in ANPR coverage let organised criminals move unseen.",
    ),
    Theme(
        "specialist-capabilities",
        "Regional organised crime unit asset recovery team",
        "expand financial investigation and asset recovery in the regional unit",
        "criminals lose the proceeds of their crimes",
        "Confiscation orders go unenforced for lack of financial investigators.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Child Abuse Image Database grading and triage",
        "connect the force's image grading to the Child Abuse Image Database",
        "victims in images are identified and safeguarded sooner",
        "Investigators grade the same images again for every case.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Online child sexual exploitation investigation team",
        "set up a dedicated team for online child sexual exploitation referrals",
        "referrals are assessed within days and children at risk are safeguarded",
        "Referrals from the National Crime Agency wait months for assessment.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Multi-agency safeguarding hub",
        "bring police, social care, health and education into one safeguarding hub",
        "concerns about a child are shared and acted on the same day",
        "Agencies hold pieces of information that no one puts together.",
    ),
    Theme(
        "child-sexual-abuse-and-exploitation",
        "Missing children and exploitation mapping",
        "map missing episodes, locations and associates to spot exploitation early",
        "exploited children are found and protected earlier",
        "Repeat missing episodes are handled one at a time.",
    ),
    Theme(
        "forensics",
        "Digital forensics triage kiosks",
        "put self-service triage kiosks for phones in every custody suite",
        "devices are returned to victims in days, not months",
        "Backlogs in the digital forensics unit delay charging decisions.",
    ),
    Theme(
        "forensics",
        "Rapid fingerprint and DNA processing",
        "process fingerprints and DNA from priority crime scenes within 24 hours",
        "offenders are identified before they reoffend",
        "Forensic results arrive weeks after the scene was examined.",
    ),
    Theme(
        "forensics",
        "Accreditation of digital forensic laboratories",
        "bring the digital forensic laboratories to ISO 17025 accreditation",
        "digital evidence stands up in court",
        "The Forensic Science Regulator's standards are not yet met.",
    ),
    Theme(
        "forensics",
        "Forensic collision investigation collaboration",
        "combine collision investigation units across neighbouring forces",
        "roads reopen sooner and families get answers faster",
        "Small units struggle to meet the demand of fatal collisions.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Shared control room with fire and rescue",
        "take and dispatch police and fire calls from one control room",
        "the public gets a joined-up response to emergencies",
        "Two control rooms handle the same incidents separately.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Blue-light estate sharing",
        "co-locate police, fire and ambulance teams in shared stations",
        "money saved on buildings stays in frontline services",
        "Police and fire stations stand half-empty a few streets apart.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Regional shared HR and finance service",
        "merge the forces' human resources, payroll and finance teams",
        "back-office savings are reinvested in neighbourhood policing",
        "Each force runs its own back office on its own systems.",
    ),
    Theme(
        "collaboration-and-shared-services",
        "Mental health street triage",
        "send mental health nurses with officers to people in crisis",
        "fewer people in crisis are detained in police cells",
        "People in mental health crisis end up in custody for want of another place.",
    ),
    Theme(
        "workforce",
        "Degree-holder entry and police apprenticeships",
        "introduce the new entry routes for constables with a university partner",
        "new officers are trained to a national professional standard",
        "Recruits' training has not kept pace with the complexity of the job.",
    ),
    Theme(
        "workforce",
        "Wellbeing and occupational health for officers and staff",
        "offer trauma support and faster occupational health referrals",
        "fewer days are lost to sickness and stress",
        "Sickness absence after traumatic incidents is rising.",
    ),
    Theme(
        "workforce",
        "Leadership development for sergeants and inspectors",
        "run a leadership programme for first-line supervisors",
        "supervisors lead change rather than resist it",
        "Supervisors are promoted without preparation for leading teams.",
    ),
    Theme(
        "workforce",
        "Detective recruitment and training pipeline",
        "recruit and train detectives through a direct-entry programme",
        "serious cases are investigated by accredited detectives",
        "A shortage of detectives leaves serious crimes with trainee investigators.",
    ),
    Theme(
        "other-transformation",
        "Demand analytics and predictive resourcing",
        "model demand from calls, crimes and partner data to plan shifts",
        "officers are where they are needed when they are needed",
        "Shift patterns follow habit rather than demand.",
    ),
    Theme(
        "other-transformation",
        "Domestic abuse perpetrator programme",
        "run a programme that challenges domestic abuse perpetrators to change",
        "fewer victims suffer repeat abuse",
        "Repeat domestic abuse takes a large share of response time.",
    ),
    Theme(
        "other-transformation",
        "Integrated offender management with partners",
        "manage prolific offenders jointly with probation, health and housing",
        "prolific offenders commit fewer crimes",
        "A small group of offenders commits a large share of crime.",
    ),
    Theme(
        "other-transformation",
        "Rural crime partnership",
        "set up a rural crime team with farmers, landowners and wildlife groups",
        "rural communities trust the police to tackle crime that matters to them",
        "Rural crime goes unreported because victims expect no response.",
    ),
]

DELIVERY = [
    "Delivery is planned in three phases, with benefits measured against a baseline agreed "
    "with the Home Office.",
    "A programme board chaired by the deputy chief constable will oversee delivery.",
    "The approach has been tested in a pilot and will now be rolled out force-wide.",
    "Procurement will use a national framework to shorten the timetable.",
    "An independent evaluation by a university partner is built into the plan.",
    "Running costs after the grant ends are built into the medium-term financial plan.",
]
CASE = [
    "Doing nothing would leave the force unable to meet rising demand within its budget.",
    "The HMIC PEEL inspection asked the force to improve in this area.",
    "Other forces have shown the approach works; the grant pays for the change, not the "
    "running cost.",
    "Without investment now, the cost of the current arrangements will keep rising.",
]
CLARIFICATION_QUESTIONS = [
    "How will the running costs be met once the grant ends?",
    "Please break down the 'other costs' line of the funding profile.",
    "Which partner forces have signed letters of support, and when will the rest sign?",
    "How does this bid relate to the national programme in the same area?",
    "What baseline will you measure the benefits against, and who will measure them?",
    "Please explain the drop in local match funding in the second year.",
    "What are the main procurement risks and how will you manage them?",
]
CLARIFICATION_ANSWERS = [
    "Running costs are built into the medium-term financial plan from the third year.",
    "The line covers project management, training backfill and the independent evaluation.",
    "All partners have now signed; the letters are attached to the bid.",
    "The bid has been designed with the national programme team and uses its standards.",
    "The baseline is last year's performance data; the university partner will evaluate.",
    "The second year's match funding falls because the capital purchases happen in year one.",
    "We will buy through a national framework; the main risk is supplier capacity.",
]
CONFLICT_DETAILS = [
    "I worked in the lead force's change team until last year.",
    "A close family member is employed by the lead force.",
    "I advised the partner forces on an earlier version of this bid.",
]
JUSTIFICATIONS = {
    # score band: (strong, good, adequate, weak)
    "Strategic fit": (
        "Squarely on the fund's priorities and the police and crime plan.",
        "Fits the fund's priorities; the local plan link could be clearer.",
        "Some fit, but the link to national priorities is asserted rather than shown.",
        "Little connection to the fund's priorities.",
    ),
    "Public outcomes through innovation": (
        "Clear, measurable outcomes for the public from a genuinely new approach.",
        "Good outcomes; the approach is new to the force if not to policing.",
        "Outcomes are described but not measured; limited innovation.",
        "Outcomes for the public are unclear.",
    ),
    "Collaboration and scale": (
        "Several forces and partners committed, with a route to national roll-out.",
        "Good partnership working; scale beyond the partners is uncertain.",
        "Single-force bid with some partner involvement.",
        "No meaningful collaboration.",
    ),
    "Deliverability": (
        "Realistic plan, strong governance, risks understood.",
        "Credible plan; some milestones are optimistic.",
        "Plan lacks detail on procurement and resourcing.",
        "Not deliverable in the time or with the resources described.",
    ),
    "Value for money": (
        "Strong benefits case with cashable savings and local match funding.",
        "Reasonable costs; benefits partly quantified.",
        "Costs are high for the benefits shown.",
        "Poor value for money.",
    ),
}
REVIEW_COMMENTS = {
    Recommendation.FUND: "A strong bid; fund as requested.",
    Recommendation.FUND_WITH_CONDITIONS: "Fund, subject to a clearer benefits plan.",
    Recommendation.DO_NOT_FUND: "Does not make the case for funding in this round.",
}
MODERATION = {
    True: [
        "Reviewers agree the bid is strong.",
        "Recommended; the panel should attach a condition on benefits tracking.",
        "Recommended after moderation of the deliverability scores.",
    ],
    False: [
        "Reviewers agree the bid does not meet the threshold.",
        "Not recommended: the benefits case is weak.",
        "Not recommended after moderation: deliverability concerns.",
    ],
}
APPROVAL_NOTES = [
    "Approved by the funding panel.",
    "Approved by the funding panel; progress reports quarterly.",
    "Approved by the funding panel as a proof of concept.",
]
CONDITIONS = [
    "An evaluation plan agreed with the Home Office within three months.",
    "Quarterly benefits reports to the programme board.",
    "Partner forces to confirm their match funding before the second tranche.",
]
REJECTIONS = [
    "The panel did not find a strong enough case for change.",
    "Deliverability risks too high for the amount requested.",
    "The category's envelope is fully allocated to higher-scoring bids.",
    "Duplicates a national programme already funded.",
]
WITHDRAWALS = [
    "The force will fund the project from reserves.",
    "Partner forces could not commit match funding in time.",
    "The project has been merged into a regional bid.",
    "Priorities changed after the new chief constable's review.",
]
SPEND_NARRATIVES = [
    "Project team recruited; supplier onboarding.",
    "Licences and the first phase of the data migration.",
    "Equipment delivered and training under way.",
    "Roll-out to the first two policing areas.",
    "Roll-out completed; benefits tracking started.",
    "Training backfill and change management.",
    "Evaluation fieldwork and final supplier milestone.",
]
RETURN_REASONS = [
    "Please attach the supplier invoices for the equipment line.",
    "The narrative does not match the amount claimed; please reconcile.",
    "Spend includes costs outside the award's scope; please remove them.",
]
WITHHOLD_REASONS = [
    "Milestones missed; the tranche is held until a recovery plan is agreed.",
    "Condition of award not met: evaluation plan outstanding.",
    "Underspend in earlier quarters; the remaining money is held pending review.",
]
NIL_RETURN = "Nil return: the award was confirmed after the quarter ended."
