# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""llmd.xks.benchmark and llmd.xks.benchmark_compare against an in-process SSE server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from ansible_collections.llmd.xks.plugins.modules import benchmark as module
from ansible_collections.llmd.xks.plugins.modules import benchmark_compare as compare_module

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "module_utils"))
from bench_sse import SSEServer  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def server():
    srv = SSEServer().start()
    yield srv
    srv.stop()


def args(server, **extra):
    base = dict(url=server.url, model="m", profile=dict(type="concurrency", concurrency=2, requests=6),
                workload=dict(input_tokens=8, output_tokens=3))
    base.update(extra)
    return base


def test_check_mode_sends_nothing(server, run_module, tmp_path):
    before = server.requests
    result = run_module(module, args(server, report_dir=str(tmp_path / "r")), check_mode=True)
    assert result["changed"] is False and result["plan"]["stages"] == ["concurrency=2"]
    assert server.requests == before and not (tmp_path / "r").exists()


def test_run_writes_reports(server, run_module, tmp_path):
    server.mode = "ok"
    progress = tmp_path / "new" / "progress.txt"
    result = run_module(module, args(server, report_dir=str(tmp_path), report_name="p1", progress_file=str(progress),
                                     api_key="s3cret"))
    assert result["changed"] is True
    assert result["summary"]["completed"] == 6 and result["summary"]["failed"] == 0
    assert result["msg"].startswith("6 requests in 1 load level(s), none failed")
    assert result["report_json"] == str(tmp_path / "p1.json") and os.path.isfile(result["report_html"])
    assert "records" not in result["stages"][0] and result["stages"][0]["metrics"]["median_ttft_ms"] > 0
    assert result["table"][0].split()[:3] == ["level", "ok", "failed"] and result["table"][1].startswith("concurrency=2")
    assert progress.read_text().startswith("concurrency=2:")
    saved = json.load(open(result["report_json"]))
    assert len(saved["stages"][0]["records"]) == 6 and "s3cret" not in open(result["report_json"]).read()


def test_no_report_dir_changes_nothing(server, run_module):
    server.mode = "ok"
    result = run_module(module, args(server))
    assert result["changed"] is False and "report_json" not in result


def test_failures_are_loud_and_fail_on_errors(server, run_module, monkeypatch):
    warnings = []
    monkeypatch.setattr(module.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    server.mode = "drop"
    try:
        result = run_module(module, args(server))
        assert result["msg"].startswith("FAILED REQUESTS: 6 of 6 measured requests failed (stream_cut: 6)")
        assert warnings[0].startswith("6 of 6 requests FAILED (stream_cut: 6)")
        failed = run_module(module, args(server, fail_on_errors=True), expect_failure=True)
        assert failed["msg"].startswith("FAILED REQUESTS") and failed["summary"]["failed"] == 6
    finally:
        server.mode = "ok"


def test_stream_without_finish_reason_warns_and_fails_only_when_strict(server, run_module, monkeypatch):
    warnings = []
    monkeypatch.setattr(module.AnsibleModule, "warn", lambda self, text: warnings.append(text))
    server.mode = "no_finish"
    try:
        result = run_module(module, args(server, fail_on_errors=True))
        assert result["summary"]["failed"] == 0 and result["summary"]["stream_warnings"] == {"no_finish_reason": 6}
        assert result["msg"] == "6 requests in 1 load level(s), none failed; stream warnings (no_finish_reason: 6)"
        assert any(w.startswith("6 of 6 requests: no choice carried a finish_reason") for w in warnings)
        failed = run_module(module, args(server, fail_on_errors=True, strict_streams=True), expect_failure=True)
        assert failed["msg"].startswith("FAILED REQUESTS: 6 of 6 measured requests failed (no_finish_reason: 6)")
    finally:
        server.mode = "ok"


@pytest.mark.parametrize("extra, field", [
    (dict(profile=dict(type="constant")), "profile.rate"),
    (dict(workload=dict(type="shared_prefix", prefix_tokens=16, block_size=16)), "workload.prefix_tokens"),
    (dict(compare_with=["/nonexistent.json"]), "compare_with[0]"),
    (dict(slo=dict(ttft_ms=-1)), "slo.ttft_ms"),
    (dict(models=[{"name": "a"}]), "model"),  # both model and models
    (dict(model=None), "model"),  # neither
])
def test_bad_input_names_the_field(server, run_module, extra, field):
    before = server.requests
    result = run_module(module, args(server, **extra), expect_failure=True)
    assert any(e.startswith(field + ":") for e in result["errors"]), result["errors"]
    assert server.requests == before


def test_model_null_with_models_is_accepted(server, run_module):
    result = run_module(module, args(server, model=None, models=[{"name": "a"}, {"name": "b", "weight": 3}]),
                        check_mode=True)
    assert result["changed"] is False and "plan" in result


def test_compare_with_and_compare_module(server, run_module, tmp_path):
    server.mode = "ok"
    first = run_module(module, args(server, report_dir=str(tmp_path), report_name="a"))
    second = run_module(module, args(server, report_dir=str(tmp_path), report_name="b", compare_with=[first["report_json"]]))
    assert second["compare"]["baseline"] == "a" and os.path.isfile(second["compare_html"])
    assert [r["name"] for r in second["compare"]["reports"]] == ["a", "b"]
    result = run_module(compare_module, dict(reports=[first["report_json"], second["report_json"]], dest_dir=str(tmp_path / "c"),
                                             name="a-vs-b"))
    assert result["changed"] and result["compare_json"].endswith("a-vs-b-compare.json") and os.path.isfile(result["compare_html"])
    checked = run_module(compare_module, dict(reports=[first["report_json"], second["report_json"]], dest_dir=str(tmp_path / "d")),
                         check_mode=True)
    assert checked["changed"] is False and not (tmp_path / "d").exists()
    bad = run_module(compare_module, dict(reports=[first["report_json"]]), expect_failure=True)
    assert bad["errors"][0].startswith("reports:")


def test_a_credential_header_is_kept_out_of_the_logged_arguments(server, monkeypatch, run_module):
    """What Ansible prints at -vvv is the result's invocation with the module's no_log values removed."""
    from ansible.module_utils import basic

    logged = {}
    real_exit = basic.AnsibleModule.exit_json

    def exit_json(self, **kwargs):
        logged.update(basic.remove_values(dict(kwargs, invocation={"module_args": self.params}), self.no_log_values))
        return real_exit(self, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    headers = {"Authorization": "Bearer hf_headerSecret0123", "X-Model-Route": "qwen"}
    run_module(module, args(server, headers=headers))
    text = json.dumps(logged)
    assert "hf_headerSecret0123" not in text and logged["invocation"]["module_args"]["headers"]["X-Model-Route"] == "qwen"
