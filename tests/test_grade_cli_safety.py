"""`interviewer grade` as real processes on real files: one writer per output, a killed run's lock,
a full disk, read-only folders, and failed runs leaving nothing behind in `history`."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_grade_cli import write_bank, write_many

ROWS = 3000


def _cli(*args: object) -> list[str]:
    return [sys.executable, "-m", "interviewer", *map(str, args)]


def _run(*args: object, home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTERVIEWER_HOME": str(home)}
    return subprocess.run(_cli(*args), env=env, capture_output=True, text=True, timeout=timeout)


def _data_rows(path: Path) -> int:
    return max(0, path.read_bytes().count(b"\n") - 1) if path.exists() else 0


def _wait_for_rows(path: Path, run: subprocess.Popen, rows: int = 1) -> None:
    deadline = time.monotonic() + 120
    while _data_rows(path) < rows and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _data_rows(path) >= rows, "the run wrote no rows"


def _sessions(home: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(home / "interviewer.db")
    db.row_factory = sqlite3.Row
    try:
        return db.execute(
            "SELECT s.id, s.finished_at, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS turns "
            "FROM sessions s ORDER BY s.started_at").fetchall()
    finally:
        db.close()


def _leftovers(*folders: Path) -> list[str]:
    return sorted(p.name for folder in folders for p in folder.iterdir()
                  if p.name.endswith((".part", ".tmp", ".lock")))


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    bank = write_bank(tmp_path / "bank")
    source = tmp_path / "subs.csv"
    write_many(source, ROWS, seed=21)
    return {"bank": bank, "source": source}


@pytest.fixture
def reference(files: dict[str, Path], tmp_path: Path) -> bytes:
    """The output of one uninterrupted run, alone."""
    out = tmp_path / "reference.csv"
    done = _run("grade", files["source"], "--grader", "offline", "--bank", files["bank"], "--out", out,
                home=tmp_path / "reference-home")
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


# ------------------------------------------------------------------ one writer per output


def test_a_second_run_or_a_resume_on_a_running_output_is_refused_and_the_run_is_untouched(
    files: dict[str, Path], reference: bytes, tmp_path: Path, interviewer_home: Path
) -> None:
    out, report = tmp_path / "out.csv", tmp_path / "report.html"
    common = ("--grader", "offline", "--bank", files["bank"])
    env = {**os.environ, "INTERVIEWER_HOME": str(interviewer_home)}
    first = subprocess.Popen(_cli("grade", files["source"], *common, "--out", out, "--report", report),
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_rows(out, first)
        first.send_signal(signal.SIGSTOP)  # holds its locks, writes nothing: the state is fixed
        before = out.read_bytes()
        attempts = {
            "same output": ("grade", files["source"], *common, "--out", out),
            "resume": ("grade", files["source"], *common, "--out", out, "--resume"),
            "same report": ("grade", files["source"], *common, "--out", tmp_path / "other.csv", "--report", report),
        }
        for what, args in attempts.items():
            refused = _run(*args, home=interviewer_home)
            assert refused.returncode == 2, (what, refused.stdout, refused.stderr)
            assert f"pid {first.pid}" in refused.stderr and "grading subs.csv into out.csv" in refused.stderr, what
            assert "another run is writing" in refused.stderr and "Traceback" not in refused.stderr, what
            assert out.read_bytes() == before, f"{what}: the running batch's output changed"
        assert not (tmp_path / "other.csv").exists()
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=300) == 0, first.stderr.read().decode() if first.stderr else ""

    assert out.read_bytes() == reference
    sessions = _sessions(interviewer_home)
    assert [(s["turns"], s["finished_at"] is not None) for s in sessions] == [(ROWS, True)]
    assert _leftovers(tmp_path) == []


def test_a_lock_left_by_a_killed_run_does_not_block_the_next(
    files: dict[str, Path], reference: bytes, tmp_path: Path, interviewer_home: Path
) -> None:
    out = tmp_path / "out.csv"
    common = ("--grader", "offline", "--bank", files["bank"], "--out", out)
    env = {**os.environ, "INTERVIEWER_HOME": str(interviewer_home)}
    killed = subprocess.Popen(_cli("grade", files["source"], *common), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_rows(out, killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert (tmp_path / ".out.csv.lock").exists()  # left behind, naming a process that is gone

    resumed = _run("grade", files["source"], *common, "--resume", home=interviewer_home)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == reference
    assert _leftovers(tmp_path) == []


# ------------------------------------------------------------------ failed runs leave no session


def test_a_failed_run_leaves_no_empty_unfinished_session(
    files: dict[str, Path], tmp_path: Path, interviewer_home: Path
) -> None:
    out = tmp_path / "out.csv"
    other = tmp_path / "other.csv"
    write_many(other, 20, seed=99)
    other.write_text(other.read_text(encoding="utf-8").replace("\nr", "\nx"), encoding="utf-8")  # other ids
    common = ("--grader", "offline", "--bank", files["bank"], "--out", out)
    assert _run("grade", other, *common, home=interviewer_home).returncode == 0
    # --resume of an output made from another file: refused once it finds the ids differ
    failed = _run("grade", files["source"], *common, "--resume", home=interviewer_home)
    assert failed.returncode == 2 and "the submissions changed" in failed.stderr, failed.stderr

    history = _run("history", "--json", home=interviewer_home)
    assert history.returncode == 0, history.stderr
    assert [(s["turns"], s["finished_at"] is not None) for s in _sessions(interviewer_home)] == [(20, True)]
    assert "unfinished" not in _run("history", home=interviewer_home).stdout


# ------------------------------------------------------------------ full disk, read-only folders


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs of 768 KiB (root only; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=768k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _remount(mount: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True, capture_output=True)


@pytest.mark.parametrize("on_the_full_disk", ["output", "store"])
def test_a_full_disk_is_one_clear_line_leaves_no_partial_files_and_resume_finishes(
    files: dict[str, Path], reference: bytes, tmp_path: Path, small_disk: Path, on_the_full_disk: str
) -> None:
    home = small_disk / "home" if on_the_full_disk == "store" else tmp_path / "home"
    folder = small_disk if on_the_full_disk == "output" else tmp_path / "results"
    folder.mkdir(exist_ok=True)
    out, report = folder / "out.csv", folder / "report.html"
    args = ("grade", files["source"], "--grader", "offline", "--bank", files["bank"], "--out", out,
            "--report", report)

    full = _run(*args, home=home)
    assert full.returncode == 4, (full.stdout, full.stderr)
    progress = re.compile(r"(note: .*|loading the .*\.\.\.|graded [\d,]+(/[\d,]+)? rows)$")
    lines = [line for line in full.stderr.splitlines() if line.strip() and not progress.match(line)]
    assert len(lines) == 1, full.stderr
    named = str(out) if on_the_full_disk == "output" else str(home / "interviewer.db")
    assert lines[0].startswith("error: ") and "the disk is full" in lines[0]
    assert named in " ".join(full.stderr.split()) or str(report) in " ".join(full.stderr.split()), full.stderr
    assert "Traceback" not in full.stderr and "cannot rollback" not in full.stderr
    assert _leftovers(folder) == [] and not report.exists()

    _remount(small_disk, "size=64m")
    resumed = _run(*args, "--resume", home=home)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == reference
    assert report.exists() and _leftovers(folder) == []
    sessions = _sessions(home)
    assert [(s["turns"], s["finished_at"] is not None) for s in sessions][-1] == (ROWS, True)
    assert all(s["turns"] for s in sessions), "a session with no answers was left behind"


def test_a_read_only_data_folder_is_reported_as_such_not_as_a_damaged_database(
    files: dict[str, Path], tmp_path: Path, small_disk: Path
) -> None:
    home = small_disk / "home"
    source = tmp_path / "few.csv"
    write_many(source, 5)
    args = ("grade", source, "--grader", "offline", "--bank", files["bank"])
    assert _run(*args, "--out", tmp_path / "first.csv", home=home).returncode == 0
    _remount(small_disk, "ro")

    refused = _run(*args, "--out", tmp_path / "second.csv", home=home)
    assert refused.returncode == 4, (refused.stdout, refused.stderr)
    message = " ".join(refused.stderr.split())
    assert str(home / "interviewer.db") in message and "read-only" in message
    assert "cannot be used" not in message and "move it aside" not in message
    assert "Traceback" not in refused.stderr


def test_a_read_only_output_folder_is_one_clear_line(files: dict[str, Path], tmp_path: Path,
                                                      small_disk: Path) -> None:
    _remount(small_disk, "ro")
    out = small_disk / "out.csv"
    refused = _run("grade", files["source"], "--grader", "offline", "--bank", files["bank"], "--out", out,
                   home=tmp_path / "home")
    assert refused.returncode == 4, (refused.stdout, refused.stderr)
    message = " ".join(refused.stderr.split())
    assert message.startswith(f"error: {out}") and "read-only" in message and "Traceback" not in message
    assert _sessions(tmp_path / "home") == []
