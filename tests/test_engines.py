"""Local engines: seeds, order, token counts and log-probabilities on real bundled models.

The llama.cpp engine runs the default small model (Qwen2.5-Coder-0.5B); the transformers
engine runs SmolLM2-135M from its GGUF, the quickest model transformers can load.
"""

from __future__ import annotations

import math

import pytest

from cope.errors import CopeError
from cope.models.base import GenRequest
from cope.models.bundled import model_path, verified_path
from cope.models.transformers_engine import _plan


def _chat(text: str) -> tuple[dict[str, str], ...]:
    return ({"role": "user", "content": text},)


def _need(name: str) -> None:
    if not model_path(name).is_file():
        pytest.skip(f"{name} is not installed (cope models install {name})")


# One thread each: on a shared two-core runner, two threads spin-wait on each other whenever
# another process holds a core (one llama.cpp call measured 4 s alone and 44 s under load).
@pytest.fixture(scope="module")
def llama():
    pytest.importorskip("llama_cpp")
    _need("qwen2.5-coder-0.5b")
    from cope.models.llama_engine import LlamaEngine

    # A small context and few sequences, so the tests also cross chunk boundaries.
    path = verified_path("qwen2.5-coder-0.5b")
    return LlamaEngine(path, n_ctx=1024, n_threads=1, max_sequences=4)


@pytest.fixture(scope="module")
def hf():
    torch = pytest.importorskip("torch")
    _need("smollm2-135m")
    from cope.models.transformers_engine import TransformersEngine

    threads = torch.get_num_threads()
    path = verified_path("smollm2-135m")  # the engine behind the spec hf:FOLDER::FILE
    yield TransformersEngine(path.parent, gguf_file=path.name, n_threads=1)
    torch.set_num_threads(threads)


@pytest.fixture(params=["llama", "hf"])
def engine(request):
    return request.getfixturevalue(request.param)


@pytest.mark.model
def test_greedy_samples_are_identical(engine):
    reqs = [GenRequest(_chat("Name three colours."), 0.0, 16, logprobs=True)] * 3
    first, again = engine.generate(reqs), engine.generate(reqs)
    assert len(first) == 3
    texts = {g.text for g in first + again}
    assert len(texts) == 1 and texts != {""}
    assert {tuple(g.logprobs) for g in first} == {tuple(g.logprobs) for g in again}


@pytest.mark.model
def test_seeds_make_samples_differ_and_repeat(engine):
    ask = _chat("Invent a name for a new fruit and describe its taste in one sentence.")
    seeded = [GenRequest(ask, 1.0, 16, seed=s) for s in (1, 2, 3, 4, 5, 6)]
    reseeded = [GenRequest(ask, 1.0, 16, seed=s) for s in (11, 12, 13, 14, 15, 16)]
    first = [g.text for g in engine.generate(seeded)]
    assert len(first) == 6
    assert len(set(first)) >= 3, first  # six samples, not six copies
    assert [g.text for g in engine.generate(seeded)] == first
    assert [g.text for g in engine.generate(reseeded)] != first


@pytest.mark.model
def test_order_and_token_counts_match_the_ledger(engine):
    # Prompts of different lengths with different limits: each answer can be traced to its
    # request by its prompt length and by its token count (all run into the limit).
    asks = [_chat("Count from 1 to 100" + ", please" * k) for k in (0, 3, 6, 9)]
    limits = [5, 9, 7, 11]
    reqs = [
        GenRequest(ask, temperature, limit, seed=3, logprobs=True)
        for ask, limit, temperature in zip(asks, limits, (0.0, 0.7, 0.0, 0.7), strict=True)
    ]
    reqs.append(GenRequest(asks[0], 0.7, 5, seed=4))
    out = engine.generate(reqs)

    assert len(out) == len(reqs)
    prompt_lengths = [len(engine.render(r.messages)) for r in reqs]
    assert len(set(prompt_lengths[:4])) == 4
    assert [g.input_tokens for g in out] == prompt_lengths
    assert [g.output_tokens for g in out] == [5, 9, 7, 11, 5]
    assert {g.finish_reason for g in out} == {"length"}
    assert [len(g.logprobs) for g in out[:4]] == [5, 9, 7, 11]
    assert out[4].logprobs is None
    billed_in = sum(g.input_tokens for g in out)
    assert billed_in == sum(prompt_lengths)


