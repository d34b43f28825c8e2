"""How fast the local engines draw n samples for one prompt, next to a plain llama.cpp loop.

One run, one GGUF (Qwen2.5-Coder-0.5B by default), one thread count for everything:

  cope        COPE's llama.cpp engine, the n requests in one ``generate`` call
  reference   a plain llama-cpp-python batched decode written out below: the prompt read
              once into sequence 0, its cells copied to the other n - 1, then one n-wide
              ``llama_decode`` per step, each sequence with its own temperature+seed sampler
  sequential  COPE's engine again, the same n requests one call after another
  transformers  COPE's transformers engine on the same GGUF (de-quantized, bf16 where the
              CPU has it), the n requests in one call (``num_return_sequences``)

Every sample is forced to ``--tokens`` new tokens (end tokens ignored), so each method
generates exactly n x tokens and tok/s = n x tokens / seconds (prompt reading included).
Each method runs ``--repeats`` times and keeps its best time (this VM's first runs vary).

    .venv/bin/python scripts/bench_local_sampling.py   # -> results/bench_local_sampling.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from cope.models.base import GenRequest
from cope.models.bundled import verified_path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = (
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes "
    "muffins for her friends every day with four. She sells the remainder at the farmers' "
    "market daily for $2 per fresh duck egg. How much in dollars does she make every day at "
    "the farmers' market? Reason step by step."
)
MESSAGES = ({"role": "user", "content": QUESTION},)


def requests(n: int, tokens: int) -> list[GenRequest]:
    return [GenRequest(MESSAGES, temperature=0.8, max_tokens=tokens, seed=100 + k)
            for k in range(n)]


def best_of(repeats: int, fn) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), [round(t, 3) for t in times]


def reference_decode(path: Path, threads: int, n: int, tokens: int, prompt: list[int]):
    """The plain batched decode: returns a function that draws n x tokens once."""
    import llama_cpp as ll

    llm = ll.Llama(model_path=str(path), n_ctx=256, n_threads=threads,
                   n_threads_batch=threads, verbose=False)
    params = ll.llama_context_default_params()
    params.n_ctx = len(prompt) + n * (tokens + 1) + 16
    params.n_batch = params.n_ubatch = 512
    params.n_seq_max = n
    params.kv_unified = True
    params.n_threads = params.n_threads_batch = threads
    ctx = ll.llama_init_from_model(llm.model, params)
    mem = ll.llama_get_memory(ctx)
    batch = ll.llama_batch_init(512, 0, 1)

    def put(rows):
        for k, (tok, pos, seq, logits) in enumerate(rows):
            batch.token[k], batch.pos[k] = tok, pos
            batch.n_seq_id[k], batch.seq_id[k][0], batch.logits[k] = 1, seq, logits
        batch.n_tokens = len(rows)
        if ll.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")

    def run():
        # ``llm`` owns the weights ``ctx`` reads: keep it alive as long as this function
        # (freed, the next decode calls into a destroyed model and the process aborts).
        assert llm.model is not None
        ll.llama_memory_clear(mem, True)
        body = prompt[:-1]
        for start in range(0, len(body), 512):
            put([(t, start + i, 0, False) for i, t in enumerate(body[start:start + 512])])
        for seq in range(1, n):
            ll.llama_memory_seq_cp(mem, 0, seq, -1, -1)
        samplers = []
        for seq in range(n):
            chain = ll.llama_sampler_chain_init(ll.llama_sampler_chain_default_params())
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_temp(0.8))
            ll.llama_sampler_chain_add(chain, ll.llama_sampler_init_dist(100 + seq))
            samplers.append(chain)
        pending, pos = [prompt[-1]] * n, len(prompt) - 1
        for _ in range(tokens):
            put([(pending[s], pos, s, True) for s in range(n)])
            pending = [ll.llama_sampler_sample(samplers[s], ctx, s) for s in range(n)]
            pos += 1
        for chain in samplers:
            ll.llama_sampler_free(chain)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-0.5b", help="bundled model name")
    parser.add_argument("-n", type=int, default=8, help="samples per prompt")
    parser.add_argument("--tokens", type=int, default=256, help="new tokens per sample")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "results" / "bench_local_sampling.json"))
    args = parser.parse_args()

    from cope.models.llama_engine import LlamaEngine

    path = verified_path(args.model)
    total = args.n * args.tokens
    engine = LlamaEngine(path, name=args.model, n_threads=args.threads, ignore_eos=True,
                         n_ctx=4096, max_sequences=max(16, args.n))
    prompt = engine.render(MESSAGES)
    batch = requests(args.n, args.tokens)

    def cope_once():
        engine.clear_cache()  # read the prompt every time, like the reference
        engine.generate(batch)

    def sequential_once():
        for req in batch:
            engine.clear_cache()
            engine.generate([req])

    cope_s, cope_runs = best_of(args.repeats, cope_once)
    ref_s, ref_runs = best_of(args.repeats, reference_decode(path, args.threads, args.n,
                                                             args.tokens, prompt))
    seq_s, seq_runs = best_of(args.repeats, sequential_once)
    out = {
        "model": args.model, "gguf": path.name, "threads": args.threads, "n": args.n,
        "new_tokens_per_sample": args.tokens, "prompt_tokens": len(prompt),
        "cope_tok_s": round(total / cope_s, 2),
        "reference_tok_s": round(total / ref_s, 2),
        "sequential_tok_s": round(total / seq_s, 2),
        "transformers_tok_s": None,
        "ratio_cope_to_reference": round(ref_s / cope_s, 3),
        "seconds": {"cope": cope_runs, "reference": ref_runs, "sequential": seq_runs},
    }
    if not args.skip_transformers:
        from cope.models.transformers_engine import TransformersEngine

        hf = TransformersEngine(path.parent, gguf_file=path.name, n_threads=args.threads,
                                ignore_eos=True)
        hf_s, hf_runs = best_of(args.repeats, lambda: hf.generate(batch))
        out["transformers_tok_s"] = round(total / hf_s, 2)
        out["transformers_dtype"] = str(hf.dtype).removeprefix("torch.")
        out["seconds"]["transformers"] = hf_runs
    out["machine"] = {"cpu_count": os.cpu_count(), "processor": platform.processor(),
                      "python": platform.python_version()}
    out["command"] = (
        f"python scripts/bench_local_sampling.py --model {args.model} -n {args.n} "
        f"--tokens {args.tokens} --threads {args.threads} --repeats {args.repeats}"
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
