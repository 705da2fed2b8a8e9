# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: runs a benchmark described by the ``benchmark`` module's options.

``run_benchmark(spec, progress=None)`` is the programmatic API (the module, the tool-comparison script and the
integration tests use it). ``spec`` has the module's option names; missing options get the module's defaults
(``normalize``), ``validate`` lists what is wrong before any request is sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import asyncio
import copy
import gc
import os
import time

from ansible_collections.llmd.xks.plugins.module_utils import _bench_load as load
from ansible_collections.llmd.xks.plugins.module_utils import _bench_metrics as metrics
from ansible_collections.llmd.xks.plugins.module_utils import _bench_report as report
from ansible_collections.llmd.xks.plugins.module_utils import _bench_scrape as scrape
from ansible_collections.llmd.xks.plugins.module_utils import _bench_workers as workers
from ansible_collections.llmd.xks.plugins.module_utils._bench_client import Client, build_payload, endpoint_url
from ansible_collections.llmd.xks.plugins.module_utils._bench_workload import WORKLOAD_TYPES, Workload, describe, load_prompts

DEFAULT_DURATION = 60.0

DEFAULTS = dict(
    url=None, api="completions", model=None, models=None, model_header=None, api_key=None, headers=None, timeout=600.0,
    validate_certs=True,
    profile=dict(type="concurrency", concurrency=1, rate=None, levels=None, sweep_type="concurrency",
                 duration=None, requests=None, warmup=0.0, warmup_requests=0, max_concurrency=None,
                 start_rate=1.0, max_rate=1000.0, max_steps=8, tolerance=0.1, arrival="poisson"),
    workload=dict(type="random", input_tokens=256, output_tokens=128, input_range=0.0, output_range=0.0,
                  prefix_tokens=None, block_size=16, groups=8, prompts_file=None, seed=0, ignore_eos=True,
                  extra_body=None),
    slo=dict(ttft_ms=None, tpot_ms=None, e2e_ms=None, attainment=0.95),
    metrics_urls=None, report_dir=None, report_name=None, compare_with=None, fail_on_errors=False,
    lag_threshold_ms=10.0, keep_records=True, progress_file=None, strict_streams=False, workers=1,
)


def normalize(spec):
    """A copy of ``spec`` with every missing option (and sub-option) set to its default."""
    out = copy.deepcopy(DEFAULTS)
    for key, value in (spec or {}).items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key].update((k, v) for k, v in value.items() if v is not None)
        elif value is not None:
            out[key] = value
    wl = out["workload"]
    if wl["prefix_tokens"] is None:
        wl["prefix_tokens"] = 16 * wl["block_size"]
    prof = out["profile"]
    if not prof["duration"] and not prof["requests"]:
        prof["duration"] = DEFAULT_DURATION
    for key in ("headers", "metrics_urls", "compare_with"):
        if out[key] is None:
            out[key] = {} if key == "headers" else []
    return out


def models_of(spec):
    if spec.get("models"):
        out = []
        for m in spec["models"]:
            entry = dict(name=m["name"], weight=m.get("weight") if m.get("weight") is not None else 1.0)
            if m.get("url"):
                entry["url"] = m["url"]
            out.append(entry)
        return out
    if spec.get("model"):
        return [dict(name=spec["model"], weight=1.0)]
    return []


