# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Waits that scale with how busy the machine is, and say what they waited for and what they saw last.

``SLOWDOWN`` is ``LLMD_XKS_TEST_SLOWDOWN`` when set, else measured once per session (the controller process
measures it, ``pytest_configure`` exports it so every xdist worker and every ansible-playbook it starts gets
the same figure): a short CPU-bound loop's wall time over its CPU time, i.e. how many runnable processes share
a core right now. A quiet machine gives 1.0; two busy loops beside us on two cores about 1.5. Every test wait
is ``scaled(seconds)``, never a fixed figure that a busy machine misses.
"""

import os
import time

MAX_SLOWDOWN = 6.0


def measure_slowdown(cpu_seconds=0.3):
    """Wall time / CPU time of a CPU-bound loop (>= 1.0): the share of a core this process gets now."""
    wall0, cpu0 = time.monotonic(), time.process_time()
    x = 0
    while time.process_time() - cpu0 < cpu_seconds:
        for i in range(10000):
            x += i * i
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    return max(1.0, min(MAX_SLOWDOWN, wall / cpu))


def slowdown():
    value = os.environ.get("LLMD_XKS_TEST_SLOWDOWN")
    if value:
        return max(1.0, min(MAX_SLOWDOWN, float(value)))
    return measure_slowdown()


SLOWDOWN = slowdown()


def scaled(seconds):
    return seconds * SLOWDOWN


class WaitTimeout(AssertionError):
    pass


def wait_for(fn, timeout=60, interval=0.25, what="condition", ignore=()):
    """Call fn until it returns something truthy (returned); after scaled(timeout) raise WaitTimeout naming what
    was awaited and the last value (or exception) seen. Exceptions of the types in ``ignore`` count as not yet."""
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    last = None
    while True:
        try:
            last = fn()
        except ignore as exc:  # noqa: PERF203 - the server is briefly away: not yet
            last = exc
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise WaitTimeout("timed out after %.0f s (%s s x slowdown %.2f) waiting for %s; last seen: %r"
                              % (limit, timeout, SLOWDOWN, what, last))
        time.sleep(interval)
