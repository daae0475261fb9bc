"""Turning evidence into a Grade the candidate can act on: concept results with quotes,
warnings, feedback naming the concepts, a follow-up question and the review flag.

Shared by every grader, so feedback reads the same whichever grader scored the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interviewer.bank.models import Concept
from interviewer.grading.field import (MIN_WORDS_TO_PLACE, WORDS_BEHIND_FROM, WORDS_BEHIND_TO, closest_other_by_words,
                                       share_kept, word_cosine)
from interviewer.grading.follow_up import follow_up_question
from interviewer.grading.lexical import COVERED_AT, PARTLY_AT, LexicalEvidence
from interviewer.grading.models import (
    ConceptResult,
    ConceptStatus,
    Feedback,
    Grade,
    GradeWarning,
    WarningKind,
    verdict_for,
)

MIN_CONTENT_WORDS = 3
# Scores are capped when the answer only repeats the question or talks about something else.
PARROT_CAP = 30.0
OFF_TOPIC_CAP = 10.0
# Below this share kept, the answer is said to address another question.
ANOTHER_QUESTION_WARNING = 0.5
# Each false statement (a concept the answer denies or contradicts, or a rubric misconception
# it asserts) halves the score: interviewers scored answers with one core point denied about
# like answers giving only a third of the points (the probe benchmark).
WRONG_FACTOR = 0.5
MISCONCEPTION_FACTOR = WRONG_FACTOR
NEGATED_FACTOR = 0.5
# Of an answer stating something false, the share of statements that must speak to the
# reference's facts for the rest of the answer to keep its credit.
SUPPORTED_IN_FULL = 0.6
# The score is scaled by how much of the answer explains (rather than lists terms): a bare
# list keeps this share.
LIST_FLOOR = 0.3
LISTS_TERMS_BELOW = 0.6


def status_for(strength: float) -> ConceptStatus:
    if strength >= COVERED_AT:
        return ConceptStatus.covered
    if strength >= PARTLY_AT:
        return ConceptStatus.partly
    return ConceptStatus.missing


@dataclass(frozen=True)
class ConceptFinding:
    """One concept's outcome, as a grader decided it."""

    label: str
    strength: float
    evidence: str | None
    weight: float
    required: bool
    description: str = ""
    negated_evidence: str | None = None
    error: str | None = None  # the answer's own words that contradict the concept
    # status_for(strength), set once: it is read a dozen times per grade (results, feedback, follow-up)
    status: ConceptStatus = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", status_for(self.strength))

    @property
    def wrong(self) -> str | None:
        """What the answer says against this concept: a contradiction or a negation."""
        return self.error or self.negated_evidence


def findings_from_lexical(evidence: LexicalEvidence) -> list[ConceptFinding]:
    return [
        ConceptFinding(
            label=match.prepared.concept.label,
            strength=match.strength,
            evidence=match.evidence,
            weight=match.prepared.concept.weight,
            required=match.prepared.concept.required,
            description=match.prepared.concept.description,
            negated_evidence=match.negated_evidence if match.negated else None,
            error=match.error,
        )
        for match in evidence.concepts
    ]


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _importance(finding: ConceptFinding) -> tuple[int, float]:
    return (0 if finding.required else 1, -finding.weight)


@dataclass
class Signals:
    """Answer-level signals that become warnings and caps."""

    too_short: bool = False
    parrots_question: bool = False
    off_topic: bool = False
    extra_warnings: list[GradeWarning] = field(default_factory=list)
    conflict: str | None = None
    # The share of the score kept when the answer fits another question better than this one
    # (that question's prompt in answers_instead).
    topic_factor: float = 1.0
    answers_instead: str | None = None


def lexical_signals(evidence: LexicalEvidence, coverage: float, *, place_by_words: bool = True) -> Signals:
    """PLACE_BY_WORDS: tell by its words whether the answer fits another question better (the
    embedding grader decides that by meaning instead)."""
    lap = evidence.overlap
    words = lap.content_words
    reference_words = evidence.prepared.reference_length
    too_short = words < MIN_CONTENT_WORDS or (words < 6 and words < 0.25 * reference_words)
    # Parroting: at least three quarters of what the answer says is the question's own words,
    # and it adds almost none of the reference's content.
    parrots = words >= 1 and lap.question_share >= 0.75 and lap.recall < 0.15 and coverage < 0.4
    # Off topic, by words alone: a real answer sharing no word with the question, reference
    # or rubric (the embedding grader decides by meaning instead).
    off_topic = words >= 6 and lap.related_share == 0.0 and coverage < 0.1
    signals = Signals(too_short=too_short, parrots_question=parrots, off_topic=off_topic and not parrots)
    if not place_by_words or words < MIN_WORDS_TO_PLACE:
        return signals
    weights = lap.word_weights
    other = closest_other_by_words(weights, evidence.prepared.same_topic)
    if other is not None:
        own = word_cosine(weights, evidence.prepared.topic_weights)
        signals.topic_factor = share_kept(other[1] - own, WORDS_BEHIND_FROM, WORDS_BEHIND_TO)
        if signals.topic_factor < 1.0:
            signals.answers_instead = other[0]
    return signals


