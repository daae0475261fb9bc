"""Where things live: the shipped banks and the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "interviewer"
HOME_ENV = "INTERVIEWER_HOME"
BANKS_ENV = "INTERVIEWER_BANKS"

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_root() -> Path:
    """The folder holding `questions/` and `rubrics/` that ship with the tool.

    A wheel carries them inside the package (`_shipped/`); an editable install or a
    checkout finds them at the top of the repository.
    """
    inside = _PACKAGE_DIR / "_shipped"
    if (inside / "questions").is_dir():
        return inside
    return _PACKAGE_DIR.parent


def shipped_question_files() -> list[Path]:
    return sorted((shipped_root() / "questions").glob("*.yaml"))


def user_bank_paths() -> list[Path]:
    """Extra banks named by INTERVIEWER_BANKS (separated like PATH)."""
    raw = os.environ.get(BANKS_ENV, "")
    return [Path(part).expanduser() for part in raw.split(os.pathsep) if part.strip()]


def app_home() -> Path:
    """The user's data directory: INTERVIEWER_HOME, else the platform's app directory."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    import typer  # only here: the CLI already has it loaded, the library may not

    return Path(typer.get_app_dir(APP_NAME))


def database_path() -> Path:
    return app_home() / "interviewer.db"


def cache_dir() -> Path:
    return app_home() / "cache"
