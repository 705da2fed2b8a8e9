# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""PRIVATE to the llmd.xks collection: the benchmark report (versioned JSON) and its HTML page.

The JSON layout is described by ``docs/benchmark-report.schema.json`` (``schema_version`` 1) and
docs/benchmark.md. The HTML page is self-contained: inline SVG charts, inline CSS, no JavaScript.
Compare mode puts several reports side by side (HTML) and computes a JSON delta against the first one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import platform
import sys
from html import escape

from ansible_collections.llmd.xks.plugins.module_utils._bench_metrics import pod_share, ttft_histogram

SCHEMA_VERSION = 1
KIND = "llmd.xks/benchmark-report"
COMPARE_KIND = "llmd.xks/benchmark-compare"
TOOL_VERSION = "1"

# the stage metrics compared and shown in tables, with a label and whether lower is better
KEY_METRICS = (
    ("request_throughput", "req/s", False),
    ("output_throughput", "output tok/s", False),
    ("total_token_throughput", "total tok/s", False),
    ("request_goodput", "goodput req/s", False),
    ("median_ttft_ms", "TTFT p50 ms", True),
    ("p99_ttft_ms", "TTFT p99 ms", True),
    ("median_tpot_ms", "TPOT p50 ms", True),
    ("p99_tpot_ms", "TPOT p99 ms", True),
    ("median_itl_ms", "ITL p50 ms", True),
    ("p99_itl_ms", "ITL p99 ms", True),
    ("median_e2el_ms", "E2EL p50 ms", True),
    ("p99_e2el_ms", "E2EL p99 ms", True),
    ("failed", "failed", True),
)


def _iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _r(value, digits=3):
    return None if value is None else round(value, digits)


def stage_label(stage):
    if stage["mode"] == "concurrency":
        return "concurrency=%d" % int(stage["level"])
    return "%s=%g/s" % (stage["mode"], stage["level"])


def record_dict(rec, t0):
    ms = 1000.0
    return dict(
        index=rec.index, model=rec.model, group=rec.group, warmup=rec.warmup, success=rec.success,
        error=rec.error, error_detail=rec.error_detail, warning=rec.warning, status=rec.status,
        scheduled_s=_r(rec.scheduled - t0, 6) if rec.scheduled is not None else None,
        start_s=_r(rec.start - t0, 6) if rec.start is not None else None,
        send_lag_ms=_r((rec.start - rec.scheduled) * ms) if rec.start is not None and rec.scheduled is not None else None,
        client_queue_ms=_r((rec.start - rec.queued) * ms) if rec.start is not None and rec.queued is not None else None,
        ttft_ms=_r(rec.ttft * ms) if rec.first is not None else None,
        tpot_ms=_r(rec.tpot * ms) if rec.tpot is not None else None,
        e2el_ms=_r(rec.e2el * ms) if rec.last is not None else None,
        itl_ms=[round(g * ms, 3) for g in rec.itl],
        prompt_tokens=rec.prompt_tokens, output_tokens=rec.output_tokens, cached_tokens=rec.cached_tokens,
        expected_input_tokens=rec.expected_input_tokens, max_tokens=rec.max_tokens,
        finish_reason=rec.finish_reason, pod=rec.pod, events=rec.events, request_id=rec.request_id,
        unknown_gaps=rec.unknown_gaps, ttft_upper_bound=rec.known_first is not None,
        tpot_from_token=rec.known_index if rec.known_first is not None else 0,
    )


