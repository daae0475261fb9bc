"""The practice loop's logic: finishing answers, hints, follow-ups, question choice, FSRS, store order."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from interviewer.bank.loader import load_bank
from interviewer.errors import InputError, InterviewerError
from interviewer.grading.models import GradeRequest
from interviewer.grading.offline import OfflineGrader
from interviewer.practice.scheduling import choose_questions, due_first, least_recent_first, record_review
from interviewer.practice.session import (
    Action,
    AnswerComposer,
    Asked,
    HintGiver,
    PracticeSession,
    plan_follow_up,
    start_session,
)
from interviewer.store import transcripts
from interviewer.store.db import connect

BANK = Path(__file__).parent / "test_practice_bank"


@pytest.fixture(scope="module")
def bank():
    return load_bank([BANK])


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def composer_for(bank, *, follow_up: bool = False, time_limit: float | None = None, clock=None) -> AnswerComposer:
    item = bank.get("zeta/q1-dropout")
    asked = Asked(item=item, number=1, total=1, kind="follow_up" if follow_up else "question", time_limit=time_limit)
    return AnswerComposer(asked, HintGiver(item), clock=clock or Clock())


def feed(composer: AnswerComposer, *lines: str) -> list[str]:
    hints = [hint for hint in (composer.feed(line) for line in lines) if hint]
    return hints


# ---------------------------------------------------------------- finishing an answer


def test_one_empty_line_is_a_paragraph_break_two_finish(bank):
    composer = composer_for(bank)
    feed(composer, "", "First paragraph.", "", "Second paragraph.")
    assert not composer.done
    feed(composer, "", "")
    assert composer.reply.action is Action.answered
    assert composer.reply.text == "First paragraph.\n\nSecond paragraph."


@pytest.mark.parametrize("command, action", [("/skip", Action.skipped), ("/QUIT", Action.quit), (" /done ", Action.skipped)])
def test_commands_on_an_empty_answer(bank, command, action):
    composer = composer_for(bank)
    feed(composer, command)
    assert composer.reply.action is action and composer.reply.text == ""


def test_done_keeps_text_and_quit_drops_it(bank):
    done = composer_for(bank)
    feed(done, "Dropout zeroes neurons.", "/done")
    assert (done.reply.action, done.reply.text) == (Action.answered, "Dropout zeroes neurons.")
    quitting = composer_for(bank)
    feed(quitting, "half an answer", "/quit")
    assert quitting.reply.action is Action.quit


def test_an_empty_first_line_skips_only_a_follow_up(bank):
    follow = composer_for(bank, follow_up=True)
    feed(follow, "")
    assert follow.reply.action is Action.skipped
    main = composer_for(bank)
    feed(main, "")
    assert not main.done


def test_end_of_input(bank):
    typed = composer_for(bank)
    feed(typed, "some text")
    typed.end_of_input()
    assert (typed.reply.action, typed.reply.text) == (Action.answered, "some text")
    nothing = composer_for(bank)
    nothing.end_of_input()
    assert nothing.reply.action is Action.quit


def test_time_limit_counts_down_and_takes_the_answer_as_is(bank):
    clock = Clock()
    composer = composer_for(bank, time_limit=30, clock=clock)
    assert composer.remaining() == 30
    clock.now += 12
    feed(composer, "first line")
    assert composer.remaining() == pytest.approx(18) and not composer.done
    clock.now += 20
    feed(composer, "a line entered after the time ran out")
    assert composer.reply.timed_out and composer.reply.action is Action.answered
    assert composer.reply.text == "first line\na line entered after the time ran out"
    assert composer.reply.seconds == pytest.approx(32)


def test_time_up_before_any_text_is_a_skip(bank):
    composer = composer_for(bank, time_limit=5)
    composer.time_up()
    assert composer.reply.action is Action.skipped and composer.reply.timed_out


# ---------------------------------------------------------------- hints


def test_hints_give_the_question_hint_then_missing_concepts_by_importance(bank):
    composer = composer_for(bank)
    item = bank.get("zeta/q1-dropout")
    hints = feed(composer, "/hint", "It is a kind of regularization that reduces overfitting.", "/hint", "/hint")
    assert hints[0] == item.question.hint
    assert "randomly zeroes neurons" in hints[1].lower()           # required and heaviest first
    assert "co-adaptation" in hints[2].lower()                     # "reduces overfitting" is already covered
    assert composer.hint_count == 3 and not composer.done


# ---------------------------------------------------------------- follow-ups


def test_the_follow_up_targets_the_weakest_concept_and_a_judges_question_is_kept(bank):
    item = bank.get("zeta/q2-lstm-gates")
    grade = OfflineGrader().grade(GradeRequest.for_item(item, "The input gate decides what new information to store."))
    prompt, concept = plan_follow_up(item, grade)
    assert concept.label == "Forget gate" and prompt.startswith(("You didn't mention the forget gate.",
                                                                 "You only touched on the forget gate."))

    judged = grade.model_copy(update={"grader": "judge", "follow_up": "And what does the output gate control?"})
    prompt, concept = plan_follow_up(item, judged)
    assert (prompt, concept.label) == ("And what does the output gate control?", "Output gate")

    complete = OfflineGrader().grade(GradeRequest.for_item(item, item.question.reference_answer))
    assert plan_follow_up(item, complete) is None


def test_a_contradicted_concept_is_asked_about_first_with_the_candidates_own_words(bank):
    item = bank.get("zeta/q2-lstm-gates")
    grade = OfflineGrader().grade(GradeRequest.for_item(item, "The input gate decides what new information to store."))
    said = "the output gate erases the cell state"
    concepts = [result.model_copy(update={"error": said}) if result.label == "Output gate" else result
                for result in grade.concepts]
    prompt, concept = plan_follow_up(item, grade.model_copy(update={"concepts": concepts}))
    assert concept.label == "Output gate"  # before the missing, required forget gate
    assert prompt == (f'You said "{said}". Are you sure about that? What role does the output gate play here?')


# ---------------------------------------------------------------- choosing questions


def test_never_asked_first_then_least_recently_asked(bank):
    items = list(bank)
    last = {items[0].id: "2024-05-01T00:00:00+00:00", items[1].id: "2024-01-01T00:00:00+00:00"}
    assert [item.id for item in least_recent_first(items, last, seed=1)] == [items[2].id, items[1].id, items[0].id]


def test_ties_follow_the_seed(bank):
    items = list(bank)
    orders = {tuple(item.id for item in least_recent_first(items, {}, seed=seed)) for seed in range(12)}
    assert len(orders) > 1
    assert least_recent_first(items, {}, seed=5) == least_recent_first(items, {}, seed=5)


def test_due_first_asks_overdue_then_new_and_leaves_future_cards_out(tmp_path, bank):
    db = connect(tmp_path / "due.db")
    q1, q2, q3 = (bank.get(qid) for qid in ("zeta/q1-dropout", "zeta/q2-lstm-gates", "zeta/q3-early-stopping"))
    now = datetime(2030, 1, 10, tzinfo=timezone.utc)
    record_review(db, q1.id, None, when=now - timedelta(days=3))          # Again: due minutes later
    record_review(db, q2.id, "strong", when=now - timedelta(minutes=1))   # Easy: due days later
    chosen = due_first(list(bank), transcripts.get_cards(db), now=now)
    assert [item.id for item in chosen] == [q1.id, q3.id]
    assert choose_questions(db, list(bank), count=1, due=True, now=now) == [q1]


def test_verdicts_map_to_fsrs_ratings_and_better_answers_wait_longer(tmp_path):
    db = connect(tmp_path / "fsrs.db")
    when = datetime(2030, 1, 1, tzinfo=timezone.utc)
    dues = {verdict: record_review(db, f"bank/{verdict}", verdict, when=when)
            for verdict in ("strong", "good", "partial", "weak")}
    cards = transcripts.get_cards(db)
    assert {verdict: cards[f"bank/{verdict}"].last_rating for verdict in dues} == {
        "strong": 4, "good": 3, "partial": 2, "weak": 1}
    assert dues["strong"] > dues["good"] >= dues["partial"] >= dues["weak"] > when
    again = record_review(db, "bank/strong", "strong", when=dues["strong"])
    assert again - dues["strong"] > dues["strong"] - when          # a second Easy waits longer still
    assert transcripts.get_cards(db)["bank/strong"].reviews == 2


def test_start_session_rejects_bad_options(tmp_path, bank):
    db = connect(tmp_path / "s.db")
    with pytest.raises(InputError, match="no questions match level 'advanced'"):
        start_session(db, bank, level="advanced")
    with pytest.raises(InputError, match="-n must be at least 1"):
        start_session(db, bank, count=0)


# ---------------------------------------------------------------- the loop and the store


class ScriptedUI:
    """Answers from a list, records what was shown."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = list(answers)
        self.shown: list[str] = []

    def notice(self, message: str) -> None:
        self.shown.append(f"notice: {message}")

    def ask(self, asked: Asked) -> None:
        self.shown.append(f"ask {asked.kind} {asked.number}/{asked.total}")

    def read_answer(self, asked: Asked, composer: AnswerComposer):
        while not composer.done:
            hint = composer.feed(self.answers.pop(0))
            if hint:
                self.shown.append(f"hint: {hint}")
        return composer.reply

    def grading(self, asked: Asked):
        return nullcontext()

    def show_grade(self, asked, grade, reply) -> None:
        self.shown.append(f"grade {asked.kind} {grade.verdict.value}")

    def offer_model_answer(self, asked) -> bool:
        self.shown.append("offer model answer")
        return False

    def show_model_answer(self, asked, grade) -> None:
        self.shown.append(f"model answer {asked.kind}")


