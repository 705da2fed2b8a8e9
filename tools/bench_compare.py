#!/usr/bin/env python3
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Measure load-testing tools against the same server with a known TTFT and ITL (not a test).

    python tools/bench_compare.py                      # all tools at 50, 200 and 500 streams, then the ceiling
    python tools/bench_compare.py --tools ours --streams 50,500 --duration 10
    python tools/bench_compare.py --streams '' --rates 30,120,300   # every tool offered the same constant rates
    python tools/bench_compare.py --server inference-sim            # our simulator (reports the TTFT it served)
    python tools/bench_compare.py --server llm-d-inference-sim      # llm-d's simulator (tools/build.sh builds it)
    make bench-compare

The server runs on CPU core 1 and every tool on core 0 (``taskset``), so a tool has exactly one core. Each tool
runs, per load, a closed loop of N concurrent streaming completions (``--streams``) or a constant request rate
(``--rates``: the same offered load for every tool, so that a tool that does not reach the asked concurrency is not
measured at a lighter load), with random prompts of ``--input-tokens`` words and exactly ``--output-tokens`` tokens
(``ignore_eos``).

The truth is what the server did, not what it was told: the default server, tools/truth_server.py (standard
library, no code shared with our simulator), records every request's arrival (kernel receive time) and every
token's send time, and the table shows each tool's TTFT p50/p99 and TPOT median minus the same statistic of that
record over the tool's window, the server's mean requests in flight and completed requests per second (the load
the tool really offered, measured the same way for every tool), and for our generator the error request by
request (matched by ``X-Request-Id``), including the lowest TPOT error: a negative one is a TPOT shorter than the
server's, which a correct client never reports. Our own simulator (``--server inference-sim``) reports the TTFT it
served; llm-d's reports nothing, its errors are against its configuration.

Tools: ``ours`` (the collection's load generator, plugins/module_utils/_bench_run.py; ``--workers N`` runs N load
processes on ``--client-cores``), ``guidellm`` (PyPI guidellm, prompt file, no tokenizer) and ``inference-perf``
(PyPI inference-perf, Python >= 3.12, a local word-level tokenizer built with ``tokenizers`` in
.cache/bench-tokenizer). GuideLLM and inference-perf are installed on first use into their own virtual environments
under .cache/bench-venv/ (pinned versions; they do not share our pins). Everything runs offline (HF_HUB_OFFLINE=1). A
tool that cannot be installed or run is reported with the reason, and the others go on.

