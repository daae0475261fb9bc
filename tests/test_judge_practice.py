"""`interviewer practice` with a judge that hangs or keeps failing: each answer waits at most
--judge-timeout, falls back with the reason on screen, and after three failed answers the judge is
switched off for the session and the user is told once. A real local HTTP server plays the judge."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from tests.judge_server import JudgeServer, Recorded, Reply, error, structured

HANG = 60.0

BANK = Path(__file__).parent / "test_practice_bank"
ANSWERS = [
    "Dropout switches off random neurons during training so they cannot co-adapt.",
    "Gradient descent moves the weights against the gradient of the loss.",
    "An embedding maps each token to a dense vector that is learned.",
    "Batch normalisation normalises activations over the batch.",
]


@pytest.fixture
def server():
    judge_server = JudgeServer()
    yield judge_server
    judge_server.close()


def practice(server: JudgeServer, *options: str):
    script = "".join(f"{answer}\n/done\nn\n" for answer in ANSWERS)
    result = CliRunner().invoke(app, [
        "practice", "--bank", str(BANK), "--grader", "judge", "--judge-base-url", server.url, "--judge-model", "m",
        "-n", str(len(ANSWERS)), "--no-follow-ups", "--seed", "1", *options,
    ], input=script)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result, " ".join(result.output.split())


def test_a_hanging_judge_costs_at_most_the_timeout_per_answer_then_is_switched_off(server):
    arrivals: list[float] = []

    def hang(request: Recorded) -> Reply:
        arrivals.append(time.monotonic())
        return structured({"score": 100}, delay=HANG)  # never in time

    server.handle(hang)
    result, text = practice(server, "--judge-timeout", "1")

    assert result.exit_code == 0, result.output
    # Three answers wait one second each (a timeout is not retried); the fourth is not sent.
    assert len(server.chat_requests) == 3
    # The next answer's request came long before the hanging reply would have: nobody waited for it.
    # (The gaps also hold grading by the evidence grader, slow on a loaded machine.)
    assert all(later - earlier < HANG / 2 for earlier, later in zip(arrivals, arrivals[1:]))
    assert text.count("judge unavailable (no reply within 1 s)") == 3
    assert text.count("the judge is not called again in this run") == 1
    assert "judge not asked: switched off for this run after 3 failed answers" in text


def test_a_judge_answering_http_500_is_retried_on_the_first_answer_only(server):
    server.queue(error(500, "boom"))
    result, text = practice(server)
    assert result.exit_code == 0, result.output
    assert len(server.chat_requests) == 3 + 1 + 1
    assert "judge unavailable (HTTP 500: server error after 3 attempts)" in text
    assert text.count("the judge is not called again in this run") == 1
