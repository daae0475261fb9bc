"""Which component should check claims? Measures two candidates on held-out data.

    .venv/bin/python benchmarks/claim_checker.py ../shared/data/asag/scientsbank_train.csv

1. The lexical claim checker the graders ship (interviewer/grading/claims.py): an answer
   clause aligned with a reference sentence or concept description that points the other
   way, names another member of a set of exclusive terms, or denies an exclusive term.
2. A learned head: logistic regression over MiniLM features of (reference, answer) —
   u*v, |u-v| and the cosine — trained on SciEntsBank's `contradictory` label (SemEval-2013,
   3-way), split by question so the test questions are unseen.

Both are scored by ROC AUC of "this answer contradicts the reference": on SciEntsBank's
held-out questions, and on the probe set (fluent-wrong and negated answers against full,
paraphrase and partial ones), which is the kind of answer the graders must catch.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from interviewer.bank.loader import load_default_bank  # noqa: E402
from interviewer.bank.models import Level, Question  # noqa: E402
from interviewer.grading.lexical import analyse  # noqa: E402
from interviewer.grading.rubric_from_reference import derive_rubric  # noqa: E402


def auc(scores: list[float], labels: list[int]) -> float:
    """Probability that a random positive outranks a random negative (ties count half)."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def lexical_contradiction(question: Question, rubric, answer: str) -> float:
    return float(len(analyse(question, rubric, answer).contradictions))


def false_statements(question: Question, rubric, answer: str) -> float:
    """Everything the graders count as a false statement: contradictions, denied concepts,
    asserted misconceptions."""
    evidence = analyse(question, rubric, answer)
    return float(len(evidence.contradictions) + sum(1 for c in evidence.concepts if c.negated)
                 + len(evidence.misconceptions))


def features(model, references: list[str], answers: list[str]):
    import numpy as np

    u = model.encode(references, batch_size=64, normalize_embeddings=True)
    v = model.encode(answers, batch_size=64, normalize_embeddings=True)
    return np.hstack([u * v, np.abs(u - v), (u * v).sum(axis=1, keepdims=True)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scientsbank", type=Path)
    parser.add_argument("--probe", type=Path, default=HERE / "probe" / "answers.jsonl")
    args = parser.parse_args()

    with args.scientsbank.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    questions = sorted({r["question_id"] for r in rows})
    test_questions = set(questions[::4])  # every fourth question held out
    train = [r for r in rows if r["question_id"] not in test_questions]
    test = [r for r in rows if r["question_id"] in test_questions]

    bank = load_default_bank()
    probe = [json.loads(line) for line in args.probe.read_text(encoding="utf-8").splitlines() if line.strip()]
    probe = [p for p in probe if p["kind"] in ("full", "paraphrase", "partial", "fluent_wrong", "negated")]
    probe_labels = [int(p["kind"] in ("fluent_wrong", "negated")) for p in probe]

    # 1. the lexical checker
    made: dict[str, tuple[Question, object]] = {}
    lexical_scores = []
    for r in test:
        if r["question_id"] not in made:
            slug = r["question_id"].lower().replace("_", "-")
            q = Question(id=f"sb/{slug}", level=Level.intermediate, prompt=r["question"],
                         reference_answer=r["reference_answer"], source="benchmark")
            made[r["question_id"]] = (q, derive_rubric(q))
        q, rubric = made[r["question_id"]]
        lexical_scores.append(lexical_contradiction(q, rubric, r["student_answer"]))
    test_labels = [int(r["label"] == "contradictory") for r in test]
    probe_lexical = [lexical_contradiction(bank.get(p["question_id"]).question, bank.get(p["question_id"]).rubric,
                                           p["answer"]) for p in probe]
    probe_false = [false_statements(bank.get(p["question_id"]).question, bank.get(p["question_id"]).rubric,
                                    p["answer"]) for p in probe]

    # 2. the learned head
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    from interviewer.grading.embedding import model_spec

    model = SentenceTransformer(model_spec(), device="cpu", local_files_only=True)
    x_train = features(model, [r["reference_answer"] for r in train], [r["student_answer"] for r in train])
    y_train = [int(r["label"] == "contradictory") for r in train]
    head = LogisticRegression(max_iter=2000, C=1.0, class_weight="balanced").fit(x_train, y_train)
    x_test = features(model, [r["reference_answer"] for r in test], [r["student_answer"] for r in test])
    learned_scores = head.predict_proba(x_test)[:, 1].tolist()
    x_probe = features(model, [bank.get(p["question_id"]).question.reference_answer for p in probe],
                       [p["answer"] for p in probe])
    probe_learned = head.predict_proba(x_probe)[:, 1].tolist()

    flagged_wrong = sum(1 for s, y in zip(probe_lexical, probe_labels) if s and y)
    flagged_right = sum(1 for s, y in zip(probe_lexical, probe_labels) if s and not y)
    print(f"SciEntsBank: train {len(train)} answers, test {len(test)} answers on {len(test_questions)} unseen "
          f"questions ({sum(test_labels)} contradictory)")
    print("| checker | SciEntsBank held-out AUC | probe AUC (wrong vs correct) |")
    print("|---|---:|---:|")
    print(f"| lexical claim checker | {auc(lexical_scores, test_labels):.3f} | {auc(probe_lexical, probe_labels):.3f} |")
    print(f"| MiniLM + logistic head | {auc(learned_scores, test_labels):.3f} | {auc(probe_learned, probe_labels):.3f} |")
    print(f"lexical checker on the probe: flags {flagged_wrong} of {sum(probe_labels)} fluent-wrong/negated answers "
          f"and {flagged_right} of {len(probe_labels) - sum(probe_labels)} correct ones")
    false_wrong = sum(1 for s, y in zip(probe_false, probe_labels) if s and y)
    false_right = sum(1 for s, y in zip(probe_false, probe_labels) if s and not y)
    print(f"with concept denials and misconceptions (any false statement): probe AUC {auc(probe_false, probe_labels):.3f}, "
          f"flags {false_wrong} of {sum(probe_labels)} wrong answers and {false_right} correct ones")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
