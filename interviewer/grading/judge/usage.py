"""Tokens the judge spent: per grade in `details.usage`, totalled over a batch as grades arrive."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interviewer.grading.models import Grade


@dataclass
class JudgeUsage:
    """Running totals; cached replies cost nothing and are counted apart."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    judged: int = 0
    cached: int = 0

    def add(self, grade: Grade) -> None:
        judge = grade.details.get("judge") or {}
        if not judge:
            return
        if judge.get("cached"):
            self.cached += 1
            return
        if not judge.get("failed"):
            self.judged += 1
        usage = grade.details.get("usage") or {}
        self.prompt_tokens += int(usage.get("prompt_tokens", 0) or 0)
        self.completion_tokens += int(usage.get("completion_tokens", 0) or 0)
        self.total_tokens += int(usage.get("total_tokens", 0) or 0)

    @property
    def any(self) -> bool:
        return bool(self.judged or self.cached or self.total_tokens)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def total_usage(grades: Iterable[Grade]) -> dict[str, int]:
    """Tokens spent on a batch, and how many answers were judged and how many came from the cache."""
    total = JudgeUsage()
    for grade in grades:
        total.add(grade)
    return total.as_dict()
