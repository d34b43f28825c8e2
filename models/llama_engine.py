"""llama.cpp engine: all requests of a batch decoded together in one multi-sequence context.

Requests that share a prompt have it evaluated once; its KV cache is copied to every
sequence that starts from it. Each sequence keeps its own sampler (temperature, seed), so a
batch of n samples costs one prompt pass plus n-wide decode steps.

Prompts that only share a beginning share it too: a sequence copies the cells of the longest
prefix it has in common with a prompt already read, and reads only the rest. Between calls the
cells of recent prompts stay in a few cache slots (spare sequence ids; least recently used
goes first, and all go when a batch needs the room), so a conversation that grows by a few
lines per call (a ReAct episode, even one that alternates two prompts) reads only new lines.

One context serves one batch at a time: a lock serialises callers, because two concurrent
decodes on one llama.cpp context crash the process.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field, replace
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
        max_sequences: int | None = None,
        n_batch: int = 512,
        ignore_eos: bool = False,
        cache_slots: int | None = None,
    ):
        """Loads ``model_path`` and creates the shared multi-sequence context.

        Args:
            model_path: a GGUF file with a chat template.
            name: the engine's name in logs and the ledger; default the file's stem.
            n_ctx: KV cells shared by all sequences of a chunk (prompt once, then each sample).
            n_threads: CPU threads; default $COPE_THREADS, else all cores.
            max_sequences: most sequences decoded together; larger batches are chunked.
                Default $COPE_MAX_SEQUENCES, else 16. With 1 (and $COPE_PREFIX_REUSE=0) the n
                samples of a batch are decoded one after another, prompt read each time: the
                engine before batched decoding, for wall-time comparisons.
            n_batch: most tokens per llama_decode call while reading a prompt.
            ignore_eos: benchmarks only; end-of-generation tokens do not end a sample, so every
                sample runs to ``max_tokens`` (and those tokens count as generated).
            cache_slots: prompts kept in the KV cache between calls for prefix reuse; default 4.
                With 0 (or $COPE_PREFIX_REUSE=0) only identical prompts share cells, and only
                within one call: the engine as it was before prefix reuse, for comparisons.
        """
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
        self.max_sequences = max_sequences or int(os.environ.get("COPE_MAX_SEQUENCES", 0)) or 16
        self.n_batch = n_batch
        self.ignore_eos = ignore_eos
        if cache_slots is None:
            cache_slots = 0 if os.environ.get("COPE_PREFIX_REUSE") == "0" else 4
        self.prefix_reuse = cache_slots > 0
        threads = n_threads or int(os.environ.get("COPE_THREADS", 0)) or os.cpu_count() or 2
        self._lock = threading.Lock()

        # The high-level object loads the weights and gives tokenizer and chat template.
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self.path), n_ctx=256, n_threads=threads,
                n_threads_batch=threads, verbose=False,
            )
        except ValueError as exc:  # llama.cpp's only word for a file it cannot read
            raise CopeError(
                f"llama.cpp cannot load {self.path} ({exc}); is it a complete GGUF model "
                "file? Download it again, or for a bundled model run "
                "`cope models install NAME --force`"
            ) from exc
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = self.max_sequences + cache_slots  # cache slots use the top ids
        params.kv_unified = True  # sequences share the prompt's cells
        params.n_threads = threads
        params.n_threads_batch = threads
        self._ctx = llama_cpp.llama_init_from_model(self._llm.model, params)
        if not self._ctx:
            raise CopeError(f"llama.cpp could not create a context for {self.path}")
        self._mem = llama_cpp.llama_get_memory(self._ctx)
        self._format = self._chat_formatter()
        # Cache slot sequence id -> the prompt tokens whose cells it holds; oldest first.
        self._slot_ids = list(range(self.max_sequences, self.max_sequences + cache_slots))
        self._slots: dict[int, list[int]] = {}
        self.prompt_tokens_read = 0  # prompt tokens actually evaluated (the rest came from cache)

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
        # Greedy decoding is deterministic: identical greedy requests are decoded once.
        first: dict[tuple, int] = {}
        copies: list[tuple[int, int]] = []
        todo: list[tuple[int, GenRequest]] = []
        for i, req in enumerate(requests):
            key = (_prompt_key(req), req.max_tokens, tuple(req.stop), req.logprobs)
            if req.temperature <= 0 and key in first:
                copies.append((i, first[key]))
                continue
            if req.temperature <= 0:
                first[key] = i
            todo.append((i, req))
        with self._lock:
            tokens = {_prompt_key(r): self.render(r.messages) for _, r in todo}
            for chunk in self._chunks(todo, tokens):
                for i, gen in self._generate_chunk(chunk, tokens):
                    out[i] = gen
        for i, src in copies:
            lps = out[src].logprobs
            out[i] = replace(out[src], logprobs=None if lps is None else list(lps))
        return out  # type: ignore[return-value]

    def _chunks(self, todo: list[tuple[int, GenRequest]], tokens: dict[tuple, list[int]]):
        """Split the batch so each part fits the sequence count and the context.

        A prompt's tokens but the last take KV cells once per chunk; every sequence then needs a
        cell for the prompt's last token (it feeds that itself) and one per generated token.
        """
        part: list[tuple[int, GenRequest]] = []
        used = 0
        seen: set[tuple] = set()
        for i, req in todo:
            key = _prompt_key(req)
            body = len(tokens[key]) - 1
            cost = req.max_tokens + 1 + (0 if key in seen else body)
            if body + req.max_tokens + 1 > self.n_ctx:
                raise CopeError(
                    f"a request needs {body + req.max_tokens + 1} tokens of context but "
                    f"{self.name} has {self.n_ctx}; lower max_tokens or raise n_ctx"
                )
            if part and (len(part) >= self.max_sequences or used + cost > self.n_ctx):
                yield part
                part, used, seen = [], 0, set()
                cost = req.max_tokens + 1 + body
            seen.add(key)
            part.append((i, req))
            used += cost
        if part:
            yield part

    def _generate_chunk(self, chunk: list[tuple[int, GenRequest]], prompts: dict):
        """Decodes one chunk; yields (request index, generation) for each of its requests."""
        ll = self._ll
        self._make_room(chunk, prompts)
        batch = ll.llama_batch_init(max(self.n_batch, len(chunk)), 0, 1)
        seqs: list[_Seq] = []
        ok = False
        try:
            held = dict(self._slots)  # sequence id -> prompt body whose cells it holds
            for seq_id, (index, req) in enumerate(chunk):
                tokens = prompts[_prompt_key(req)]
                body = tokens[:-1]
                # Copy the longest prefix a slot or an earlier sequence holds; read the rest.
                src, start = max(((j, _common_prefix(b, body)) for j, b in held.items()),
                                 key=lambda pair: pair[1], default=(None, 0))
                if not self.prefix_reuse and start < len(body):
                    start = 0
                if start:
                    ll.llama_memory_seq_cp(self._mem, src, seq_id, 0, start)
                self._eval_prompt(batch, body, seq_id, start)
                held[seq_id] = body
                # Each sequence feeds its prompt's last token itself in the first step,
                # so each gets its own logits row to sample its first token from.
                seqs.append(_Seq(index, seq_id, req, self._sampler(req), len(tokens),
                                 pending=tokens[-1], pos=len(tokens) - 1))
            while True:
                active = [s for s in seqs if not s.done]
                if not active:
                    break
                self._feed(batch, active)
            ok = True
        finally:
            ll.llama_batch_free(batch)
            for s in seqs:
                ll.llama_sampler_free(s.sampler)
            if ok and seqs:
                self._remember(0, held[0])
            else:
                self._slots = {}
                ll.llama_memory_clear(self._mem, True)
            for seq_id in range(self.max_sequences):
                ll.llama_memory_seq_rm(self._mem, seq_id, -1, -1)
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

    def _make_room(self, chunk: list[tuple[int, GenRequest]], prompts: dict) -> None:
        """Drop cache slots, oldest first, until the chunk fits beside what they hold."""
        need = sum(req.max_tokens + 1 for _, req in chunk)
        need += sum(len(prompts[k]) for k in {_prompt_key(req) for _, req in chunk})
        while self._slots and need + sum(map(len, self._slots.values())) > self.n_ctx:
            oldest = next(iter(self._slots))
            self._ll.llama_memory_seq_rm(self._mem, oldest, -1, -1)
            del self._slots[oldest]

    def _remember(self, seq_id: int, body: list[int]) -> None:
        """Keep ``seq_id``'s prompt cells in a cache slot for later calls."""
        if not self._slot_ids or not body:
            return
        same = next((j for j, b in self._slots.items() if b == body), None)
        if same is not None:  # already held: just mark it recently used
            self._slots[same] = self._slots.pop(same)
            return
        free = [j for j in self._slot_ids if j not in self._slots]
        slot = free[0] if free else next(iter(self._slots))
        self._ll.llama_memory_seq_rm(self._mem, slot, -1, -1)
        self._slots.pop(slot, None)
        self._ll.llama_memory_seq_cp(self._mem, seq_id, slot, 0, len(body))
        self._slots[slot] = body

    def clear_cache(self) -> None:
        """Forget the cached prompts (the next call reads its prompts in full)."""
        with self._lock:
            self._slots = {}
            self._ll.llama_memory_clear(self._mem, True)

    def _eval_prompt(self, batch, body: list[int], seq_id: int, start: int = 0) -> None:
        """Evaluate ``body[start:]`` (a prompt but its last token) into ``seq_id``."""
        for begin in range(start, len(body), self.n_batch):
            part = body[begin : begin + self.n_batch]
            _fill(batch, [(t, begin + k, seq_id, False) for k, t in enumerate(part)])
            self._decode(batch)
        self.prompt_tokens_read += max(0, len(body) - start)

    def _feed(self, batch, seqs: list[_Seq]) -> None:
        """One decode step: each sequence's pending token in, one sampled token out."""
        _fill(batch, [(s.pending, s.pos, s.seq_id, True) for s in seqs])
        self._decode(batch)
        for row, s in enumerate(seqs):
            self._sample(s, row)

    def _sample(self, s: _Seq, row: int) -> None:
        """Draws the next token of ``s`` from logits row ``row`` and updates its state."""
        ll = self._ll
        tok = ll.llama_sampler_sample(s.sampler, self._ctx, row)
        s.pos += 1
        s.pending = tok
        if not self.ignore_eos and ll.llama_vocab_is_eog(self._vocab, tok):
            s.done, s.finish = True, "stop"  # the end token is neither returned nor counted
            return
        s.tokens.append(tok)
        if s.request.logprobs:
            s.logprobs.append(self._logprob(row, tok))
        if len(s.tokens) >= s.request.max_tokens:
            s.done, s.finish = True, "length"
        elif s.request.stop and len(s.tokens) % 4 == 0:
            text = self._llm.detokenize(s.tokens[-32:]).decode("utf-8", errors="ignore")
            if any(stop in text for stop in s.request.stop):
                s.done, s.finish = True, "stop"

    def _logprob(self, row: int, tok: int) -> float:
        """log p(tok) under the raw logits of batch row ``row`` (before temperature)."""
        ptr = self._ll.llama_get_logits_ith(self._ctx, row)
        logits = np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))
        peak = float(logits.max())
        return float(logits[tok]) - peak - float(np.log(np.exp(logits - peak).sum()))

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


def _common_prefix(a: list[int], b: list[int]) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def _prompt_key(req: GenRequest) -> tuple:
    return tuple((m["role"], m["content"]) for m in req.messages)


def _cut_at_stop(text: str, stops: tuple[str, ...]) -> tuple[str, bool]:
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)