def stage_entry(st, summary, health, server, slo_met, started, wall, t0, keep_records=True):
    stage = st.stage
    hist = ttft_histogram(st.records)
    return dict(
        index=st.index, label=stage_label(stage), mode=stage["mode"], level=stage["level"],
        limits=dict(duration=stage.get("duration"), requests=stage.get("requests"), warmup=stage.get("warmup"),
                    warmup_requests=stage.get("warmup_requests"), max_concurrency=stage.get("max_concurrency")),
        started_s=_r(started, 6), wall_seconds=_r(wall, 6),
        warmup_requests_sent=sum(1 for r in st.records if r.warmup),
        metrics=dict((k, (_r(v, 6) if isinstance(v, float) else v)) for k, v in summary.items()),
        slo_met=slo_met,
        client=health,
        server=server,
        pods=pod_share(st.records),
        ttft_histogram=dict(edges=[_r(e) for e in hist["edges"]], counts=hist["counts"]),
        records=[record_dict(r, t0) for r in st.records] if keep_records else [],
    )


def stage_line(entry):
    m = entry["metrics"]

    def f(v, fmt="%.1f"):
        return "-" if v is None else fmt % v
    text = "%s: %d ok, %d failed, %s req/s, %s out tok/s, TTFT p50/p99 %s/%s ms, TPOT p50 %s ms, E2EL p99 %s ms" % (
        entry["label"], m["completed"], m["failed"], f(m["request_throughput"], "%.2f"), f(m["output_throughput"]),
        f(m["median_ttft_ms"]), f(m["p99_ttft_ms"]), f(m["median_tpot_ms"]), f(m["p99_e2el_ms"]))
    if entry["slo_met"] is not None:
        text += ", SLO %s (%.0f%% good)" % ("met" if entry["slo_met"] else "MISSED", 100 * (m["slo_attainment"] or 0))
    if entry["client"]["client_bottleneck"]:
        text += ", CLIENT BOTTLENECK"
    return text


# Request headers whose values are credentials: hidden in reports and in the module's logged arguments.
SECRET_HEADERS = ("authorization", "proxy-authorization", "x-api-key", "api-key", "cookie")


def secret_header_values(headers):
    return [v for k, v in (headers or {}).items() if k.lower() in SECRET_HEADERS and v]


def _redact(spec):
    out = json.loads(json.dumps(spec, default=str))
    if out.get("api_key"):
        out["api_key"] = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    if out.get("headers"):
        out["headers"] = dict((k, "VALUE_HIDDEN" if k.lower() in SECRET_HEADERS else v) for k, v in out["headers"].items())
    return out


