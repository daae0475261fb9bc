"""How well the judge's grade_many overlaps calls.

64 answers, concurrency 16, against the scripted local OpenAI-compatible server (tests/judge_server.py)
answering each request after 200 ms. Ideal: 64 / 16 x 0.2 s = 0.8 s. Reports measured / ideal
(target <= 1.3). The cache lives in a throwaway data folder, so every answer is a real call.

    .venv/bin/python benchmarks/judge_concurrency.py [--answers 64] [--concurrency 16] [--delay 0.2] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.judge_server import MODEL_ID, JudgeServer, Recorded, Reply, structured  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=64)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the server takes per reply")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["INTERVIEWER_HOME"] = tempfile.mkdtemp(prefix="judge-bench-")

    from interviewer.bank.models import BankQuestion, Concept, Level, Question, Rubric
    from interviewer.grading.judge import JudgeGrader, JudgeSettings
    from interviewer.grading.models import GradeRequest
    from interviewer.grading.offline import OfflineGrader

    item = BankQuestion(
        question=Question(id="bench/attention", level=Level.intermediate, prompt="How does attention work?",
                          reference_answer="Dot products of queries and keys, a softmax, a weighted sum of values."),
        rubric=Rubric(question_id="bench/attention", concepts=[
            Concept(label="dot product"), Concept(label="softmax"), Concept(label="weighted sum")]),
    )
    reply = {
        "concepts": [{"label": "dot product", "status": "covered", "quote": "dot product"},
                     {"label": "softmax", "status": "covered", "quote": "softmax"},
                     {"label": "weighted sum", "status": "missing", "quote": ""}],
        "score": 70, "feedback": {"good": "g", "missing": "m", "next_step": "n"}, "follow_up": "Why scale?",
    }

    def slow_reply(_: Recorded) -> Reply:
        return structured(reply, delay=args.delay)

    server = JudgeServer()
    server.handle(slow_reply)
    settings = JudgeSettings(base_url=server.url, model=MODEL_ID, concurrency=args.concurrency, retries=0)
    grader = JudgeGrader(settings, OfflineGrader())
    grader.grade(GradeRequest.for_item(item, "warm-up: a dot product and a softmax"))  # SDK import, connection

    ideal = args.answers / args.concurrency * args.delay
    timings = []
    for run in range(args.runs):
        requests = [GradeRequest.for_item(item, f"Run {run} answer {n}: a dot product then a softmax.")
                    for n in range(args.answers)]
        started = time.perf_counter()
        grades = grader.grade_many(requests)
        timings.append(time.perf_counter() - started)
        assert all(grade.grader == "judge" for grade in grades), "a judge call failed"
    server.close()
    median = statistics.median(timings)
    print(json.dumps({
        "answers": args.answers, "concurrency": args.concurrency, "server_delay_s": args.delay,
        "ideal_s": round(ideal, 3), "runs_s": [round(t, 3) for t in timings],
        "median_s": round(median, 3), "ratio_median": round(median / ideal, 2),
        "ratio_best": round(min(timings) / ideal, 2), "target_ratio": 1.3,
    }, indent=2))


if __name__ == "__main__":
    main()
