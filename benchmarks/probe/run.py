"""Probe benchmark: hand-written interview answers graded through `interviewer grade`.

    .venv/bin/python benchmarks/probe/run.py                       # offline, embedding, auto
    .venv/bin/python benchmarks/probe/run.py --grader offline --json
    .venv/bin/python benchmarks/probe/run.py --grader judge --judge-base-url http://127.0.0.1:8000/v1

Each grader grades the whole set through the real command (`python -m interviewer grade
answers.jsonl --grader G --out FILE --json`, in a fresh data folder unless --home is given),
then the graded file is compared with the human scores: Pearson and Spearman, the mean per
kind of answer, how often the kinds are ranked as a person ranks them, the targets, and the
worst disagreements.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from interviewer.grading.metrics import mean, pearson, spearman  # noqa: E402

DEFAULT_ANSWERS = HERE / "answers.jsonl"
DEFAULT_GRADERS = ("offline", "embedding", "auto")
REQUIRED_FIELDS = ("id", "question_id", "kind", "answer", "human_score", "reason")
# The kinds every question carries, in the order the tables show them; extra kinds follow.
CORE_KINDS = ("full", "paraphrase", "partial", "fluent_wrong", "negated", "keywords", "off_topic")
GAMED_KINDS = ("keywords", "fluent_wrong", "negated")  # each must average under GAMED_LIMIT
GAMED_LIMIT = 40.0
PARAPHRASE_GAP = 15.0  # a paraphrase within this many points of the full answer counts as fair
TARGETS = {  # the default grader's targets; the offline grader's Pearson target is lower
    "pearson": 0.70,
    "ordering_share": 0.80,
    "paraphrase_share": 0.70,
}
OFFLINE_PEARSON_TARGET = 0.50


class ProbeError(Exception):
    pass


def read_answers(path: Path) -> list[dict]:
    """The probe rows, checked: every field present, scores 0-100, ids unique."""
    if not path.exists():
        raise ProbeError(f"{path}: no such file")
    rows, seen = [], set()
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ProbeError(f"{path}, line {line_no}: not valid JSON ({exc.msg})") from None
        missing = [f for f in REQUIRED_FIELDS if f not in row]
        if missing:
            raise ProbeError(f"{path}, line {line_no}: missing field(s) {', '.join(missing)}")
        score = row["human_score"]
        if not isinstance(score, (int, float)) or not 0 <= score <= 100:
            raise ProbeError(f"{path}, line {line_no}: human_score {score!r} is not a number from 0 to 100")
        if row["id"] in seen:
            raise ProbeError(f"{path}, line {line_no}: id {row['id']!r} appears twice")
        seen.add(row["id"])
        rows.append(row)
    if not rows:
        raise ProbeError(f"{path}: no answers")
    return rows


def grade_with_cli(answers: Path, grader: str, workdir: Path, home: Path | None,
                   judge_args: list[str]) -> tuple[dict[str, dict], dict, float]:
    """Grade the file with `interviewer grade`; the graded rows by id, the --json summary, seconds."""
    out = workdir / f"graded-{grader}.jsonl"
    env = dict(os.environ)
    env["INTERVIEWER_HOME"] = str(home or (workdir / f"home-{grader}"))
    command = [sys.executable, "-m", "interviewer", "grade", str(answers), "--grader", grader,
               "--out", str(out), "--json", *(judge_args if grader in ("judge", "auto") else [])]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1) or not out.exists():
        raise ProbeError(f"`{' '.join(command[1:])}` failed (exit {result.returncode}):\n"
                         f"{result.stderr.strip() or result.stdout.strip()}")
    summary = json.loads(result.stdout)
    graded = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        graded[str(row["id"])] = row
    return graded, summary, seconds


def analyse(rows: list[dict], graded: dict[str, dict], grader: str, summary: dict, seconds: float,
            worst_n: int) -> dict:
    """Agreement figures of one grader's graded rows against the human scores."""
    errors = [(r["id"], graded.get(r["id"], {}).get("error") or "not in the output") for r in rows
              if graded.get(r["id"], {}).get("score") is None]
    if errors:
        listed = "; ".join(f"{i}: {e}" for i, e in errors[:5])
        raise ProbeError(f"grader {grader}: {len(errors)} row(s) were not graded ({listed})")
    humans = [float(r["human_score"]) for r in rows]
    scores = [float(graded[r["id"]]["score"]) for r in rows]

    by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_question: dict[str, dict[str, float]] = defaultdict(dict)
    for row, score in zip(rows, scores):
        by_kind[row["kind"]].append((float(row["human_score"]), score))
        by_question[row["question_id"]][row["kind"]] = score
    kinds = [k for k in CORE_KINDS if k in by_kind] + sorted(k for k in by_kind if k not in CORE_KINDS)
    kind_means = {k: {"n": len(by_kind[k]), "human": mean([h for h, _ in by_kind[k]]),
                      "grader": mean([s for _, s in by_kind[k]])} for k in kinds}

    ordered = [q for q in by_question.values() if {"full", "partial", "fluent_wrong"} <= q.keys()]
    ordering_hits = sum(q["full"] > q["partial"] > q["fluent_wrong"] for q in ordered)
    paired = [q for q in by_question.values() if {"full", "paraphrase"} <= q.keys()]
    paraphrase_hits = sum(abs(q["full"] - q["paraphrase"]) <= PARAPHRASE_GAP for q in paired)

    resolved = summary.get("grader") or grader
    pearson_target = OFFLINE_PEARSON_TARGET if resolved == "offline" else TARGETS["pearson"]
    figures = {
        "pearson": pearson(scores, humans),
        "spearman": spearman(scores, humans),
        "ordering_share": ordering_hits / len(ordered) if ordered else math.nan,
        "paraphrase_share": paraphrase_hits / len(paired) if paired else math.nan,
    }
    targets = {
        "pearson": {"value": figures["pearson"], "target": f">= {pearson_target:.2f}",
                    "met": figures["pearson"] >= pearson_target},
        "ordering_share": {"value": figures["ordering_share"], "target": f">= {TARGETS['ordering_share']:.0%}",
                           "met": figures["ordering_share"] >= TARGETS["ordering_share"]},
        "paraphrase_share": {"value": figures["paraphrase_share"],
                             "target": f">= {TARGETS['paraphrase_share']:.0%}",
                             "met": figures["paraphrase_share"] >= TARGETS["paraphrase_share"]},
    }
    for kind in GAMED_KINDS:
        if kind in kind_means:
            value = kind_means[kind]["grader"]
            targets[f"{kind}_mean"] = {"value": value, "target": f"< {GAMED_LIMIT:.0f}", "met": value < GAMED_LIMIT}

    disagreements = sorted(zip(rows, scores), key=lambda pair: -abs(pair[1] - pair[0]["human_score"]))
    worst = [{"id": r["id"], "kind": r["kind"], "human": r["human_score"], "grader": s,
              "answer": r["answer"]} for r, s in disagreements[:worst_n]]
    return {
        "grader": grader,
        "resolved_grader": resolved,
        "n": len(rows),
        "questions": len(by_question),
        **figures,
        "ordering": {"hits": ordering_hits, "questions": len(ordered)},
        "paraphrase": {"hits": paraphrase_hits, "questions": len(paired)},
        "kind_means": kind_means,
        "targets": targets,
        "worst": worst,
        "seconds": seconds,
        "grade_seconds": summary.get("seconds"),
    }


