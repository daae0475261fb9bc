"""Talking to an OpenAI-compatible server: structured output with fallbacks, retries, clear reasons.

The `openai` package is imported only when the first call is made, so the CLI starts fast.
"""

from __future__ import annotations

import contextlib
import email.utils
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from interviewer.grading.judge.config import JudgeSettings
from interviewer.grading.judge.schema import JudgeReplyError, with_length_limits

T = TypeVar("T")

# Tried in this order; a server that rejects one (an error naming response_format) gets the next.
# "json_object_schema" is JSON mode carrying the schema, which llama-cpp-python's server turns
# into a grammar: structured output there too.
MODES = ("json_schema", "json_object_schema", "json_object", "text")


class FailureKind(str, Enum):
    """Why the judge gave no usable reply; each kind is reported apart (rows, summaries, evaluate)."""

    timeout = "timeout"  # no reply within --judge-timeout
    server_error = "server_error"  # HTTP 5xx
    unparseable = "unparseable"  # a reply that is not the JSON asked for, or outside the schema
    unreachable = "unreachable"  # nothing listening, connection refused or reset
    auth = "auth"  # HTTP 401/403: the key
    unknown_model = "unknown_model"  # HTTP 404, or a server serving no model
    rate_limited = "rate_limited"  # HTTP 429 with a wait too long to honour
    client_error = "client_error"  # any other HTTP 4xx


# Kinds that retrying cannot mend: every later call would fail the same way.
LASTING = frozenset({FailureKind.auth, FailureKind.unknown_model})


