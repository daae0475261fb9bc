"""Where the judge lives and how patiently to talk to it.

Read from OPENAI_API_KEY, OPENAI_BASE_URL and INTERVIEWER_JUDGE_MODEL, overridden by CLI options.
The key is kept out of every repr, message and stored row.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit, urlunsplit

from interviewer.errors import InputError

KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
MODEL_ENV = "INTERVIEWER_JUDGE_MODEL"

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
# Local servers (Ollama, vLLM, llama.cpp, LM Studio) accept any key; the SDK insists on one.
LOCAL_PLACEHOLDER_KEY = "not-needed"

DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF = 0.5
DEFAULT_CONCURRENCY = 8
# A server on this machine (llama.cpp, llama-cpp-python, Ollama on a laptop) usually generates one
# reply at a time on the CPU: requests sent together only queue, and the last ones time out while
# the server still works through the abandoned ones. So by default one answer at a time, and a
# longer wait for a small CPU that needs tens of seconds, or minutes, per grammar-constrained reply.
LOCAL_CONCURRENCY = 1
LOCAL_TIMEOUT = 300.0


@dataclass(frozen=True)
class JudgeSettings:
    """Everything the judge needs. `model=None` against a local server means: ask it."""

    base_url: str = OPENAI_BASE_URL
    model: str | None = DEFAULT_OPENAI_MODEL
    api_key: str = field(default=LOCAL_PLACEHOLDER_KEY, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_backoff: float = 20.0
    # A Retry-After longer than this is not waited for: the answer falls back instead.
    max_retry_after: float = 60.0
    concurrency: int = DEFAULT_CONCURRENCY
    max_tokens: int = 1200

    @property
    def display_url(self) -> str:
        return safe_url(self.base_url)

    def with_overrides(self, **changes: object) -> "JudgeSettings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


@dataclass(frozen=True)
class JudgeOptions:
    """What the command line may set; None leaves the environment's value (or the default)."""

    model: str | None = None
    base_url: str | None = None
    timeout: float | None = None
    concurrency: int | None = None


def is_local(url: str) -> bool:
    """True for a server on this machine (loopback address or localhost)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.") or host.endswith(".localhost")


def safe_url(url: str) -> str:
    """The URL without any user:password part, fit to show or store."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url.rstrip("/")
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)).rstrip("/")


def judge_configured(options: JudgeOptions | None = None) -> bool:
    """True when a judge can be reached: a key for OpenAI, or a base URL for a local server."""
    base_url = options.base_url if options else None
    return bool(base_url or os.environ.get(BASE_URL_ENV, "").strip() or os.environ.get(KEY_ENV, "").strip())


def settings_from_options(options: JudgeOptions | None) -> JudgeSettings:
    options = options or JudgeOptions()
    return settings_from_env(model=options.model, base_url=options.base_url, timeout=options.timeout,
                             concurrency=options.concurrency)


def settings_from_env(
    *,
    model: str | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    backoff: float | None = None,
    concurrency: int | None = None,
) -> JudgeSettings:
    """Settings from the environment, CLI values winning. Raises InputError when nothing is set."""
    key = os.environ.get(KEY_ENV, "").strip()
    url = (base_url or os.environ.get(BASE_URL_ENV, "")).strip()
    model = (model or os.environ.get(MODEL_ENV, "")).strip() or None
    if not key and not url:
        raise InputError(
            "the judge needs a server: set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL "
            "(or --judge-base-url) for a local OpenAI-compatible server such as Ollama"
        )
    if url and not url.lower().startswith(("http://", "https://")):
        raise InputError(f"--judge-base-url {safe_url(url)!r}: expected an http:// or https:// URL")
    if timeout is not None and timeout <= 0:
        raise InputError("--judge-timeout must be more than 0 seconds")
    if concurrency is not None and concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    local = bool(url) and is_local(url)
    settings = JudgeSettings(
        base_url=url or OPENAI_BASE_URL,
        # Against OpenAI a sensible default exists; a local server is asked what it serves.
        model=model or (None if url else DEFAULT_OPENAI_MODEL),
        api_key=key or LOCAL_PLACEHOLDER_KEY,
        timeout=LOCAL_TIMEOUT if local else DEFAULT_TIMEOUT,
        concurrency=LOCAL_CONCURRENCY if local else DEFAULT_CONCURRENCY,
    )
    return settings.with_overrides(timeout=timeout, retries=retries, backoff=backoff, concurrency=concurrency)
