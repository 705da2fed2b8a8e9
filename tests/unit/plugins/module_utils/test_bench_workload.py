# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Benchmark workloads: seeded lengths, shared prefixes, model mix, prompt files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.llmd.xks.plugins.module_utils._bench_workload import Workload, load_prompts

M = [dict(name="m")]


def test_random_lengths_are_seeded_and_in_range():
    spec = dict(type="random", input_tokens=100, output_tokens=50, input_range=0.2, output_range=0.5, seed=7)
    a = [Workload(spec, M).next() for dummy in range(1)]
    w1, w2 = Workload(spec, M), Workload(spec, M)
    r1 = [w1.next() for dummy in range(200)]
    r2 = [w2.next() for dummy in range(200)]
    assert [(r.prompt, r.max_tokens) for r in r1] == [(r.prompt, r.max_tokens) for r in r2]
    assert a[0].prompt == r1[0].prompt
    assert all(25 <= r.max_tokens <= 75 for r in r1) and len(set(r.max_tokens for r in r1)) > 10
    assert all(80 <= len(r.prompt.split()) <= 121 for r in r1)
    assert len(set(r.prompt.split()[1] for r in r1)) == 200  # every prompt starts differently (no accidental cache hits)


def test_shared_prefix_groups():
    spec = dict(type="shared_prefix", groups=4, prefix_tokens=64, block_size=16, input_tokens=20, output_tokens=8, seed=1)
    w = Workload(spec, M)
    reqs = [w.next() for dummy in range(100)]
    assert set(r.group for r in reqs) == {0, 1, 2, 3}
    by_group = {}
    for r in reqs:
        by_group.setdefault(r.group, []).append(r.prompt.split())
    for prompts in by_group.values():
        first = prompts[0][:64]
        assert all(p[:64] == first for p in prompts)  # >= 64 leading tokens shared inside a group
        assert len(set(tuple(p[64:70]) for p in prompts)) == len(prompts)  # then they differ
    heads = set(tuple(p[0][:2]) for p in by_group.values())
    assert len(heads) == 4  # groups differ from the first block on


def test_model_mix_follows_weights():
    models = [dict(name="a", weight=3.0), dict(name="b", weight=1.0)]
    w = Workload(dict(type="random", input_tokens=4, output_tokens=2, seed=5), models)
    picks = [w.next().model for dummy in range(4000)]
    assert picks.count("a") / 4000.0 == pytest.approx(0.75, abs=0.03)


def test_prompt_files(tmp_path):
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(json.dumps({"prompt": "hello there", "max_tokens": 7, "model": "x"}) + "\n\n" +
                     json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    items = load_prompts(str(jsonl))
    assert len(items) == 2
    w = Workload(dict(type="file", output_tokens=9), M, api="chat", prompts=items)
    first, second, third = w.next(), w.next(), w.next()
    assert (first.prompt, first.max_tokens, first.model) == ("hello there", 7, "x")
    assert second.prompt == [{"role": "user", "content": "hi"}] and second.max_tokens == 9 and second.model == "m"
    assert third.prompt == "hello there"  # the file repeats
    w = Workload(dict(type="file", output_tokens=9), M, api="completions", prompts=items)
    w.next()
    assert w.next().prompt == "hi"
    text = tmp_path / "p.txt"
    text.write_text("first prompt\n\nsecond prompt\n")
    assert [p["prompt"] for p in load_prompts(str(text))] == ["first prompt", "second prompt"]


@pytest.mark.parametrize("content, message", [
    ('{"prompt": "a"}\n{broken\n', "line 2 is not JSON"),
    ('{"text": "a"}\n', "needs a 'prompt'"),
    ("\n\n", "has no prompts"),
])
def test_bad_prompt_files(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_prompts(str(path))
