"""llama.cpp engine: all requests of a batch decoded together in one multi-sequence context.

Requests that share a prompt have it evaluated once; its KV cache is copied to every
sequence that starts from it. Each sequence keeps its own sampler (temperature, seed), so a
batch of n samples costs one prompt pass plus n-wide decode steps.

One context serves one batch at a time: a lock serialises callers, because two concurrent
decodes on one llama.cpp context crash the process.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cope.errors import CopeError
from cope.models.base import Generation, GenRequest

log = logging.getLogger(__name__)


@dataclass
class _Seq:
    """Decoding state of one sequence."""

    index: int  # position in the request list
    seq_id: int  # llama.cpp sequence id inside the chunk
    request: GenRequest
    sampler: object
    n_prompt: int
    pending: int  # next token to feed
    pos: int  # its position
    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    done: bool = False
    finish: str = "stop"


class LlamaEngine:
    """A GGUF model run through llama-cpp-python's low-level batch API."""

    def __init__(
        self,
        model_path: str | Path,
        name: str | None = None,
        n_ctx: int = 16384,
        n_threads: int | None = None,
        max_sequences: int = 16,
        n_batch: int = 512,
    ):
        try:
            import llama_cpp
        except ImportError as exc:
            raise CopeError(
                "llama-cpp-python is not installed; run `bash scripts/setup.sh`"
            ) from exc
        self._ll = llama_cpp
        self.path = Path(model_path)
        self.name = name or self.path.stem
        self.n_ctx = n_ctx
        self.max_sequences = max_sequences
        self.n_batch = n_batch
        threads = n_threads or int(os.environ.get("COPE_THREADS", 0)) or os.cpu_count() or 2
        self._lock = threading.Lock()

        # The high-level object loads the weights and gives tokenizer and chat template.
        self._llm = llama_cpp.Llama(
            model_path=str(self.path), n_ctx=256, n_threads=threads, n_threads_batch=threads,
            verbose=False,
        )
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = max_sequences
        params.kv_unified = True  # sequences share the prompt's cells
        params.n_threads = threads
        params.n_threads_batch = threads
        self._ctx = llama_cpp.llama_init_from_model(self._llm.model, params)
        if not self._ctx:
            raise CopeError(f"llama.cpp could not create a context for {self.path}")
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        self._format = self._chat_formatter()

    def _chat_formatter(self):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise CopeError(f"{self.path.name} has no chat template; use an instruct GGUF")
        piece = lambda tok: self._llm.detokenize([tok], special=True).decode(errors="ignore")  # noqa: E731
        return Jinja2ChatFormatter(
            template, eos_token=piece(self._llm.token_eos()), bos_token=piece(self._llm.token_bos())
        )

    def render(self, messages) -> list[int]:
        """Prompt tokens for a chat, rendered with the model's own template."""
        prompt = self._format(messages=list(messages)).prompt
        return self._llm.tokenize(prompt.encode(), add_bos=True, special=True)

    def generate(self, requests: list[GenRequest]) -> list[Generation]:
        """One generation per request, in order; see the module docstring for how."""
        out: list[Generation | None] = [None] * len(requests)
        with self._lock:
            for chunk in self._chunks(requests):
                for i, gen in self._generate_chunk(chunk):
                    out[i] = gen
        return out  # type: ignore[return-value]

    def _chunks(self, requests: list[GenRequest]):
        """Split the batch so each part fits the sequence count and the context."""
        part: list[tuple[int, GenRequest]] = []
        used = 0
        prompts: dict[tuple, int] = {}
        for i, req in enumerate(requests):
            key = tuple((m["role"], m["content"]) for m in req.messages)
            cost = req.max_tokens + (0 if key in prompts else len(self.render(req.messages)))
            if cost > self.n_ctx:
                raise CopeError(
                    f"a request needs {cost} tokens of context but {self.name} has {self.n_ctx}; "
                    "lower max_tokens or raise n_ctx"
                )
            if part and (len(part) >= self.max_sequences or used + cost > self.n_ctx):
                yield part
                part, used, prompts = [], 0, {}
                cost = req.max_tokens + len(self.render(req.messages))
            prompts[key] = 1
            part.append((i, req))
            used += cost
        if part:
            yield part

    def _generate_chunk(self, chunk: list[tuple[int, GenRequest]]):
        ll = self._ll
        ll.llama_memory_clear(self._mem, True)
        batch = ll.llama_batch_init(max(self.n_batch, len(chunk)), 0, 1)
        seqs: list[_Seq] = []
        try:
            first_seq: dict[tuple, int] = {}  # prompt -> sequence that holds its KV cells
            for seq_id, (index, req) in enumerate(chunk):
                key = tuple((m["role"], m["content"]) for m in req.messages)
                tokens = self.render(req.messages)
                if key in first_seq:
                    ll.llama_memory_seq_cp(self._mem, first_seq[key], seq_id, -1, -1)
                else:
                    self._eval_prompt(batch, tokens, seq_id)
                    first_seq[key] = seq_id
                # Each sequence feeds its prompt's last token itself in the first step,
                # so each gets its own logits row to sample its first token from.
                seqs.append(_Seq(index, seq_id, req, self._sampler(req), len(tokens),
                                 pending=tokens[-1], pos=len(tokens) - 1))
            while True:
                active = [s for s in seqs if not s.done]
                if not active:
                    break
                self._feed(batch, active)
        finally:
            ll.llama_batch_free(batch)
            for s in seqs:
                ll.llama_sampler_free(s.sampler)
            ll.llama_memory_clear(self._mem, True)
        for s in seqs:
            text = self._llm.detokenize(s.tokens).decode("utf-8", errors="ignore")
            text, stopped = _cut_at_stop(text, s.request.stop)
            yield s.index, Generation(
                text=text.strip(),
                input_tokens=s.n_prompt,
                output_tokens=len(s.tokens),
                finish_reason="stop" if stopped else s.finish,
                logprobs=s.logprobs if s.request.logprobs else None,
            )

    def _eval_prompt(self, batch, tokens: list[int], seq_id: int) -> None:
        """Evaluate all prompt tokens but the last (the first decode step feeds that one)."""
        body = tokens[:-1]
        for start in range(0, len(body), self.n_batch):
            part = body[start : start + self.n_batch]
            _fill(batch, [(t, start + k, seq_id, False) for k, t in enumerate(part)])
            self._decode(batch)

    def _feed(self, batch, seqs: list[_Seq]) -> None:
        """One decode step: each sequence's pending token in, one sampled token out."""
        _fill(batch, [(s.pending, s.pos, s.seq_id, True) for s in seqs])
        self._decode(batch)
        for row, s in enumerate(seqs):
            self._sample(s, row)

    def _sample(self, s: _Seq, row: int) -> None:
        ll = self._ll
        tok = ll.llama_sampler_sample(s.sampler, self._ctx, row)
        if s.request.logprobs:
            logits = np.ctypeslib.as_array(ll.llama_get_logits_ith(self._ctx, row),
                                           shape=(self._n_vocab,))
            peak = logits.max()
            s.logprobs.append(float(logits[tok] - peak - np.log(np.exp(logits - peak).sum())))
        s.pos += 1
        s.pending = tok
        if ll.llama_vocab_is_eog(self._vocab, tok):
            s.done, s.finish = True, "stop"
            return
        s.tokens.append(tok)
        if len(s.tokens) >= s.request.max_tokens:
            s.done, s.finish = True, "length"
        elif s.request.stop and len(s.tokens) % 4 == 0:
            text = self._llm.detokenize(s.tokens[-32:]).decode("utf-8", errors="ignore")
            if any(stop in text for stop in s.request.stop):
                s.done, s.finish = True, "stop"

    def _sampler(self, req: GenRequest):
        ll = self._ll
        chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
        if req.temperature <= 0:
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_greedy())
        else:
            seed = req.seed if req.seed is not None else int.from_bytes(os.urandom(4), "little")
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_temp(req.temperature))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def _decode(self, batch) -> None:
        rc = self._ll.llama_decode(self._ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode failed with code {rc} on {self.name}")


def _fill(batch, entries: list[tuple[int, int, int, bool]]) -> None:
    """Write (token, position, sequence, wants_logits) rows into a llama_batch."""
    for k, (tok, pos, seq_id, logits) in enumerate(entries):
        batch.token[k] = tok
        batch.pos[k] = pos
        batch.n_seq_id[k] = 1
        batch.seq_id[k][0] = seq_id
        batch.logits[k] = logits
    batch.n_tokens = len(entries)


def _cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)