The ceiling: our generator alone against our simulator with ITL 0 (each response written at once, in a few large
reads) and with ITL 5 ms at 500 streams (each event in its own read), which offer more SSE events than one core
can parse; the events/s it reached is the ceiling.
"""


import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIM = os.path.join(ROOT, "tools", "inference_sim.py")
TRUTH = os.path.join(ROOT, "tools", "truth_server.py")
VENVS = os.path.join(ROOT, ".cache", "bench-venv")
TOKENIZER = os.path.join(ROOT, ".cache", "bench-tokenizer")
GUIDELLM = "guidellm==0.8.1"
INFERENCE_PERF = "inference-perf==0.7.0"
MODEL = "sim-model"


def log(message):
    print("[bench-compare] %s" % message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


NICE = [0]  # --nice: the priority of the simulator and the tools (root may raise it above other work)


def pinned(core, command):
    """command pinned to one CPU core when taskset and a second core exist, at the --nice priority."""
    if NICE[0]:
        command = ["nice", "-n", str(NICE[0])] + command
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core)] + command
    return command


class Simulator(object):
    def __init__(self, ttft_ms, itl_ms):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen(
            pinned(1, [sys.executable, SIM, "--port", str(self.port), "--model", MODEL, "--ttft-ms", str(ttft_ms),
                       "--itl-ms", str(itl_ms), "--cache-hit-ms-per-block", "0", "--max-num-seqs", "100000"]),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if "ready at" not in line:
            raise RuntimeError("the simulator did not start: %r" % line)

    def call(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read().decode())

    def reset(self, **options):
        if options:
            self.call("/sim/config", options)
        self.call("/sim/reset", {})

    def stats(self, since=None):
        stats = self.call("/sim/stats" + ("?since=%r" % since if since is not None else ""))
        del stats["models"]
        return stats

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class LlmdSimulator(Simulator):
    """llm-d's own simulator (Go), built from the module proxy by tools/build.sh llm-d-inference-sim. It has no
    timing self-measurement, so the simulator columns stay empty."""

    def __init__(self, ttft_ms, itl_ms):
        version = dict(line.strip().split("=", 1) for line in open(os.path.join(ROOT, "tools", "versions.env"))
                       if line.startswith("LLM_D_INFERENCE_SIM_VERSION="))["LLM_D_INFERENCE_SIM_VERSION"]
        cache = os.environ.get("LLMD_XKS_CACHE", os.path.expanduser("~/.cache/llmd-xks"))
        binary = os.path.join(cache, "bin", "llm-d-inference-sim-" + version, "llm-d-inference-sim")
        if not os.path.exists(binary):
            log("building llm-d-inference-sim %s from the Go module proxy (tools/build.sh)" % version)
            subprocess.run(["bash", os.path.join(ROOT, "tools", "build.sh"), "llm-d-inference-sim"], check=True)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen(
            pinned(1, [binary, "--port", str(self.port), "--model", MODEL, "--force-dummy-tokenizer",
                       "--time-to-first-token", "%gms" % ttft_ms, "--inter-token-latency", "%gms" % itl_ms,
                       "--max-num-seqs", "100000"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/v1/models", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("llm-d-inference-sim did not start")
                time.sleep(0.2)

    def reset(self, **options):
        pass

    def stats(self, since=None):
        return None


class TruthServer(Simulator):
    """tools/truth_server.py: independent of our simulator, it records when each request arrived (kernel receive
    time) and when each token's write returned; the errors are computed against that record."""

    def __init__(self, ttft_ms, itl_ms):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.ttft_ms = ttft_ms
        self.proc = subprocess.Popen(
            pinned(1, [sys.executable, TRUTH, "--port", str(self.port), "--ttft-ms", str(ttft_ms), "--itl-ms",
                       str(itl_ms)]), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if "ready at" not in line:
            raise RuntimeError("the truth server did not start: %r" % line)

    def reset(self, **options):
        self.call("/truth/reset", {})

    def stats(self, since=None):
        records = self.call("/truth/records" + ("?since=%r" % since if since is not None else ""))
        return truth_stats(records, self.ttft_ms)


def truth_stats(records, ttft_ms):
    """What the truth server did for the requests that arrived in the window (from ``records``): TTFT and TPOT per
    request as it served them, its mean requests in flight and completed requests per second over the window (the
    first arrival to the last end), how late its first tokens were, and per request id its TTFT and TPOT (ms)."""
    done = [r for r in records if r[3] is not None and len(r) > 4]
    if not done:
        return dict(count=0, by_id={})
    start = min(r[1] for r in records)
    end = max(r[3] for r in done)
    window = end - start
    by_id = {}
    for rid, arrival, tokens, finished, *sent in done:
        by_id[rid] = (1000 * (sent[0] - arrival), 1000 * (sent[-1] - sent[0]) / (len(sent) - 1) if len(sent) > 1 else None,
                      sent)
    ttft = [t[0] for t in by_id.values()]
    tpot = [t[1] for t in by_id.values() if t[1] is not None]
    busy = sum(min(r[3] if r[3] is not None else end, end) - r[1] for r in records)
    return dict(count=len(done), seconds=window, ttft_p50=pct(ttft, 50), ttft_p99=pct(ttft, 99), tpot_p50=pct(tpot, 50),
                tpot_p99=pct(tpot, 99), in_flight=busy / window if window > 0 else None,
                rate=len(done) / window if window > 0 else None,
                late_p99=pct([t - ttft_ms for t in ttft], 99), tokens_mean=sum(r[2] for r in done) / float(len(done)),
                by_id=by_id)


SERVERS = {"truth": TruthServer, "inference-sim": Simulator, "llm-d-inference-sim": LlmdSimulator}


def pct(values, p):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


# ------------------------------------------------------------------------------------------------ our tool

OURS_SCRIPT = r"""
import json, sys, time
from ansible_collections.llmd.xks.plugins.module_utils._bench_run import run_benchmark
spec = json.loads(sys.argv[1])
before = time.monotonic()  # the run's clock starts a few ms later: record times are relative to that start
report = run_benchmark(spec)
report["bench_compare_monotonic_before"] = before
with open(sys.argv[2], "w") as handle:
    json.dump(report, handle)
"""


def load_label(load):
    return "%d streams" % load["level"] if load["mode"] == "concurrency" else "%g req/s" % load["level"]


def run_ours(sim, load, args, duration=None, warmup=2.0):
    out = tempfile.mktemp(suffix=".json")
    if load["mode"] == "concurrency":
        profile = dict(type="concurrency", concurrency=load["level"])
    else:
        profile = dict(type="constant", rate=load["level"])
    profile.update(duration=duration or args.duration, warmup=warmup)
    spec = dict(url=sim.url, model=MODEL, keep_records=True, timeout=120, profile=profile, workers=args.workers,
                workload=dict(type="random", input_tokens=args.input_tokens, output_tokens=args.output_tokens))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".cache", "collections"))
    cores = "0" if args.workers <= 1 else args.client_cores
    proc = subprocess.run(pinned(cores, [sys.executable, "-c", OURS_SCRIPT, json.dumps(spec), out]), env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0 or not os.path.exists(out):
        raise RuntimeError("our load generator failed: %s" % (proc.stderr.strip().splitlines() or ["?"])[-1])
    with open(out) as handle:
        report = json.load(handle)
    os.unlink(out)
    stage = report["stages"][0]
    m = stage["metrics"]
    client = stage["client"]
    verdict = "client-bound: %s" % "; ".join(client["reasons"]) if client["client_bottleneck"] else "self-check ok"
    if m["itl_unknown_gaps"]:
        verdict += "; %d gaps of unknown arrival, %d TTFT upper bounds" % (m["itl_unknown_gaps"],
                                                                          m["ttft_upper_bound_requests"])
    # the server's record is compared over the measured window only (warm-up excluded, as ours does)
    measured = [r for r in stage["records"] if not r["warmup"] and r["start_s"] is not None]
    since = report["bench_compare_monotonic_before"] + min(r["start_s"] for r in measured) if measured else None
    per_request = [(r["request_id"], r["ttft_ms"], r["tpot_ms"], r.get("tpot_from_token") or 0)
                   for r in measured if r["success"] and r["request_id"]]
    return dict(ttft_p50=m["median_ttft_ms"], ttft_p99=m["p99_ttft_ms"], tpot_p50=m["median_tpot_ms"],
                completed=m["completed"], failed=m["failed"], tool_events_per_s=client.get("events_per_second"),
                cpu=client.get("cpu_percent"), note=verdict, since=since, per_request=per_request)


# ------------------------------------------------------------------------------------------- other tools

def venv_python(name, package, python_candidates):
    """The python of .cache/bench-venv/<name>, created and filled with package on first use."""
    venv = os.path.join(VENVS, name)
    python = os.path.join(venv, "bin", "python")
    marker = os.path.join(venv, ".installed-" + package)
    if os.path.exists(marker):
        return python
    base = None
    for candidate in python_candidates:
        found = shutil.which(candidate) or (candidate if os.path.exists(candidate) else None)
        if found and subprocess.run([found, "-c", "import venv"], capture_output=True, check=False).returncode == 0:
            base = found
            break
    if base is None:
        raise RuntimeError("no suitable Python for %s (tried %s)" % (package, ", ".join(python_candidates)))
    log("installing %s into %s (first use; can take minutes)" % (package, venv))
    if not os.path.exists(python):
        subprocess.run([base, "-m", "venv", venv], check=True)
    proc = subprocess.run([python, "-m", "pip", "install", "-q", package], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("pip install %s failed: %s" % (package, (proc.stderr.strip().splitlines() or ["?"])[-1]))
    open(marker, "w").close()
    return python


def pythons(minimum):
    found = ["python3.%d" % v for v in range(13, minimum - 1, -1)]
    pyenv = os.path.expanduser("~/.pyenv/versions")
    if os.path.isdir(pyenv):
        for version in sorted(os.listdir(pyenv), reverse=True):
            parts = version.split(".")
            if len(parts) >= 2 and parts[0] == "3" and parts[1].isdigit() and int(parts[1]) >= minimum:
                found.append(os.path.join(pyenv, version, "bin", "python3"))
    if sys.version_info >= (3, minimum):
        found.append(sys.executable)
    return found


TOKENIZER_SCRIPT = r"""
import sys
from tokenizers import Tokenizer, models, pre_tokenizers, decoders
from transformers import PreTrainedTokenizerFast
words = sys.argv[2].split()
vocab = {"[UNK]": 0, "<s>": 1, "</s>": 2}
for w in words:
    vocab.setdefault(w, len(vocab))
tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", bos_token="<s>", eos_token="</s>")
fast.chat_template = "{% for m in messages %}{{ m['role'] }} {{ m['content'] }} {% endfor %}"
fast.save_pretrained(sys.argv[1])
"""


def build_tokenizer(python):
    """A word-level tokenizer (one token per whitespace-separated word, as the simulator counts) saved where
    transformers.AutoTokenizer.from_pretrained() loads it offline."""
    if os.path.exists(os.path.join(TOKENIZER, "tokenizer.json")):
        return TOKENIZER
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    from inference_sim import VOCAB
    sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))
    from ansible_collections.llmd.xks.plugins.module_utils._bench_workload import WORDS
    words = " ".join(sorted(set(VOCAB) | set(WORDS)))
    subprocess.run([python, "-c", TOKENIZER_SCRIPT, TOKENIZER, words], check=True, capture_output=True, text=True,
                   env=dict(os.environ, HF_HUB_OFFLINE="1"))
    return TOKENIZER