class JudgeCallError(Exception):
    """The judge could not give a usable reply. `reason` is fit to show the user."""

    def __init__(self, reason: str, *, kind: FailureKind, retryable: bool, retry_after: float | None = None,
                 attempts: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.attempts = attempts
        self.usage: dict[str, int] = {}

    @property
    def lasting(self) -> bool:
        return self.kind in LASTING


@dataclass
class Completion:
    value: Any
    mode: str
    attempts: int
    usage: dict[str, int] = field(default_factory=dict)


def _add_usage(total: dict[str, int], usage: Any) -> None:
    if usage is None:
        return
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        total[name] = total.get(name, 0) + int(getattr(usage, name, 0) or 0)


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        when = email.utils.parsedate_to_datetime(raw) if raw else None
        return max(0.0, when.timestamp() - time.time()) if when else None


class JudgeClient:
    """One per judge configuration. Thread-safe; remembers which response mode the server takes."""

    def __init__(self, settings: JudgeSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sdk: Any = None
        self._mode_index = 0
        self._mode_settled = False
        self._probe_lock = threading.Lock()
        self._model = settings.model

    @property
    def mode(self) -> str:
        return MODES[self._mode_index]

    def _redact(self, text: str) -> str:
        key = self.settings.api_key
        if key and len(key) >= 6:
            text = text.replace(key, "***")
        return re.sub(r"\bsk-[A-Za-z0-9_\-*]{6,}", "sk-***", text)

    def _client(self) -> Any:
        with self._lock:
            if self._sdk is None:
                import openai  # heavy: only when the judge is really used

                self._sdk = openai.OpenAI(
                    api_key=self.settings.api_key,
                    base_url=self.settings.base_url,
                    timeout=self.settings.timeout,
                    max_retries=0,  # retries (and Retry-After) are handled here
                )
            return self._sdk

    def model(self) -> str:
        """The model to ask; a local server without a configured model is asked what it serves."""
        if self._model:
            return self._model
        models = self._guarded(lambda: list(self._client().models.list()))
        if not models:
            raise JudgeCallError(
                f"{self.settings.display_url} serves no model: set INTERVIEWER_JUDGE_MODEL",
                kind=FailureKind.unknown_model, retryable=False,
            )
        with self._lock:
            self._model = self._model or str(models[0].id)
        return self._model

    def ask(self, messages: list[dict[str, str]], schema: dict[str, Any],
            parse: Callable[[str | None, bool], T], *,
            give_up: Callable[[], bool] | None = None) -> Completion:
        """Send the messages and parse the reply, retrying what may pass on a second try.

        `give_up` is asked before each retry: once the judge has been switched off (other answers
        kept failing), this one stops retrying too.
        """
        usage: dict[str, int] = {}
        attempts = 0
        while True:
            attempts += 1
            try:
                model = self.model()
                content, truncated, mode = self._complete(model, messages, schema, usage)
                try:
                    value = parse(content, truncated)
                except JudgeReplyError as exc:
                    raise JudgeCallError(f"reply unusable: {exc}", kind=FailureKind.unparseable,
                                         retryable=True) from None
                return Completion(value=value, mode=mode, attempts=attempts, usage=usage)
            except JudgeCallError as exc:
                exc.attempts, exc.usage = attempts, usage
                if not exc.retryable or attempts > self.settings.retries or (give_up is not None and give_up()):
                    raise
                if exc.retry_after is not None and exc.retry_after > self.settings.max_retry_after:
                    exc.reason += f"; the server asks to wait {exc.retry_after:.0f} s"
                    exc.kind = FailureKind.rate_limited
                    raise
                backoff = min(self.settings.max_backoff, self.settings.backoff * 2 ** (attempts - 1))
                self._sleep(exc.retry_after if exc.retry_after is not None else backoff)

    def _complete(self, model: str, messages: list[dict[str, str]], schema: dict[str, Any],
                  usage: dict[str, int]) -> tuple[str | None, bool, str]:
        # Until the server has accepted a response mode, one request at a time finds it: eight
        # workers probing at once would each pay for the rejection (an HTTP 500 on some servers).
        with self._probe_lock if not self._mode_settled else _NO_LOCK:
            try:
                response, mode = self._complete_in_some_mode(model, messages, schema)
            finally:
                # Any outcome other than a rejected mode (a reply, a timeout, an error) settles it.
                self._mode_settled = True
        _add_usage(usage, getattr(response, "usage", None))
        if not getattr(response, "choices", None):
            raise JudgeCallError("reply unusable: no choices in the reply", kind=FailureKind.unparseable,
                                 retryable=True)
        choice = response.choices[0]
        content = getattr(choice.message, "content", None)
        return content, choice.finish_reason == "length", mode

    def _complete_in_some_mode(self, model: str, messages: list[dict[str, str]],
                               schema: dict[str, Any]) -> tuple[Any, str]:
        while True:
            mode_index = self._mode_index
            mode = MODES[mode_index]
            extra: dict[str, Any] = {}
            if mode == "json_schema":
                extra["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "interview_grade", "strict": True, "schema": schema},
                }
            elif mode == "json_object_schema":
                extra["response_format"] = {"type": "json_object", "schema": with_length_limits(schema)}
            elif mode == "json_object":
                extra["response_format"] = {"type": "json_object"}
            try:
                response = self._guarded(lambda: self._client().chat.completions.create(
                    model=model, messages=messages, temperature=0,
                    max_tokens=self.settings.max_tokens, **extra,
                ), mode=mode)
            except _ModeRejected:
                with self._lock:
                    # Another thread may have stepped down already; never step past "text".
                    if self._mode_index == mode_index and mode_index < len(MODES) - 1:
                        self._mode_index += 1
                continue
            return response, mode

    def _guarded(self, call: Callable[[], T], *, mode: str | None = None) -> T:
        """Run an SDK call, turning every failure into a JudgeCallError with a plain reason."""
        import openai

        url = self.settings.display_url
        try:
            return call()
        except openai.APITimeoutError:
            # Not retried: the server is most likely still working on the request (a local server
            # answers one at a time), and a second one would only queue behind it.
            raise JudgeCallError(f"no reply within {self.settings.timeout:g} s", kind=FailureKind.timeout,
                                 retryable=False) from None
        except openai.APIConnectionError:
            raise JudgeCallError(f"cannot connect to {url}", kind=FailureKind.unreachable, retryable=True) from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            message = self._redact(_server_message(exc))
            # Some servers answer an unsupported response_format with 422 or even 500.
            if status in (400, 422, 500) and mode and mode != "text" and re.search(
                r"response_format|response format|json_schema|json_object", message, re.IGNORECASE
            ):
                raise _ModeRejected() from None
            if status == 401:
                raise JudgeCallError("HTTP 401: check OPENAI_API_KEY", kind=FailureKind.auth,
                                     retryable=False) from None
            if status == 403:
                raise JudgeCallError("HTTP 403: the key may not use this model", kind=FailureKind.auth,
                                     retryable=False) from None
            if status == 404:
                raise JudgeCallError(
                    f"HTTP 404: model {self._model!r} not found at {url}; check --judge-model",
                    kind=FailureKind.unknown_model, retryable=False,
                ) from None
            if status == 429:
                return_after = _retry_after(exc.response.headers if exc.response is not None else None)
                raise JudgeCallError("HTTP 429: rate limited", kind=FailureKind.rate_limited, retryable=True,
                                     retry_after=return_after) from None
            if status >= 500:
                raise JudgeCallError(f"HTTP {status}: server error", kind=FailureKind.server_error,
                                     retryable=True) from None
            raise JudgeCallError(f"HTTP {status}: {message[:160]}", kind=FailureKind.client_error,
                                 retryable=status in (408, 409)) from None
        except openai.APIError as exc:  # e.g. a 200 whose body does not fit the API
            raise JudgeCallError(f"reply unusable: {self._redact(str(exc))[:120]}", kind=FailureKind.unparseable,
                                 retryable=True) from None
        except ValueError as exc:  # a 200 whose body is not the JSON the SDK expects
            raise JudgeCallError(f"reply unusable: {self._redact(str(exc))[:120]}", kind=FailureKind.unparseable,
                                 retryable=True) from None


_NO_LOCK = contextlib.nullcontext()


class _ModeRejected(Exception):
    """The server does not support the response_format just tried."""


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if body.get("detail"):
            return str(body["detail"])
    return str(getattr(exc, "message", "") or exc)
