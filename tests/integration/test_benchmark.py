# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The ``llmd.xks.benchmark`` module and ``playbooks/benchmark.yml``, run through the real ansible-playbook
against the inference simulator (tools/inference_sim.py) on a free local port. No Kubernetes cluster needed.

The simulator's configured TTFT and ITL are the truth the measured numbers are checked against; its own
counters (``/sim/stats``, ``/metrics``) are the server-side view the report must agree with.
"""
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request

import pytest

from ansible_task import REPO, run_task
from playbook import run_playbook

pytestmark = pytest.mark.integration

SIM = os.path.join(REPO, "tools", "inference_sim.py")
TTFT_MS, ITL_MS = 40.0, 5.0
# upper slack of the measured values over the truth: client and simulator share two busy cores here
TTFT_SLACK_MS, TPOT_SLACK_MS = 25.0, 3.0
BASE = dict(ttft_ms=TTFT_MS, itl_ms=ITL_MS, ttft_jitter_ms=0.0, itl_jitter_ms=0.0, error_rate=0.0, drop_rate=0.0,
            slow_rate=0.0, max_num_seqs=1024, max_concurrency=0, eos_after=0, cache_hit_ms_per_block=0.5, seed=0)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sim(object):
    def __init__(self, url):
        self.url = url

    def call(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            payload = resp.read().decode()
        return json.loads(payload) if path.startswith("/sim/") else payload

    def configure(self, **options):
        """Back to the test defaults plus options, counters and prefix cache cleared."""
        self.call("/sim/config", dict(BASE, **options))
        self.call("/sim/reset", {})

    def stats(self):
        return self.call("/sim/stats")

    def metric(self, name, model):
        found = re.findall(r'^%s\{[^}]*model_name="%s"[^}]*\} (\S+)$' % (re.escape(name), model),
                           self.call("/metrics"), re.M)
        return sum(float(v) for v in found)


@pytest.fixture(scope="module")
def sim():
    port = free_port()
    proc = subprocess.Popen([sys.executable, SIM, "--port", str(port), "--model", "sim-a", "--model", "sim-b"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert "ready at http://127.0.0.1:%d" % port in line, (line, proc.stderr.read() if proc.poll() else "")
        yield Sim("http://127.0.0.1:%d" % port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bench(sim, tmp_path, name, **args):
    """Runs the module; returns (task result, report dict or None)."""
    args = dict(dict(url=sim.url, model="sim-a", report_dir=str(tmp_path), report_name=name), **args)
    args = dict((k, v) for k, v in args.items() if v is not None)
    result = run_task(os.devnull, "llmd.xks.benchmark", args)
    path = os.path.join(str(tmp_path), name + ".json")
    report = None
    if os.path.exists(path):
        with open(path) as handle:
            report = json.load(handle)
    return result, report


def assert_ok(result, report):
    assert not result.get("failed"), result.get("msg")
    assert report is not None and report["summary"]["failed"] == 0, report and report["summary"]


def assert_timing(metrics):
    """Measured TTFT and TPOT (vLLM's definitions) against the simulator's truth."""
    assert TTFT_MS - 0.5 <= metrics["median_ttft_ms"] <= TTFT_MS + TTFT_SLACK_MS, metrics["median_ttft_ms"]
    assert TTFT_MS - 0.5 <= metrics["p99_ttft_ms"] <= TTFT_MS + 3 * TTFT_SLACK_MS, metrics["p99_ttft_ms"]
    assert ITL_MS - 0.5 <= metrics["median_tpot_ms"] <= ITL_MS + TPOT_SLACK_MS, metrics["median_tpot_ms"]
    assert ITL_MS - 1.0 <= metrics["median_itl_ms"] <= ITL_MS + TPOT_SLACK_MS, metrics["median_itl_ms"]


def test_concurrency_random_completions(sim, tmp_path):
    sim.configure()
    result, report = bench(sim, tmp_path, "conc", profile=dict(type="concurrency", concurrency=8, requests=40,
                                                               warmup_requests=4),
                           workload=dict(type="random", input_tokens=64, output_tokens=16))
    assert_ok(result, report)
    stage = report["stages"][0]
    m = stage["metrics"]
    assert m["completed"] == 40 and m["max_concurrent_requests"] == 8
    assert m["total_output_tokens"] == 40 * 16  # ignore_eos: exactly max_tokens, counted from the usage
    assert_timing(m)
    # the simulator saw the warm-up too, and nothing else
    assert sim.stats()["models"]["sim-a"]["success"] == 44
    assert os.path.exists(os.path.join(str(tmp_path), "conc.html"))


def test_constant_rate_chat(sim, tmp_path):
    sim.configure()
    result, report = bench(sim, tmp_path, "const", api="chat", profile=dict(type="constant", rate=20, duration=2),
                           workload=dict(type="random", input_tokens=32, output_tokens=8))
    assert_ok(result, report)
    m = report["stages"][0]["metrics"]
    assert 36 <= m["completed"] <= 42  # 20/s for 2 s
    starts = sorted(r["start_s"] for r in report["stages"][0]["records"])
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert all(abs(g - 0.05) < 0.02 for g in gaps), gaps
    # chat streams start with a role-only chunk: it must not count as the first token
    assert_timing(m)


def test_poisson_rate(sim, tmp_path):
    sim.configure()
    result, report = bench(sim, tmp_path, "poisson", profile=dict(type="poisson", rate=40, requests=60),
                           workload=dict(type="random", input_tokens=32, output_tokens=8, seed=3))
    assert_ok(result, report)
    records = report["stages"][0]["records"]
    assert len(records) == 60
    scheduled = sorted(r["scheduled_s"] for r in records)
    gaps = [b - a for a, b in zip(scheduled, scheduled[1:])]
    mean = sum(gaps) / len(gaps)
    cv = (sum((g - mean) ** 2 for g in gaps) / len(gaps)) ** 0.5 / mean
    assert 0.012 < mean < 0.045 and cv > 0.5, (mean, cv)  # exponential gaps: mean 1/40 s, CV about 1
    assert_timing(report["stages"][0]["metrics"])


def test_sweep_over_concurrency(sim, tmp_path):
    sim.configure()
    result, report = bench(sim, tmp_path, "sweep",
                           profile=dict(type="sweep", sweep_type="concurrency", levels=[1, 4, 12], requests=24),
                           workload=dict(type="random", input_tokens=16, output_tokens=8))
    assert_ok(result, report)
    assert [s["label"] for s in report["stages"]] == ["concurrency=1", "concurrency=4", "concurrency=12"]
    assert [s["metrics"]["max_concurrent_requests"] for s in report["stages"]] == [1, 4, 12]
    throughput = [s["metrics"]["request_throughput"] for s in report["stages"]]
    assert throughput[0] < throughput[1] < throughput[2], throughput
    for stage in report["stages"]:
        assert_timing(stage["metrics"])


def test_slo_search_finds_the_knee(sim, tmp_path):
    # 4 sequences at a time, each ~40 + 7 x 5 = 75 ms: about 50 req/s before requests queue and TTFT grows
    sim.configure(max_num_seqs=4)
    result, report = bench(sim, tmp_path, "search", slo=dict(ttft_ms=80, attainment=0.9),
                           profile=dict(type="search", arrival="constant", start_rate=10, max_rate=400,
                                        duration=1.5, max_steps=6, tolerance=0.2),
                           workload=dict(type="random", input_tokens=16, output_tokens=8))
    assert not result.get("failed"), result.get("msg")
    search = report["search"]
    tried = [(s["rate"], s["met"]) for s in search["steps_tried"]]
    assert any(ok for dummy, ok in tried) and any(not ok for dummy, ok in tried), tried
    assert 15 <= search["max_rate"] <= 80, tried
    assert report["summary"]["max_rate_meeting_slo"] == search["max_rate"]
    assert sim.metric("vllm:num_requests_waiting", "sim-a") == 0


def test_shared_prefix_hits_the_prefix_cache(sim, tmp_path):
    sim.configure()
    result, report = bench(sim, tmp_path, "prefix", metrics_urls=[sim.url + "/metrics"],
                           profile=dict(type="concurrency", concurrency=4, requests=40),
                           workload=dict(type="shared_prefix", prefix_tokens=64, groups=4, input_tokens=16,
                                         output_tokens=4))
    assert_ok(result, report)
    hits = sim.metric("vllm:prefix_cache_hits_total", "sim-a")
    queries = sim.metric("vllm:prefix_cache_queries_total", "sim-a")
    assert hits >= 36 * 64 - 16 and queries > hits  # all but the first request of each group reuse 4 blocks
    stage = report["stages"][0]
    assert stage["server"]["prefix_cache_hit_rate"] == pytest.approx(hits / queries, rel=1e-6)
    assert stage["metrics"]["cached_token_ratio"] > 0.5
    assert stage["metrics"]["total_cached_tokens"] == hits


def test_multi_model_mix(sim, tmp_path):
    sim.configure()
    result, report = bench(sim, tmp_path, "mix", model=None,
                           models=[dict(name="sim-a", weight=3), dict(name="sim-b", weight=1)],
                           profile=dict(type="concurrency", concurrency=8, requests=80),
                           workload=dict(type="random", input_tokens=16, output_tokens=4, seed=1))
    assert_ok(result, report)
    served = dict((m, sim.stats()["models"][m]["success"]) for m in ("sim-a", "sim-b"))
    assert served["sim-a"] + served["sim-b"] == 80 and served["sim-a"] > served["sim-b"] > 5, served
    by_model = {}
    for record in report["stages"][0]["records"]:
        by_model[record["model"]] = by_model.get(record["model"], 0) + 1
    assert by_model == served


def test_prompts_file(sim, tmp_path):
    sim.configure()
    prompts = tmp_path / "prompts.jsonl"
    lines = [{"prompt": "one two three", "max_tokens": 5}, {"prompt": "four five six seven eight", "max_tokens": 3}]
    prompts.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result, report = bench(sim, tmp_path, "file", profile=dict(type="concurrency", concurrency=2, requests=6),
                           workload=dict(type="file", prompts_file=str(prompts)))
    assert_ok(result, report)
    seen = sorted((r["prompt_tokens"], r["output_tokens"]) for r in report["stages"][0]["records"])
    assert seen == [(3, 5)] * 3 + [(5, 3)] * 3  # the simulator counts one token per word


def test_compare_two_runs(sim, tmp_path):
    sim.configure()
    common = dict(profile=dict(type="concurrency", concurrency=4, requests=20),
                  workload=dict(type="random", input_tokens=16, output_tokens=8))
    result, first = bench(sim, tmp_path, "fast", **common)
    assert_ok(result, first)
    sim.configure(ttft_ms=TTFT_MS + 40)
    result, second = bench(sim, tmp_path, "slow", compare_with=[os.path.join(str(tmp_path), "fast.json")], **common)
    assert_ok(result, second)
    assert result["compare"]["baseline"] == "fast"
    compare_files = [f for f in os.listdir(str(tmp_path)) if "compare" in f]
    assert any(f.endswith(".json") for f in compare_files) and any(f.endswith(".html") for f in compare_files), compare_files
    with open(os.path.join(str(tmp_path), [f for f in compare_files if f.endswith(".json")][0])) as handle:
        delta = json.load(handle)
    names = [r["name"] for r in delta["reports"]]
    assert set(names) == {"fast", "slow"}
    ttft = dict((v["report"], v["value"]) for v in delta["stages"][0]["metrics"]["median_ttft_ms"])
    assert ttft["slow"] - ttft["fast"] == pytest.approx(40, abs=10)
    # the same two reports through the benchmark_compare module
    result = run_task(os.devnull, "llmd.xks.benchmark_compare", dict(
        reports=[os.path.join(str(tmp_path), n + ".json") for n in ("fast", "slow")], dest_dir=str(tmp_path / "cmp"),
        name="fast-vs-slow"))
    assert not result.get("failed"), result.get("msg")
    assert sorted(os.listdir(str(tmp_path / "cmp"))) == ["fast-vs-slow-compare.html", "fast-vs-slow-compare.json"]


def test_failures_are_counted_by_reason(sim, tmp_path):
    sim.configure(error_rate=0.2, drop_rate=0.2, drop_after=2, seed=11)
    spec = dict(profile=dict(type="concurrency", concurrency=4, requests=50),
                workload=dict(type="random", input_tokens=16, output_tokens=8))
    result, report = bench(sim, tmp_path, "faults", **spec)
    failures = sim.stats()["models"]["sim-a"]["failures"]
    assert failures["injected_500"] > 0 and failures["injected_drop"] > 0, failures
    summary = report["summary"]
    assert summary["failed"] == failures["injected_500"] + failures["injected_drop"]
    assert summary["failures"]["http_status"] == failures["injected_500"]
    cut = sum(n for reason, n in summary["failures"].items() if reason in ("stream_cut", "stream_error"))
    assert cut == failures["injected_drop"], summary["failures"]
    assert summary["completed"] == 50 - summary["failed"]
    assert any("FAILED" in w for w in report["warnings"]), report["warnings"]
    assert "FAILED" in json.dumps(result.get("warnings") or []) + str(result.get("msg", "")), result
    # the same run with fail_on_errors: the task fails and says why
    sim.configure(error_rate=0.2, drop_rate=0.2, drop_after=2, seed=11)
    result, report = bench(sim, tmp_path, "faults-strict", fail_on_errors=True, **spec)
    assert result.get("failed") and "fail" in result.get("msg", "").lower(), result
    assert report is not None and report["summary"]["failed"] > 0  # the report is written all the same


def test_benchmark_playbook_pattern2_mix(sim, tmp_path):
    """playbooks/benchmark.yml with an explicit endpoint: pattern 2 sends the mix of the pattern's models."""
    sim.configure()
    run = run_playbook(os.devnull, "benchmark.yml", extra_vars=dict(
        benchmark_url=sim.url, llmd_xks_pattern=2, benchmark_report_dir=str(tmp_path),
        llmd_xks_models=[dict(name="a", id="sim-a"), dict(name="b", id="sim-b")],
        benchmark_profile=dict(type="concurrency", concurrency=4, requests=40),
        benchmark_workload=dict(type="random", input_tokens=16, output_tokens=8)))
    assert run.rc == 0, run
    reports = [f for f in os.listdir(str(tmp_path)) if f.endswith(".json")]
    assert len(reports) == 1 and os.path.exists(os.path.join(str(tmp_path), reports[0][:-5] + ".html")), reports
    with open(os.path.join(str(tmp_path), reports[0])) as handle:
        report = json.load(handle)
    assert report["summary"]["completed"] == 40 and report["summary"]["failed"] == 0
    served = sim.stats()["models"]
    assert served["sim-a"]["success"] > 5 and served["sim-b"]["success"] > 5, served
    assert served["sim-a"]["success"] + served["sim-b"]["success"] == 40
    assert_timing(report["stages"][0]["metrics"])