def _json_ready(value):  # NaN is not JSON: a figure that cannot be computed is null
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def _mark(met: bool) -> str:
    return "ok" if met else "MISSED"


def print_report(result: dict) -> None:
    name = result["grader"]
    if result["resolved_grader"] != name:
        name += f" (graded by {result['resolved_grader']})"
    print(f"\n## {name}: {result['n']} answers to {result['questions']} questions, "
          f"{result['seconds']:.1f} s through the CLI\n")
    print(f"Pearson r {result['pearson']:.3f}   Spearman rho {result['spearman']:.3f}")
    print(f"full > partial > fluent_wrong on {result['ordering']['hits']} of {result['ordering']['questions']} "
          f"questions ({result['ordering_share']:.0%})")
    print(f"paraphrase within {PARAPHRASE_GAP:.0f} of full on {result['paraphrase']['hits']} of "
          f"{result['paraphrase']['questions']} questions ({result['paraphrase_share']:.0%})\n")
    print("| kind | n | human | grader |")
    print("|---|---:|---:|---:|")
    for kind, m in result["kind_means"].items():
        print(f"| {kind} | {m['n']} | {m['human']:.0f} | {m['grader']:.0f} |")
    print("\n| target | value | wanted | |")
    print("|---|---:|---|---|")
    for key, t in result["targets"].items():
        value = f"{t['value']:.0%}" if key.endswith("_share") else (
            f"{t['value']:.3f}" if key == "pearson" else f"{t['value']:.1f}")
        print(f"| {key} | {value} | {t['target']} | {_mark(t['met'])} |")
    print(f"\nWorst {len(result['worst'])} disagreements:")
    for w in result["worst"]:
        start = " ".join(w["answer"].split())
        start = start if len(start) <= 70 else start[:69] + "…"
        print(f"  {w['id']:<20} {w['kind']:<13} human {w['human']:>5.0f}  grader {w['grader']:>5.1f}  {start}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=Path, default=DEFAULT_ANSWERS,
                        help="The probe set (JSON Lines). Default: answers.jsonl beside this script.")
    parser.add_argument("--grader", action="append", choices=("offline", "embedding", "auto", "judge"),
                        help="A grader to measure (repeatable). Default: offline, embedding and auto.")
    parser.add_argument("--judge-model", help="Passed to `interviewer grade` for judge and auto.")
    parser.add_argument("--judge-base-url", help="Passed to `interviewer grade` for judge and auto.")
    parser.add_argument("--judge-timeout", type=float, help="Passed to `interviewer grade` for judge and auto.")
    parser.add_argument("--concurrency", type=int, help="Passed to `interviewer grade` for judge and auto.")
    parser.add_argument("--home", type=Path, help="The data folder the runs use (keeps caches between runs). "
                        "Default: a fresh temporary folder per grader.")
    parser.add_argument("--keep", type=Path, help="Keep the graded files in this folder.")
    parser.add_argument("--worst", type=int, default=10, help="How many disagreements to list (default 10).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of the tables.")
    args = parser.parse_args()

    judge_args: list[str] = []
    for option, value in (("--judge-model", args.judge_model), ("--judge-base-url", args.judge_base_url),
                          ("--judge-timeout", args.judge_timeout), ("--concurrency", args.concurrency)):
        if value is not None:
            judge_args += [option, str(value)]
    graders = args.grader or list(DEFAULT_GRADERS)

    try:
        rows = read_answers(args.answers)
        results = []
        with tempfile.TemporaryDirectory(prefix="probe-") as temp:
            workdir = args.keep or Path(temp)
            workdir.mkdir(parents=True, exist_ok=True)
            for grader in graders:
                graded, summary, seconds = grade_with_cli(args.answers, grader, workdir, args.home, judge_args)
                results.append(analyse(rows, graded, grader, summary, seconds, args.worst))
                if not args.json:
                    print_report(results[-1])
    except ProbeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(_json_ready({"answers": str(args.answers), "n": len(rows), "graders": results}),
                         indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
