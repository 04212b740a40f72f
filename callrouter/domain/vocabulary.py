"""The front door's shared words: levels of need, staff roles, skills, outcomes.

Kept as plain string constants because they travel through flow files, the database,
exports and job arguments; one place spells them.
"""

from enum import StrEnum


class Level(StrEnum):
    """A level of the continuum of need, as the phone line uses it."""

    S47 = "s47"  # level 4, significant harm (Children Act 1989 s47)
    S17 = "s17"  # level 4, child in need
    LEVEL3 = "level3"  # targeted early help / family intensive support
    LEVEL2 = "level2"  # early help, universal plus
    LEVEL1 = "level1"  # universal
    PUBLIC_CONCERN = "public_concern"  # a member of the public, level not yet screened


PLAIN_LEVEL_NAMES = {
    Level.S47: "a child suffering, or likely to suffer, significant harm (section 47)",
    Level.S17: "a child in need of support from social care (section 17)",
    Level.LEVEL3: "targeted early help or family intensive support (level 3)",
    Level.LEVEL2: "early help advice (level 2)",
    Level.LEVEL1: "universal services (level 1)",
    Level.PUBLIC_CONCERN: "a worry from a member of the public, to be screened",
}


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    SENIOR_SOCIAL_WORKER = "senior_social_worker"
    PRACTICE_MANAGER = "practice_manager"
    EARLY_HELP_OFFICER = "early_help_officer"
    EARLY_HELP_WORKER = "early_help_worker"
    IDVA = "idva"
    CUSTOMER_ACCESS_ADVISOR = "customer_access_advisor"
    # A social worker of the out-of-hours Emergency Duty Team, on the rota for evenings, nights
    # and weekends; given only the urgent call-backs the front door cannot make itself.
    EDT_SOCIAL_WORKER = "edt_social_worker"


# Who may take a task meant for a role: a senior can do a social worker's call-back,
# an early help officer an early help worker's.
ROLES_ABLE_TO_ACT_AS: dict[Role, frozenset[Role]] = {
    Role.SOCIAL_WORKER: frozenset({Role.SOCIAL_WORKER, Role.SENIOR_SOCIAL_WORKER}),
    Role.SENIOR_SOCIAL_WORKER: frozenset({Role.SENIOR_SOCIAL_WORKER}),
    Role.PRACTICE_MANAGER: frozenset({Role.PRACTICE_MANAGER}),
    Role.EARLY_HELP_OFFICER: frozenset({Role.EARLY_HELP_OFFICER}),
    Role.EARLY_HELP_WORKER: frozenset({Role.EARLY_HELP_WORKER, Role.EARLY_HELP_OFFICER}),
    Role.IDVA: frozenset({Role.IDVA}),
    Role.CUSTOMER_ACCESS_ADVISOR: frozenset({Role.CUSTOMER_ACCESS_ADVISOR}),
    Role.EDT_SOCIAL_WORKER: frozenset({Role.EDT_SOCIAL_WORKER}),
}


class Skill(StrEnum):
    DOMESTIC_ABUSE = "domestic_abuse"
    LADO = "lado"
    EXPLOITATION = "exploitation"


class Outcome(StrEnum):
    CALLBACK = "callback"
    INFORMATION_ONLY = "information_only"
    SIGNPOSTED = "signposted"
    REDIRECTED = "redirected"
    ABANDONED = "abandoned"
