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
    # The score comes first: measured with SmolLM2-135M under a grammar, a score written after
    # the concepts was 0 for every answer, one written first told a good answer from an empty one.
    return {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "concepts": {"type": "array", "items": concept},
            "feedback": {
                "type": "object",
                "properties": {"good": text, "missing": text, "next_step": text},
                "required": ["good", "missing", "next_step"],
                "additionalProperties": False,
            },
            "follow_up": text,
        },
        "required": ["score", "concepts", "feedback", "follow_up"],
        "additionalProperties": False,
    }


def with_length_limits(schema: dict[str, Any], max_chars: int = 120) -> dict[str, Any]:
    """The schema with bounded strings, the score as an enum of 0..100 and exactly one entry per
    concept, for grammar-constrained JSON mode (llama-cpp-python): a small model cannot ramble
    until the token limit nor write a score over 100. Kept out of the strict json_schema request,
    whose subset may not allow these keywords."""
    if schema.get("type") == "string" and "enum" not in schema:
        return {**schema, "maxLength": max_chars}
    if schema.get("type") == "integer" and "minimum" in schema and "maximum" in schema:
        # Grammar converters enforce an enum everywhere, bounds not always.
        return {"type": "integer", "enum": list(range(int(schema["minimum"]), int(schema["maximum"]) + 1))}
    if schema.get("type") == "object":
        return {**schema, "properties": {k: with_length_limits(v, max_chars) for k, v in schema["properties"].items()}}
    if schema.get("type") == "array":
        items = with_length_limits(schema["items"], max_chars)
        labels = items.get("properties", {}).get("label", {}).get("enum")
        limits = {"minItems": len(labels), "maxItems": len(labels)} if labels else {}
        return {**schema, "items": items, **limits}
    return schema


def _label_key(label: str) -> str:
    return re.sub(r"\W+", " ", label).strip().lower()


_REPLY_KEYS = {"concepts", "score"}


def last_json_object(text: str) -> dict[str, Any] | None:
    """The last complete JSON object in text that looks like a reply (a reply may wrap it in
    prose or fences). The inner objects of a cut-off reply do not count."""
    decoder = json.JSONDecoder(strict=False)
    found: dict[str, Any] | None = None
    position = text.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except ValueError:
            position = text.find("{", position + 1)
            continue
        if isinstance(value, dict) and _REPLY_KEYS & value.keys():
            found = value
            position = text.find("{", end)
        else:
            position = text.find("{", position + 1)
    return found


def parse_reply(content: str | None, rubric: Rubric, *, truncated: bool = False) -> JudgeReply:
    """Validate the reply and line its concepts up with the rubric (same labels, same order).

    A rubric concept the judge left out counts as missing; a concept it invented is an error.
    """
    if not content or not content.strip():
        raise JudgeReplyError("empty reply")
    data: Any
    try:
        # strict=False: small models emit raw newlines inside strings, which JSON forbids.
        data = json.loads(content, strict=False)
    except ValueError:
        data = last_json_object(content)
        if data is None:
            if truncated:
                raise JudgeReplyError("reply cut off before the JSON ended") from None
            if content.lstrip().startswith("{"):
                raise JudgeReplyError("reply is not valid JSON") from None
            raise JudgeReplyError("reply holds no JSON object") from None
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
