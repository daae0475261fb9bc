"""The LLM judge as a Grader: checked against the answer, blended with an evidence grader, cached.

Final score = JUDGE_WEIGHT x judge score (after the quote check) + (1 - JUDGE_WEIGHT) x evidence
score. A gap above REVIEW_GAP points between the two marks the grade for human review. An answer
that tries to steer the grader is capped at the evidence score. Any judge failure falls back to
the evidence grade with a judge_failed warning that names the cause; a judge that cannot answer
(bad key, unknown model, unreachable again and again) is not asked for every answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from interviewer.grading.judge.client import JudgeCallError, JudgeClient
from interviewer.grading.judge.config import JudgeSettings
from interviewer.grading.judge.injection import InjectionSignal, describe, detect_injection
from interviewer.grading.judge.prompt import PROMPT_VERSION, build_messages, question_fingerprint, sha256
from interviewer.grading.judge.quotes import find_quote
from interviewer.grading.judge.schema import JudgeReply, JudgeReplyError, parse_reply, response_schema
from interviewer.grading.models import (
    ConceptResult,
    ConceptStatus,
    Feedback,
    Grade,
    GradeRequest,
    GradeWarning,
    WarningKind,
    verdict_for,
)
from interviewer.grading.protocol import Grader
from interviewer.store.judge_cache import JudgeCache, cache_key

JUDGE_WEIGHT = 0.7
REVIEW_GAP = 30.0
# After this many answers in a row found the server unreachable, the next ones skip the call for
# UNREACHABLE_PAUSE seconds (a dead server must not cost minutes of timeouts per answer).
UNREACHABLE_STREAK = 3
UNREACHABLE_PAUSE = 30.0

_CREDIT = {ConceptStatus.covered: 1.0, ConceptStatus.partly: 0.5, ConceptStatus.missing: 0.0}
_DOWNGRADE = {ConceptStatus.covered: ConceptStatus.partly, ConceptStatus.partly: ConceptStatus.missing}


class JudgeGrader:
    """Grades with an OpenAI-compatible model; `evidence` (embedding or offline) keeps it honest."""

    name = "judge"
    version = PROMPT_VERSION

    def __init__(
        self,
        settings: JudgeSettings,
        evidence: Grader,
        *,
        cache: JudgeCache | None = None,
        use_cache: bool = True,
        client: JudgeClient | None = None,
    ) -> None:
        self.settings = settings
        self.evidence = evidence
        self.client = client or JudgeClient(settings)
        self.cache = (cache or JudgeCache()) if use_cache else None
        self._breaker = _Breaker()

    def grade(self, request: GradeRequest) -> Grade:
        return self.grade_many([request])[0]

    def grade_many(self, requests: Sequence[GradeRequest]) -> list[Grade]:
        """Evidence grades in one batch, then up to `settings.concurrency` judge calls at once."""
        if not requests:
            return []
        evidence = self.evidence.grade_many(requests)
        workers = min(self.settings.concurrency, len(requests))
        if workers <= 1:
            return [self._judge(r, e) for r, e in zip(requests, evidence)]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="judge") as pool:
            return list(pool.map(self._judge, requests, evidence))

    def _judge(self, request: GradeRequest, evidence: Grade) -> Grade:
        signals = detect_injection(request.answer)
        if not request.answer.strip():
            return evidence  # nothing to ask the judge about
        if (skipped := self._breaker.open_reason()) is not None:
            return _fallback(evidence, JudgeCallError(skipped, retryable=False), signals, self._about(None))
        try:
            model = self.client.model()
            key = cache_key(
                model=model, base_url=self.settings.display_url, prompt_version=PROMPT_VERSION,
                question_hash=question_fingerprint(request.question, request.rubric),
                answer_hash=sha256(request.answer),
            )
            reply, usage, mode, attempts, cached = self._reply(request, key, model, flagged=bool(signals))
        except JudgeCallError as exc:
            self._breaker.failed(exc)
            return _fallback(evidence, exc, signals, self._about(None))
        self._breaker.succeeded()
        return self._combine(request, evidence, reply, signals, {
            **self._about(model), "mode": mode, "attempts": attempts, "cached": cached,
        }, usage)

    def _about(self, model: str | None) -> dict[str, Any]:
        return {"model": model or self.settings.model, "base_url": self.settings.display_url,
                "prompt_version": PROMPT_VERSION}

    def _reply(self, request: GradeRequest, key: str, model: str, *, flagged: bool
               ) -> tuple[JudgeReply, dict[str, int], str, int, bool]:
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            try:
                return parse_reply(json.dumps(hit.reply), request.rubric), hit.usage, "cache", 0, True
            except JudgeReplyError:
                pass  # a stale row: ask again
        messages = build_messages(request.question, request.rubric, request.answer, flagged=flagged)
        completion = self.client.ask(
            messages, response_schema(request.rubric),
            lambda content, truncated: parse_reply(content, request.rubric, truncated=truncated),
        )
        reply: JudgeReply = completion.value
        if self.cache is not None:
            self.cache.put(key, model=model, base_url=self.settings.display_url, prompt_version=PROMPT_VERSION,
                           reply=reply.model_dump(mode="json"), usage=completion.usage)
        return reply, completion.usage, completion.mode, completion.attempts, False

    def _combine(self, request: GradeRequest, evidence: Grade, reply: JudgeReply,
                 signals: list[InjectionSignal], about: dict[str, Any], usage: dict[str, int]) -> Grade:
        evidence_spans = {c.label: c.evidence for c in evidence.concepts if c.evidence}
        concepts: list[ConceptResult] = []
        unsupported: list[str] = []
        claimed = checked = 0.0
        for concept, judged in zip(request.rubric.concepts, reply.concepts):
            status = ConceptStatus(judged.status)
            span, strength = None, _CREDIT[status]
            if status is not ConceptStatus.missing:
                match = find_quote(judged.quote, request.answer) if judged.quote.strip() else None
                if match is None:
                    # The judge's quote is not in the answer: its claim is not supported.
                    unsupported.append(concept.label)
                    claimed += concept.weight * _CREDIT[status]
                    status = _DOWNGRADE[status]
                    span = evidence_spans.get(concept.label) if status is not ConceptStatus.missing else None
                    strength = _CREDIT[status]
                else:
                    claimed += concept.weight * _CREDIT[status]
                    span, strength = match.span, _CREDIT[status] * match.ratio
            checked += concept.weight * _CREDIT[status]
            concepts.append(ConceptResult(label=concept.label, status=status, evidence=span, strength=strength,
                                          weight=concept.weight, required=concept.required))
        judge_score = reply.score * (checked / claimed) if claimed > 0 else reply.score
        blended = JUDGE_WEIGHT * judge_score + (1 - JUDGE_WEIGHT) * evidence.score
        gap = abs(judge_score - evidence.score)
        warnings = list(evidence.warnings)
        if signals:
            blended = min(blended, evidence.score)
            warnings.append(GradeWarning(kind=WarningKind.injection, message=describe(signals)))
        score = round(max(0.0, min(100.0, blended)), 1)
        feedback = Feedback(
            good=reply.feedback.good.strip() or evidence.feedback.good,
            missing=reply.feedback.missing.strip() or evidence.feedback.missing,
            next_step=reply.feedback.next_step.strip() or evidence.feedback.next_step,
        )
        details = {
            **evidence.details,
            "judge": {**about, "score": reply.score, "checked_score": round(judge_score, 1),
                      "unsupported_quotes": unsupported, "weight": JUDGE_WEIGHT, "gap": round(gap, 1)},
            "evidence": {"grader": evidence.grader, "version": evidence.grader_version, "score": evidence.score},
            "injection": [signal.kind for signal in signals],
            "usage": usage,
        }
        return Grade(
            score=score, verdict=verdict_for(score), concepts=concepts,
            reference_similarity=evidence.reference_similarity, feedback=feedback, warnings=warnings,
            needs_review=gap > REVIEW_GAP or bool(signals),
            follow_up=reply.follow_up.strip() or evidence.follow_up,
            grader=self.name, grader_version=self.version, details=details,
        )


class _Breaker:
    """Stops calling a judge that cannot answer: at once for a lasting error (bad key, unknown
    model), for a pause after a streak of unreachable-server failures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streak = 0
        self._reason: str | None = None
        self._until = 0.0

    def open_reason(self) -> str | None:
        with self._lock:
            if self._reason is not None and time.monotonic() < self._until:
                return f"{self._reason}; not asked again for now"
            return None

    def failed(self, error: JudgeCallError) -> None:
        with self._lock:
            if error.lasting:
                self._reason, self._until = error.reason, float("inf")
            elif error.unreachable:
                self._streak += 1
                if self._streak >= UNREACHABLE_STREAK:
                    self._reason, self._until = error.reason, time.monotonic() + UNREACHABLE_PAUSE
                    self._streak = 0

    def succeeded(self) -> None:
        with self._lock:
            self._streak = 0


def _fallback(evidence: Grade, error: JudgeCallError, signals: list[InjectionSignal],
              about: dict[str, Any]) -> Grade:
    tries = f" after {error.attempts} attempts" if error.attempts > 1 else ""
    if error.reason.startswith("reply unusable: "):
        what = f"judge reply unusable ({error.reason.removeprefix('reply unusable: ')}{tries})"
    else:
        what = f"judge unavailable ({error.reason}{tries})"
    warnings = [*evidence.warnings, GradeWarning(kind=WarningKind.judge_failed,
                                                 message=f"{what} \u2014 graded by {evidence.grader}")]
    if signals:
        warnings.append(GradeWarning(kind=WarningKind.injection, message=describe(signals)))
    details = {**evidence.details, "judge": {**about, "failed": error.reason, "attempts": error.attempts},
               "injection": [signal.kind for signal in signals], "usage": dict(error.usage)}
    return evidence.model_copy(update={
        "warnings": warnings, "details": details, "needs_review": evidence.needs_review or bool(signals),
    })
