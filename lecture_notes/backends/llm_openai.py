"""Note writer on any OpenAI-compatible /v1/chat/completions endpoint (vLLM, llama.cpp server, Ollama, hosted).

HTTP goes through the ``openai`` SDK (optional extra: ``pip install 'lecture-notes[openai]'``): its client,
timeouts, auth and typed errors. Retries stay here, on top of the SDK's typed errors, so the ``max_retries``/
``backoff``/``max_backoff`` options mean what they say: exponential backoff on 429, 5xx, timeouts, refused
connections and unreadable bodies, honouring Retry-After. Chunks are sent concurrently, at most
``concurrency`` requests in flight per lecture.
"""
from __future__ import annotations

import email.utils
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence
from urllib.parse import urlparse

from lecture_notes.backends.base import option
from lecture_notes.backends.llm_writer import LLMNoteWriter, LLMWriterOptions, Messages
from lecture_notes.core.checks import Check
from lecture_notes.core.errors import BackendError, ConfigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenAIOptions(LLMWriterOptions):
    """Options of the OpenAI-compatible note writer."""

    base_url: str = option("http://127.0.0.1:8000/v1", "endpoint base URL, e.g. http://127.0.0.1:8000/v1 (vLLM), "
                                                        "http://127.0.0.1:11434/v1 (Ollama)")
    model: str = option("", "model name on the server (default: the first one GET /v1/models lists)")
    api_key_env: str = option("OPENAI_API_KEY", "environment variable holding the API key (default OPENAI_API_KEY; "
                                                "unset = no auth header)")
    timeout: float = option(120.0, "seconds per request (default 120)")
    max_retries: int = option(4, "retries on 429/5xx/connection errors (default 4)")
    backoff: float = option(1.0, "first retry delay in seconds, doubled each retry (default 1)")
    max_backoff: float = option(30.0, "longest wait between retries, also caps Retry-After (default 30)")
    concurrency: int = option(4, "requests in flight at once (default 4)")
    json_mode: str = option("auto", "auto (default: ask for JSON, drop it if the server refuses), on or off")
    temperature: float = option(0.0, "sampling temperature (default 0)")
    context_length: Optional[int] = option(None, "model context in tokens (default: what the server reports, "
                                                 "else 8192)")
    tokenizer: Optional[str] = option(None, "local tokenizer folder for exact token counts (default: ~4 "
                                            "characters a token)")
    extra_body: Optional[Dict[str, Any]] = option(None, "dict merged into every request body (e.g. "
                                                        "{\"top_p\": 0.9})")


class EndpointError(BackendError):
    """A request to the endpoint failed for good (after retries, or with a non-retryable status)."""


