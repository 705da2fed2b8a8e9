#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: benchmark
short_description: Load-test an OpenAI-compatible LLM endpoint and write a report
version_added: 0.2.0
description:
  - Sends streaming requests (C(stream=true) with C(stream_options.include_usage)) to C(/v1/completions) or
    C(/v1/chat/completions) under a load profile and measures what vLLM's C(vllm bench serve) measures, with the same
    names and definitions - TTFT, TPOT (first token excluded), ITL (per streamed chunk), E2E latency, request,
    output-token and total-token throughput and goodput against SLOs - as mean, median, p90, p95, p99, std, min, max,
    and keeps every request's record.
  - Token counts come from the server's C(usage); times from the stream. A role-only or empty first chunk is not the
    first token.
  - Every non-2xx answer, timeout, connection error and stream cut short (no C([DONE]), no usage, an in-band error
    event) is a failed request with its reason. A run with failures says so in RV(msg) and in a warning, and fails
    with O(fail_on_errors=true).
  - A complete stream whose choices never carry a C(finish_reason) keeps its tokens and timings; such requests are
    counted per reason in C(stream_warnings) (RV(summary)) with a warning, and fail only with O(strict_streams=true).
  - The client measures itself (send lag against the schedule, event-loop lag, CPU) and marks a load level whose
    numbers the client limited (C(client_bottleneck) in RV(summary)).
  - Optionally scrapes Prometheus metrics (vLLM pods, the endpoint picker) before and after each load level for the
    prefix-cache hit rate, requests per pod and queue lengths.
  - With O(report_dir), writes C(<report_name>.json) (versioned schema, see C(docs/benchmark-report.schema.json)) and a
    self-contained C(<report_name>.html) with charts; with O(compare_with), also a side-by-side comparison.
  - Check mode validates the options and returns the plan without sending any request.
  - Runs on the host that executes the task (usually the controller); that host needs network access to O(url) and
    the Python library C(aiohttp) (used for https and metric scrapes; plain http goes through a lean HTTP/1.1 client
    that stamps each read with the kernel's receive time). For trustworthy numbers give it a CPU core of its own.
author:
  - llmd.xks maintainers (@llmd-xks)
attributes:
  check_mode:
    support: full
    description: Validates the options and returns RV(plan); no request is sent and nothing is written.
  diff_mode:
    support: none
    description: A benchmark changes no configuration.
options:
  url:
    description:
      - The endpoint, C(http(s)://host[:port][/prefix]). C(/v1/completions) or C(/v1/chat/completions) is appended
        according to O(api); a URL that already ends in C(/v1/completions) (KServe paths) is adjusted to O(api).
    type: str
    required: true
  api:
    description: Which OpenAI API to call.
    type: str
    choices: [completions, chat]
    default: completions
  model:
    description: Served model name sent in every request. Give this or O(models), not both (C(null) counts as not given).
    type: str
  models:
    description: A mix of models (for example the models of pattern 2); each request picks one by weight (seeded).
    type: list
    elements: dict
    suboptions:
      name:
        description: Served model name.
        type: str
        required: true
      weight:
        description: Relative weight.
        type: float
        default: 1.0
      url:
        description: This model's own endpoint (KServe serves every LLMInferenceService under its own path); default O(url).
        type: str
  model_header:
    description:
      - A header that carries every request's model name, for gateways that route by header (the llm-d stack's pattern 2
        routes on C(X-Gateway-Model-Name)).
    type: str
  api_key:
    description: "Sent as C(Authorization: Bearer <api_key>)."
    type: str
  headers:
    description:
      - Extra request headers.
      - The values of credential headers (C(Authorization), C(Proxy-Authorization), C(X-Api-Key), C(Api-Key),
        C(Cookie)) are kept out of the task's logged arguments and out of the reports.
    type: dict
    default: {}
  validate_certs:
    description: Verify the endpoint's TLS certificate (C(https) URLs).
    type: bool
    default: true
  timeout:
    description: Seconds one request may take from send to the end of its stream; longer is a C(timeout) failure.
    type: float
    default: 600
  profile:
    description: The load profile.
    type: dict
    default: {}
    suboptions:
      type:
        description:
          - V(concurrency) keeps O(profile.concurrency) requests in flight (closed loop).
          - V(constant) sends O(profile.rate) requests per second at equal gaps; V(poisson) at exponential gaps (seeded).
          - V(sweep) runs one load level per O(profile.levels) entry (concurrencies or rates, see O(profile.sweep_type)).
          - V(search) looks for the highest rate that still meets the SLOs (O(slo)); it doubles the rate from
            O(profile.start_rate) while the SLOs hold, then bisects, at most O(profile.max_steps) load levels.
        type: str
        choices: [concurrency, constant, poisson, sweep, search]
        default: concurrency
      concurrency:
        description: Requests in flight for V(concurrency).
        type: int
        default: 1
      rate:
        description: Requests per second for V(constant) and V(poisson).
        type: float
      levels:
        description: The load levels of a V(sweep).
        type: list
        elements: float
      sweep_type:
        description: What the sweep's levels are.
        type: str
        choices: [concurrency, constant, poisson]
        default: concurrency
      duration:
        description: Seconds measured per load level (after the warm-up). Without O(profile.duration) and
          O(profile.requests), 60 seconds.
        type: float
      requests:
        description: Requests measured per load level (after the warm-up); the level ends at whichever limit comes first.
        type: int
      warmup:
        description: Seconds of warm-up at the start of each level, at the same load; excluded from the metrics.
        type: float
        default: 0
      warmup_requests:
        description: Requests of warm-up at the start of each level; excluded from the metrics.
        type: int
        default: 0
      max_concurrency:
        description: Cap on requests in flight for the rate profiles; the wait for a slot is reported as client queue time.
        type: int
      start_rate:
        description: First rate of a V(search) (requests per second).
        type: float
        default: 1.0
      max_rate:
        description: Highest rate a V(search) tries.
        type: float
        default: 1000.0
      max_steps:
        description: Most load levels a V(search) runs.
        type: int
        default: 8
      tolerance:
        description: A V(search) stops when the passing and the failing rate are within this fraction.
        type: float
        default: 0.1
      arrival:
        description: Arrivals of a V(search).
        type: str
        choices: [constant, poisson]
        default: poisson
  workload:
    description: What to send.
    type: dict
    default: {}
    suboptions:
      type:
        description:
          - V(random) - prompts of random words, lengths from O(workload.input_tokens) and O(workload.input_range).
          - V(shared_prefix) - O(workload.groups) groups; every prompt starts with its group's prefix of
            O(workload.prefix_tokens) tokens (at least two KV-cache blocks) followed by a random part of
            O(workload.input_tokens). Exercises prefix caching and prefix-aware routing (pattern 3).
          - V(file) - prompts from O(workload.prompts_file), in order, repeated as needed.
        type: str
        choices: [random, shared_prefix, file]
        default: random
      input_tokens:
        description: Prompt length in tokens (approximate, one word is about one token; the server's usage is what counts).
        type: int
        default: 256
      output_tokens:
        description: C(max_tokens) of every request (with O(workload.ignore_eos), the exact output length).
        type: int
        default: 128
      input_range:
        description: Prompt lengths are uniform within +/- this fraction of O(workload.input_tokens).
        type: float
        default: 0.0
      output_range:
        description: Output lengths are uniform within +/- this fraction of O(workload.output_tokens).
        type: float
        default: 0.0
      prefix_tokens:
        description: Shared prefix length for V(shared_prefix); at least 2 x O(workload.block_size). Default 16 blocks.
        type: int
      block_size:
        description: The server's KV-cache block size in tokens (vLLM's default is 16).
        type: int
        default: 16
      groups:
        description: Number of prefix groups for V(shared_prefix).
        type: int
        default: 8
      prompts_file:
        description:
          - For V(file) - JSON Lines with C(prompt) (or C(messages) for chat) and optional C(max_tokens) and C(model)
            per line, or plain text with one prompt per line. Read on the host that runs the task.
        type: path
      seed:
        description: Seed of every random choice (lengths, words, prefix groups, model mix, Poisson arrivals).
        type: int
        default: 0
      ignore_eos:
        description: Send C(ignore_eos=true) and C(min_tokens=max_tokens) (vLLM extensions) so every answer has
          exactly O(workload.output_tokens) tokens. Turn off for servers that reject unknown fields.
        type: bool
        default: true
      extra_body:
        description: Extra fields merged into every request body (for example C(temperature)).
        type: dict
  slo:
    description: Service-level objectives for goodput and V(search); a request is good when it succeeded and meets all given ones.
    type: dict
    default: {}
    suboptions:
      ttft_ms:
        description: Highest TTFT in milliseconds.
        type: float
      tpot_ms:
        description: Highest TPOT in milliseconds.
        type: float
      e2e_ms:
        description: Highest E2E latency in milliseconds.
        type: float
      attainment:
        description: Share of good requests a load level needs to meet the SLOs (failed requests count as not good).
        type: float
        default: 0.95
  metrics_urls:
    description: Prometheus text endpoints to scrape before and after each load level (vLLM pods' C(/metrics), the endpoint picker's).
    type: list
    elements: str
    default: []
  report_dir:
    description: Directory for C(<report_name>.json) and C(<report_name>.html) (created when missing). Without it nothing is written.
    type: path
  report_name:
    description: Base name of the report files; default C(benchmark-<UTC time>).
    type: str
  compare_with:
    description: Earlier report files (JSON) to compare this run with; writes C(<report_name>-compare.json) and C(.html).
    type: list
    elements: path
    default: []
  fail_on_errors:
    description: Fail the task when any measured request failed.
    type: bool
    default: false
  lag_threshold_ms:
    description: Client lag (event-loop or send lag p99, ms) above which a load level is marked as client-bound.
    type: float
    default: 10.0
  workers:
    description:
      - Load-generator processes. One event loop on one core keeps its error below a millisecond up to about 20 k SSE
        events/s; beyond that, spread the load over several processes, each with its own loop on its own core.
        Every load level is split between them (concurrency in near-equal shares, a rate into interleaved schedules,
        request limits shared out), they start together, and the metrics are computed over all their records (exact
        percentiles). V(0) starts one per CPU core the task may run on.
      - The live progress line (O(progress_file)) then shows each finished level, not the running one.
    type: int
    default: 1
  strict_streams:
    description:
      - Count a stream that has its tokens, usage and C([DONE]) but no C(finish_reason) as a failed request
        (reason C(no_finish_reason)). Without it such requests are completed and counted in C(stream_warnings), with
        a warning; GuideLLM and inference-perf accept the same streams.
    type: bool
    default: false
  keep_records:
    description: Keep every request's record (with its ITL list) in the JSON report.
    type: bool
    default: true
  progress_file:
    description: A file rewritten about once a second with a one-line progress text (C(tail -F) it during long runs).
    type: path
notes:
  - Not part of the C(llmd) action group; it talks to the inference endpoint, not to Kubernetes.
  - Metric definitions, the report schema and how to read the HTML page are in C(docs/benchmark.md).
seealso:
  - module: llmd.xks.benchmark_compare
"""

EXAMPLES = r"""
- name: Sweep concurrency against pattern 1 and write a report
  llmd.xks.benchmark:
    url: http://10.0.0.5/llm-d/pattern1-qwen
    model: Qwen/Qwen3-0.6B
    profile:
      type: sweep
      levels: [1, 8, 32]
      duration: 60
      warmup: 10
    workload:
      input_tokens: 512
      output_tokens: 128
    slo: {ttft_ms: 500, tpot_ms: 50}
    report_dir: "{{ playbook_dir }}/reports"
    report_name: pattern1-sweep
  register: bench

- name: Prefix-cache workload for pattern 3, with server metrics, compared with the pattern 1 run
  llmd.xks.benchmark:
    url: http://10.0.0.5
    model: Qwen/Qwen3-0.6B
    profile: {type: poisson, rate: 20, duration: 120, warmup: 15}
    workload: {type: shared_prefix, groups: 16, prefix_tokens: 1024, input_tokens: 128, output_tokens: 64}
    metrics_urls:
      - http://10.0.1.11:8000/metrics
      - http://10.0.1.12:8000/metrics
    report_dir: reports
    report_name: pattern3-prefix
    compare_with: [reports/pattern1-sweep.json]
    fail_on_errors: true

- name: Highest Poisson rate that keeps 95 % of requests within the SLOs
  llmd.xks.benchmark:
    url: http://10.0.0.5
    models:
      - {name: qwen, weight: 3}
      - {name: llama, weight: 1}
    profile: {type: search, start_rate: 2, max_rate: 200, requests: 300}
    slo: {ttft_ms: 300, tpot_ms: 40, attainment: 0.95}
"""

RETURN = r"""
msg:
  description: One line; starts with C(FAILED REQUESTS) when any measured request failed.
  returned: always
  type: str
plan:
  description: The load levels and limits the run does (or, in check mode, would do).
  returned: always
  type: dict
summary:
  description:
    - Totals - C(requests), C(completed), C(failed), C(failures) (count per reason), C(failure_reasons),
      C(stream_warnings) (completed requests per warning, for example C(no_finish_reason)),
      C(client_bottleneck) and the stages where it was, C(max_rate_meeting_slo) (search).
  returned: success and not check mode
  type: dict
stages:
  description:
    - One entry per load level - C(label), C(mode), C(level), C(metrics) (vLLM-named keys such as C(median_ttft_ms),
      C(p99_tpot_ms), C(request_throughput), C(output_throughput), C(request_goodput), C(failed), C(failures)), C(client)
      (self-measurement), C(server) (scraped metrics), C(pods), C(slo_met). Per-request records are only in the JSON file.
  returned: success and not check mode
  type: list
  elements: dict
search:
  description: For V(search) - C(max_rate), C(first_failing_rate), C(steps_tried).
  returned: success and not check mode
  type: dict
table:
  description: The results as text lines (a table), for printing.
  returned: success and not check mode
  type: list
  elements: str
report_json:
  description: Path of the JSON report.
  returned: when report_dir is set and not check mode
  type: str
report_html:
  description: Path of the HTML report.
  returned: when report_dir is set and not check mode
  type: str
compare:
  description: The comparison with O(compare_with) - per stage and metric the value of every report and its delta
    against the first (baseline) report.
  returned: when compare_with is set and not check mode
  type: dict
compare_html:
  description: Path of the comparison page.
  returned: when compare_with and report_dir are set and not check mode
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.llmd.xks.plugins.module_utils import _bench_report as report
from ansible_collections.llmd.xks.plugins.module_utils import _bench_run as bench
from ansible_collections.llmd.xks.plugins.module_utils._bench_client import AIOHTTP_IMPORT_ERROR


def argument_spec():
    return dict(
        url=dict(type="str", required=True),
        api=dict(type="str", choices=["completions", "chat"], default="completions"),
        model=dict(type="str"),
        models=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True), weight=dict(type="float", default=1.0), url=dict(type="str"))),
        model_header=dict(type="str"),
        api_key=dict(type="str", no_log=True),
        headers=dict(type="dict", default={}),
        timeout=dict(type="float", default=600.0),
        validate_certs=dict(type="bool", default=True),
        profile=dict(type="dict", default={}, options=dict(
            type=dict(type="str", choices=["concurrency", "constant", "poisson", "sweep", "search"], default="concurrency"),
            concurrency=dict(type="int", default=1),
            rate=dict(type="float"),
            levels=dict(type="list", elements="float"),
            sweep_type=dict(type="str", choices=["concurrency", "constant", "poisson"], default="concurrency"),
            duration=dict(type="float"),
            requests=dict(type="int"),
            warmup=dict(type="float", default=0.0),
            warmup_requests=dict(type="int", default=0),
            max_concurrency=dict(type="int"),
            start_rate=dict(type="float", default=1.0),
            max_rate=dict(type="float", default=1000.0),
            max_steps=dict(type="int", default=8),
            tolerance=dict(type="float", default=0.1),
            arrival=dict(type="str", choices=["constant", "poisson"], default="poisson"),
        )),
        workload=dict(type="dict", default={}, options=dict(
            type=dict(type="str", choices=["random", "shared_prefix", "file"], default="random"),
            input_tokens=dict(type="int", default=256, no_log=False),
            output_tokens=dict(type="int", default=128, no_log=False),
            input_range=dict(type="float", default=0.0),
            output_range=dict(type="float", default=0.0),
            prefix_tokens=dict(type="int", no_log=False),
            block_size=dict(type="int", default=16),
            groups=dict(type="int", default=8),
            prompts_file=dict(type="path"),
            seed=dict(type="int", default=0),
            ignore_eos=dict(type="bool", default=True),
            extra_body=dict(type="dict"),
        )),
        slo=dict(type="dict", default={}, options=dict(
            ttft_ms=dict(type="float"), tpot_ms=dict(type="float"), e2e_ms=dict(type="float"),
            attainment=dict(type="float", default=0.95))),
        metrics_urls=dict(type="list", elements="str", default=[]),
        report_dir=dict(type="path"),
        report_name=dict(type="str"),
        compare_with=dict(type="list", elements="path", default=[]),
        fail_on_errors=dict(type="bool", default=False),
        lag_threshold_ms=dict(type="float", default=10.0),
        keep_records=dict(type="bool", default=True),
        strict_streams=dict(type="bool", default=False),
        workers=dict(type="int", default=1),
        progress_file=dict(type="path"),
    )


