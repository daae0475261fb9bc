"""The LLM judge: any OpenAI-compatible server grades the answer, checked against the answer itself."""

from interviewer.grading.judge.config import JudgeSettings, judge_configured, settings_from_env
from interviewer.grading.judge.grader import JUDGE_WEIGHT, REVIEW_GAP, JudgeGrader, total_usage
from interviewer.grading.judge.injection import detect_injection

__all__ = [
    "JUDGE_WEIGHT",
    "REVIEW_GAP",
    "JudgeGrader",
    "JudgeSettings",
    "detect_injection",
    "judge_configured",
    "settings_from_env",
    "total_usage",
]
