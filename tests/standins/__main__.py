"""Run all stand-in controllers in one host process: ``python -m tests.standins --kubeconfig ...``.

Started by ``tools/cluster.sh up`` (log: <state>/logs/standins.log), stopped by ``down`` (SIGTERM).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time

from .gateway import GatewayController
from .istio import IstioController
from .kube import Kube
from .llmisvc import LLMISVCController
from .loop import Informer
from .lws import LWSController


class Informers:
    """Shared informers: one list+watch per (apiVersion, plural, labelSelector)."""

    def __init__(self, kube: Kube):
        self.kube = kube
        self.all: dict[tuple, Informer] = {}

    def get(self, api_version: str, plural: str, label_selector: str | None = None, optional: bool = False):
        key = (api_version, plural, label_selector)
        if key not in self.all:
            self.all[key] = Informer(self.kube, api_version, plural, label_selector, optional)
        return self.all[key]

    def start(self, timeout: float = 30) -> None:
        for inf in self.all.values():
            inf.start()
        deadline = time.time() + timeout
        for inf in self.all.values():
            inf.synced.wait(max(0.1, deadline - time.time()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.standins", description=__doc__.splitlines()[0])
    ap.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    ap.add_argument("--only", help="comma-separated subset: gateway,lws,llmisvc,istio")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    kube = Kube(args.kubeconfig)
    inf = Informers(kube)
    classes = {"gateway": GatewayController, "lws": LWSController, "llmisvc": LLMISVCController,
               "istio": IstioController}
    wanted = args.only.split(",") if args.only else list(classes)
    controllers = [classes[n](kube, inf) for n in wanted]
    inf.start()
    for c in controllers:
        c.start()
    logging.getLogger("standins").info("running: %s", ", ".join(wanted))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    logging.getLogger("standins").info("stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
