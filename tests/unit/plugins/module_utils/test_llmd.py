# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Helpers of the llm-d renderer (the rendering itself: test_patterns.py, and through the charts: tests/integration)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.llmd.xks.plugins.module_utils._llmd import image_parts, provider_of


@pytest.mark.parametrize("reference, parts", [
    ("registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0",
     ("registry.k8s.io", "gateway-api-inference-extension/epp", "v1.5.0")),
    ("localhost:5000/team/epp:dev", ("localhost:5000", "team/epp", "dev")),
    ("epp", ("docker.io", "epp", "latest")),
])
def test_image_parts_as_the_v15_charts_read_them(reference, parts):
    assert image_parts(reference) == dict(zip(("registry", "repository", "tag"), parts))


@pytest.mark.parametrize("gateway_class, provider", [
    ("gke-l7-regional-external-managed", "gke"), ("gke-l7-rilb", "gke"), ("istio", "istio"), ("kgateway", "none")])
def test_chart_provider_follows_the_gateway_class(gateway_class, provider):
    assert provider_of(gateway_class) == provider