def table(stages):
    """Fixed-width text lines of the key metrics per load level."""
    head = ("level", "ok", "failed", "req/s", "out tok/s", "TTFT p50", "TTFT p99", "TPOT p50", "TPOT p99",
            "ITL p50", "E2EL p99", "SLO", "client")
    rows = [head]
    for s in stages:
        m = s["metrics"]

        def f(key, fmt="%.1f"):
            return "-" if m.get(key) is None else fmt % m[key]
        slo = "-" if s["slo_met"] is None else ("met" if s["slo_met"] else "MISSED")
        rows.append((s["label"], str(m["completed"]), str(m["failed"]), f("request_throughput", "%.2f"), f("output_throughput"),
                     f("median_ttft_ms"), f("p99_ttft_ms"), f("median_tpot_ms"), f("p99_tpot_ms"), f("median_itl_ms"),
                     f("p99_e2el_ms"), slo, "BOTTLENECK" if s["client"]["client_bottleneck"] else "ok"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]


class ProgressFile(object):
    def __init__(self, path):
        self.path = path

    def __call__(self, line):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(line + "\n")
        os.rename(tmp, self.path)


def main():
    # model/models: checked by bench.validate(), which names the field, so that model: null with models is accepted
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    # headers is not no_log as a whole (a model header is worth seeing); a credential header's value is
    module.no_log_values.update(report.secret_header_values(module.params["headers"]))
    if AIOHTTP_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("aiohttp"), exception=AIOHTTP_IMPORT_ERROR)
    spec = bench.normalize(dict(module.params))
    errors = bench.validate(spec)
    if spec["report_dir"] and os.path.exists(spec["report_dir"]) and not os.path.isdir(spec["report_dir"]):
        errors.append("report_dir: %s exists and is not a directory" % spec["report_dir"])
    earlier = []
    for i, path in enumerate(spec["compare_with"]):
        if os.path.isfile(path):
            try:
                earlier.append(report.load_report(path))
            except ValueError as exc:
                errors.append("compare_with[%d]: %s" % (i, exc))
    if errors:
        module.fail_json(msg="Invalid arguments, no request was sent: " + "; ".join(errors), errors=errors)
    plan = bench.plan(spec)
    if module.check_mode:
        module.exit_json(changed=False, plan=plan, msg="check mode: would run %s against %s" % (", ".join(plan["stages"]), spec["url"]))

    progress = None
    if spec["progress_file"]:
        folder = os.path.dirname(os.path.abspath(spec["progress_file"]))
        if not os.path.isdir(folder):
            os.makedirs(folder)
        progress = ProgressFile(spec["progress_file"])
    try:
        rep = bench.run_benchmark(spec, progress=progress)
    except bench.BenchmarkError as exc:
        module.fail_json(msg="Invalid arguments, no request was sent: %s" % exc)
    result = dict(changed=False, plan=plan, summary=rep["summary"], search=rep["search"],
                  stages=[dict((k, v) for k, v in s.items() if k not in ("records", "ttft_histogram")) for s in rep["stages"]],
                  table=table(rep["stages"]))
    if spec["report_dir"]:
        paths = report.write_report(rep, spec["report_dir"])
        result.update(changed=True, report_json=paths["json"], report_html=paths["html"])
    if earlier:
        reports = earlier + [rep]
        if spec["report_dir"]:
            delta, paths = report.write_compare(reports, spec["report_dir"], rep["name"])
            result["compare_html"] = paths["html"]
        else:
            delta = report.compare(reports)
        result["compare"] = delta
    summary = rep["summary"]
    for warning in rep["warnings"]:
        module.warn(warning)
    if summary["failed"]:
        result["msg"] = "FAILED REQUESTS: %d of %d measured requests failed (%s)" % (
            summary["failed"], summary["requests"], ", ".join("%s: %d" % kv for kv in sorted(summary["failures"].items())))
        if spec["fail_on_errors"]:
            module.fail_json(**result)
    else:
        result["msg"] = "%d requests in %d load level(s), none failed%s%s" % (
            summary["completed"], summary["stages"],
            "; stream warnings (%s)" % ", ".join("%s: %d" % kv for kv in sorted(summary["stream_warnings"].items()))
            if summary["stream_warnings"] else "",
            "; the client was the bottleneck in %d level(s)" % len(summary["client_bottleneck_stages"])
            if summary["client_bottleneck"] else "")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
