"""Who may do what on the call console: its roles, their permissions, the tasks each may work."""

from __future__ import annotations

from enum import StrEnum

from callrouter.domain.vocabulary import Role


class ConsoleRole(StrEnum):
    """The role a console user signs in with."""

    ADVISOR = "advisor"
    SOCIAL_WORKER = "social_worker"
    EARLY_HELP = "early_help"
    PRACTICE_MANAGER = "practice_manager"
    ADMIN = "admin"


CONSOLE_ROLE_NAMES = {
    ConsoleRole.ADVISOR: "Customer access advisor",
    ConsoleRole.SOCIAL_WORKER: "Social worker",
    ConsoleRole.EARLY_HELP: "Early help",
    ConsoleRole.PRACTICE_MANAGER: "Practice manager",
    ConsoleRole.ADMIN: "Administrator",
}


class Permission(StrEnum):
    TAKE_CALLS = "take_calls"  # calls now, take a call
    VIEW_HISTORY = "view_history"  # earlier contacts by number or child
    VIEW_DIRECTORY = "view_directory"
    WORK_TASKS = "work_tasks"  # my call-backs, record attempts, complete, hand back
    MANAGE_QUEUE = "manage_queue"  # the whole queue, re-allocate
    CANCEL_TASKS = "cancel_tasks"  # close a call-back as no longer owed, with a reason
    HEAR_RECORDINGS = "hear_recordings"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"


PERMISSIONS: dict[ConsoleRole, frozenset[Permission]] = {
    ConsoleRole.ADVISOR: frozenset(
        {Permission.TAKE_CALLS, Permission.VIEW_HISTORY, Permission.VIEW_DIRECTORY}
    ),
    ConsoleRole.SOCIAL_WORKER: frozenset(
        {Permission.WORK_TASKS, Permission.HEAR_RECORDINGS, Permission.VIEW_DIRECTORY}
    ),
    ConsoleRole.EARLY_HELP: frozenset(
        {Permission.WORK_TASKS, Permission.HEAR_RECORDINGS, Permission.VIEW_DIRECTORY}
    ),
    ConsoleRole.PRACTICE_MANAGER: frozenset(
        {
            Permission.WORK_TASKS,
            Permission.MANAGE_QUEUE,
            Permission.CANCEL_TASKS,
            Permission.HEAR_RECORDINGS,
            Permission.VIEW_HISTORY,
            Permission.VIEW_DIRECTORY,
        }
    ),
    ConsoleRole.ADMIN: frozenset({Permission.MANAGE_USERS, Permission.VIEW_AUDIT}),
}

# The task roles (vocabulary.Role) whose call-backs a console role may open and work.
TASK_ROLES: dict[ConsoleRole, frozenset[str]] = {
    ConsoleRole.ADVISOR: frozenset(),
    ConsoleRole.SOCIAL_WORKER: frozenset({Role.SOCIAL_WORKER, Role.SENIOR_SOCIAL_WORKER}),
    ConsoleRole.EARLY_HELP: frozenset({Role.EARLY_HELP_OFFICER, Role.EARLY_HELP_WORKER}),
    ConsoleRole.PRACTICE_MANAGER: frozenset(Role),
    ConsoleRole.ADMIN: frozenset(),
}


def allowed(role: str, permission: Permission) -> bool:
    """Say whether a console role carries a permission."""
    try:
        return permission in PERMISSIONS[ConsoleRole(role)]
    except ValueError:
        return False


def may_open_task(role: str, task_role: str, assigned_to_me: bool) -> bool:
    """Say whether a user may open a task: their own, or one of their trade's (managers: any)."""
    try:
        console_role = ConsoleRole(role)
    except ValueError:
        return False
    if console_role == ConsoleRole.PRACTICE_MANAGER:
        return True
    if not allowed(console_role, Permission.WORK_TASKS):
        return False
    return assigned_to_me or task_role in TASK_ROLES[console_role]


ATTEMPT_OUTCOMES = {
    "reached": "Reached the caller",
    "no_answer": "No answer",
    "voicemail": "Voicemail left",
    "wrong_number": "Wrong number",
}
