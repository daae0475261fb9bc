"""The LLM judge: any OpenAI-compatible server grades the answer, checked against the answer itself.

Names load on first use, so the CLI can import `judge.config` without the rest.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "JudgeOptions": "config",
    "JudgeSettings": "config",
    "judge_configured": "config",
    "settings_from_env": "config",
    "settings_from_options": "config",
    "JUDGE_WEIGHT": "grader",
    "REVIEW_GAP": "grader",
    "JudgeGrader": "grader",
    "total_usage": "usage",
    "JudgeUsage": "usage",
    "detect_injection": "injection",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_EXPORTS[name]}"), name)
