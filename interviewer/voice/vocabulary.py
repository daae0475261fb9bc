"""What Whisper is told before an answer: the question and the rubric's terms.

Whisper tiny.en spells technical words it has just "read" far better ("backpropagation" rather
than "back propagation" or "Mac Refigation"), so the question and its concept labels and aliases
go in as the text before the audio (Whisper's prompt, at most ~200 tokens: trimmed).
"""

from __future__ import annotations

from typing import Any

_MAX_CHARS = 600


def context_for(item: Any) -> str:
    """The prompt for an answer to ITEM (a BankQuestion, or anything with .question/.rubric)."""
    terms: list[str] = []
    seen: set[str] = set()
    for concept in item.rubric.concepts:
        for term in (concept.label, *concept.aliases):
            key = term.lower()
            if key not in seen and term.strip():
                seen.add(key)
                terms.append(term.strip())
    context = f"{item.question.prompt.strip()} {', '.join(terms)}."
    return context[:_MAX_CHARS].rsplit(" ", 1)[0] if len(context) > _MAX_CHARS else context
