"""The LLM judge as a Grader: checked against the answer, blended with an evidence grader, cached.

Final score = weight x judge score (after the quote check) + (1 - weight) x evidence score, the
weight being JUDGE_WEIGHT unless `evaluate` measured one for this judge. A gap above REVIEW_GAP
points between the two marks the grade for human review. An answer that tries to steer the grader
is capped at the evidence score, and a grade the judge's claims do not support never shows the
judge's own feedback. Any judge failure falls back to the evidence grade with a judge_failed
warning that names the cause; after BREAKER_FAILURES answers in a row fail (at once for a bad key
or an unknown model) the judge is not called again by this grader.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from interviewer.grading.judge.client import FailureKind, JudgeCallError, JudgeClient
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
# After this many answers in a row got no usable reply (whatever the cause), the judge is not
# called again for the rest of the run: a broken server must not cost requests, tokens and
# timeouts on every answer. A bad key or an unknown model switches it off at the first answer.
BREAKER_FAILURES = 3

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
        weight: float | None = None,
        on_stop: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.evidence = evidence
        self.client = client or JudgeClient(settings)
        self.cache = (cache or JudgeCache()) if use_cache else None
        # None: the weight `evaluate --save-weight` measured for this model and bank, else JUDGE_WEIGHT.
        self._fixed_weight = weight
        self._measured: dict[str, float] | None = None
        self._lock = threading.Lock()
        self._breaker = _Breaker()
        # Told once, in plain words, when the judge is switched off (the CLI prints it).
        self._on_stop = on_stop

    @property
    def stopped(self) -> JudgeStop | None:
        """Why the judge is no longer called in this run, or None while it is."""
        return self._breaker.stop

    def grade(self, request: GradeRequest) -> Grade:
        return self.grade_many([request])[0]

    def grade_many(self, requests: Sequence[GradeRequest]) -> list[Grade]:
        """Evidence grades in one batch, then up to `settings.concurrency` judge calls at once."""
        if not requests:
            return []
        evidence = self.evidence.grade_many(requests)
        order = _grouped_by_question(requests)
        workers = min(self.settings.concurrency, len(requests))
        if workers <= 1:
            judged = [self._judge(requests[i], evidence[i]) for i in order]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="judge") as pool:
                judged = list(pool.map(self._judge, [requests[i] for i in order], [evidence[i] for i in order]))
        grades: list[Grade] = [evidence[0]] * len(requests)
        for index, grade in zip(order, judged):
            grades[index] = grade
        return grades

    def _judge(self, request: GradeRequest, evidence: Grade) -> Grade:
        signals = detect_injection(request.answer)
        if not request.answer.strip():
            return evidence  # nothing to ask the judge about
        if (stop := self._breaker.stop) is not None:
            skipped = JudgeCallError(stop.reason, kind=stop.kind, retryable=False, attempts=0)
            return _fallback(evidence, skipped, signals, self._about(None), skipped_after=stop.failures)
        try:
            model = self.client.model()
            key = cache_key(
                model=model, base_url=self.settings.display_url, prompt_version=PROMPT_VERSION,
                question_hash=question_fingerprint(request.question, request.rubric),
                answer_hash=sha256(request.answer),
            )
            reply, usage, mode, attempts, cached = self._reply(request, key, model, flagged=bool(signals))
        except JudgeCallError as exc:
            opened = self._breaker.failed(exc)
            if opened is not None and self._on_stop is not None:
                self._on_stop(opened.notice(self.evidence_name))
            return _fallback(evidence, exc, signals, self._about(None))
        self._breaker.succeeded()
        return self._combine(request, evidence, reply, signals, {
            **self._about(model), "mode": mode, "attempts": attempts, "cached": cached,
        }, usage)

    def weight_for(self, question_id: str, model: str) -> tuple[float, str]:
        """(weight, where it comes from: "set", "measured" or "default") for a question's bank."""
        if self._fixed_weight is not None:
            return self._fixed_weight, "set"
        with self._lock:
            if self._measured is None:
                from interviewer.store.judge_weights import weights_for

                self._measured = weights_for(model, PROMPT_VERSION)
        bank = bank_of(question_id)
        if bank in self._measured:
            return self._measured[bank], "measured"
        return JUDGE_WEIGHT, "default"

    @property
    def evidence_name(self) -> str:
        return str(getattr(self.evidence, "name", "the evidence grader"))

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
            give_up=self._breaker.give_up_retrying,
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
        weight, weight_source = self.weight_for(request.question.id, str(about.get("model") or ""))
        blended = weight * judge_score + (1 - weight) * evidence.score
        gap = abs(judge_score - evidence.score)
        warnings = list(evidence.warnings)
        if signals:
            blended = min(blended, evidence.score)
            warnings.append(GradeWarning(kind=WarningKind.injection, message=describe(signals)))
        score = round(max(0.0, min(100.0, blended)), 1)
        # The judge's words speak for its own score. When that score is not what the grade says
        # (capped, unsupported quotes, far from the final score), its praise would mislead:
        # the evidence grader's feedback, which matches the evidence, is shown instead.
        trusted = not signals and not unsupported and abs(reply.score - score) <= REVIEW_GAP
        if trusted:
            feedback = Feedback(
                good=reply.feedback.good.strip() or evidence.feedback.good,
                missing=reply.feedback.missing.strip() or evidence.feedback.missing,
                next_step=reply.feedback.next_step.strip() or evidence.feedback.next_step,
            )
        else:
            feedback = evidence.feedback
        details = {
            **evidence.details,
            "judge": {**about, "score": reply.score, "checked_score": round(judge_score, 1),
                      "unsupported_quotes": unsupported, "weight": weight, "weight_source": weight_source,
                      "gap": round(gap, 1),
                      "feedback_from": "judge" if trusted else evidence.grader},
            "evidence": {"grader": evidence.grader, "version": evidence.grader_version, "score": evidence.score},
            "injection": [signal.kind for signal in signals],
            "usage": usage,
        }
        return Grade(
            score=score, verdict=verdict_for(score), concepts=concepts,
            reference_similarity=evidence.reference_similarity, feedback=feedback, warnings=warnings,
            needs_review=gap > REVIEW_GAP or bool(signals),
            follow_up=(reply.follow_up.strip() if not signals else "") or evidence.follow_up,
            grader=self.name, grader_version=self.version, details=details,
        )


