"""The JSON Schema an IVR flow file must satisfy before the engine will run it."""

_TEXT = {"type": "string", "minLength": 1}
_NODE_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,60}$"}
_FIELD = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,40}$"}
_E164 = {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}
_SCALAR = {"type": ["string", "integer", "boolean", "null"]}

_OPTION = {
    "type": "object",
    "required": ["key", "next"],
    "additionalProperties": False,
    "properties": {
        "key": {"type": "string", "pattern": "^[0-9#]$"},
        "speech": {"type": "array", "items": _TEXT},
        "set": {"type": "object", "additionalProperties": _SCALAR},
        "say": _TEXT,
        "next": _NODE_ID,
    },
}


def _node(kind: str, required: list[str], properties: dict) -> dict:
    return {
        "if": {"properties": {"type": {"const": kind}}},
        "then": {
            "required": ["type", *required],
            "additionalProperties": False,
            "properties": {"type": {"const": kind}, "note": {"type": "string"}, **properties},
        },
    }


NODE_TYPES = (
    "say",
    "menu",
    "branch",
    "hours",
    "phone",
    "question",
    "record",
    "outcome",
    "transfer",
)
SKILLS = ("domestic_abuse", "lado", "exploitation")  # callrouter.domain.vocabulary.Skill

# The calendar block is read by WorkingCalendar.from_dict; the schema only fixes its shape,
# and the checker builds the calendar to catch bad hours or dates.
_CALENDAR = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "timezone": {"type": "string"},
        "hours": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
        "bank_holidays": {"type": ["string", "null", "boolean"]},
        "closures": {"type": "array"},  # YAML reads 2026-12-24 as a date: from_dict checks
    },
}

FLOW_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["name", "title", "numbers", "start", "nodes", "teams", "operator_team", "levels"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
        "title": _TEXT,
        "default": {"type": "boolean"},
        "numbers": {"type": "array", "items": _E164},
        "voice": {"type": "string"},
        "max_failures": {"type": "integer", "minimum": 1, "maximum": 5},
        "links": {"type": "object", "additionalProperties": {"type": "string"}},
        "texts": {"type": "object", "additionalProperties": _TEXT},
        "calendar": _CALENDAR,
        # Where "0" and repeated failures lead while the office is shut: the start of the
        # path that takes a message for the next working day (a closed team cannot answer).
        "message_path": _NODE_ID,
        "teams": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["name", "number"],
                "additionalProperties": False,
                "properties": {"name": _TEXT, "number": _E164},
            },
        },
        "operator_team": _NODE_ID,
        "levels": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "timescale": _TEXT,
                    "role": {"type": "string"},
                    "team": {"type": "string"},
                    "callback_if_abandoned": {"type": "boolean"},
                    # When nobody at the front door can make the call-back before it falls due
                    # (the office has shut), the Emergency Duty Team on the rota makes it.
                    "out_of_hours_cover": {"type": "boolean"},
                    # Who may take the call-back beyond the role (the allocator matches it
                    # against staff skills); the Task has no column yet, so a flow also sets
                    # it in the contact's answers.
                    "skill": {"enum": list(SKILLS)},
                },
            },
        },
        "start": _NODE_ID,
        "nodes": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": _NODE_ID,
            "additionalProperties": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"enum": list(NODE_TYPES)}},
                "allOf": [
                    _node("say", ["say", "next"], {"say": _TEXT, "next": _NODE_ID}),
                    _node(
                        "menu",
                        ["prompt", "options"],
                        {
                            "prompt": _TEXT,
                            "options": {"type": "array", "minItems": 1, "items": _OPTION},
                        },
                    ),
                    _node(
                        "branch",
                        ["cases", "otherwise"],
                        {
                            "cases": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["when", "next"],
                                    "additionalProperties": False,
                                    "properties": {
                                        "when": {
                                            "type": "object",
                                            "minProperties": 1,
                                            "propertyNames": _FIELD,
                                            "additionalProperties": {
                                                "oneOf": [
                                                    _SCALAR,
                                                    {"type": "array", "items": _SCALAR},
                                                ]
                                            },
                                        },
                                        "next": _NODE_ID,
                                    },
                                },
                            },
                            "otherwise": _NODE_ID,
                        },
                    ),
                    # Office hours: the engine goes on to `open` or `closed` by the call's time.
                    _node("hours", ["open", "closed"], {"open": _NODE_ID, "closed": _NODE_ID}),
                    _node(
                        "phone",
                        ["field", "next"],
                        {
                            "field": _FIELD,
                            "offer_caller_id": {"type": "boolean"},
                            "prompt": _TEXT,
                            "next": _NODE_ID,
                        },
                    ),
                    _node(
                        "question",
                        ["field", "prompt", "input", "next"],
                        {
                            "field": _FIELD,
                            "prompt": _TEXT,
                            "input": {"enum": ["speech", "digits"]},
                            "optional": {"type": "boolean"},
                            "min": {"type": "integer"},
                            "max": {"type": "integer"},
                            "next": _NODE_ID,
                        },
                    ),
                    _node(
                        "record",
                        ["field", "prompt", "next"],
                        {
                            "field": _FIELD,
                            "prompt": _TEXT,
                            "max_seconds": {"type": "integer", "minimum": 10, "maximum": 600},
                            "next": _NODE_ID,
                        },
                    ),
                    _node(
                        "outcome",
                        ["outcome", "say"],
                        {
                            "outcome": {"enum": ["callback", "information_only", "signposted"]},
                            "level": {"type": "string"},
                            "text": {"type": "string"},
                            "say": _TEXT,
                        },
                    ),
                    _node("transfer", ["team"], {"team": _NODE_ID, "say": _TEXT}),
                ],
            },
        },
    },
}
