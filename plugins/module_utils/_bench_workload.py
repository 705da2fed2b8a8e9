# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: what the benchmark sends (prompts, lengths, models).

No client tokenizer is used (none is needed offline): prompts are built from common short English words,
each about one token in the usual BPE vocabularies, so ``input_tokens`` is approximate; the true counts come
from the server's usage and are what the metrics use. Output lengths are exact when the server honours
``ignore_eos`` + ``min_tokens`` (vLLM, llm-d-inference-sim).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random

# about one token each (lower-case, common, leading space added by the join)
WORDS = (
    "the of and to in is was for on are with as be at by this had not but from or have an they which one you "
    "were all we when there can more if no out so said what up its about into than them only other new some "
    "could time these two may first then do any like my now over such our man me even most made after also did "
    "many before must through back years where much your way well down should because each just those people how "
    "too little state good very make world still own see men work long get here between both life being under "
    "never day same another know while last might us great old year off come since against go came right used "
    "take three small house part place high water war away again end point light hand child bridge river green "
    "blue cloud stone paper garden music table window letter number system market family friend story road"
).split()

WORKLOAD_TYPES = ("random", "shared_prefix", "file")


class Request(object):
    __slots__ = ("model", "prompt", "max_tokens", "input_tokens", "group")

    def __init__(self, model, prompt, max_tokens, input_tokens=None, group=None):
        self.model = model
        self.prompt = prompt
        self.max_tokens = max_tokens
        self.input_tokens = input_tokens
        self.group = group


def _length(rng, mean, spread):
    """Uniform in [mean*(1-spread), mean*(1+spread)], at least 1 (vLLM's range ratio)."""
    if not spread:
        return max(1, int(mean))
    low = max(1, int(round(mean * (1.0 - spread))))
    high = max(low, int(round(mean * (1.0 + spread))))
    return rng.randint(low, high)


def _words(rng, count):
    return " ".join(rng.choices(WORDS, k=count))


def load_prompts(path):
    """Prompts from a file: JSON Lines (``prompt`` or ``messages``, optional ``max_tokens``/``output_tokens``
    and ``model``) or plain text (one prompt per non-empty line). Raises ValueError naming the line."""
    prompts = []
    with open(path, "r") as handle:
        lines = handle.read().splitlines()
    jsonl = path.endswith(".jsonl") or (lines and lines[0].lstrip().startswith("{"))
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not jsonl:
            prompts.append({"prompt": line})
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError("%s line %d is not JSON: %s" % (path, number, exc))
        if not isinstance(item, dict) or not (item.get("prompt") or item.get("messages")):
            raise ValueError("%s line %d needs a 'prompt' (text) or 'messages' (chat) field" % (path, number))
        prompts.append(item)
    if not prompts:
        raise ValueError("%s has no prompts" % path)
    return prompts


class Workload(object):
    """Deterministic (seeded) stream of requests. ``next()`` returns a ``Request``."""

    def __init__(self, spec, models, api="completions", prompts=None):
        self.spec = spec
        self.api = api
        self.type = spec.get("type") or "random"
        self.seed = spec.get("seed") or 0
        self.rng = random.Random(self.seed)
        self.names = [m["name"] for m in models]
        weights = [float(m.get("weight", 1.0) if m.get("weight") is not None else 1.0) for m in models]
        total = sum(weights)
        self.cum = []
        acc = 0.0
        for w in weights:
            acc += w / total
            self.cum.append(acc)
        self.input_tokens = spec.get("input_tokens") or 256
        self.output_tokens = spec.get("output_tokens") or 128
        self.input_range = spec.get("input_range") or 0.0
        self.output_range = spec.get("output_range") or 0.0
        self.prompts = prompts
        self.count = 0
        self.prefixes = []
        if self.type == "shared_prefix":
            groups = spec.get("groups") or 8
            prefix_len = spec.get("prefix_tokens") or 2 * (spec.get("block_size") or 16)
            prng = random.Random(self.seed + 7919)
            # a distinct first word per group so no two groups share even the first cache block
            self.prefixes = ["group %d: %s" % (g, _words(prng, max(1, prefix_len - 3))) for g in range(groups)]

    def _model(self):
        if len(self.names) == 1:
            return self.names[0]
        x = self.rng.random()
        for name, edge in zip(self.names, self.cum):
            if x < edge:
                return name
        return self.names[-1]

    def next(self):
        self.count += 1
        model = self._model()
        out_len = _length(self.rng, self.output_tokens, self.output_range)
        if self.type == "file":
            item = self.prompts[(self.count - 1) % len(self.prompts)]
            prompt = item.get("messages") if self.api == "chat" and item.get("messages") else item.get("prompt")
            if prompt is None:  # messages only, completions API: join the contents
                prompt = "\n".join(str(m.get("content", "")) for m in item["messages"])
            max_tokens = item.get("max_tokens") or item.get("output_tokens") or out_len
            return Request(item.get("model") or model, prompt, int(max_tokens))
        in_len = _length(self.rng, self.input_tokens, self.input_range)
        # a request number first: random prompts never share a cache block by accident
        if self.type == "shared_prefix":
            group = self.rng.randrange(len(self.prefixes))
            prompt = "%s request %d: %s" % (self.prefixes[group], self.count, _words(self.rng, max(1, in_len - 3)))
            return Request(model, prompt, out_len, in_len + len(self.prefixes[group].split()), group)
        prompt = "request %d: %s" % (self.count, _words(self.rng, max(1, in_len - 2)))
        return Request(model, prompt, out_len, in_len)


def describe(spec, models):
    """One-line description used in the plan and the report."""
    kind = spec.get("type") or "random"
    mix = ", ".join("%s x%s" % (m["name"], m.get("weight", 1)) for m in models) if len(models) > 1 else \
        (models[0]["name"] if models else "-")
    if kind == "file":
        return "prompts from %s, model %s" % (spec.get("prompts_file"), mix)
    text = "%s input ~%s tokens (+/-%d%%), output %s tokens (+/-%d%%)" % (
        kind, spec.get("input_tokens"), int(100 * (spec.get("input_range") or 0)),
        spec.get("output_tokens"), int(100 * (spec.get("output_range") or 0)))
    if kind == "shared_prefix":
        text += ", %s groups sharing a %s-token prefix" % (spec.get("groups"), spec.get("prefix_tokens"))
    return text + ", model " + mix
