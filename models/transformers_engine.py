"""transformers engine: a local checkpoint (or a GGUF de-quantized by transformers) on torch.

Requests that share a prompt, temperature, token limit and stop strings form a group; a group
of k samples is one ``model.generate(num_return_sequences=k)``. Groups of the same size and
settings but different prompts go into the same call, left-padded. At temperature 0 a group
is decoded once (greedy decoding is deterministic) and the result is given to every request.

Seeds: each ``generate`` call seeds torch once, from the seed of its first request; the other
samples of the call draw from that same random stream, so the same list of requests gives the
same samples, while the seeds of the later requests in a call are not used on their own.

One model object serves one call at a time (a lock), and the registry loads it once per process.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cope.errors import CopeError
from cope.models.base import Generation, GenRequest

log = logging.getLogger(__name__)

# ChatML models (Qwen, SmolLM2) end a turn with the first and a document with the second;
# some GGUFs name only one of them as EOS, so both stop generation when the vocabulary has them.
_END_TOKENS = ("<|im_end|>", "<|endoftext|>")
_DTYPES = dict(bf16="bfloat16", fp16="float16", fp32="float32")


@dataclass
class _Unit:
    """Requests drawn from one prompt in one call: ``rows`` sampled rows serve ``requests``."""

    messages: list
    requests: list[tuple[int, GenRequest]]  # (index in the batch, request)
    rows: int


@dataclass
class _Call:
    """One ``generate`` call: units with equal settings and equal row counts."""

    request: GenRequest  # settings (temperature, max_tokens, stop, seed) of its first request
    units: list[_Unit] = field(default_factory=list)


class TransformersEngine:
    """A causal LM loaded with transformers' Auto classes, sampled in batches."""

    def __init__(
        self,
        folder: str | Path,
        gguf_file: str | None = None,
        dtype=None,
        device_map=None,
        name: str | None = None,
        n_threads: int | None = None,
        max_rows: int = 16,
        ignore_eos: bool = False,
    ):
        """Loads tokenizer and weights from ``folder`` with no network access.

        Args:
            folder: a checkpoint folder, or the folder that holds ``gguf_file``.
            gguf_file: a GGUF file name inside ``folder``; transformers de-quantizes it.
            dtype: a torch dtype or "bf16"/"fp16"/"fp32"; default bf16 on GPU and on CPUs
                with native bf16 (AVX512_BF16 or AMX), else fp32.
            device_map: passed to accelerate; default "auto" when CUDA is available.
            name: the engine's name in logs and the ledger.
            n_threads: torch CPU threads (a process-wide setting); default $COPE_THREADS if set.
            max_rows: most sequences decoded together in one call.
            ignore_eos: benchmarks only; every sample runs to ``max_tokens`` (EOS is masked).
        """
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            import torch
            import transformers
        except ImportError as exc:
            raise CopeError("transformers is not installed; run `bash scripts/setup.sh`") from exc
        self._torch = torch
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise CopeError(f"model folder not found at {self.folder}; check the hf:FOLDER path")
        if gguf_file and not (self.folder / gguf_file).is_file():
            raise CopeError(f"{gguf_file} not found in {self.folder}; check hf:FOLDER::FILE")
        self.name = name or (Path(gguf_file).stem if gguf_file else self.folder.name)
        self.max_rows = max_rows
        self.ignore_eos = ignore_eos
        self._lock = threading.Lock()
        threads = n_threads or int(os.environ.get("COPE_THREADS", 0))
        if threads:
            torch.set_num_threads(threads)

        cuda = torch.cuda.is_available()
        self.dtype = _pick_dtype(torch, dtype, cuda)
        if device_map is None and cuda:
            device_map = "auto"
        source = {"local_files_only": True, **({"gguf_file": gguf_file} if gguf_file else {})}
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.folder, **source)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(
                self.folder, dtype=self.dtype, device_map=device_map, **source
            )
        except (OSError, ValueError) as exc:
            raise CopeError(
                f"transformers could not load {self.folder} ({exc}); the folder needs config.json "
                "and weights, or name a GGUF in it as hf:FOLDER::FILE.gguf"
            ) from exc
        self.model.eval()
        if not self.tokenizer.chat_template:
            raise CopeError(f"{self.name} has no chat template; use an instruct model")
        self.tokenizer.padding_side = "left"
        self._eos = self._end_token_ids()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token_id = self._eos[0]
        log.info("loaded %s with transformers (%s, %s)", self.name, self.dtype, self.model.device)

    def _end_token_ids(self) -> list[int]:
        vocab = self.tokenizer.get_vocab()
        ids = [self.tokenizer.eos_token_id, self.model.generation_config.eos_token_id]
        ids += [vocab[t] for t in _END_TOKENS if t in vocab]
        flat = [i for x in ids for i in (x if isinstance(x, list) else [x]) if i is not None]
        return list(dict.fromkeys(flat))

    def prompt_text(self, messages) -> str:
        """A chat rendered with the model's own template, ready for the assistant's turn."""
        return self.tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )

    def render(self, messages) -> list[int]:
        """Prompt tokens for a chat (the template already holds any special tokens)."""
        return self.tokenizer(self.prompt_text(messages), add_special_tokens=False)["input_ids"]

    def generate(self, requests: list[GenRequest]) -> list[Generation]:
        """One generation per request, in order; see the module docstring for the batching."""
        out: list[Generation | None] = [None] * len(requests)
        with self._lock:
            for call in _plan(requests, self.max_rows):
                for index, gen in self._run(call):
                    out[index] = gen
        return out  # type: ignore[return-value]

    def _options(self, req: GenRequest, rows: int) -> dict:
        """Keyword arguments of ``model.generate`` for a call; seeds torch when sampling."""
        # Rows that finish early are padded with an end token, so the first end token in a row
        # marks where its own text stops.
        options = dict(max_new_tokens=req.max_tokens, num_return_sequences=rows)
        options.update(eos_token_id=self._eos, pad_token_id=self._eos[0], do_sample=False)
        if req.temperature > 0:
            # Pure temperature sampling, as on the llama.cpp engine: no top-k or top-p cut.
            options.update(do_sample=True, temperature=req.temperature, top_k=0, top_p=1.0)
            seed = req.seed if req.seed is not None else int.from_bytes(os.urandom(4), "little")
            self._torch.manual_seed(seed)
        if self.ignore_eos:
            options["min_new_tokens"] = req.max_tokens
        if req.stop:
            options.update(stop_strings=list(req.stop), tokenizer=self.tokenizer)
        return options

    def _run(self, call: _Call):
        """Decodes one call; yields (request index, generation) for each of its requests."""
        torch, req = self._torch, call.request
        texts = [self.prompt_text(u.messages) for u in call.units]
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        enc = enc.to(self.model.device)
        width = enc["input_ids"].shape[1]
        rows = call.units[0].rows
        options = self._options(req, rows)
        wants_logprobs = any(r.logprobs for u in call.units for _, r in u.requests)
        recorder = _LogprobRecorder(width) if wants_logprobs else None
        if recorder:
            from transformers import LogitsProcessorList

            options["logits_processor"] = LogitsProcessorList([recorder])
        with torch.inference_mode():
            seqs = self.model.generate(**enc, **options)
        picked = recorder.finish(seqs) if recorder else None
        new = seqs[:, width:].tolist()
        prompt_lens = enc["attention_mask"].sum(dim=1).tolist()
        log.debug(
            "%s: %d prompts x %d rows, %d steps", self.name, len(call.units), rows, len(new[0])
        )

        eos = set(self._eos)
        for u_pos, unit in enumerate(call.units):
            for j, (index, mine) in enumerate(unit.requests):
                row = u_pos * rows + (j if rows > 1 else 0)
                ids = new[row]
                n = next((k for k, t in enumerate(ids) if t in eos), len(ids))
                text = self.tokenizer.decode(ids[:n], skip_special_tokens=True)
                text, stopped = _cut_at_stop(text, req.stop)
                gen = Generation(
                    text=text.strip(),
                    input_tokens=int(prompt_lens[u_pos]),
                    output_tokens=n,
                    finish_reason="length" if n >= req.max_tokens and not stopped else "stop",
                    logprobs=picked[:n, row].tolist() if mine.logprobs else None,
                )
                yield index, gen


