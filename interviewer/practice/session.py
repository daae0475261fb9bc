"""The practice loop as plain logic: ask, take the answer, store it, grade it, follow up.

Nothing here prints or reads the keyboard. A `SessionUI` (the terminal in
`interviewer.cli.practice`, a scripted one in tests) shows things and hands back what the
candidate typed. Each answer is committed to the store before grading starts, and its
grade right after, so an interrupted session loses nothing already entered and can be
resumed: the plan (question ids in order) is kept in the session's settings.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, ContextManager, Protocol

from interviewer.bank.loader import Bank
from interviewer.bank.models import BankQuestion, Concept, Question, Rubric
from interviewer.errors import InputError, InterviewerError
from interviewer.grading.follow_up import follow_up_question
from interviewer.grading.models import ConceptStatus, Grade, GradeRequest, Verdict
from interviewer.grading.protocol import Grader
from interviewer.practice.scheduling import choose_questions, next_due_time, record_review
from interviewer.store import transcripts
from interviewer.store.db import utc_now

# How the candidate finishes an answer: two empty lines in a row (one empty line is a
# paragraph break), or a line with just /done.
DONE, HINT, SKIP, QUIT, RESTORE = "/done", "/hint", "/skip", "/quit", "/restore"
BLANK_LINES_TO_FINISH = 2
# A weak answer shows the model answer without asking.
AUTO_MODEL_ANSWER = {Verdict.weak}


class Action(str, Enum):
    answered = "answered"
    skipped = "skipped"
    quit = "quit"


@dataclass(frozen=True)
class Asked:
    """A question put to the candidate: one of the plan, or a follow-up on one concept."""

    item: BankQuestion
    number: int
    total: int
    kind: str = "question"  # question | follow_up
    concept: Concept | None = None
    parent_turn_id: int | None = None
    time_limit: float | None = None
    draft: str | None = None  # what was typed before the session stopped mid-answer
    draft_audio: str | None = None  # the recording being made when it stopped (voice practice)

    @property
    def question(self) -> Question:
        return self.item.question

    @property
    def is_follow_up(self) -> bool:
        return self.kind == "follow_up"


@dataclass
class Reply:
    action: Action
    text: str = ""
    seconds: float = 0.0
    timed_out: bool = False
    hints: int = 0
    audio: str | None = None  # a spoken answer: its recording, as stored with the turn
    delivery: dict[str, Any] | None = None  # and its delivery figures


# ---------------------------------------------------------------- hints


def _concept_order(concept: Concept) -> tuple[bool, float]:
    return (not concept.required, -concept.weight)


class HintGiver:
    """`/hint`: first the question's own hint, then one missing concept at a time.

    What is still missing is judged from the text typed so far by the offline grader
    (instant, no model), whatever grader the session uses.
    """

    def __init__(self, item: BankQuestion, judge_text: Callable[[BankQuestion, str], Grade] | None = None) -> None:
        self.item = item
        self.judge_text = judge_text or offline_grade
        self.gave_question_hint = False
        self.given: set[str] = set()

    def next(self, text_so_far: str) -> str:
        hint = self.item.question.hint
        if hint and not self.gave_question_hint:
            self.gave_question_hint = True
            return hint
        still_missing = list(self.item.rubric.concepts)
        if text_so_far.strip():
            grade = self.judge_text(self.item, text_so_far)
            covered = {result.label for result in grade.concepts if result.status is ConceptStatus.covered}
            still_missing = [concept for concept in still_missing if concept.label not in covered]
        for concept in sorted(still_missing, key=_concept_order):
            if concept.label not in self.given:
                self.given.add(concept.label)
                about = concept.description or f"a strong answer mentions {concept.label}."
                return f"Think about {concept.label.lower()}: {about}"
        if still_missing:
            return "No more hints: every point still missing has had a hint already."
        return "Your answer already touches every key point; finish it when you are ready."


_offline_grader: Grader | None = None


def offline_grade(item: BankQuestion, text: str) -> Grade:
    global _offline_grader
    if _offline_grader is None:
        from interviewer.grading.offline import OfflineGrader

        _offline_grader = OfflineGrader()
    return _offline_grader.grade(GradeRequest.for_item(item, text))


# ---------------------------------------------------------------- one answer


class AnswerComposer:
    """Collects the lines of one answer and decides when it is finished.

    Two empty lines in a row or `/done` finish it; `/skip`, `/quit` and `/hint` are
    commands, and `/restore` puts back the lines of an earlier unfinished attempt (the
    asked question's `draft`) before what has been typed since. Empty lines before any text
    are ignored, except for a follow-up, where an empty first line skips it. With a time
    limit, a line entered after time ran out still counts and ends the answer; the UI calls
    `time_up()` if it notices first. `on_change(text)` hears every change of the text typed
    so far, so it can be kept as a draft.
    """

    def __init__(
        self,
        asked: Asked,
        hints: HintGiver,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str], None] | None = None,
        on_audio: Callable[[str | None], None] | None = None,
    ) -> None:
        self.asked = asked
        self.on_audio = on_audio
        self.hints = hints
        self.clock = clock
        self.on_change = on_change
        self.started = clock()
        self.lines: list[str] = []
        self.blank_run = 0
        self.reply: Reply | None = None
        self.hint_count = 0
        self.restored: str | None = None  # the draft just put back, for the UI to show once

    @property
    def done(self) -> bool:
        return self.reply is not None

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()

    def remaining(self) -> float | None:
        if self.asked.time_limit is None:
            return None
        return max(0.0, self.asked.time_limit - (self.clock() - self.started))

    def _finish(self, action: Action, *, timed_out: bool = False) -> None:
        if action is Action.answered and not self.text:
            action = Action.skipped
        self.reply = Reply(
            action=action, text=self.text if action is Action.answered else "",
            seconds=round(self.clock() - self.started, 3), timed_out=timed_out, hints=self.hint_count,
        )

    def feed(self, line: str) -> str | None:
        """Take one line; returns a hint to show, if the line asked for one."""
        line = line.rstrip("\r\n")
        command = line.strip().lower()
        if command == HINT:
            self.hint_count += 1
            return self.hints.next(self.text)
        if command in (SKIP, QUIT, DONE):
            self._finish({SKIP: Action.skipped, QUIT: Action.quit, DONE: Action.answered}[command])
            return None
        if command == RESTORE:
            if not self.asked.draft:  # nothing (left) to restore: not part of the answer either
                return None
            self.lines = [*self.asked.draft.split("\n"), *self.lines]
            self.blank_run = 0
            self.restored, self.asked = self.asked.draft, replace(self.asked, draft=None)
            self._changed()
            return None
        if not line.strip():
            if not self.lines:
                if self.asked.is_follow_up:
                    self._finish(Action.skipped)
                return None
            self.blank_run += 1
            if self.blank_run >= BLANK_LINES_TO_FINISH:
                self._finish(Action.answered)
                return None
            self.lines.append("")
        else:
            self.blank_run = 0
            self.lines.append(line)
            self._changed()
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            self._finish(Action.answered, timed_out=True)
        return None

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.text)

    def take_restored(self) -> str | None:
        """The draft `/restore` just put back (once), for the UI to echo."""
        restored, self.restored = self.restored, None
        return restored

    def keep_recording(self, audio: str | None) -> None:
        """A recording of this answer is about to be captured (None: dropped): kept with the draft."""
        if self.on_audio is not None:
            self.on_audio(audio)

    def take_spoken(self, text: str, *, audio: str, delivery: dict[str, Any] | None) -> None:
        """A spoken answer, its transcript accepted (as it is or edited): the answer is done."""
        self.lines = text.strip().split("\n")
        self._changed()
        self._finish(Action.answered)
        assert self.reply is not None
        if self.reply.action is Action.answered:
            self.reply.audio, self.reply.delivery = audio, delivery

    def time_up(self) -> None:
        self._finish(Action.answered, timed_out=True)

    def end_of_input(self) -> None:
        """The input closed (Ctrl-D): keep what was typed, or quit if nothing was."""
        self._finish(Action.answered if self.text else Action.quit)


# ---------------------------------------------------------------- follow-ups


def _contradicted(result: Any) -> str | None:
    """The answer's own words against this concept, where the grader checks claims."""
    return getattr(result, "error", None)


def weakest_concept(item: BankQuestion, grade: Grade) -> Concept | None:
    """The concept a follow-up should probe: one the answer contradicts, then missing before
    partly covered, required and heavy first."""
    results = {result.label: result for result in grade.concepts}
    open_concepts = [
        concept for concept in item.rubric.concepts
        if concept.label in results and (results[concept.label].status is not ConceptStatus.covered
                                         or _contradicted(results[concept.label]))
    ]
    if not open_concepts:
        return None
    return min(open_concepts, key=lambda concept: (
        not _contradicted(results[concept.label]),
        results[concept.label].status is not ConceptStatus.missing,
        not concept.required, -concept.weight, results[concept.label].strength,
    ))


def follow_up_prompt(concept: Concept, status: ConceptStatus, said: str | None = None) -> str:
    """An interviewer's question on a concept the answer missed, only touched, or contradicted
    (`said`: the answer's words against it): the rubric's own follow-up when it has one."""
    return follow_up_question(concept, status, said)


def follow_up_item(item: BankQuestion, concept: Concept, prompt: str) -> BankQuestion:
    """A one-concept question: the follow-up is graded against that concept only."""
    question = Question(
        id=item.id, level=item.question.level, topics=list(item.question.topics), prompt=prompt,
        reference_answer=concept.description or concept.label, source=item.question.source,
    )
    rubric = Rubric(question_id=item.id, concepts=[concept], misconceptions=list(item.rubric.misconceptions))
    return BankQuestion(question=question, rubric=rubric)


# Graders whose follow-up is a template: the question built here (the rubric's own, or one
# about the concept the answer contradicts) fits better. A judge's own question is used as it is.
TEMPLATE_FOLLOW_UP_GRADERS = ("offline", "embedding")


def plan_follow_up(item: BankQuestion, grade: Grade) -> tuple[str, Concept] | None:
    """The follow-up question and the concept its answer is graded against (None: nothing to probe)."""
    results = {result.label: result for result in grade.concepts}
    if grade.follow_up and not grade.grader.startswith(TEMPLATE_FOLLOW_UP_GRADERS):
        text = grade.follow_up.lower()
        named = [concept for concept in item.rubric.concepts if concept.label.lower() in text]
        concept = (max(named, key=lambda concept: len(concept.label)) if named
                   else weakest_concept(item, grade)
                   or min(item.rubric.concepts, key=lambda c: (results[c.label].strength if c.label in results else 0.0,
                                                               _concept_order(c))))
        return grade.follow_up, concept
    concept = weakest_concept(item, grade)
    if concept is None:
        return None
    result = results[concept.label]
    return follow_up_prompt(concept, result.status, _contradicted(result)), concept


# ---------------------------------------------------------------- the session


class SessionUI(Protocol):
    def notice(self, message: str) -> None: ...
    def ask(self, asked: Asked) -> None: ...
    def read_answer(self, asked: Asked, composer: AnswerComposer) -> Reply: ...
    def grading(self, asked: Asked) -> ContextManager[Any]: ...
    def show_grade(self, asked: Asked, grade: Grade, reply: Reply) -> None: ...
    def offer_model_answer(self, asked: Asked) -> bool: ...
    def show_model_answer(self, asked: Asked, grade: Grade) -> None: ...


@contextmanager
def nothing() -> Iterator[None]:
    yield


class NothingDue(InterviewerError):
    """--due found nothing to ask (not an error: exit code 0)."""

    exit_code = 0


def start_session(
    db: sqlite3.Connection,
    bank: Bank,
    *,
    level: str | None = None,
    topics: Sequence[str] = (),
    count: int = 5,
    grader: str = "auto",
    seed: int | None = None,
    time_limit: float | None = None,
    due: bool = False,
    banks: Sequence[str] = (),
    follow_ups: bool = True,
) -> transcripts.SessionRecord:
    """Choose the questions and record a new practice session holding the plan."""
    if count < 1:
        raise InputError(f"-n must be at least 1 (got {count})")
    if time_limit is not None and time_limit <= 0:
        raise InputError(f"--time-limit must be a positive number of seconds (got {time_limit:g})")
    candidates = bank.select(level=level, topics=topics)
    if not candidates:
        wanted = " and ".join(part for part in (
            f"level '{level}'" if level else "", f"topics {', '.join(topics)}" if topics else "") if part)
        raise InputError(f"no questions match {wanted or 'these options'} (topics available: {', '.join(bank.topics)})")
    chosen = choose_questions(db, candidates, count=count, due=due, seed=seed)
    if not chosen:
        upcoming = next_due_time(candidates, transcripts.get_cards(db))
        raise NothingDue("nothing is due for review" + (f" (next due at {upcoming} UTC)" if upcoming else ""))
    settings = {
        "plan": [item.id for item in chosen], "count": count, "seed": seed, "time_limit": time_limit,
        "due": due, "grader": grader, "banks": list(banks), "follow_ups": follow_ups,
    }
    session_id = transcripts.create_session(
        db, kind=transcripts.PRACTICE, level=level, topics=list(topics), grader=grader, settings=settings,
    )
    return transcripts.get_session(db, session_id)


def remaining_plan(
    db: sqlite3.Connection, session: transcripts.SessionRecord, bank: Bank
) -> tuple[list[tuple[int, BankQuestion]], list[str]]:
    """The plan's questions not yet asked, numbered as in the plan; and ids the bank lacks."""
    asked = {turn.question_id for turn in transcripts.session_turns(db, session.id, with_grades=False)
             if turn.kind == "question"}
    remaining, unknown = [], []
    for number, question_id in enumerate(session.settings.get("plan", []), start=1):
        if question_id in asked:
            continue
        if question_id in bank:
            remaining.append((number, bank.get(question_id)))
        else:
            unknown.append(question_id)
    return remaining, unknown


def ungraded_answers(
    db: sqlite3.Connection, session: transcripts.SessionRecord, *, time_limit: float | None = None
) -> list[tuple[Asked, transcripts.TurnRecord]]:
    """Answers stored but never graded (the session stopped while grading), in the order given,
    each as it was asked: from the question and rubric stored with the turn."""
    turns = transcripts.session_turns(db, session.id)
    plan = session.settings.get("plan", [])
    numbers: dict[int, int] = {}
    found = []
    for turn in turns:
        if turn.kind == "follow_up":
            number = numbers.get(turn.parent_turn_id or -1, 0)
        else:
            number = plan.index(turn.question_id) + 1 if turn.question_id in plan else len(numbers) + 1
            numbers[turn.id] = number
        if turn.status != "answered" or turn.answer is None or turn.grades or not turn.rubric:
            continue
        item = BankQuestion(question=Question.model_validate(turn.question), rubric=Rubric.model_validate(turn.rubric))
        found.append((Asked(item=item, number=number, total=len(plan), kind=turn.kind,
                            parent_turn_id=turn.parent_turn_id, time_limit=time_limit), turn))
    return found


@dataclass
class RunResult:
    session_id: str
    finished: bool
    quit: bool
    asked: int = 0
    grades: list[Grade] = field(default_factory=list)


class PracticeSession:
    """Runs (or resumes) one practice session through a SessionUI."""

    def __init__(
        self,
        db: sqlite3.Connection,
        session: transcripts.SessionRecord,
        bank: Bank,
        grader: Grader,
        ui: SessionUI,
        *,
        time_limit: float | None = None,
        follow_ups: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.session = session
        self.bank = bank
        self.grader = grader
        self.ui = ui
        self.time_limit = time_limit if time_limit is not None else session.settings.get("time_limit")
        self.follow_ups = follow_ups
        self.clock = clock

    def run(self) -> RunResult:
        remaining, unknown = remaining_plan(self.db, self.session, self.bank)
        for question_id in unknown:
            self.ui.notice(f"question '{question_id}' is no longer in the bank: left out")
        total = len(self.session.settings.get("plan", []))
        result = RunResult(session_id=self.session.id, finished=False, quit=False)
        for asked, turn in ungraded_answers(self.db, self.session, time_limit=self.time_limit):
            what = "follow-up answer" if asked.is_follow_up else "answer"
            self.ui.notice(f"Grading your {what} to question {asked.number}, saved but not graded when the "
                           "session stopped.")
            reply = Reply(action=Action.answered, text=turn.answer or "", seconds=turn.seconds or 0.0)
            if self._after_answer(asked, turn.id, reply, result).action is Action.quit:
                result.quit = True
                return result
        for number, item in remaining:
            reply = self._turn(Asked(item=item, number=number, total=total, time_limit=self.time_limit), result)
            if reply.action is Action.quit:
                result.quit = True
                break
        if not result.quit:
            transcripts.finish_session(self.db, self.session.id)
            result.finished = True
        return result

    def _turn(self, asked: Asked, result: RunResult) -> Reply:
        """One question (and its follow-up): returns the reply that decides whether to go on."""
        keep_draft = keep_audio = None
        if not asked.is_follow_up:
            # Each line is saved as it is entered: a session stopped mid-answer offers the
            # lines back (/restore) when it is resumed. Follow-ups are not asked again.
            question_id = asked.question.id
            asked = replace(asked, draft=transcripts.load_draft(self.db, self.session.id, question_id),
                            draft_audio=transcripts.load_draft_audio(self.db, self.session.id, question_id))

            def keep_draft(text: str) -> None:
                transcripts.save_draft(self.db, self.session.id, question_id, text)

            def keep_audio(audio: str | None) -> None:
                transcripts.save_draft_audio(self.db, self.session.id, question_id, audio)

        self.ui.ask(asked)
        asked_at = utc_now()
        composer = AnswerComposer(asked, HintGiver(asked.item), clock=self.clock, on_change=keep_draft,
                                  on_audio=keep_audio)
        reply = self.ui.read_answer(asked, composer)
        if reply.action is Action.quit:
            return reply
        turn_id = transcripts.add_turn(
            self.db, self.session.id, question=asked.question, rubric=asked.item.rubric,
            answer=reply.text if reply.action is Action.answered else None,
            kind=asked.kind, parent_turn_id=asked.parent_turn_id,
            status="answered" if reply.action is Action.answered else "skipped",
            asked_at=asked_at, seconds=reply.seconds, audio=reply.audio, delivery=reply.delivery,
        )
        if not asked.is_follow_up:
            transcripts.clear_draft(self.db, self.session.id, asked.question.id)
        result.asked += not asked.is_follow_up
        if reply.action is Action.skipped:
            if not asked.is_follow_up:
                record_review(self.db, asked.question.id, None)
            return reply
        return self._after_answer(asked, turn_id, reply, result)

    def _after_answer(self, asked: Asked, turn_id: int, reply: Reply, result: RunResult) -> Reply:
        """Grade a stored answer, show the grade, offer the model answer, ask the follow-up."""
        grade = self._grade(asked, reply)
        if grade is None:
            return reply
        transcripts.add_grade(self.db, turn_id, grade)
        self.ui.show_grade(asked, grade, reply)
        if asked.is_follow_up:
            if grade.verdict in AUTO_MODEL_ANSWER:
                self.ui.show_model_answer(asked, grade)
            return reply
        result.grades.append(grade)
        record_review(self.db, asked.question.id, grade.verdict)
        if grade.verdict in AUTO_MODEL_ANSWER or self.ui.offer_model_answer(asked):
            self.ui.show_model_answer(asked, grade)
        follow_up = plan_follow_up(asked.item, grade) if self.follow_ups else None
        if follow_up is None:
            return reply
        prompt, concept = follow_up
        follow_reply = self._turn(Asked(
            item=follow_up_item(asked.item, concept, prompt), number=asked.number, total=asked.total,
            kind="follow_up", concept=concept, parent_turn_id=turn_id, time_limit=asked.time_limit,
        ), result)
        return follow_reply if follow_reply.action is Action.quit else reply

    def _grade(self, asked: Asked, reply: Reply) -> Grade | None:
        try:
            with self.ui.grading(asked):
                return self.grader.grade(GradeRequest.for_item(asked.item, reply.text, spoken=reply.audio is not None))
        except InterviewerError as exc:
            self.ui.notice(
                f"could not grade this answer ({exc.message}); it is saved: grade it later with "
                f"`interviewer regrade {self.session.id[:8]} --grader offline`"
            )
            return None