class WatchingGrader:
    """The offline grader, noting whether the answer was already in the store when grading began."""

    name, version = "offline", "1.0"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inner = OfflineGrader()
        self.answers_already_stored: list[bool] = []

    def grade(self, request: GradeRequest):
        other = connect(self.path)  # another connection: sees only what was committed
        stored = other.execute("SELECT COUNT(*) FROM turns WHERE answer = ?", (request.answer,)).fetchone()[0]
        self.answers_already_stored.append(stored == 1)
        return self.inner.grade(request)

    def grade_many(self, requests):
        return [self.grade(request) for request in requests]


def test_each_answer_is_committed_before_grading(tmp_path, bank):
    path = tmp_path / "order.db"
    db = connect(path)
    session = start_session(db, bank, topics=["rnn"], count=1, grader="offline")
    grader = WatchingGrader(path)
    ui = ScriptedUI(["The input gate stores new information.", "/done", "The forget gate discards.", "/done"])
    result = PracticeSession(db, session, bank, grader, ui).run()
    assert result.finished and grader.answers_already_stored == [True, True]
    assert ui.shown[0] == "ask question 1/1" and ui.shown[1].startswith("grade question")
    assert ui.shown[2] in ("offer model answer", "model answer question")
    assert ui.shown[3] == "ask follow_up 1/1" and ui.shown[4].startswith("grade follow_up")
    turns = transcripts.session_turns(db, session.id)
    assert [(t.kind, len(t.grades)) for t in turns] == [("question", 1), ("follow_up", 1)]
    assert turns[1].rubric["concepts"][0]["label"] == "Forget gate"