def build_report(spec, plan, stages, search, created, finished, models):
    from ansible_collections.llmd.xks.plugins.module_utils._bench_client import FAILURE_REASONS, STREAM_WARNINGS, endpoint_url
    failures = {}
    stream_warnings = {}
    for st in stages:
        for reason, count in st["metrics"]["failures"].items():
            failures[reason] = failures.get(reason, 0) + count
        for reason, count in st["metrics"]["stream_warnings"].items():
            stream_warnings[reason] = stream_warnings.get(reason, 0) + count
    bottleneck = [dict(stage=st["label"], reasons=st["client"]["reasons"]) for st in stages if st["client"]["client_bottleneck"]]
    try:
        import aiohttp
        aiohttp_version = aiohttp.__version__
    except ImportError:
        aiohttp_version = None
    requests = sum(st["metrics"]["requests"] for st in stages)
    failed = sum(st["metrics"]["failed"] for st in stages)
    name = spec.get("report_name") or "benchmark-" + datetime.datetime.fromtimestamp(created, datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    warnings = []
    if failed:
        warnings.append("%d of %d requests FAILED (%s)" % (failed, requests, ", ".join("%s: %d" % kv for kv in sorted(failures.items()))))
    for st in stages:
        m = st["metrics"]
        if m["itl_unknown_gaps"]:
            warnings.append("stage %s: %d inter-token gaps left out of ITL because several tokens of a stream arrived in "
                            "one read after a pause (the client was busy or the server sent them together): their "
                            "arrival times are unknown; TPOT counts from the first token with a known arrival, and the "
                            "TTFT of %d requests is an upper bound"
                            % (st["label"], m["itl_unknown_gaps"], m["ttft_upper_bound_requests"]))
    for reason, count in sorted(stream_warnings.items()):
        warnings.append("%d of %d requests: %s; counted as completed with their tokens and timings (strict_streams: true "
                        "fails them)" % (count, requests, STREAM_WARNINGS.get(reason, reason)))
    for b in bottleneck:
        warnings.append("the client was the bottleneck in stage %s: %s" % (b["stage"], "; ".join(b["reasons"])))
    return dict(
        schema_version=SCHEMA_VERSION,
        kind=KIND,
        name=name,
        created=_iso(created),
        finished=_iso(finished),
        tool=dict(name="llmd.xks.benchmark", version=TOOL_VERSION, python=platform.python_version(),
                  aiohttp=aiohttp_version, platform=sys.platform),
        target=dict(url=spec["url"], endpoint=endpoint_url(spec["url"], spec["api"]), api=spec["api"], models=models),
        spec=_redact(spec),
        plan=plan,
        metric_definitions="vllm",
        stages=stages,
        search=search,
        summary=dict(
            stages=len(stages), requests=requests,
            completed=sum(st["metrics"]["completed"] for st in stages), failed=failed,
            failures=failures, failure_reasons=dict((k, FAILURE_REASONS.get(k, k)) for k in failures),
            stream_warnings=stream_warnings,
            client_bottleneck=bool(bottleneck), client_bottleneck_stages=bottleneck,
            max_rate_meeting_slo=search["max_rate"] if search else None,
        ),
        warnings=warnings,
    )


# ---------------------------------------------------------------------------------------------------- HTML

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.bad{color:#b00;font-weight:bold}.warn{background:#fff3cd;
border:1px solid #e0c060;padding:.5em 1em;margin:.5em 0}.fail{background:#f8d7da;border:1px solid #c66;padding:.5em 1em}
.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-size:.85em;color:#555}svg text{font-size:11px}
.small{font-size:.85em;color:#555}"""


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.2f" % v if abs(v) < 1000 else "%.0f" % v
    return escape(str(v))


def _scale(lo, hi, a, b):
    if hi <= lo:
        hi = lo + 1.0

    def scale(v):
        return a + (v - lo) * (b - a) / (hi - lo)
    return scale


def _nice_max(v):
    if not v or v <= 0:
        return 1.0
    import math
    exp = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * exp:
            return m * exp
    return 10 * exp


def svg_line_chart(title, series, x_label, y_label, width=460, height=280, log_x=False, points_only=False):
    """``series``: list of (name, [(x, y), ...]); None values are skipped. Returns an <svg> string."""
    import math
    pts = [(x, y) for dummy, s in series for x, y in s if x is not None and y is not None]
    ml, mr, mt, mb = 55, 110, 24, 40
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">' % (width, height, escape(title)),
           '<text x="%d" y="15" font-weight="bold">%s</text>' % (ml, escape(title))]
    if not pts:
        out.append('<text x="%d" y="%d">no data</text></svg>' % (ml, height // 2))
        return "".join(out)
    tx = math.log10 if log_x and all(p[0] > 0 for p in pts) else float
    xs = [tx(p[0]) for p in pts]
    xlo, xhi = min(xs), max(xs)
    if xhi == xlo:
        xlo, xhi = xlo - 1, xhi + 1
    ymax = _nice_max(max(p[1] for p in pts))
    sx = _scale(xlo, xhi, ml, width - mr)
    sy = _scale(0.0, ymax, height - mb, mt)
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>' % (ml, height - mb, width - mr, height - mb))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>' % (ml, mt, ml, height - mb))
    for i in range(5):
        yv = ymax * i / 4
        y = sy(yv)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>'
                   % (ml, y, width - mr, y, ml - 4, y + 4, _fmt(float(yv))))
    xticks = sorted(set(p[0] for p in pts))
    if len(xticks) > 8:
        xticks = [xticks[int(i * (len(xticks) - 1) / 7)] for i in range(8)]
    for xv in xticks:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (sx(tx(xv)), height - mb + 14, _fmt(float(xv))))
    out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % ((ml + width - mr) // 2, height - 6, escape(x_label)))
    out.append('<text x="12" y="%d" transform="rotate(-90 12 %d)" text-anchor="middle">%s</text>'
               % ((mt + height - mb) // 2, (mt + height - mb) // 2, escape(y_label)))
    for i, (name, s) in enumerate(series):
        color = COLORS[i % len(COLORS)]
        good = [(sx(tx(x)), sy(y)) for x, y in s if x is not None and y is not None]
        if len(good) > 1 and not points_only:
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                       % (color, " ".join("%.1f,%.1f" % p for p in good)))
        for x, y in good:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (x, y, color))
        out.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>'
                   % (width - mr + 8, mt + i * 16, color, width - mr + 22, mt + 9 + i * 16, escape(name)))
    out.append("</svg>")
    return "".join(out)


def svg_bars(title, bars, x_label, y_label, width=460, height=280, labels_below=True):
    """``bars``: list of (label, value). Returns an <svg> string (histogram or share chart)."""
    ml, mr, mt, mb = 55, 15, 24, 50
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">' % (width, height, escape(title)),
           '<text x="%d" y="15" font-weight="bold">%s</text>' % (ml, escape(title))]
    if not bars:
        out.append('<text x="%d" y="%d">no data</text></svg>' % (ml, height // 2))
        return "".join(out)
    ymax = _nice_max(max(v for dummy, v in bars))
    sy = _scale(0.0, ymax, height - mb, mt)
    slot = float(width - ml - mr) / len(bars)
    for i in range(5):
        yv = ymax * i / 4
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>'
                   % (ml, sy(yv), width - mr, sy(yv), ml - 4, sy(yv) + 4, _fmt(float(yv))))
    step = max(1, len(bars) // 8)
    for i, (label, value) in enumerate(bars):
        x = ml + i * slot
        out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>'
                   % (x + 1, sy(value), max(1.0, slot - 2), (height - mb) - sy(value), COLORS[0], escape(str(label)), _fmt(value)))
        if labels_below and i % step == 0:
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x + slot / 2, height - mb + 14, escape(str(label))[:18]))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>' % (ml, height - mb, width - mr, height - mb))
    out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % ((ml + width - mr) // 2, height - 8, escape(x_label)))
    out.append('<text x="12" y="%d" transform="rotate(-90 12 %d)" text-anchor="middle">%s</text>'
               % ((mt + height - mb) // 2, (mt + height - mb) // 2, escape(y_label)))
    out.append("</svg>")
    return "".join(out)


def _x_of(stage):
    return float(stage["level"])


def _charts(report):
    stages = report["stages"]
    charts = []
    x_label = "concurrency" if stages and stages[0]["mode"] == "concurrency" else "request rate (req/s)"
    for metric, title in (("ttft", "TTFT"), ("tpot", "TPOT"), ("e2el", "E2E latency")):
        series = [(p, [(_x_of(s), s["metrics"]["%s_%s_ms" % ("median" if p == "p50" else p, metric)]) for s in stages])
                  for p in ("p50", "p90", "p99")]
        charts.append(("%s percentiles per load level" % title, svg_line_chart("%s percentiles per load level" % title, series, x_label, "ms")))
    tput = [("TTFT p50", [(s["metrics"]["output_throughput"], s["metrics"]["median_ttft_ms"]) for s in stages]),
            ("TTFT p99", [(s["metrics"]["output_throughput"], s["metrics"]["p99_ttft_ms"]) for s in stages]),
            ("E2EL p50", [(s["metrics"]["output_throughput"], s["metrics"]["median_e2el_ms"]) for s in stages])]
    charts.append(("Throughput vs latency", svg_line_chart("Throughput vs latency", tput, "output tokens/s", "ms", points_only=len(stages) < 2)))
    for s in stages:
        h = s["ttft_histogram"]
        bars = [("%.0f" % h["edges"][i], c) for i, c in enumerate(h["counts"])]
        charts.append(("TTFT distribution, %s" % s["label"], svg_bars("TTFT distribution, %s" % s["label"], bars, "TTFT (ms, bin start)", "requests")))
    share = _pod_share(report)
    if share:
        charts.append(("Requests per pod", svg_bars("Requests per pod (%s)" % share[0], share[1], "pod", "share of requests (%)")))
    return charts


def _pod_share(report):
    """(source, [(pod, percent)]) from the server counters when scraped, else from the pod response header."""
    counts = {}
    source = None
    for s in report["stages"]:
        if s.get("server"):
            for target, entry in s["server"]["targets"].items():
                if entry.get("requests") is not None:
                    counts[target] = counts.get(target, 0.0) + entry["requests"]
                    source = "vllm:request_success_total"
    if not counts:
        for s in report["stages"]:
            for pod, n in s["pods"].items():
                counts[pod] = counts.get(pod, 0) + n
                source = "pod response header"
    total = float(sum(counts.values()))
    if not total:
        return None
    return source, [(k, 100.0 * v / total) for k, v in sorted(counts.items())]


def _stage_table(report):
    rows = ["<table><tr><th>stage</th>%s<th>SLO</th><th>client</th></tr>" % "".join("<th>%s</th>" % escape(item[1]) for item in KEY_METRICS)]
    for s in report["stages"]:
        m = s["metrics"]
        cells = []
        for key in (item[0] for item in KEY_METRICS):
            cls = ' class="bad"' if key == "failed" and m.get(key) else ""
            cells.append("<td%s>%s</td>" % (cls, _fmt(m.get(key))))
        slo = "-" if s["slo_met"] is None else ("met (%.0f%%)" % (100 * (m["slo_attainment"] or 0)) if s["slo_met"]
                                                else '<span class="bad">missed (%.0f%%)</span>' % (100 * (m["slo_attainment"] or 0)))
        client = '<span class="bad">bottleneck</span>' if s["client"]["client_bottleneck"] else "ok"
        rows.append("<tr><td>%s</td>%s<td>%s</td><td>%s</td></tr>" % (escape(s["label"]), "".join(cells), slo, client))
    rows.append("</table>")
    return "".join(rows)


def _client_table(report):
    rows = ["<table><tr><th>stage</th><th>loop lag p50/p99/max ms</th><th>send lag p50/p99/max ms</th><th>client CPU %</th>"
            "<th>SSE events/s</th><th>mean concurrency</th><th>peak concurrency</th></tr>"]
    for s in report["stages"]:
        c = s["client"]
        rows.append("<tr><td>%s</td><td>%s / %s / %s</td><td>%s / %s / %s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
            escape(s["label"]), _fmt(c["loop_lag_ms"]["median"]), _fmt(c["loop_lag_ms"]["p99"]), _fmt(c["loop_lag_ms"]["max"]),
            _fmt(c["send_lag_ms"]["median"]), _fmt(c["send_lag_ms"]["p99"]), _fmt(c["send_lag_ms"]["max"]),
            _fmt(c["cpu_percent"]), _fmt(c["events_per_second"]), _fmt(s["metrics"]["mean_concurrency"]),
            _fmt(s["metrics"]["max_concurrent_requests"])))
    rows.append("</table>")
    return "".join(rows)


def _server_table(report):
    rows = []
    for s in report["stages"]:
        srv = s.get("server")
        if not srv:
            continue
        for target, e in sorted(srv["targets"].items()):
            rows.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                escape(s["label"]), escape(target), _fmt(e.get("requests")),
                _fmt(None if e.get("request_share") is None else 100 * e["request_share"]),
                _fmt(None if e.get("prefix_cache_hit_rate") is None else 100 * e["prefix_cache_hit_rate"]),
                _fmt(e.get("requests_waiting")), escape(e.get("error") or "")))
    if not rows:
        return ""
    return ("<h2>Server metrics (scraped before and after each stage)</h2><table><tr><th>stage</th><th>target</th><th>requests</th>"
            "<th>share %</th><th>prefix-cache hit %</th><th>waiting after</th><th>error</th></tr>" + "".join(rows) + "</table>")