def validate(spec):
    """Errors as 'option: what is wrong and what to do' (empty list when the spec is fine). Expects normalize()d."""
    errors = []
    if not spec.get("url") or not str(spec["url"]).startswith(("http://", "https://")):
        errors.append("url: give the endpoint as http(s)://host[:port][/prefix] (for example http://10.0.0.5:8000)")
    if spec["api"] not in ("completions", "chat"):
        errors.append("api: use completions or chat")
    if spec.get("model") and spec.get("models"):
        errors.append("model: give either model or models, not both")
    models = models_of(spec)
    if not models:
        errors.append("model: name the served model (option model) or a mix (option models)")
    for i, m in enumerate(spec.get("models") or []):
        if not m.get("name"):
            errors.append("models[%d].name: every model of the mix needs its served name" % i)
        if m.get("weight") is not None and m["weight"] <= 0:
            errors.append("models[%d].weight: must be > 0" % i)
        if m.get("url") and not str(m["url"]).startswith(("http://", "https://")):
            errors.append("models[%d].url: give the model's endpoint as http(s)://host[:port][/prefix]" % i)
    if spec["timeout"] is None or spec["timeout"] <= 0:
        errors.append("timeout: must be > 0 seconds")
    prof = spec["profile"]
    kind = prof["type"]
    if kind not in load.PROFILE_TYPES:
        errors.append("profile.type: one of %s" % ", ".join(load.PROFILE_TYPES))
    if kind == "concurrency" and (not prof["concurrency"] or prof["concurrency"] < 1):
        errors.append("profile.concurrency: must be >= 1")
    if kind in ("constant", "poisson") and (not prof["rate"] or prof["rate"] <= 0):
        errors.append("profile.rate: a %s profile needs a rate > 0 (requests per second)" % kind)
    if kind == "sweep":
        if prof["sweep_type"] not in load.STAGE_MODES:
            errors.append("profile.sweep_type: one of %s" % ", ".join(load.STAGE_MODES))
        if not prof["levels"] or any(v is None or float(v) <= 0 for v in prof["levels"]):
            errors.append("profile.levels: a sweep needs a list of levels > 0 (concurrencies or rates)")
    if kind == "search":
        if not metrics.slo_given(spec["slo"]):
            errors.append("slo: a search needs at least one of slo.ttft_ms, slo.tpot_ms, slo.e2e_ms")
        if prof["arrival"] not in ("constant", "poisson"):
            errors.append("profile.arrival: constant or poisson")
        if not prof["start_rate"] or prof["start_rate"] <= 0 or not prof["max_rate"] or prof["max_rate"] < prof["start_rate"]:
            errors.append("profile.start_rate/max_rate: need 0 < start_rate <= max_rate")
        if not prof["max_steps"] or prof["max_steps"] < 1:
            errors.append("profile.max_steps: must be >= 1")
        if prof["tolerance"] is None or not 0 < prof["tolerance"] < 1:
            errors.append("profile.tolerance: a fraction between 0 and 1 (0.1 = stop when the bracket is within 10%)")
    for key in ("duration", "requests", "warmup", "warmup_requests"):
        if prof[key] is not None and prof[key] < 0:
            errors.append("profile.%s: must be >= 0" % key)
    if prof["max_concurrency"] is not None and prof["max_concurrency"] < 1:
        errors.append("profile.max_concurrency: must be >= 1")
    slo = spec["slo"]
    for key in ("ttft_ms", "tpot_ms", "e2e_ms"):
        if slo.get(key) is not None and slo[key] <= 0:
            errors.append("slo.%s: must be > 0 milliseconds" % key)
    if slo.get("attainment") is None or not 0 < slo["attainment"] <= 1:
        errors.append("slo.attainment: a fraction in (0, 1], for example 0.95")
    wl = spec["workload"]
    if wl["type"] not in WORKLOAD_TYPES:
        errors.append("workload.type: one of %s" % ", ".join(WORKLOAD_TYPES))
    for key in ("input_tokens", "output_tokens", "block_size", "groups"):
        if wl[key] is None or wl[key] < 1:
            errors.append("workload.%s: must be >= 1" % key)
    for key in ("input_range", "output_range"):
        if wl[key] is None or not 0 <= wl[key] < 1:
            errors.append("workload.%s: a fraction in [0, 1) (0.2 = lengths within +/-20%%)" % key)
    if wl["type"] == "shared_prefix" and wl["prefix_tokens"] < 2 * wl["block_size"]:
        errors.append("workload.prefix_tokens: %s is shorter than two KV-cache blocks (2 x block_size %s = %s); "
                      "a shorter prefix never hits the prefix cache" % (wl["prefix_tokens"], wl["block_size"], 2 * wl["block_size"]))
    if wl["type"] == "file":
        if not wl["prompts_file"]:
            errors.append("workload.prompts_file: a file workload needs the path of a JSONL or text file")
        elif not os.path.isfile(wl["prompts_file"]):
            errors.append("workload.prompts_file: %s does not exist" % wl["prompts_file"])
        else:
            try:
                load_prompts(wl["prompts_file"])
            except (ValueError, OSError) as exc:
                errors.append("workload.prompts_file: %s" % exc)
    for i, url in enumerate(spec["metrics_urls"]):
        if not str(url).startswith(("http://", "https://")):
            errors.append("metrics_urls[%d]: %r is not an http(s) URL (for example http://10.0.0.7:8000/metrics)" % (i, url))
    for i, path in enumerate(spec["compare_with"]):
        if not os.path.isfile(path):
            errors.append("compare_with[%d]: %s does not exist" % (i, path))
    name = spec.get("report_name")
    if name is not None and (not name or "/" in name or name.startswith(".")):
        errors.append("report_name: a file name without '/' that does not start with '.' (for example pattern3-prefix)")
    if spec["lag_threshold_ms"] is None or spec["lag_threshold_ms"] <= 0:
        errors.append("lag_threshold_ms: must be > 0")
    if spec["workers"] is None or spec["workers"] < 0:
        errors.append("workers: the number of load-generator processes, >= 1 (0: one per CPU core)")
    elif workers.resolve(spec["workers"]) > 1 and not workers.can_fork():
        errors.append("workers: several load-generator processes need a platform that can fork (Linux, macOS); use 1")
    return errors