def prompts_file(args, count=2000):
    """JSONL prompts (words the tokenizer knows) with their exact output length, for tools fed by a file."""
    path = os.path.join(ROOT, ".cache", "bench-prompts-%d-%d.jsonl" % (args.input_tokens, args.output_tokens))
    if not os.path.exists(path):
        sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))
        from ansible_collections.llmd.xks.plugins.module_utils._bench_workload import WORDS
        import random
        rng = random.Random(0)
        with open(path, "w") as handle:
            for i in range(count):
                words = ["request", str(i)] + [rng.choice(WORDS) for _ in range(args.input_tokens - 2)]
                handle.write(json.dumps({"prompt": " ".join(words), "output_tokens_count": args.output_tokens,
                                         "prompt_tokens_count": args.input_tokens}) + "\n")
    return path


def run_guidellm(sim, load, args):
    python = venv_python("guidellm", GUIDELLM, pythons(10))
    out = tempfile.mktemp(suffix=".json")
    command = [os.path.join(os.path.dirname(python), "guidellm"), "run",
               "--backend", "kind=openai_http,target=%s" % sim.url,
               "--profile", ("kind=concurrent,streams=%d" % load["level"] if load["mode"] == "concurrency"
                             else "kind=constant,rate=%g" % load["level"]),
               "--constraint", "kind=max_duration,seconds=%d" % int(args.duration + args.warmup),
               "--data", "kind=json_file,path=%s" % prompts_file(args),
               "--output", "kind=json,path=%s" % out, "--disable-console-interactive"]
    proc = subprocess.run(pinned(0, command), env=dict(os.environ, HF_HUB_OFFLINE="1"), capture_output=True, text=True,
                          timeout=900, check=False)
    if proc.returncode != 0 or not os.path.exists(out):
        raise RuntimeError("guidellm failed (rc %s): %s" % (proc.returncode, (proc.stderr.strip().splitlines() or ["?"])[-1]))
    with open(out) as handle:
        data = json.load(handle)
    os.unlink(out)
    m = data["benchmarks"][0]["metrics"]
    ttft = m["time_to_first_token_ms"]["successful"]
    # GuideLLM's "inter token latency" is vLLM's TPOT: (last - first token) / (tokens - 1), per request
    tpot = m["inter_token_latency_ms"]["successful"]
    totals = m["request_totals"]
    note = "%d incomplete at the end" % totals.get("incomplete", 0) if totals.get("incomplete") else ""
    return dict(ttft_p50=ttft["median"], ttft_p99=ttft["percentiles"]["p99"], tpot_p50=tpot["median"],
                completed=totals["successful"], failed=totals.get("errored", 0), tool_events_per_s=None, cpu=None,
                note=note)


