"""Remote engine: any OpenAI-compatible endpoint through langchain-openai.

Each request is its own API call, sent concurrently: ``n`` on one call is unreliable across
servers (llama.cpp's server ignores it; ``ChatOpenAI.invoke`` keeps only the first choice).
Token usage must come back with every response: the ledger bills what the server counted.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from cope.errors import CopeError
from cope.models.base import Generation, GenRequest


class OpenAIEngine:
    """Chat completions from ``model`` at ``base_url`` (default: OpenAI's API)."""

    def __init__(self, model: str, base_url: str | None = None, max_concurrency: int = 8):
        from langchain_openai import ChatOpenAI

        self.name = model
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        key = os.environ.get("COPE_API_KEY") or os.environ.get("OPENAI_API_KEY")
        if not key and not self.base_url:
            raise CopeError(
                f"model openai:{model} needs an API key; set OPENAI_API_KEY (or COPE_API_KEY), "
                "or give --base-url for a local OpenAI-compatible server"
            )
        self._chat = ChatOpenAI(
            model=model, base_url=self.base_url, api_key=key or "not-needed",
            max_retries=2, timeout=120,
            # Usage must come back from any OpenAI-compatible server, streamed or not; the
            # default turns it on for api.openai.com only.
            stream_usage=True,
        )
        self.max_concurrency = max_concurrency

    def _endpoint_error(self, exc: Exception) -> CopeError | None:
        """The user-facing error for a failed call, or None when it is not the endpoint's."""
        import openai

        if isinstance(exc, openai.APIConnectionError):
            return CopeError(
                f"cannot reach {self.base_url or 'the OpenAI API'} ({exc}); check the URL "
                "(--base-url / OPENAI_BASE_URL) and that the server is running"
            )
        if isinstance(exc, openai.AuthenticationError):
            return CopeError(f"the endpoint refused the API key ({exc}); check OPENAI_API_KEY")
        if isinstance(exc, openai.NotFoundError):
            return CopeError(f"model {self.name!r} not found at the endpoint ({exc})")
        return None

    def check(self) -> None:
        """Fail now, with the fix, if the endpoint is unreachable or refuses the key.

        Asks for the model list (one cheap GET). A server without that route still counts as
        reachable: only connection and authentication errors stop the run.
        """
        import openai

        client = self._chat.root_client.with_options(max_retries=0, timeout=15)
        try:
            client.models.list()
        except (openai.APIConnectionError, openai.AuthenticationError) as exc:
            raise self._endpoint_error(exc) from exc
        except openai.APIStatusError:
            pass

    def _one(self, req: GenRequest) -> Generation:
        import openai

        kwargs = {"temperature": req.temperature, "max_tokens": req.max_tokens}
        if req.seed is not None:
            kwargs["seed"] = req.seed
        if req.stop:
            kwargs["stop"] = list(req.stop)
        if req.logprobs:
            kwargs["logprobs"] = True
        try:
            msg = self._chat.invoke(list(req.messages), **kwargs)
        except openai.OpenAIError as exc:
            error = self._endpoint_error(exc)
            if error is None:
                raise
            raise error from exc
        usage = msg.usage_metadata
        if not usage:
            raise CopeError(
                f"{self.base_url or 'the endpoint'} returned no token usage for {self.name}; "
                "COPE cannot bill the call, so use a server that reports usage"
            )
        meta = msg.response_metadata or {}
        logprobs = None
        if req.logprobs:
            content = (meta.get("logprobs") or {}).get("content") or []
            logprobs = [float(t["logprob"]) for t in content]
        return Generation(
            text=str(msg.content).strip(),
            input_tokens=int(usage["input_tokens"]),
            output_tokens=int(usage["output_tokens"]),
            finish_reason="length" if meta.get("finish_reason") == "length" else "stop",
            logprobs=logprobs,
        )

    def generate(self, requests: list[GenRequest]) -> list[Generation]:
        """All requests sent concurrently; results in request order."""
        if len(requests) == 1:
            return [self._one(requests[0])]
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(requests))) as pool:
            return list(pool.map(self._one, requests))
