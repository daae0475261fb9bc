"""Every test runs against its own data folder: no test touches the user's real store."""

from __future__ import annotations

import pytest

_JUDGE_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "INTERVIEWER_JUDGE_MODEL")


@pytest.fixture(autouse=True)
def interviewer_home(tmp_path, monkeypatch):
    home = tmp_path / "interviewer-home"
    monkeypatch.setenv("INTERVIEWER_HOME", str(home))
    monkeypatch.delenv("INTERVIEWER_BANKS", raising=False)
    for name in _JUDGE_ENV:
        monkeypatch.delenv(name, raising=False)
    return home
