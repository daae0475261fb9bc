"""How often a correct statement in plain words is taken for a false one.

    .venv/bin/python benchmarks/false_alarms.py [--grader offline|embedding] [--json]

The shipped rubrics restate every concept in plain words, three to five true sentences each
(`restatements:`), written from the question, the reference answer and the rubric, never from
graded answers. The claim checks do not read them (they check against the reference's sentences
and the concepts' descriptions), so they are correct statements the checks have never seen, in
the words of a candidate who does not use the rubric's terms: what a paraphrased answer is made
of. Each is graded as an answer on its own, and so is each question's set of restatements of one
angle (the first of every concept, then the second, ...) as one answer. The script counts those
that draw a `contradiction`, `negated_concept` or `misconception` warning, each of which costs a
correct answer most of its score, and lists them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from interviewer.bank.loader import load_default_bank  # noqa: E402
from interviewer.grading.models import GradeRequest  # noqa: E402

FALSE_KINDS = ("contradiction", "negated_concept", "misconception")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", choices=("offline", "embedding"), default="offline")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.grader == "offline":
        from interviewer.grading.offline import OfflineGrader

        grader = OfflineGrader()
    else:
        from interviewer.grading.embedding import EmbeddingGrader

        grader = EmbeddingGrader()

    requests, cases = [], []
    for item in load_default_bank():
        concepts = item.rubric.concepts
        for concept in concepts:
            for text in concept.restatements:
                requests.append(GradeRequest.for_item(item, text))
                cases.append(("sentence", item.question.id, concept.label, text))
        for angle in range(max((len(c.restatements) for c in concepts), default=0)):
            text = " ".join(c.restatements[angle] for c in concepts if len(c.restatements) > angle)
            requests.append(GradeRequest.for_item(item, text))
            cases.append(("answer", item.question.id, f"angle {angle + 1}", text))
    grades = grader.grade_many(requests)

    flagged = []
    for (unit, question_id, what, text), grade in zip(cases, grades):
        kinds = [w.kind.value for w in grade.warnings if w.kind.value in FALSE_KINDS]
        if kinds:
            message = next(w.message for w in grade.warnings if w.kind.value in FALSE_KINDS)
            flagged.append({"unit": unit, "question_id": question_id, "concept": what, "kinds": kinds,
                            "score": grade.score, "message": message, "text": text})
    totals = Counter(unit for unit, *_ in cases)
    hits = Counter(f["unit"] for f in flagged)
    by_kind = Counter(kind for f in flagged for kind in set(f["kinds"]))
    figures = {
        "grader": args.grader,
        "sentences": totals["sentence"], "sentences_flagged": hits["sentence"],
        "answers": totals["answer"], "answers_flagged": hits["answer"],
        "by_kind": dict(by_kind), "flagged": flagged,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"{args.grader}: {hits['sentence']} of {totals['sentence']} correct sentences and "
          f"{hits['answer']} of {totals['answer']} correct answers drawn as false "
          f"({', '.join(f'{k} {n}' for k, n in sorted(by_kind.items())) or 'none'})")
    for f in flagged:
        print(f"  {f['unit']:8} {f['question_id']:34} {f['concept'][:28]:28} {f['score']:5.1f}  {f['text'][:90]}")
        print(f"  {'':8} {f['message'][:150]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