def normalize_base_url(url: str) -> str:
    """``http://host:port`` -> ``http://host:port/v1``; keeps explicit paths (``.../v1``, ``.../openai/v1``)."""
    url = (url or "").strip().rstrip("/")
    if url.endswith("/chat/completions"):
        url = url[: -len("/chat/completions")]
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BackendError(f"endpoint URL {url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8000/v1")
    if parsed.path in ("", "/"):
        url += "/v1"
    return url


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """Parse a Retry-After header (seconds or an HTTP date) to seconds from now."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class OpenAINoteWriter(LLMNoteWriter):
    """Chunk notes from an OpenAI-compatible chat completions endpoint."""

    name = "openai"
    Options = OpenAIOptions
    spec_option = "base_url"
    requires = ("openai",)
    install = "pip install 'lecture-notes[openai]'"

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        """Unknown options, and a base URL that is not http(s), are ConfigErrors."""
        super().validate_options(options)
        url = str(options.get("base_url", "http://"))
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"openai endpoint {url!r} needs a URL, e.g. openai:http://127.0.0.1:8000/v1")

    @classmethod
    def check(cls, options: Mapping[str, Any], *, load: bool = True) -> List[Check]:
        """The endpoint answers and serves the configured model."""
        return super().check(options, load=load) + [check_endpoint(str(options.get("base_url", "http://127.0.0.1:8000/v1")),
                               model=str(options.get("model", "")),
                               api_key_env=str(options.get("api_key_env", "OPENAI_API_KEY")))]

    def __init__(self, base_url: str = "http://127.0.0.1:8000/v1", model: str = "", *,
                 api_key_env: str = "OPENAI_API_KEY", timeout: float = 120.0, max_retries: int = 4,
                 backoff: float = 1.0, max_backoff: float = 30.0, concurrency: int = 4, json_mode: Any = "auto",
                 temperature: float = 0.0, max_new_tokens: int = 768, context_length: Optional[int] = None,
                 tokenizer: Optional[str] = None, extra_body: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        try:
            import openai
        except ImportError:
            raise BackendError("the openai backend needs the openai SDK; install it with "
                               "pip install 'lecture-notes[openai]'") from None
        self.base_url = normalize_base_url(base_url)
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.concurrency = max(1, int(concurrency))
        jm = str(json_mode).lower()
        self.json_mode = {"true": "on", "false": "off", "1": "on", "0": "off"}.get(jm, jm)
        if self.json_mode not in ("auto", "on", "off"):
            raise BackendError(f"json_mode {json_mode!r} is invalid; use auto, on or off")
        self.temperature = float(temperature)
        self.extra_body = dict(extra_body or {})
        self.requests = 0
        self._tokenizer = None
        if tokenizer:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(str(tokenizer), local_files_only=True)
        self._setup_lock = threading.Lock()
        self._server_context: Optional[int] = None
        # The SDK retries nothing itself (max_retries=0): _request owns the retry policy and its options.
        key = os.environ.get(self.api_key_env or "", "")
        self._client = openai.OpenAI(base_url=self.base_url, api_key=key or "unused", timeout=self.timeout,
                                     max_retries=0)
        # No key configured: no Authorization header at all (local vLLM/Ollama servers need none).
        self._request_headers = {} if key else {"Authorization": openai.Omit()}
        super().__init__(max_new_tokens=max_new_tokens, context_length=context_length, **kwargs)

    # --- LLMNoteWriter hooks ----------------------------------------------------------------------------------
    @property
    def context_length(self) -> int:
        return self._context_length or self._server_context or 8192

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is not None:
            return len(self._tokenizer(text, add_special_tokens=False)["input_ids"])
        return max(1, len(text) // 4)

    def _generate(self, conversations: Sequence[Messages], *, max_new_tokens: int,
                  json_mode: bool = True) -> List[Any]:
        try:
            self._ensure_model()
        except BackendError as exc:
            return [exc] * len(conversations)
        if len(conversations) == 1:
            return [self._one(conversations[0], max_new_tokens)]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(conversations))) as pool:
            return list(pool.map(lambda m: self._one(m, max_new_tokens), conversations))

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    # --- HTTP -------------------------------------------------------------------------------------------------
    def list_models(self, timeout: Optional[float] = None) -> List[Dict[str, Any]]:
        """GET /models: the model entries the server offers (as JSON dicts: vLLM adds max_model_len)."""
        data = self._request("GET", "/models", None, timeout=timeout)
        return list(data.get("data") or []) if isinstance(data, dict) else []

    def _ensure_model(self) -> None:
        with self._setup_lock:
            if self.model and (self._context_length or self._server_context):
                return
            try:
                models = self.list_models(timeout=min(self.timeout, 10.0))
            except BackendError:
                if self.model:
                    self._server_context = 8192  # the server lists nothing; a chat request may still work
                    return
                raise
            entry = next((m for m in models if m.get("id") == self.model), None) if self.model else \
                (models[0] if models else None)
            if entry is None and not self.model:
                raise BackendError(f"{self.base_url}/models lists no models; pass the model name with --llm-model")
            if not self.model:
                self.model = str(entry["id"])
                log.info("using model %s from %s", self.model, self.base_url)
            ctx = (entry or {}).get("max_model_len") or (entry or {}).get("context_length")
            self._server_context = int(ctx) if isinstance(ctx, int) and ctx > 0 else 8192

    def _one(self, messages: Messages, max_new_tokens: int) -> Any:
        body: Dict[str, Any] = {"model": self.model, "messages": list(messages), "max_tokens": max_new_tokens,
                                "temperature": self.temperature, "stream": False}
        if self.json_mode in ("auto", "on"):
            body["response_format"] = {"type": "json_object"}
        body.update(self.extra_body)
        try:
            data = self._request("POST", "/chat/completions", body)
            content = data["choices"][0]["message"].get("content")
            if not isinstance(content, str):
                raise EndpointError(f"{self.base_url} returned a reply without text content")
            return content
        except (KeyError, IndexError, TypeError) as exc:
            return EndpointError(f"{self.base_url} returned an unexpected JSON shape ({exc!r}); is it an "
                                 f"OpenAI-compatible chat completions endpoint?")
        except BackendError as exc:
            return exc

    def _send(self, method: str, path: str, body: Optional[Dict[str, Any]], timeout: float) -> Any:
        """One request through the SDK: the parsed JSON body."""
        self.requests += 1
        options = {"timeout": timeout, "headers": self._request_headers}
        if method == "GET":
            return self._client.get(path, cast_to=object, options=options)
        return self._client.post(path, body=body, cast_to=object, options=options)

    def _request(self, method: str, path: str, body: Optional[Dict[str, Any]], *,
                 timeout: Optional[float] = None) -> Any:
        import json

        import openai

        url = self.base_url + path
        last = ""
        for attempt in range(self.max_retries + 1):
            delay = min(self.max_backoff, self.backoff * (2 ** attempt))
            try:
                data = self._send(method, path, body, timeout or self.timeout)
                if isinstance(data, (dict, list)):
                    return data
                last = f"the response body is not JSON ({str(data)[:80]!r})"
            except openai.APIStatusError as exc:
                code, detail = exc.status_code, _error_text(exc)
                if code == 400 and body is not None and "response_format" in body \
                        and self.json_mode == "auto" and "response_format" in detail.lower():
                    log.info("%s does not support JSON mode; continuing without it", self.base_url)
                    self.json_mode = "off"
                    body = {k: v for k, v in body.items() if k != "response_format"}
                    continue
                if code == 429 or code >= 500:
                    last = f"HTTP {code} {detail}".strip()
                    ra = retry_after_seconds(exc.response.headers.get("Retry-After"))
                    if ra is not None:
                        delay = min(self.max_backoff, ra)
                else:
                    hint = {401: f"; set the API key in ${self.api_key_env}",
                            403: f"; check the API key in ${self.api_key_env}",
                            404: "; check the base URL (it usually ends in /v1) and the model name"}.get(code, "")
                    raise EndpointError(f"{method} {url} failed: HTTP {code} {detail}{hint}") from None
            except openai.APITimeoutError:
                last = f"connection failed: no answer within {timeout or self.timeout:g} s (timed out)"
            except openai.APIConnectionError as exc:
                last = f"connection failed: {_cause(exc)}"
            except (json.JSONDecodeError, UnicodeDecodeError, openai.APIResponseValidationError) as exc:
                last = f"the response body is not JSON ({exc})"
            if attempt < self.max_retries:
                log.warning("%s %s: %s; retry %d/%d in %.1f s", method, url, last, attempt + 1, self.max_retries,
                            delay)
                time.sleep(delay)
        raise EndpointError(f"{method} {url} failed after {self.max_retries + 1} attempts: {last}; check that the "
                            f"server is running (lecture-notes doctor tests it)")


def _cause(exc: BaseException) -> str:
    """The innermost reason of a connection error ("[Errno 111] Connection refused")."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    return str(exc) or type(exc).__name__


