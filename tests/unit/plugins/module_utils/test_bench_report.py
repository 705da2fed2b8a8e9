# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""run_benchmark end to end against an in-process SSE server; the report schema, HTML page and compare mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

import jsonschema
import pytest

from ansible_collections.llmd.xks.plugins.module_utils import _bench_report as report
from ansible_collections.llmd.xks.plugins.module_utils._bench_run import BenchmarkError, normalize, run_benchmark, validate

from bench_sse import SSEServer

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "benchmark-report.schema.json")


@pytest.fixture(scope="module")
def server():
    srv = SSEServer().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def schema():
    with open(SCHEMA) as handle:
        data = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def check(rep, schema):
    # through JSON, as a reader of the file sees it
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(json.loads(json.dumps(rep)))


@pytest.fixture(scope="module")
def sweep(server):
    server.mode = "ok"
    lines = []
    rep = run_benchmark(dict(url=server.url, model="m", profile=dict(type="sweep", levels=[1, 4], requests=8, warmup_requests=2),
                             workload=dict(input_tokens=8, output_tokens=4), slo=dict(ttft_ms=5000, tpot_ms=1000),
                             metrics_urls=[server.url + "/metrics"], api_key="secret", report_name="sweep"),
                        progress=lines.append)
    rep["_progress"] = lines
    return rep


def test_sweep_report(sweep, schema):
    progress = sweep.pop("_progress")
    check(sweep, schema)
    assert [s["label"] for s in sweep["stages"]] == ["concurrency=1", "concurrency=4"]
    for stage in sweep["stages"]:
        m = stage["metrics"]
        assert (m["requests"], m["completed"], m["failed"]) == (8, 8, 0)
        assert m["total_output_tokens"] == 32 and m["median_ttft_ms"] >= 20 and m["tpot_count"] == 8
        assert stage["slo_met"] is True and m["slo_attainment"] == 1.0
        assert stage["warmup_requests_sent"] == 2 and len(stage["records"]) == 10
        assert stage["server"]["targets"][sweep["spec"]["metrics_urls"][0]]["requests"] == 10  # warm-up included server-side
        assert stage["server"]["prefix_cache_hit_rate"] == pytest.approx(0.5)
        assert sum(stage["pods"].values()) == 8
    assert sweep["spec"]["api_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert sweep["summary"]["failed"] == 0
    assert all("client was the bottleneck" in w for w in sweep["warnings"])  # a busy test machine may flag the client
    assert any(line.startswith("concurrency=4:") for line in progress)


def test_html_is_self_contained_with_charts(sweep):
    html = report.render_html(sweep)
    assert html.count("<svg") >= 6
    for title in ("TTFT percentiles per load level", "Throughput vs latency", "TTFT distribution, concurrency=4",
                  "Requests per pod"):
        assert title in html
    assert "<script" not in html and not re.search(r'(src|href)="http', html)
    assert "secret" not in html


def test_failures_are_counted_and_loud(server, schema):
    server.mode = "http500"
    try:
        rep = run_benchmark(dict(url=server.url, model="m", profile=dict(type="constant", rate=50, requests=5),
                                 workload=dict(output_tokens=2)))
    finally:
        server.mode = "ok"
    check(rep, schema)
    assert rep["summary"]["failed"] == 5 and rep["summary"]["failures"] == {"http_status": 5}
    assert rep["warnings"][0].startswith("5 of 5 requests FAILED")
    assert all(r["status"] == 500 for r in rep["stages"][0]["records"])
    assert "5 of 5 requests failed" in report.render_html(rep)


@pytest.mark.parametrize("strict", [False, True])
def test_streams_without_finish_reason_are_warnings_or_failures(server, schema, strict):
    server.mode = "no_finish"
    try:
        rep = run_benchmark(dict(url=server.url, model="m", profile=dict(type="concurrency", concurrency=2, requests=4),
                                 workload=dict(output_tokens=3), strict_streams=strict))
    finally:
        server.mode = "ok"
    check(rep, schema)
    m = rep["stages"][0]["metrics"]
    if strict:
        assert m["failed"] == 4 and m["failures"] == {"no_finish_reason": 4} and m["stream_warnings"] == {}
        assert rep["warnings"][0].startswith("4 of 4 requests FAILED (no_finish_reason: 4)")
    else:
        assert m["completed"] == 4 and m["failed"] == 0 and m["stream_warnings"] == {"no_finish_reason": 4}
        assert m["ttft_count"] == 4 and m["tpot_count"] == 4 and m["itl_count"] == 8
        assert rep["summary"]["stream_warnings"] == {"no_finish_reason": 4}
        assert rep["warnings"][0].startswith("4 of 4 requests: no choice carried a finish_reason")
        assert all(r["warning"] == "no_finish_reason" and r["success"] for r in rep["stages"][0]["records"])
        assert "no choice carried a finish_reason" in report.render_html(rep)


def test_search(server, schema):
    server.mode = "ok"
    rep = run_benchmark(dict(url=server.url, model="m", profile=dict(type="search", start_rate=20, max_steps=3, requests=4),
                             workload=dict(output_tokens=2), slo=dict(ttft_ms=5)))
    check(rep, schema)
    # the server's TTFT is 20 ms: every rate misses a 5 ms SLO, so the search halves the rate each step
    assert [s["rate"] for s in rep["search"]["steps_tried"]] == [20, 10, 5]
    assert rep["search"]["max_rate"] is None and rep["summary"]["max_rate_meeting_slo"] is None


def test_model_mix_with_own_urls_and_model_header(server, schema):
    server.mode = "ok"
    del server.seen[:]
    rep = run_benchmark(dict(url=server.url, models=[dict(name="a", weight=1), dict(name="b", weight=1, url=server.url + "/ns-b")],
                             model_header="X-Gateway-Model-Name", profile=dict(type="concurrency", concurrency=2, requests=30),
                             workload=dict(output_tokens=2, seed=3)))
    check(rep, schema)
    paths = set((path, header, model) for path, header, model in server.seen)
    assert paths == {("/v1/completions", "a", "a"), ("/ns-b/v1/completions", "b", "b")}
    models = [r["model"] for r in rep["stages"][0]["records"]]
    assert 5 <= models.count("a") <= 25 and rep["summary"]["failed"] == 0


def test_compare(sweep, tmp_path, schema):
    other = json.loads(json.dumps(sweep))
    other["name"] = "other"
    other["stages"][0]["metrics"]["p99_ttft_ms"] = sweep["stages"][0]["metrics"]["p99_ttft_ms"] * 2
    delta = report.compare([sweep, other])
    entry = delta["stages"][0]["metrics"]["p99_ttft_ms"][1]
    assert entry["delta_percent"] == pytest.approx(100.0) and entry["better"] is False
    paths = report.write_report(sweep, str(tmp_path))
    assert json.load(open(paths["json"]))["name"] == "sweep" and os.path.isfile(paths["html"])
    check(report.load_report(paths["json"]), schema)
    d, written = report.write_compare([sweep, other], str(tmp_path), "x")
    html = open(written["html"]).read()
    assert "other" in html and "(+100.0%)" in html and html.count("<svg") == 4


def test_load_report_refuses_other_versions(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"kind": "llmd.xks/benchmark-report", "schema_version": 99}))
    with pytest.raises(ValueError, match="schema version 1"):
        report.load_report(str(path))