def build_grade(
    *,
    score: float,
    similarity: float,
    findings: Sequence[ConceptFinding],
    evidence: LexicalEvidence,
    signals: Signals,
    grader: str,
    version: str,
    details: dict[str, Any],
) -> Grade:
    """Apply warnings and caps to a raw score and explain the result."""
    warnings: list[GradeWarning] = []
    answer_words = evidence.overlap.content_words
    if not evidence.answer.text.strip():
        warnings.append(GradeWarning(kind=WarningKind.too_short, message="The answer is empty."))
        score = 0.0
    elif signals.too_short:
        warnings.append(GradeWarning(
            kind=WarningKind.too_short,
            message=f"The answer is very short ({answer_words} content word{'s' if answer_words != 1 else ''}); "
            "an interviewer expects a few sentences that explain the idea.",
        ))
    if signals.parrots_question:
        warnings.append(GradeWarning(
            kind=WarningKind.parrots_question,
            message="The answer mostly repeats the question's own words without adding an explanation.",
        ))
        score = min(score, PARROT_CAP)
    answers_another = signals.answers_instead is not None and signals.topic_factor < ANOTHER_QUESTION_WARNING
    if answers_another:
        warnings.append(GradeWarning(
            kind=WarningKind.off_topic,
            message="The answer reads as an answer to another question "
            f"(\"{_short(signals.answers_instead or '', 80)}\") more than to this one.",
        ))
    elif signals.off_topic:
        warnings.append(GradeWarning(
            kind=WarningKind.off_topic,
            message="The answer does not seem to address this question: almost none of its content "
            "relates to the topic.",
        ))
    if signals.off_topic:
        score = min(score, OFF_TOPIC_CAP)
    score *= signals.topic_factor
    if signals.answers_instead is not None:
        details = {**details, "another_question": {"prompt": signals.answers_instead,
                                                   "share_kept": round(signals.topic_factor, 3)}}
    share = evidence.explained_share
    expects = evidence.prepared.expects_explanation
    if answer_words >= MIN_CONTENT_WORDS and share < LISTS_TERMS_BELOW and expects >= LISTS_TERMS_BELOW:
        warnings.append(GradeWarning(
            kind=WarningKind.lists_terms,
            message="The answer lists terms without explaining them; a concept counts when you say what it "
            "does, how or why.",
        ))
    score *= 1.0 - expects * (1.0 - LIST_FLOOR) * (1.0 - share)
    for finding in findings:
        if finding.error:
            warnings.append(GradeWarning(
                kind=WarningKind.contradiction,
                message=f"'{finding.label}': \"{_short(finding.error)}\" contradicts the reference answer.",
            ))
    for finding in findings:
        if finding.negated_evidence:
            warnings.append(GradeWarning(
                kind=WarningKind.negated_concept,
                message=f"'{finding.label}' is stated negatively (\"{_short(finding.negated_evidence)}\"); "
                "a correct answer affirms it.",
            ))
    for hit in evidence.misconceptions:
        explanation = f" {hit.misconception.explanation.strip()}" if hit.misconception.explanation.strip() else ""
        warnings.append(GradeWarning(
            kind=WarningKind.misconception,
            message=f"Misconception: \"{_short(hit.evidence)}\" ({hit.misconception.statement}).{explanation}",
        ))
    score *= MISCONCEPTION_FACTOR ** len(evidence.misconceptions)
    # A concept stated negatively is missing, and costs up to half the score by its weight.
    # A concept the answer denies or contradicts is wrong, not just missing: an interviewer
    # marks a false statement down hard, whatever else the answer gets right.
    # A phrase of a derived rubric under a negation is weaker evidence than a denied authored
    # concept: there it costs up to half the score by its weight.
    authority = evidence.prepared.authority
    all_weight = sum(f.weight for f in findings) or 1.0
    for f in findings:
        if f.wrong:
            derived = 1.0 - NEGATED_FACTOR * f.weight / all_weight
            score *= authority * WRONG_FACTOR + (1.0 - authority) * (derived if not f.error else WRONG_FACTOR)
    # Once an answer is caught stating something false, what it says that no fact of the
    # reference backs gets no benefit of the doubt: with less than SUPPORTED_IN_FULL of its
    # statements speaking to the reference's facts, the score shrinks in proportion.
    # (Correct answers have about 0.7 of their statements aligned with a fact.)
    # A derived rubric's facts are the reference's bare sentences, too few to back much: the
    # rule weighs as much as the rubric's authority.
    if evidence.misconceptions or any(f.wrong for f in findings):
        backed = min(1.0, evidence.supported_share / SUPPORTED_IN_FULL)
        score *= evidence.prepared.authority * backed + (1.0 - evidence.prepared.authority)
        details = {**details, "supported_share": round(evidence.supported_share, 3)}
    warnings.extend(signals.extra_warnings)

    score = round(min(100.0, max(0.0, score)), 1)
    results = [
        ConceptResult(
            label=f.label,
            status=f.status,
            evidence=f.evidence if f.status is not ConceptStatus.missing else None,
            strength=round(min(1.0, max(0.0, f.strength)), 3),
            weight=f.weight,
            required=f.required,
            error=f.wrong,
        )
        for f in findings
    ]
    covered_share = sum(f.weight for f in findings if f.status is ConceptStatus.covered) / (
        sum(f.weight for f in findings) or 1.0
    )
    conflict = signals.conflict
    if conflict is None and (evidence.misconceptions or any(f.wrong for f in findings)) and (
        covered_share >= 0.5 or score >= 60
    ):
        conflict = "the answer covers key concepts but also states something wrong about them"
    if conflict:
        details = {**details, "review_reason": conflict}
    return Grade(
        score=score,
        verdict=verdict_for(score),
        concepts=results,
        reference_similarity=round(min(1.0, max(0.0, similarity)), 3),
        feedback=feedback_for(findings, evidence, warnings),
        warnings=warnings,
        needs_review=conflict is not None,
        follow_up=follow_up_for(findings, evidence),
        grader=grader,
        grader_version=version,
        details=details,
    )