def _error_text(exc: Any) -> str:
    """The server's error message from an SDK status error (OpenAI's {"error": {"message": ...}} or plain text)."""
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or err)
        return str(err)
    try:
        return exc.response.text[:600].strip()
    except Exception:  # noqa: BLE001 - a streamed or closed response
        return str(exc.message)

def check_endpoint(base_url: str, *, model: str = "", api_key_env: str = "OPENAI_API_KEY",
                   timeout: float = 3.0) -> Check:
    """GET {base_url}/models with a short timeout; the configured model must be listed when the server lists any."""
    try:
        client = OpenAINoteWriter(base_url, model, api_key_env=api_key_env, timeout=timeout, max_retries=0)
        models = [str(m.get("id")) for m in client.list_models(timeout=timeout)]
    except BackendError as exc:
        return Check("LLM endpoint", False, str(exc).split("; check")[0],
                     f"start the server (e.g. `vllm serve MODEL` or `ollama serve`) or fix --llm openai:URL")
    if model and models and model not in models:
        return Check("LLM endpoint", False, f"{client.base_url} does not serve {model!r}; it lists "
                     f"{', '.join(models)}", f"use --llm-model {models[0]}")
    return Check("LLM endpoint", True, f"{client.base_url} answers; models: {', '.join(models) or '(none listed)'}")