INFERENCE_PERF_CONFIG = """api: {type: completion, streaming: true}
data:
  type: random
  input_distribution: {min: %(inp)d, max: %(inp)d, mean: %(inp)d, std_dev: 0, total_count: %(count)d}
  output_distribution: {min: %(out)d, max: %(out)d, mean: %(out)d, std_dev: 0, total_count: %(count)d}
load:
  type: %(type)s
  stages: [%(stage)s]
  num_workers: 1
  worker_max_concurrency: %(streams)d
server: {type: vllm, model_name: %(model)s, base_url: "%(url)s", ignore_eos: true}
tokenizer: {pretrained_model_name_or_path: "%(tokenizer)s"}
report:
  request_lifecycle: {summary: true, per_stage: true, use_server_output_tokens: true}
storage:
  local_storage: {path: "%(outdir)s"}
"""


def run_inference_perf(sim, load, args):
    python = venv_python("inference-perf", INFERENCE_PERF, pythons(12))
    tokenizer = build_tokenizer(python)
    work = tempfile.mkdtemp(prefix="bench-ip-")
    e2e = (args.ttft_ms + (args.output_tokens - 1) * args.itl_ms) / 1000.0
    seconds = args.duration + args.warmup
    if load["mode"] == "concurrency":
        # a closed loop with a request count, not a duration: as many requests as streams x duration / e2e latency
        streams = load["level"]
        count = max(streams, int(streams * seconds / e2e))
        kind, stage = "concurrent", "{num_requests: %d, concurrency_level: %d}" % (count, streams)
    else:
        count = int(load["level"] * seconds) + 1
        streams = max(100, int(4 * load["level"] * e2e))  # room for the requests in flight at that rate
        kind, stage = "constant", "{rate: %g, duration: %d}" % (load["level"], int(round(seconds)))
    config = os.path.join(work, "config.yml")
    with open(config, "w") as handle:
        handle.write(INFERENCE_PERF_CONFIG % dict(inp=args.input_tokens, out=args.output_tokens, count=count,
                                                  streams=streams, type=kind, stage=stage, model=MODEL, url=sim.url,
                                                  tokenizer=tokenizer, outdir=os.path.join(work, "out")))
    command = [os.path.join(os.path.dirname(python), "inference-perf"), "-c", config]
    proc = subprocess.run(pinned(0, command), env=dict(os.environ, HF_HUB_OFFLINE="1"), capture_output=True, text=True,
                          timeout=900, check=False, cwd=work)
    result = os.path.join(work, "out", "stage_0_lifecycle_metrics.json")
    if proc.returncode != 0 or not os.path.exists(result):
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError("inference-perf failed (rc %s): %s" % (proc.returncode, (proc.stderr.strip().splitlines() or ["?"])[-1]))
    with open(result) as handle:
        data = json.load(handle)
    shutil.rmtree(work, ignore_errors=True)
    lat = data["successes"]["latency"]
    failures = data.get("failures", {}).get("count", 0)
    return dict(ttft_p50=1000 * lat["time_to_first_token"]["median"], ttft_p99=1000 * lat["time_to_first_token"]["p99"],
                tpot_p50=1000 * lat["time_per_output_token"]["median"], completed=data["successes"]["count"],
                failed=failures, tool_events_per_s=None, cpu=None, note="")