AUTHORED_BANK_QUESTIONS = """\
bank: yota
questions:
  - id: yota/q1-dropout
    level: beginner
    topics: [dropout]
    prompt: "What is dropout and how does it prevent overfitting?"
    reference_answer: "Dropout randomly sets a fraction of the neurons to zero at each training step. It reduces overfitting."
"""
AUTHORED_BANK_RUBRICS = """\
rubrics:
  - question_id: yota/q1-dropout
    concepts:
      - label: "Random"
        aliases: ["randomly sets neurons to zero", "drops units at random"]
        description: "Dropout randomly sets a fraction of the neurons to zero at each training step."
        weight: 2.0
        required: true
        follow_up: "Which neurons does dropout switch off, and how are they chosen?"
      - label: "Reduces overfitting"
        aliases: ["reduces overfitting", "regularization"]
        description: "It acts as a regularizer and reduces overfitting."
"""


def test_a_missing_concept_with_an_authored_follow_up_is_asked_in_those_words(tmp_path):
    root = tmp_path / "yota"
    (root / "questions").mkdir(parents=True)
    (root / "rubrics").mkdir()
    (root / "questions" / "yota.yaml").write_text(AUTHORED_BANK_QUESTIONS, encoding="utf-8")
    (root / "rubrics" / "yota.yaml").write_text(AUTHORED_BANK_RUBRICS, encoding="utf-8")
    bank = load_bank([root])
    db = connect(tmp_path / "authored.db")
    session = start_session(db, bank, count=1, grader="offline")
    ui = ScriptedUI(["It is a kind of regularization that reduces overfitting.", "/done",
                     "A random fraction of the neurons, each with probability p, at every training step.", "/done"])
    assert PracticeSession(db, session, bank, OfflineGrader(), ui).run().finished
    question, follow = transcripts.session_turns(db, session.id)
    assert follow.kind == "follow_up"
    assert follow.question["prompt"] == "Which neurons does dropout switch off, and how are they chosen?"
    assert [concept["label"] for concept in follow.rubric["concepts"]] == ["Random"]
    assert follow.parent_turn_id == question.id
    assert follow.latest_grade.grade.concepts[0].status.value != "missing"