def _failures(report):
    out = []
    if report["summary"]["failed"]:
        out.append('<div class="fail"><b>%d of %d requests failed.</b><ul>%s</ul></div>' % (
            report["summary"]["failed"], report["summary"]["requests"],
            "".join("<li>%s: %d (%s)</li>" % (escape(k), v, escape(report["summary"]["failure_reasons"].get(k, "")))
                    for k, v in sorted(report["summary"]["failures"].items()))))
    for w in report["warnings"]:
        if "FAILED" not in w:  # the failures have the red box
            out.append('<div class="warn">%s</div>' % escape(w))
    return "".join(out)


def render_html(report):
    """A self-contained HTML page for one report."""
    t = report["target"]
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title><style>%s</style></head><body>"
             % (escape(report["name"]), CSS),
             "<h1>Benchmark %s</h1>" % escape(report["name"]),
             '<p class="small">%s to %s, %s API at %s, models %s. Metrics use vLLM\'s definitions (TTFT, TPOT excluding the '
             "first token, ITL per streamed chunk, E2EL); token counts come from the server's usage.</p>"
             % (escape(report["created"]), escape(report["finished"]), escape(t["api"]), escape(t["endpoint"]),
                escape(", ".join("%s (weight %s)" % (m["name"], m["weight"]) for m in t["models"]))),
             _failures(report),
             "<h2>Results per load level</h2>", _stage_table(report)]
    if report.get("search"):
        s = report["search"]
        parts.append("<p>Highest %s rate meeting the SLOs (%.0f%% of requests): <b>%s req/s</b> (first failing: %s), %d stages.</p>"
                     % (escape(s["arrival"]), 100 * s["attainment"], _fmt(s["max_rate"]), _fmt(s["first_failing_rate"]), s["steps"]))
    parts.append('<h2>Charts</h2><div class="charts">')
    for caption, svg in _charts(report):
        parts.append("<figure>%s<figcaption>%s</figcaption></figure>" % (svg, escape(caption)))
    parts.append("</div><h2>Client self-measurement</h2>")
    parts.append('<p class="small">Event-loop lag delays every timestamp; send lag is how late requests left against the '
                 "schedule. A stage marked bottleneck measured the client, not the server.</p>")
    parts.append(_client_table(report))
    parts.append(_server_table(report))
    parts.append("</body></html>")
    return "".join(parts)