TOOLS = dict(ours=run_ours, guidellm=run_guidellm, **{"inference-perf": run_inference_perf})


def fmt(value, spec="%+.1f"):
    return "-" if value is None else spec % value


def truth_of(row, args):
    """(TTFT p50, TTFT p99, TPOT p50) the row's errors are taken against: the truth server's own record, else what
    our simulator served (TTFT) and its configured ITL, else the configuration."""
    sim = row.get("sim") or {}
    if sim.get("ttft_p50") is not None:
        return sim["ttft_p50"], sim["ttft_p99"], sim["tpot_p50"]
    served = sim.get("first_token_ms") or {}
    if served.get("count"):
        return served["p50"], served["p99"], args.itl_ms
    return args.ttft_ms, args.ttft_ms, args.itl_ms


def per_request_errors(row):
    """Our generator against the truth server, request by request (X-Request-Id): TTFT error p50 and p99, and the
    lowest TPOT error (ms; a negative value is a TPOT below what the server sent), against the server's TPOT of the
    whole request and against its rate over the same tokens (a TPOT measured from a later token when the first
    one's arrival was unknown)."""
    by_id = (row.get("sim") or {}).get("by_id") or {}
    ttft, whole, span = [], [], []
    for rid, mine_ttft, mine_tpot, start in row.get("per_request") or ():
        if rid not in by_id or mine_ttft is None:
            continue
        truth_ttft, truth_tpot, sent = by_id[rid]
        ttft.append(mine_ttft - truth_ttft)
        if mine_tpot is not None and truth_tpot is not None:
            whole.append(mine_tpot - truth_tpot)
            if len(sent) - 1 > start:
                span.append(mine_tpot - 1000 * (sent[-1] - sent[start]) / (len(sent) - 1 - start))
    if not ttft:
        return None
    return dict(matched=len(ttft), ttft_p50=pct(ttft, 50), ttft_p99=pct(ttft, 99), tpot_min=min(whole) if whole else None,
                tpot_min_same_tokens=min(span) if span else None)