def feedback_for(
    findings: Sequence[ConceptFinding], evidence: LexicalEvidence, warnings: Sequence[GradeWarning]
) -> Feedback:
    covered = [f for f in findings if f.status is ConceptStatus.covered]
    partly = [f for f in findings if f.status is ConceptStatus.partly]
    missing = sorted((f for f in findings if f.status is ConceptStatus.missing), key=_importance)

    if covered:
        quoted = "; ".join(f"{f.label} (\"{_short(f.evidence or '', 60)}\")" for f in covered[:3])
        more = f" and {len(covered) - 3} more" if len(covered) > 3 else ""
        good = f"You covered {quoted}{more}."
        if partly:
            good += " You touched on " + ", ".join(f.label for f in partly[:3]) + "."
    elif partly:
        good = "You touched on " + "; ".join(
            f"{f.label} (\"{_short(f.evidence or '', 60)}\")" for f in partly[:3]
        ) + ", but did not explain it fully."
    else:
        good = "The answer does not yet state any of the key concepts."

    if missing:
        parts = [f"{f.label} ({_short(f.description, 80)})" if f.description else f.label for f in missing[:3]]
        missing_text = "A strong answer would also cover: " + "; ".join(parts) + "."
    elif partly:
        missing_text = "Explain more fully: " + ", ".join(f.label for f in partly) + "."
    else:
        missing_text = "Nothing essential is missing."

    kinds = {warning.kind for warning in warnings}
    if evidence.misconceptions:
        item = evidence.misconceptions[0].misconception
        next_step = f"Correct the misconception \"{item.statement}\"" + (
            f": {item.explanation.strip()}" if item.explanation.strip() else "."
        )
    elif any(f.error for f in findings):
        wrong = next(f for f in findings if f.error)
        about = f": {_short(wrong.description, 100)}" if wrong.description else "."
        next_step = f"Re-check {wrong.label}; \"{_short(wrong.error or '', 60)}\" contradicts the reference{about}"
    elif any(f.negated_evidence for f in findings):
        negated = next(f for f in findings if f.negated_evidence)
        next_step = f"Re-check {negated.label}: a correct answer states it affirmatively."
    elif "parrots_question" in {k.value for k in kinds} and missing:
        next_step = f"Explain the mechanism instead of restating the question: start with {missing[0].label}."
    elif missing:
        target = missing[0]
        about = f" ({_short(target.description, 100)})" if target.description else ""
        next_step = f"Study {target.label}{about} and practise explaining it in one or two sentences."
    elif partly:
        target = sorted(partly, key=_importance)[0]
        next_step = f"Make {target.label} explicit: say what it is and why it matters here."
    else:
        next_step = "Practise giving the same answer in under a minute, with one concrete example."
    return Feedback(good=good, missing=missing_text, next_step=next_step)


def follow_up_for(findings: Sequence[ConceptFinding], evidence: LexicalEvidence) -> str | None:
    # What the answer stated wrongly comes first: an interviewer puts it back to the candidate.
    wrong = sorted((f for f in findings if f.wrong), key=_importance)
    weak = wrong or sorted((f for f in findings if f.status is not ConceptStatus.covered),
                           key=lambda f: (f.strength, _importance(f)))
    if not weak:
        return None
    target = weak[0]
    concepts = {match.prepared.concept.label: match.prepared.concept for match in evidence.concepts}
    concept = concepts.get(target.label) or Concept(label=target.label, description=target.description)
    return follow_up_question(concept, target.status, said=target.wrong)