def _plan(requests: list[GenRequest], max_rows: int) -> list[_Call]:
    """Groups the requests into generate calls (see the module docstring)."""
    groups: dict[tuple, list[tuple[int, GenRequest]]] = {}
    for i, req in enumerate(requests):
        prompt = tuple((m["role"], m["content"]) for m in req.messages)
        key = (prompt, max(req.temperature, 0.0), req.max_tokens, tuple(req.stop))
        groups.setdefault(key, []).append((i, req))

    units: list[_Unit] = []
    for members in groups.values():
        req = members[0][1]
        if req.temperature <= 0:
            units.append(_Unit(list(req.messages), members, 1))
            continue
        for start in range(0, len(members), max_rows):
            part = members[start : start + max_rows]
            units.append(_Unit(list(req.messages), part, len(part)))

    calls: dict[tuple, list[_Call]] = {}
    for unit in units:
        req = unit.requests[0][1]
        key = (max(req.temperature, 0.0), req.max_tokens, tuple(req.stop), unit.rows)
        open_calls = calls.setdefault(key, [])
        if not open_calls or (len(open_calls[-1].units) + 1) * unit.rows > max_rows:
            open_calls.append(_Call(req))
        open_calls[-1].units.append(unit)
    return [c for cs in calls.values() for c in cs]