def table(rows, args):
    head = ("tool", "load", "in flight", "req/s", "TTFT p50 err", "TTFT p99 err", "TPOT p50 err",
            "per request: TTFT err p50 / p99, lowest TPOT err (same tokens)", "completed", "server late p99", "note")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if r.get("error"):
            lines.append("| %s | %s | %s%s |" % (r["tool"], r["load"], "- | " * (len(head) - 3), r["error"]))
            continue
        sim = r.get("sim") or {}
        ttft50, ttft99, tpot50 = truth_of(r, args)
        exact = per_request_errors(r)
        late = sim.get("late_p99") if "late_p99" in sim else (sim.get("lateness_ms") or {}).get("p99")
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |" % (
            r["tool"], r["load"], fmt(sim.get("in_flight"), "%.0f"), fmt(sim.get("rate"), "%.0f"),
            fmt(r["ttft_p50"] - ttft50), fmt(r["ttft_p99"] - ttft99), fmt(r["tpot_p50"] - tpot50, "%+.2f"),
            "%s / %s, %s (%s)" % (fmt(exact["ttft_p50"]), fmt(exact["ttft_p99"]), fmt(exact["tpot_min"], "%+.2f"),
                                  fmt(exact["tpot_min_same_tokens"], "%+.2f"))
            if exact else "-", r["completed"], fmt(late, "%.1f"), r.get("note") or ""))
    return "\n".join(lines)


