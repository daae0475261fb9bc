"""A real `interviewer grade` process killed mid-run, then resumed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from test_grade_cli import write_bank, write_many

ROWS = 2500


def _cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "interviewer", "grade", *map(str, args)]


def _complete_rows(path: Path) -> int:
    if not path.exists():
        return 0
    return max(0, path.read_bytes().count(b"\n") - 1)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path: Path, interviewer_home: Path) -> None:
    bank = write_bank(tmp_path / "bank")
    source = tmp_path / "subs.csv"
    write_many(source, ROWS, seed=11)
    out, full = tmp_path / "out.csv", tmp_path / "full.csv"
    env = {**os.environ, "INTERVIEWER_HOME": str(interviewer_home)}
    common = ("--grader", "offline", "--bank", bank)

    run = subprocess.Popen(_cli(source, *common, "--out", out), env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _complete_rows(out) < 1 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    children = _children(run.pid)  # the grading worker processes
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL, run.stderr.read().decode() if run.stderr else ""
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)], "worker processes outlived the killed run"
    at_kill = _complete_rows(out)
    assert 0 < at_kill < ROWS

    resumed = subprocess.run(_cli(source, *common, "--out", out, "--resume"), env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    whole = subprocess.run(_cli(source, *common, "--out", full), env=env,
                           capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    assert out.read_bytes() == full.read_bytes()

    db = sqlite3.connect(interviewer_home / "interviewer.db")
    sessions = db.execute(
        "SELECT id, finished_at FROM sessions WHERE kind = 'batch' AND settings LIKE ?", ('%out.csv"%',)
    ).fetchall()
    assert len(sessions) == 1 and sessions[0][1] is not None
    positions = [row[0] for row in db.execute(
        "SELECT position FROM turns WHERE session_id = ? ORDER BY position", (sessions[0][0],))]
    assert positions == list(range(ROWS))
    assert db.execute(
        "SELECT COUNT(*) FROM grades g JOIN turns t ON t.id = g.turn_id WHERE t.session_id = ?", (sessions[0][0],)
    ).fetchone()[0] == ROWS


def _workers_of(pid: int) -> list[int]:
    """The grading worker processes of a run (not multiprocessing's resource tracker)."""
    found = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.append(child)
    return found


def test_a_killed_worker_does_not_stop_the_run(tmp_path: Path, interviewer_home: Path) -> None:
    bank = write_bank(tmp_path / "bank")
    source = tmp_path / "subs.csv"
    rows = 8000
    write_many(source, rows, seed=12)
    out, alone = tmp_path / "out.csv", tmp_path / "alone.csv"
    env = {**os.environ, "INTERVIEWER_HOME": str(interviewer_home)}
    common = ("--grader", "offline", "--bank", bank)

    run = subprocess.Popen(_cli(source, *common, "--workers", "2", "--out", out), env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while not workers and run.poll() is None and time.monotonic() < deadline:
        workers = _workers_of(run.pid)
        time.sleep(0.01)
    assert workers, "the run started no worker process"
    os.kill(workers[0], signal.SIGKILL)
    _, err = run.communicate(timeout=300)
    assert run.returncode == 0, err.decode()

    single = subprocess.run(_cli(source, *common, "--workers", "1", "--out", alone), env=env,
                            capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr
    assert out.read_bytes() == alone.read_bytes()