class _LogprobRecorder:
    """Logits processor that keeps log p(chosen token) under the raw logits, one step behind.

    Placed first, it sees the model's logits before temperature or any warper. It keeps only
    the current step's log-softmax; the token drawn from it is read at the next step (or at the
    end), so memory stays one vocabulary row per sequence instead of one per generated token.
    """

    def __init__(self, prompt_width: int):
        self.start = prompt_width
        self.pending = None
        self.picked: list = []

    def __call__(self, input_ids, scores):
        import torch

        if self.pending is not None:
            self.picked.append(self.pending.gather(1, input_ids[:, -1:]).squeeze(1))
        self.pending = torch.log_softmax(scores.float(), dim=-1)
        return scores

    def finish(self, sequences):
        """A (steps, rows) tensor of log-probabilities for the tokens in ``sequences``."""
        import torch

        steps = sequences.shape[1] - self.start
        if len(self.picked) < steps:
            last = sequences[:, self.start + len(self.picked)].unsqueeze(1)
            self.picked.append(self.pending.gather(1, last).squeeze(1))
        return torch.stack(self.picked[:steps]).cpu()


def _pick_dtype(torch, dtype, cuda: bool):
    """The torch dtype to load weights in (see ``TransformersEngine``)."""
    if isinstance(dtype, str):
        named = _DTYPES.get(dtype.lower(), dtype.lower())
        if named not in _DTYPES.values():
            raise CopeError(f"unknown dtype {dtype!r}; use bf16, fp16 or fp32")
        return getattr(torch, named)
    if dtype is not None:
        return dtype
    return torch.bfloat16 if cuda or _cpu_has_bf16() else torch.float32


def _cpu_has_bf16() -> bool:
    """Whether the CPU computes bf16 natively; without it bf16 matmuls are emulated and slow."""
    try:
        words = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return bool(words & {"avx512_bf16", "amx_bf16"})


def _cut_at_stop(text: str, stops) -> tuple[str, bool]:
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