def ceiling(args):
    """Our generator alone, offered more events than one core parses: ITL 0 and long responses (each response
    arrives in a few large reads), then a short ITL at many streams (each event arrives in its own read)."""
    rows = []
    runs = [(0.0, streams, args.ceiling_tokens) for streams in args.ceiling_streams]
    runs += [(args.ceiling_itl_ms, args.ceiling_itl_streams, args.output_tokens)] if args.ceiling_itl_ms else []
    sim = Simulator(ttft_ms=1, itl_ms=0)
    saved = args.output_tokens
    try:
        for itl_ms, streams, tokens in runs:
            sim.reset(ttft_ms=1.0 if not itl_ms else args.ttft_ms, itl_ms=itl_ms)
            args.output_tokens = tokens
            result = run_ours(sim, dict(mode="concurrency", level=streams), args, duration=args.ceiling_duration,
                              warmup=1.0)
            rows.append(dict(streams=streams, itl_ms=itl_ms, output_tokens=tokens,
                             events_per_s=result["tool_events_per_s"], cpu=result["cpu"],
                             completed=result["completed"], note=result["note"], sim=sim.stats()))
    finally:
        args.output_tokens = saved
        sim.stop()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tools", default="ours,guidellm,inference-perf")
    parser.add_argument("--server", default="truth", choices=sorted(SERVERS),
                        help="truth (tools/truth_server.py, independent of our simulator, records every request's "
                             "arrival and every token's send time: the errors are against that record), our simulator "
                             "(tools/inference_sim.py, reports the TTFT it served) or llm-d's (built from the Go module "
                             "proxy on first use; errors against its configuration)")
    parser.add_argument("--streams", default="50,200,500", help="closed-loop concurrencies ('' for none)")
    parser.add_argument("--rates", default="",
                        help="constant request rates (req/s) every tool is offered, for a comparison at the same "
                             "offered load; for example 30,120,300 (about 50, 200, 500 streams at the default timings)")
    parser.add_argument("--workers", type=int, default=1,
                        help="load-generator processes of ours (the benchmark module's workers option); with more "
                             "than one, ours runs on --client-cores")
    parser.add_argument("--client-cores", default="0", help="taskset CPU list for ours with --workers > 1")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (ours excludes them)")
    parser.add_argument("--ttft-ms", type=float, default=50.0)
    parser.add_argument("--itl-ms", type=float, default=25.0)
    parser.add_argument("--input-tokens", type=int, default=128)
    parser.add_argument("--output-tokens", type=int, default=64)
    parser.add_argument("--ceiling-streams", default="100,400")
    parser.add_argument("--ceiling-tokens", type=int, default=2048)
    parser.add_argument("--ceiling-duration", type=float, default=10.0)
    parser.add_argument("--ceiling-itl-ms", type=float, default=5.0,
                        help="the ceiling with one event per read: this ITL at --ceiling-itl-streams (0: skip)")
    parser.add_argument("--ceiling-itl-streams", type=int, default=500)
    parser.add_argument("--no-ceiling", action="store_true")
    parser.add_argument("--nice", type=int, default=-10 if os.geteuid() == 0 else 0,
                        help="niceness of the simulator and the tools (default -10 as root: other work on a shared "
                             "machine then disturbs the timing less)")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    NICE[0] = args.nice
    if args.nice and os.path.exists("/proc/self/autogroup"):
        # with scheduler autogroups, nice only ranks processes of one session against each other; the session's
        # own weight against the other sessions on the machine is the autogroup's nice
        try:
            with open("/proc/self/autogroup", "w") as handle:
                handle.write(str(args.nice))
        except OSError as exc:
            log("cannot set the autogroup priority: %s" % exc)
    args.streams = [int(s) for s in args.streams.split(",") if s]
    args.rates = [float(r) for r in args.rates.split(",") if r]
    loads = [dict(mode="concurrency", level=n) for n in args.streams] + [dict(mode="constant", level=r) for r in args.rates]
    args.ceiling_streams = [int(s) for s in args.ceiling_streams.split(",") if s]
    tools = [t for t in args.tools.split(",") if t]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown:
        parser.error("unknown tool(s) %s; known: %s" % (", ".join(unknown), ", ".join(TOOLS)))
    print("server %s: TTFT %.1f ms, ITL %.1f ms, %d prompt words, %d output tokens; tools on core 0, server on "
          "core 1 (nice %d); %.0f s per run; load average before: %s" % (
              args.server, args.ttft_ms, args.itl_ms, args.input_tokens, args.output_tokens, args.nice, args.duration,
              " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"), flush=True)
    rows = []
    sim = SERVERS[args.server](args.ttft_ms, args.itl_ms)
    try:
        for load in loads:  # every tool at one load, then the next load: the tools share the machine's state
            for tool in tools:
                sim.reset()
                label = load_label(load)
                log("%s at %s" % (tool, label))
                started = time.time()
                try:
                    row = TOOLS[tool](sim, load, args)
                except Exception as exc:  # one tool failing must not stop the others
                    rows.append(dict(tool=tool, load=label, mode=load["mode"], level=load["level"],
                                     error=str(exc)[:300]))
                    log("%s: %s" % (tool, exc))
                    continue
                row.update(tool=tool, load=label, mode=load["mode"], level=load["level"],
                           sim=sim.stats(row.pop("since", None)), seconds=round(time.time() - started, 1))
                rows.append(row)
                log("%s at %s: TTFT p50 %.1f ms, p99 %.1f ms, TPOT %.2f ms, %d completed" % (
                    tool, label, row["ttft_p50"], row["ttft_p99"], row["tpot_p50"], row["completed"]))
    finally:
        sim.stop()
    print()
    print("Errors are the tool's number minus what the server recorded (truth server: each request's arrival and each "
          "token's send time; our simulator: the TTFT it served, its configured ITL), in ms, over the tool's measured "
          "window. In flight and req/s: the server's mean requests in flight and completed requests per second over "
          "the run, the same measurement for every tool. Per request: ours matched to the server's record by "
          "X-Request-Id (a TPOT error below 0 is a TPOT shorter than the server's; in brackets against the server's rate over the tokens the TPOT was measured over, which differs when the first token's arrival was unknown). Server late p99: how late its "
          "first tokens were against its schedule.")
    print(table(rows, args))
    for row in rows:
        exact = per_request_errors(row)
        if exact:
            row["per_request_errors"] = exact
        row.pop("per_request", None)
        if row.get("sim"):
            row["sim"].pop("by_id", None)
    result = dict(config=dict((k, v) for k, v in vars(args).items() if k != "json"), rows=rows)
    if not args.no_ceiling:
        log("ceiling: our generator alone, ITL 0")
        try:
            result["ceiling"] = ceiling(args)
            print()
            print("Events/s ceiling of our generator on one core:")
            for c in result["ceiling"]:
                print("  %d streams, ITL %g ms, %d-token responses: %s events/s parsed by the client (client CPU %s%%), "
                      "simulator peak %d events/s, %d requests%s" % (
                          c["streams"], c["itl_ms"], c["output_tokens"], fmt(c["events_per_s"], "%.0f"),
                          fmt(c["cpu"], "%.0f"), c["sim"]["peak_events_per_s"], c["completed"],
                          "; " + c["note"] if c["note"] else ""))
        except Exception as exc:
            print("ceiling: not measured: %s" % exc)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