def _grouped_by_question(requests: Sequence[GradeRequest]) -> list[int]:
    """Indexes of the requests, answers to the same question together (questions in order of
    first appearance). Consecutive prompts then share everything before the answer, which a
    local server (llama.cpp) does not evaluate again: most of a reply's cost on a CPU."""
    first_seen: dict[str, int] = {}
    keys = [first_seen.setdefault(question_fingerprint(r.question, r.rubric), i) for i, r in enumerate(requests)]
    return sorted(range(len(requests)), key=lambda i: (keys[i], i))


def bank_of(question_id: str) -> str:
    """The bank part of a question id ("dl-nlp/q10-lstm" -> "dl-nlp"); weights are kept per bank."""
    return question_id.split("/", 1)[0]


@dataclass(frozen=True)
class JudgeStop:
    """The judge was switched off for the rest of the run: the last failure's kind and reason."""

    kind: FailureKind
    reason: str
    failures: int  # answers in a row that got no usable reply (1 for a lasting failure)

    def notice(self, evidence: str) -> str:
        why = (f"{self.reason}" if self.failures == 1
               else f"{self.failures} answers in a row got no usable reply; the last: {self.reason}")
        return f"the judge is not called again in this run ({why}); the remaining answers are graded by {evidence}"


class _Breaker:
    """Switches the judge off after BREAKER_FAILURES failed answers in a row, or at once after a
    lasting failure (bad key, unknown model). It stays off for the grader's lifetime (one run)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streak = 0
        self._failed_tries = 0
        self.stop: JudgeStop | None = None

    def give_up_retrying(self) -> bool:
        """Asked after a failed try that could be retried: no retry once BREAKER_FAILURES tries in
        a row failed (over every answer in flight), since retries only help against a rare blip."""
        with self._lock:
            self._failed_tries += 1
            return self.stop is not None or self._failed_tries >= BREAKER_FAILURES

    def failed(self, error: JudgeCallError) -> JudgeStop | None:
        """Count a failed answer; the JudgeStop when this one switched the judge off, else None."""
        with self._lock:
            if self.stop is not None:
                return None
            self._streak += 1
            if error.lasting or self._streak >= BREAKER_FAILURES:
                self.stop = JudgeStop(kind=error.kind, reason=error.reason, failures=self._streak)
                return self.stop
            return None

    def succeeded(self) -> None:
        with self._lock:
            self._streak = self._failed_tries = 0


def _fallback(evidence: Grade, error: JudgeCallError, signals: list[InjectionSignal],
              about: dict[str, Any], *, skipped_after: int = 0) -> Grade:
    tries = f" after {error.attempts} attempts" if error.attempts > 1 else ""
    if skipped_after:
        what = (f"judge not asked: switched off for this run after {skipped_after} failed answer"
                f"{'s' if skipped_after > 1 else ''} ({error.reason})")
    elif error.kind is FailureKind.unparseable:
        what = f"judge reply unusable ({error.reason.removeprefix('reply unusable: ')}{tries})"
    else:
        what = f"judge unavailable ({error.reason}{tries})"
    warnings = [*evidence.warnings, GradeWarning(kind=WarningKind.judge_failed,
                                                 message=f"{what} \u2014 graded by {evidence.grader}")]
    if signals:
        warnings.append(GradeWarning(kind=WarningKind.injection, message=describe(signals)))
    details = {**evidence.details, "judge": {**about, "failed": error.reason, "failure": error.kind.value,
                                              "attempts": error.attempts, "skipped": bool(skipped_after)},
               "injection": [signal.kind for signal in signals], "usage": dict(error.usage)}
    return evidence.model_copy(update={
        "warnings": warnings, "details": details, "needs_review": evidence.needs_review or bool(signals),
        "fallback_reason": f"judge: {error.reason}" + (f" ({error.attempts} attempts)" if error.attempts > 1 else ""),
    })
