"""A tiny subset of Go text/template, enough for the KServe v0.20 LLMInferenceServiceConfig presets.

Supported: text, ``{{- ... -}}`` trimming, ``if``/``else``/``end``, field paths (``.Spec.Model.Name``
on JSON-shaped dicts: Go field names are mapped to their JSON names), literals (numbers, "strings",
`raw strings`, nil, true/false) and the functions ``and``, ``or``, ``not``, ``ChildName``,
``shutdownTimeout``, ``kvTransferConfig`` (KServe's template helpers).
"""
from __future__ import annotations

import hashlib
import json
import re

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
_TOKEN = re.compile(r'`[^`]*`|"(?:[^"\\]|\\.)*"|\(|\)|[^\s()]+')
_SPECIAL = {"ObjectMeta": "metadata", "KVCacheOffloading": "kvCacheOffloading", "DataRPCPort": "dataRPCPort",
            "URI": "uri", "LoRA": "lora"}


def child_name(parent: str, suffix: str) -> str:
    """knative kmeta.ChildName."""
    if len(parent) + len(suffix) <= 63:
        return parent + suffix
    digest = hashlib.md5(parent.encode()).hexdigest()
    n = 63 - len(digest) - len(suffix)
    if n <= 0:
        return (digest + suffix)[:63]
    return (parent[:n] + digest + suffix)[:63]


def _json_name(field: str) -> str:
    return _SPECIAL.get(field, field[:1].lower() + field[1:])


def _truthy(v) -> bool:
    return not (v is None or v is False or v == 0 or v == "" or v == [] or v == {})


def _fmt(v) -> str:
    if v is None:
        return "<no value>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _shutdown_timeout(template, default):
    tgps = (template or {}).get("terminationGracePeriodSeconds")
    return tgps if tgps else default


def _kv_transfer_config(cfg):
    if not cfg:
        return ""
    return "--kv-transfer-config '" + json.dumps({"kv_connector": "OffloadingConnector", "kv_role": "kv_both",
                                                  "kv_connector_extra_config": cfg}) + "'"


FUNCS = {
    "ChildName": child_name,
    "shutdownTimeout": _shutdown_timeout,
    "kvTransferConfig": _kv_transfer_config,
}


class _Ctx:
    def __init__(self, data: dict):
        self.data = data

    def field(self, path: str):
        cur = self.data
        for part in [p for p in path.split(".") if p]:
            if not isinstance(cur, dict):
                return None
            key = part if part in cur else _json_name(part)
            cur = cur.get(key)
        return cur

    def eval_tokens(self, toks: list):
        def atom(i):
            t = toks[i]
            if t == "(":
                depth, j = 1, i + 1
                while depth:
                    depth += {"(": 1, ")": -1}.get(toks[j], 0)
                    j += 1
                return self.eval_tokens(toks[i + 1:j - 1]), j
            return self.literal(t), i + 1

        if not toks:
            return None
        head = toks[0]
        if head in ("and", "or", "not") or head in FUNCS:
            args, i = [], 1
            while i < len(toks):
                v, i = atom(i)
                args.append(v)
            if head == "and":
                for a in args:
                    if not _truthy(a):
                        return a
                return args[-1] if args else None
            if head == "or":
                for a in args:
                    if _truthy(a):
                        return a
                return args[-1] if args else None
            if head == "not":
                return not _truthy(args[0])
            return FUNCS[head](*args)
        return atom(0)[0]

    def literal(self, t: str):
        if t.startswith("."):
            return self.field(t)
        if t.startswith("`"):
            return t[1:-1]
        if t.startswith('"'):
            return json.loads(t)
        if t == "nil":
            return None
        if t in ("true", "false"):
            return t == "true"
        try:
            return int(t)
        except ValueError:
            try:
                return float(t)
            except ValueError as exc:
                raise ValueError(f"unsupported template token {t!r}") from exc


def _parse(text: str):
    """-> list of nodes: str | ("expr", tokens) | ("if", tokens, then_nodes, else_nodes)."""
    pieces, pos = [], 0
    for m in _ACTION.finditer(text):
        pieces.append(("text", text[pos:m.start()]))
        pieces.append(("action", m.group(2), bool(m.group(1)), bool(m.group(3))))
        pos = m.end()
    pieces.append(("text", text[pos:]))
    # apply trim markers
    for i, p in enumerate(pieces):
        if p[0] == "action":
            if p[2] and i > 0:
                pieces[i - 1] = ("text", pieces[i - 1][1].rstrip())
            if p[3] and i + 1 < len(pieces):
                pieces[i + 1] = ("text", pieces[i + 1][1].lstrip())

    def block(i, stop):
        nodes = []
        while i < len(pieces):
            p = pieces[i]
            if p[0] == "text":
                if p[1]:
                    nodes.append(p[1])
                i += 1
                continue
            toks = _TOKEN.findall(p[1])
            if toks and toks[0] in stop:
                return nodes, i
            if toks and toks[0] == "if":
                then, i = block(i + 1, ("else", "end"))
                els = []
                if _TOKEN.findall(pieces[i][1])[0] == "else":
                    els, i = block(i + 1, ("end",))
                nodes.append(("if", toks[1:], then, els))
                i += 1
                continue
            nodes.append(("expr", toks))
            i += 1
        if stop:
            raise ValueError("unterminated template block")
        return nodes, i

    return block(0, ())[0]


def render(text: str, data: dict) -> str:
    if "{{" not in text:
        return text
    ctx = _Ctx(data)

    def run(nodes):
        out = []
        for n in nodes:
            if isinstance(n, str):
                out.append(n)
            elif n[0] == "expr":
                out.append(_fmt(ctx.eval_tokens(n[1])))
            else:
                out.append(run(n[2] if _truthy(ctx.eval_tokens(n[1])) else n[3]))
        return "".join(out)

    return run(_parse(text))


def render_tree(obj, data: dict):
    """Render every string in a JSON-shaped structure."""
    if isinstance(obj, str):
        return render(obj, data)
    if isinstance(obj, list):
        return [render_tree(v, data) for v in obj]
    if isinstance(obj, dict):
        return {k: render_tree(v, data) for k, v in obj.items()}
    return obj