@pytest.mark.model
def test_end_token_is_not_counted(engine):
    out = engine.generate(
        [GenRequest(_chat("Reply with just the word: yes"), 0.0, 48, logprobs=True)]
    )
    gen = out[0]
    assert gen.finish_reason == "stop" and 0 < gen.output_tokens < 48
    assert len(gen.logprobs) == gen.output_tokens
    assert "<|im_end|>" not in gen.text and "<|endoftext|>" not in gen.text


@pytest.mark.model
def test_logprobs_are_log_probabilities(engine):
    reqs = [
        GenRequest(_chat("Write a haiku about rain."), t, 12, seed=9, logprobs=True)
        for t in (0.0, 0.9, 0.9)
    ]
    for gen in engine.generate(reqs):
        assert len(gen.logprobs) == gen.output_tokens > 0
        assert all(math.isfinite(x) and x <= 0.0 for x in gen.logprobs)
        # A 12-token answer at these temperatures is not a run of certainties.
        assert sum(gen.logprobs) < 0.0


@pytest.mark.model
def test_ignore_eos_runs_to_the_limit(engine):
    engine.ignore_eos = True
    try:
        out = engine.generate([GenRequest(_chat("Reply with just the word: yes"), 0.0, 20)])
    finally:
        engine.ignore_eos = False
    assert out[0].output_tokens == 20 and out[0].finish_reason == "length"


@pytest.mark.model
def test_llama_chunks_by_sequences_and_by_context(llama):
    # 1024 cells hold three of these requests (prompt + 300 reserved tokens), so 9 requests
    # take 3 chunks; the 6 samples of the seed test already cross the 4-sequence limit.
    asks = [_chat(f"Reply with the number {k} and nothing else.") for k in (3, 5, 8)]
    reqs = [GenRequest(asks[i % 3], 0.0 if i < 3 else 0.8, 300, seed=i) for i in range(9)]
    out = llama.generate(reqs)
    assert [g.text.strip(" .") for g in out[:3]] == ["3", "5", "8"]
    assert all(g.finish_reason == "stop" and g.output_tokens < 300 for g in out)
    assert [g.input_tokens for g in out] == [len(llama.render(r.messages)) for r in reqs]
    with pytest.raises(CopeError, match="lower max_tokens"):
        llama.generate([GenRequest(asks[0], 0.0, 2000)])


def test_transformers_plan_groups_prompts_and_settings():
    a, b, c = _chat("a"), _chat("b"), _chat("c")
    reqs = [GenRequest(a, 0.8, 8, seed=1)] * 3 + [GenRequest(b, 0.0, 8)] * 2
    reqs += [GenRequest(c, 0.8, 8, seed=2)] * 3 + [GenRequest(a, 0.8, 9)]
    calls = _plan(reqs, max_rows=16)
    shapes = [[(len(u.requests), u.rows) for u in call.units] for call in calls]
    assert shapes == [[(3, 3), (3, 3)], [(2, 1)], [(1, 1)]]
    assert calls[0].request.seed == 1
    served = sorted(i for call in calls for u in call.units for i, _ in u.requests)
    assert served == list(range(len(reqs)))
    assert [len(c.units) for c in _plan([GenRequest(a, 0.8, 8)] * 20, max_rows=8)] == [1, 1, 1]


@pytest.mark.model
def test_llama_reads_a_shared_prompt_prefix_once(llama):
    story = "A farmer keeps ducks, geese and hens on a small farm by the river. " * 12
    first, second = _chat(story + "How many kinds of bird?"), _chat(story + "Name one bird.")
    llama.generate([GenRequest(first, 0.0, 8)])

    # Across calls: the previous call's prompt is still in the cache.
    before = llama.prompt_tokens_read
    warm = llama.generate([GenRequest(second, 0.0, 8)])[0]
    read = llama.prompt_tokens_read - before
    assert 0 < read < len(llama.render(second)) // 4

    # Within a call: two prompts that share a beginning read it once.
    llama.clear_cache()  # a cold start
    before = llama.prompt_tokens_read
    both = llama.generate([GenRequest(first, 0.0, 8), GenRequest(second, 0.0, 8)])
    read = llama.prompt_tokens_read - before
    assert read < len(llama.render(first)) + len(llama.render(second)) // 4
    # Reused cells give the answer a cold read gives.
    assert both[1].text == warm.text and both[1].input_tokens == warm.input_tokens


@pytest.mark.model
def test_registry_loads_a_model_once_per_process():
    pytest.importorskip("llama_cpp")
    _need("smollm2-135m")
    from cope.models.registry import get_engine

    first = get_engine("smollm2-135m")
    assert get_engine("smollm2-135m") is first
    assert first.generate([GenRequest(_chat("Say hi."), 0.0, 4)])[0].output_tokens > 0
