"""How long `interviewer practice` takes to put the first question on screen, in a real terminal.

Runs the command under a pseudo-terminal, starts the clock at launch and stops it when
"Question 1 of" appears, then types /quit. Each run uses a fresh, empty data folder.

    .venv/bin/python benchmarks/practice_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time

MARKER = b"Question 1 of"


def first_question_seconds(grader: str) -> float:
    with tempfile.TemporaryDirectory() as home:
        controller, terminal = pty.openpty()
        env = {**os.environ, "INTERVIEWER_HOME": home, "COLUMNS": "120"}
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "interviewer", "practice", "--grader", grader, "-n", "1"],
            stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True,
        )
        os.close(terminal)
        seen = b""
        elapsed = float("nan")
        while process.poll() is None:
            ready, _, _ = select.select([controller], [], [], 30)
            if not ready:
                break
            try:
                seen += os.read(controller, 65536)
            except OSError:
                break
            if MARKER in seen:
                elapsed = time.perf_counter() - started
                os.write(controller, b"/quit\n")
                break
        try:
            while process.poll() is None:
                ready, _, _ = select.select([controller], [], [], 0.2)
                if ready:
                    os.read(controller, 65536)
        except OSError:
            pass
        process.wait(timeout=60)
        os.close(controller)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'grader':<10} {'median s':>9} {'min s':>7} {'max s':>7}  (first question on screen, {args.runs} runs)")
    for grader in ("offline", "auto"):
        times = [first_question_seconds(grader) for _ in range(args.runs)]
        print(f"{grader:<10} {statistics.median(times):9.2f} {min(times):7.2f} {max(times):7.2f}")


if __name__ == "__main__":
    main()
