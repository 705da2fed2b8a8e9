"""Condition helpers: metav1.Condition (Gateway API, LWS, sail) and knative duck conditions (KServe)."""
from __future__ import annotations

from .kube import now


def merge_conditions(old: list | None, new: list) -> list:
    """Return ``new`` with lastTransitionTime kept from ``old`` where the status did not change."""
    prev = {c.get("type"): c for c in (old or [])}
    out = []
    for c in new:
        c = dict(c)
        p = prev.get(c["type"])
        if p and p.get("status") == c["status"] and p.get("lastTransitionTime"):
            c["lastTransitionTime"] = p["lastTransitionTime"]
        else:
            c.setdefault("lastTransitionTime", now())
        out.append(c)
    return out


def cond(ctype: str, ok: bool | None, reason: str, message: str = "", generation: int | None = None) -> dict:
    """A metav1.Condition (reason is required there, also for True)."""
    c = {"type": ctype, "status": "Unknown" if ok is None else ("True" if ok else "False"),
         "reason": reason, "message": message}
    if generation is not None:
        c["observedGeneration"] = generation
    return c


def is_true(conditions: list | None, ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True" for c in conditions or [])


def find(conditions: list | None, ctype: str) -> dict | None:
    for c in conditions or []:
        if c.get("type") == ctype:
            return c
    return None