def plan(spec):
    """What a run would do (for check mode and the report): the stages and the workload."""
    stages = load.plan_stages(spec["profile"])
    out = dict(profile=spec["profile"]["type"], stages=[report.stage_label(s) for s in stages],
               duration_per_stage=spec["profile"]["duration"], requests_per_stage=spec["profile"]["requests"],
               warmup=spec["profile"]["warmup"], warmup_requests=spec["profile"]["warmup_requests"],
               endpoint=endpoint_url(spec["url"], spec["api"]), models=models_of(spec),
               workers=workers.resolve(spec["workers"]),
               workload=describe(spec["workload"], models_of(spec)))
    if spec["profile"]["type"] == "search":
        out["stages"] = ["up to %d stages, %s arrivals from %s to at most %s req/s" % (
            spec["profile"]["max_steps"], spec["profile"]["arrival"], spec["profile"]["start_rate"], spec["profile"]["max_rate"])]
    return out


class BenchmarkError(Exception):
    pass


def run_benchmark(spec, progress=None):
    """Runs the benchmark; returns the report dict (schema version ``report.SCHEMA_VERSION``).

    ``progress``: optional callable(str), called about once a second with a one-line progress text.
    Raises BenchmarkError for invalid options (nothing is sent then).
    """
    spec = normalize(spec)
    errors = validate(spec)
    if errors:
        raise BenchmarkError("; ".join(errors))
    try:
        import uvloop  # optional: a faster event loop when installed
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    count = workers.resolve(spec["workers"])
    if count <= 1:
        return runner(_run(spec, progress))
    pool = workers.WorkerPool(spec, count)  # forked before any event loop exists
    try:
        return runner(_run(spec, progress, pool))
    finally:
        pool.close()


async def _progress_loop(progress, state, total_stages, t_run):
    while True:
        await asyncio.sleep(1.0)
        st = state.get("stage")
        if st is None:
            continue
        now = time.perf_counter()
        stage = st.stage
        limit = []
        if stage.get("duration"):
            limit.append("%.0f/%.0fs" % ((now - st.measure_start) if st.measure_start else 0.0, stage["duration"]))
        if stage.get("requests"):
            limit.append("%d/%d req" % (st.measured_sent, stage["requests"]))
        ok = [r for r in st.records[-2000:] if r.success and not r.warmup]
        ttft = sorted(r.ttft for r in ok)
        rate = sum(1 for r in ok if r.end and r.end > now - 5.0) / 5.0
        try:
            progress("stage %d/%s %s: %s sent, %d done, %d failed, %d in flight, %.1f req/s, ttft p50 %s ms, %s%s, elapsed %.0fs" % (
                st.index + 1, total_stages, report.stage_label(stage), st.sent, st.done, st.failed, st.in_flight, rate,
                "%.1f" % (1000 * metrics.percentile(ttft, 50)) if ttft else "-", " ".join(limit),
                " (warm-up)" if st.measure_start is None else "", now - t_run))
        except Exception:  # a broken progress callback must not stop the run
            pass