# ------------------------------------------------------------------------------------------------- compare

def compare(reports):
    """JSON delta of several reports against the first: stages are matched by position."""
    base = reports[0]
    out = dict(schema_version=SCHEMA_VERSION, kind=COMPARE_KIND, baseline=base["name"],
               reports=[dict(name=r["name"], created=r["created"], endpoint=r["target"]["endpoint"],
                             workload=r["spec"].get("workload", {}).get("type"), profile=r["spec"].get("profile", {}).get("type"),
                             failed=r["summary"]["failed"], client_bottleneck=r["summary"]["client_bottleneck"])
                        for r in reports],
               stages=[])
    for i, stage in enumerate(base["stages"]):
        entry = dict(index=i, label=stage["label"], metrics={})
        for key, dummy, lower_better in KEY_METRICS:
            b = stage["metrics"].get(key)
            values = []
            for r in reports:
                other = r["stages"][i]["metrics"].get(key) if i < len(r["stages"]) else None
                delta = (other - b) if (other is not None and b is not None) else None
                pct = (100.0 * delta / b) if (delta is not None and b) else None
                better = None if delta is None or delta == 0 else ((delta < 0) == lower_better)
                values.append(dict(report=r["name"], value=other, delta=delta, delta_percent=pct, better=better))
            entry["metrics"][key] = values
        out["stages"].append(entry)
    return out