class FailingJudge:
    """A judge whose server is unreachable."""

    name, version = "judge", "1"

    def grade(self, request):
        raise InterviewerError("cannot reach the judge at http://127.0.0.1:9")

    def grade_many(self, requests):
        return [self.grade(request) for request in requests]


def test_a_grading_failure_keeps_the_answer_and_goes_on(tmp_path, bank):
    db = connect(tmp_path / "fail.db")
    session = start_session(db, bank, topics=["zeta"], level="beginner", count=2, grader="judge")
    ui = ScriptedUI(["first answer", "/done", "second answer", "/done"])
    result = PracticeSession(db, session, bank, FailingJudge(), ui).run()
    assert result.finished
    notices = [line for line in ui.shown if line.startswith("notice:")]
    assert len(notices) == 2 and "cannot reach the judge" in notices[0] and "interviewer regrade" in notices[0]
    turns = transcripts.session_turns(db, session.id)
    assert [(t.answer, t.grades) for t in turns] == [("first answer", []), ("second answer", [])]


def test_restore_puts_the_draft_first_once_and_is_never_part_of_an_answer(bank):
    item = bank.get("zeta/q1-dropout")
    seen: list[str] = []
    asked = Asked(item=item, number=1, total=1, draft="Dropout zeroes neurons\nat random.")
    composer = AnswerComposer(asked, HintGiver(item), clock=Clock(), on_change=seen.append)
    feed(composer, "during training only.", "/restore", "/restore")
    assert composer.take_restored() == "Dropout zeroes neurons\nat random." and composer.take_restored() is None
    feed(composer, "", "")
    assert composer.reply.text == "Dropout zeroes neurons\nat random.\nduring training only."
    assert seen == ["during training only.", "Dropout zeroes neurons\nat random.\nduring training only."]

    fresh = composer_for(bank)
    feed(fresh, "/restore", "An answer.", "/done")
    assert fresh.reply.text == "An answer."