async def _run(spec, progress, pool=None):
    models = models_of(spec)
    wl_spec = spec["workload"]
    prompts = load_prompts(wl_spec["prompts_file"]) if wl_spec["type"] == "file" else None
    workload = Workload(wl_spec, models, spec["api"], prompts)
    api, ignore_eos, extra = spec["api"], wl_spec["ignore_eos"], wl_spec["extra_body"]

    def make_body(req):
        return build_payload(api, req.model, req.prompt, req.max_tokens, ignore_eos, extra)

    prof = spec["profile"]
    client = Client(spec["url"], api, spec["api_key"], spec["headers"], spec["timeout"],
                    model_urls=dict((m["name"], m["url"]) for m in models if m.get("url")), model_header=spec["model_header"],
                    validate_certs=spec["validate_certs"], strict=spec["strict_streams"])
    monitor = load.LoopMonitor()
    state = {}
    t_run = time.perf_counter()
    created = time.time()
    stages_out = []
    search_steps = []
    planned = load.plan_stages(prof)
    total = "?" if prof["type"] == "search" else len(planned)
    ticker = asyncio.ensure_future(_progress_loop(progress, state, total, t_run)) if progress else None
    # vLLM does the same before a run: objects made so far are never collected, so the GC pauses less
    gc.collect()
    gc.freeze()
    try:
        index = 0
        while True:
            if prof["type"] == "search":
                rate = load.next_search_rate(search_steps, prof["start_rate"], prof["max_rate"],
                                             tolerance=prof["tolerance"], max_steps=prof["max_steps"])
                if rate is None:
                    break
                stage = dict(planned[0], level=rate)
            else:
                if index >= len(planned):
                    break
                stage = planned[index]
            before = await scrape.scrape_all(client.session, spec["metrics_urls"]) if spec["metrics_urls"] else None
            seed = (wl_spec["seed"] or 0) + index
            if pool is not None:
                st, lags, cpu, wall0, wall1, shares = await asyncio.get_running_loop().run_in_executor(
                    None, pool.run, stage, index, seed)
                health = load.client_health(st, lags, cpu, wall1 - wall0, spec["lag_threshold_ms"],
                                            processes=len(shares), worker_cpu=shares)
            else:
                st = load.StageState(stage, index)
                feed = load.Prepared(workload, make_body, load.expected_requests(stage))
                state["stage"] = st
                monitor.start()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                await load.run_stage(client, make_body, workload, st, seed=seed, feed=feed)
                cpu1, wall1 = time.process_time(), time.perf_counter()
                await monitor.stop()
                health = load.client_health(st, monitor, cpu1 - cpu0, wall1 - wall0, spec["lag_threshold_ms"])
            after = await scrape.scrape_all(client.session, spec["metrics_urls"]) if spec["metrics_urls"] else None
            summary = metrics.summarize(st.records, spec["slo"])
            met = None
            if metrics.slo_given(spec["slo"]):
                met = bool(summary["completed"]) and summary["slo_attainment"] is not None and \
                    summary["slo_attainment"] >= spec["slo"]["attainment"]
            server = scrape.diff(before, after) if spec["metrics_urls"] else None
            stages_out.append(report.stage_entry(st, summary, health, server, met, wall0 - t_run, wall1 - wall0,
                                                 t_run, spec["keep_records"]))
            if progress:
                try:
                    progress(report.stage_line(stages_out[-1]))
                except Exception:  # a broken progress callback must not stop the run
                    pass
            if prof["type"] == "search":
                search_steps.append((stage["level"], bool(met)))
            index += 1
    finally:
        gc.unfreeze()
        if ticker:
            ticker.cancel()
        await client.close()
    search = None
    if prof["type"] == "search":
        search = dict(load.search_result(search_steps), arrival=prof["arrival"],
                      steps_tried=[dict(rate=r, met=ok) for r, ok in search_steps],
                      attainment=spec["slo"]["attainment"])
    return report.build_report(spec, plan(spec), stages_out, search, created, time.time(), models)
