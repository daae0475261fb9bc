"""The judge's reply: its JSON schema (sent as structured output) and its validation."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from interviewer.bank.models import Rubric


class JudgeReplyError(ValueError):
    """The reply cannot be used: not JSON, cut off, or values outside the schema."""


class JudgeConcept(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: str
    status: Literal["covered", "partly", "missing"]
    quote: str = ""


class JudgeFeedback(BaseModel):
    model_config = ConfigDict(extra="ignore")

    good: str
    missing: str
    next_step: str


class JudgeReply(BaseModel):
    model_config = ConfigDict(extra="ignore")

    concepts: list[JudgeConcept]
    score: float = Field(ge=0, le=100)
    feedback: JudgeFeedback
    follow_up: str


def response_schema(rubric: Rubric) -> dict[str, Any]:
    """A strict JSON schema (OpenAI structured-output subset); labels are an enum, so a
    grammar-constrained local model cannot invent concepts."""
    text = {"type": "string"}
    concept = {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": [c.label for c in rubric.concepts]},
            "status": {"type": "string", "enum": ["covered", "partly", "missing"]},
            "quote": text,
        },
        "required": ["label", "status", "quote"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "concepts": {"type": "array", "items": concept},
            "score": {"type": "integer"},
            "feedback": {
                "type": "object",
                "properties": {"good": text, "missing": text, "next_step": text},
                "required": ["good", "missing", "next_step"],
                "additionalProperties": False,
            },
            "follow_up": text,
        },
        "required": ["concepts", "score", "feedback", "follow_up"],
        "additionalProperties": False,
    }


def _label_key(label: str) -> str:
    return re.sub(r"\W+", " ", label).strip().lower()


def last_json_object(text: str) -> dict[str, Any] | None:
    """The last complete top-level JSON object in text (a reply may wrap it in prose or fences)."""
    decoder = json.JSONDecoder()
    found: dict[str, Any] | None = None
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found = value
        position = text.find("{", end)
    return found


def parse_reply(content: str | None, rubric: Rubric, *, truncated: bool = False) -> JudgeReply:
    """Validate the reply and line its concepts up with the rubric (same labels, same order).

    A rubric concept the judge left out counts as missing; a concept it invented is an error.
    """
    if not content or not content.strip():
        raise JudgeReplyError("empty reply")
    data: Any
    try:
        data = json.loads(content)
    except ValueError:
        data = last_json_object(content)
        if data is None:
            raise JudgeReplyError("reply cut off before the JSON ended" if truncated else "reply is not JSON") from None
    if not isinstance(data, dict):
        raise JudgeReplyError("reply is not a JSON object")
    try:
        reply = JudgeReply.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise JudgeReplyError(f"reply does not fit the schema ({where}: {first['msg']})") from None
    known = {_label_key(c.label): c.label for c in rubric.concepts}
    by_label: dict[str, JudgeConcept] = {}
    for item in reply.concepts:
        label = known.get(_label_key(item.label))
        if label is None:
            raise JudgeReplyError(f"reply names an unknown concept {item.label[:60]!r}")
        by_label.setdefault(label, item.model_copy(update={"label": label}))
    ordered = [by_label.get(c.label, JudgeConcept(label=c.label, status="missing")) for c in rubric.concepts]
    return reply.model_copy(update={"concepts": ordered})
