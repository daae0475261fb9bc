"""Quick feature experiments on a human-scored CSV (not part of the package).

    python benchmarks/grading_experiment.py ../shared/data/asag/mohler_dev.csv [--embedding]
"""

from __future__ import annotations

import csv
import math
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interviewer.bank.models import Question  # noqa: E402
from interviewer.grading.lexical import analyse  # noqa: E402
from interviewer.grading.metrics import pearson, spearman  # noqa: E402
from interviewer.grading.rubric_from_reference import derive_rubric  # noqa: E402


def load(path: str):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    out = []
    questions = {}
    for row in rows:
        if "score_avg" in row:
            human = float(row["score_avg"])
        else:
            human = 1.0 if row["label"] == "correct" else 0.0
        qid = row["question_id"]
        if qid not in questions:
            slug = re.sub(r"[^a-z0-9]+", "-", qid.lower()).strip("-") or "q"
            q = Question(id=f"eval/q-{slug}", level="beginner", prompt=row["question"], reference_answer=row["reference_answer"])
            questions[qid] = (q, derive_rubric(q))
        out.append((qid, questions[qid], row["student_answer"], human))
    return out


def main() -> None:
    data = load(sys.argv[1])
    humans = [h for *_, h in data]
    feats: dict[str, list[float]] = {}
    t = time.perf_counter()
    evs = [analyse(q, r, a) for _, (q, r), a, _ in data]
    print(f"analyse {1000 * (time.perf_counter() - t) / len(data):.3f} ms/answer")
    for ev in evs:
        lap = ev.overlap
        f = {
            "coverage": ev.coverage,
            "recall": lap.recall,
            "precision": lap.precision,
            "f1": lap.f_measure,
            "words": math.log1p(lap.content_words),
            "qshare": lap.question_share,
        }
        for k, v in f.items():
            feats.setdefault(k, []).append(v)
    for k, v in feats.items():
        print(f"{k:12s} r={pearson(v, humans):.3f} rho={spearman(v, humans):.3f}")
    from interviewer.grading.offline import lexical_score
    s = [lexical_score(ev) for ev in evs]
    print(f"offline score r={pearson(s, humans):.3f} rho={spearman(s, humans):.3f}")


if __name__ == "__main__":
    main()


def embedding_features(data):
    from interviewer.grading.embedding import EmbeddingGrader
    from interviewer.grading.models import GradeRequest

    import pickle
    import interviewer.grading.embedding as emb

    memo_path = Path("/tmp") / ("encode-memo-" + Path(sys.argv[1]).stem + ".pkl")
    memo = pickle.loads(memo_path.read_bytes()) if memo_path.exists() else {}
    original = emb.encode_texts

    def cached(model, texts, spans=None, batch_size=emb.BATCH_SIZE):
        key = (tuple(texts), None if spans is None else tuple(tuple(s) for s in spans))
        if key not in memo:
            memo[key] = original(model, texts, spans, batch_size)
            memo_path.write_bytes(pickle.dumps(memo))
        return memo[key]

    emb.encode_texts = cached
    grader = EmbeddingGrader()
    requests = [GradeRequest(q, r, a) for _, (q, r), a, _ in data]
    grader.warm_up()
    t = time.perf_counter()
    grades = grader.grade_many(requests)
    print(f"embedding grade_many {1000 * (time.perf_counter() - t) / len(data):.2f} ms/answer")
    return grades


if __name__ == "__main__" and "--embedding" in sys.argv:
    data = load(sys.argv[1])
    humans = [h for *_, h in data]
    grades = embedding_features(data)
    keys = [k for k, v in grades[0].details.items() if isinstance(v, (int, float))]
    for k in keys:
        v = [g.details.get(k, 0.0) for g in grades]
        print(f"{k:24s} r={pearson(v, humans):.3f} rho={spearman(v, humans):.3f}")
    import json
    Path("/tmp/details-" + Path(sys.argv[1]).stem + ".json").write_text(json.dumps(
        [{"q": qid, "h": h, **g.details, "score": g.score} for (qid, _, _, h), g in zip(data, grades)]))
    s = [g.score for g in grades]
    print(f"embedding score r={pearson(s, humans):.3f} rho={spearman(s, humans):.3f}")