@pytest.mark.parametrize("spec, field", [
    (dict(url="localhost:8000", model="m"), "url"),
    (dict(url="http://h"), "model"),
    (dict(url="http://h", model="m", profile=dict(type="poisson")), "profile.rate"),
    (dict(url="http://h", model="m", profile=dict(type="sweep")), "profile.levels"),
    (dict(url="http://h", model="m", profile=dict(type="search")), "slo"),
    (dict(url="http://h", model="m", workload=dict(type="shared_prefix", prefix_tokens=20)), "workload.prefix_tokens"),
    (dict(url="http://h", model="m", workload=dict(type="file")), "workload.prompts_file"),
    (dict(url="http://h", model="m", workload=dict(input_range=1.5)), "workload.input_range"),
    (dict(url="http://h", model="m", metrics_urls=["10.0.0.1:8000"]), "metrics_urls[0]"),
    (dict(url="http://h", models=[dict(name="a", weight=0)]), "models[0].weight"),
    (dict(url="http://h", model="m", report_name="../x"), "report_name"),
])
def test_validation_names_the_field(spec, field):
    errors = validate(normalize(spec))
    assert any(e.startswith(field + ":") for e in errors), errors
    with pytest.raises(BenchmarkError):
        run_benchmark(spec)


def test_defaults():
    spec = normalize(dict(url="http://h", model="m", workload=dict(type="shared_prefix", block_size=32)))
    assert spec["profile"]["duration"] == 60 and spec["workload"]["prefix_tokens"] == 512
    assert validate(spec) == []
