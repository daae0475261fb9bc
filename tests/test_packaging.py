"""The built wheel: it carries the shipped banks, and installs and runs with only what it declares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    return next(out.glob("*.whl"))


def runtime_requirements(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist lines that no extra guards: what a plain `pip install` brings."""
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    return [req for req in metadata.get_all("Requires-Dist") or [] if "extra ==" not in req]


def test_the_wheel_carries_the_shipped_banks(wheel, tmp_path):
    """A plain (non-editable) install finds the banks inside the package."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        shipped = {name for name in names if name.startswith("interviewer/_shipped/")}
        for folder in ("questions", "rubrics"):
            for stem in ("week2-deep-learning-nlp", "tensorflow-deep-dive"):
                assert f"interviewer/_shipped/{folder}/{stem}.yaml" in shipped
        assert not any(name.startswith("tests/") for name in names)
        archive.extractall(tmp_path / "site")

    check = (
        "import interviewer, interviewer.paths as p; from interviewer.bank import load_default_bank; "
        "print(interviewer.__file__); print(p.shipped_root()); print(len(load_default_bank()))"
    )
    environment = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    environment.pop("INTERVIEWER_BANKS", None)
    ran = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    package_file, shipped_root, count = ran.stdout.split()
    assert Path(package_file).is_relative_to(tmp_path / "site")
    assert Path(shipped_root) == tmp_path / "site" / "interviewer" / "_shipped"
    assert count == "35"


def test_the_wheel_runs_with_exactly_its_declared_dependencies(wheel, tmp_path):
    """A fresh venv with the wheel (--no-deps) and only the declared runtime requirements, as pip resolves
    them: a package imported but not declared fails here as it would on a user's machine."""
    requirements = runtime_requirements(wheel)
    assert any(req.startswith("typer") for req in requirements)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    for step in (["--no-deps", str(wheel)], requirements):
        installed = subprocess.run(
            # no bytecode compiling: torch alone has thousands of modules the test never imports
            [str(python), "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check", *step],
            capture_output=True, text=True, timeout=900,
        )
        assert installed.returncode == 0, installed.stderr[-3000:]

    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INTERVIEWER_BANKS")}
    environment["INTERVIEWER_HOME"] = str(tmp_path / "home")
    interviewer = venv / "bin" / "interviewer"
    version = subprocess.run(
        [str(interviewer), "--version"], capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=60
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("interviewer ")

    listed = subprocess.run(
        [str(interviewer), "bank", "list", "--json"],
        capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    questions = json.loads(listed.stdout)
    assert len(questions) == 35 and all(question["prompt"] for question in questions)
