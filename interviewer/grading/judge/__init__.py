"""The LLM judge: any OpenAI-compatible server grades the answer, checked against the answer itself.

Names load on first use, so the CLI can import `judge.config` without the rest.
"""

from interviewer.lazy import lazy_exports

_EXPORTS = {
    "JudgeOptions": "config",
    "JudgeSettings": "config",
    "judge_configured": "config",
    "settings_from_env": "config",
    "settings_from_options": "config",
    "BREAKER_FAILURES": "grader",
    "FailureKind": "client",
    "JudgeStop": "grader",
    "JUDGE_WEIGHT": "grader",
    "REVIEW_GAP": "grader",
    "JudgeGrader": "grader",
    "total_usage": "usage",
    "JudgeUsage": "usage",
    "detect_injection": "injection",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
