"""Can MiniLM tell a paraphrase from a partial answer? Meaning signals measured on the probe.

    .venv/bin/python benchmarks/probe/meaning_signals.py

For every probe answer, each signal below is computed with the packaged all-MiniLM-L6-v2
(sentences and clauses encoded on their own, the question's direction removed as the embedding
grader does), and the script prints its mean per kind of answer and on how many questions it
ranks the paraphrase (all the points, other words) above the partial answer (a third of the
points, the rubric's words), and the full answer above the partial one:

- best_clause: per concept (description), the best cosine with any clause, weighted mean;
- over_siblings: the same, minus the concept's mean cosine with its sibling concepts (how close
  any on-topic text comes), floored at 0;
- reference_sentences: per reference sentence, the best cosine with any clause, mean;
- whole_answer: cosine of the whole answer with the whole reference.
"""

from __future__ import annotations

import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from interviewer.bank.loader import load_default_bank  # noqa: E402
from interviewer.grading.embedding import load_model, model_spec  # noqa: E402
from run import DEFAULT_ANSWERS, read_answers  # noqa: E402

KINDS = ("full", "paraphrase", "partial", "fluent_wrong", "negated", "keywords", "off_topic")


def clauses(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?;:])\s+|\n+|,\s+(?=(?:which|so|and|but|because|while)\b)", text.strip())
    return [p for p in parts if len(p.split()) >= 3] or [text]


def main() -> int:
    import numpy as np

    model = load_model(model_spec())
    cache: dict[str, object] = {}

    def encode(texts: list[str]):
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            for text, vector in zip(missing, model.encode(missing, normalize_embeddings=True, batch_size=32)):
                cache[text] = vector
        return np.stack([cache[t] for t in texts])

    def without(vectors, direction):
        rest = vectors - np.outer(vectors @ direction, direction)
        return rest / np.linalg.norm(rest, axis=1, keepdims=True)

    bank = load_default_bank()
    means: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_question: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for row in read_answers(DEFAULT_ANSWERS):
        item = bank.get(row["question_id"])
        question = encode([item.question.prompt])[0]
        concepts = without(encode([c.description or c.label for c in item.rubric.concepts]), question)
        parts = without(encode(clauses(row["answer"])), question)
        reference = without(encode(clauses(item.question.reference_answer)), question)
        weights = np.array([c.weight for c in item.rubric.concepts])
        best = (concepts @ parts.T).max(axis=1)
        siblings = concepts @ concepts.T
        np.fill_diagonal(siblings, np.nan)
        signals = {
            "best_clause": float((weights * best).sum() / weights.sum()),
            "over_siblings": float((weights * np.clip(best - np.nanmean(siblings, axis=1), 0, None)).sum()
                                   / weights.sum()),
            "reference_sentences": float((reference @ parts.T).max(axis=1).mean()),
            "whole_answer": float(encode([row["answer"]])[0] @ encode([item.question.reference_answer])[0]),
        }
        per_question[row["question_id"]][row["kind"]] = signals
        for name, value in signals.items():
            means[row["kind"]][name].append(value)

    names = list(next(iter(means.values())))
    print("| kind | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for kind in KINDS:
        if kind in means:
            print(f"| {kind} | " + " | ".join(f"{statistics.mean(means[kind][n]):.3f}" for n in names) + " |")
    print()
    paired = [q for q in per_question.values() if {"full", "paraphrase", "partial"} <= q.keys()]
    for name in names:
        above = sum(q["paraphrase"][name] > q["partial"][name] for q in paired)
        full = sum(q["full"][name] > q["partial"][name] for q in paired)
        print(f"{name}: paraphrase > partial on {above} of {len(paired)} questions, full > partial on {full}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