def render_compare_html(reports, delta=None):
    delta = delta or compare(reports)
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Benchmark comparison</title><style>%s</style></head><body>" % CSS,
             "<h1>Benchmark comparison</h1><p>Baseline: <b>%s</b>. Stages are matched by position; deltas are against the baseline.</p>"
             % escape(delta["baseline"]),
             "<table><tr><th>report</th><th>created</th><th>endpoint</th><th>workload</th><th>profile</th><th>failed</th><th>client</th></tr>"]
    for r in delta["reports"]:
        parts.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td%s>%s</td><td>%s</td></tr>" % (
            escape(r["name"]), escape(r["created"]), escape(r["endpoint"]), escape(str(r["workload"])), escape(str(r["profile"])),
            ' class="bad"' if r["failed"] else "", r["failed"], "bottleneck" if r["client_bottleneck"] else "ok"))
    parts.append("</table>")
    for st in delta["stages"]:
        parts.append("<h2>Stage %s</h2><table><tr><th>metric</th>%s</tr>" % (
            escape(st["label"]), "".join("<th>%s</th>" % escape(r["name"]) for r in delta["reports"])))
        for key, label, dummy in KEY_METRICS:
            cells = []
            for j, v in enumerate(st["metrics"][key]):
                text = _fmt(v["value"])
                if j and v["delta_percent"] is not None:
                    cls = "" if v["better"] is None else (' style="color:#070"' if v["better"] else ' style="color:#b00"')
                    text += ' <span%s>(%+.1f%%)</span>' % (cls, v["delta_percent"])
                cells.append("<td>%s</td>" % text)
            parts.append("<tr><td>%s</td>%s</tr>" % (escape(label), "".join(cells)))
        parts.append("</table>")
    parts.append('<h2>Charts</h2><div class="charts">')
    for metric, title in (("p99_ttft_ms", "TTFT p99"), ("median_tpot_ms", "TPOT p50"), ("p99_e2el_ms", "E2EL p99"),
                          ("output_throughput", "output tokens/s")):
        series = [(r["name"], [(_x_of(s), s["metrics"][metric]) for s in r["stages"]]) for r in reports]
        parts.append("<figure>%s</figure>" % svg_line_chart("%s per load level" % title, series, "load level", title))
    parts.append("</div></body></html>")
    return "".join(parts)


def write_report(report, report_dir, html=True):
    """Writes <name>.json and <name>.html into ``report_dir``; returns their paths."""
    if not os.path.isdir(report_dir):
        os.makedirs(report_dir)
    base = os.path.join(report_dir, report["name"])
    with open(base + ".json", "w") as handle:
        # compact: a long run has millions of ITL values (read it with jq or json.load)
        json.dump(report, handle, sort_keys=True, separators=(",", ":"))
    paths = dict(json=base + ".json")
    if html:
        with open(base + ".html", "w") as handle:
            handle.write(render_html(report))
        paths["html"] = base + ".html"
    return paths


def write_compare(reports, report_dir, name):
    delta = compare(reports)
    base = os.path.join(report_dir, name + "-compare")
    with open(base + ".json", "w") as handle:
        json.dump(delta, handle, indent=1, sort_keys=True)
    with open(base + ".html", "w") as handle:
        handle.write(render_compare_html(reports, delta))
    return delta, dict(json=base + ".json", html=base + ".html")


def load_report(path):
    with open(path) as handle:
        data = json.load(handle)
    if data.get("kind") != KIND or data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError("%s is not a benchmark report of schema version %d" % (path, SCHEMA_VERSION))
    return data
