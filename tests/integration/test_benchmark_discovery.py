# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""playbooks/benchmark.yml finds the endpoint of a deployed pattern by itself (no benchmark_url): KServe's URL per
LLMInferenceService on the KServe stack, the gateway on the llm-d stack, and the pattern's workload. Check mode: the
local gateway address is a documentation address, so the plan is asserted, no load is sent."""

import pytest

from playbook import run_playbook

pytestmark = pytest.mark.integration


def variables(namespace, tmp_path, stack, pattern):
    return {"llmd_xks_namespace": namespace, "llmd_xks_accelerator": "nvidia-h100-80gb", "llmd_xks_stack": stack,
            "llmd_xks_pattern": pattern, "llmd_xks_models": [{"name": "qwen", "id": "Qwen/Qwen3-0.6B"}],
            "llmd_xks_wait_timeout": 120, "benchmark_report_dir": str(tmp_path),
            "llmd_xks_gateway": {"name": "inference-gateway", "namespace": namespace, "class_name": "istio", "create": True}}


def flat(text):
    """The output with the callback's line folding undone."""
    return " ".join(text.split())


def test_benchmark_finds_the_deployed_endpoints(cluster, namespace, tmp_path):
    kserve = variables(namespace, tmp_path, "istio_kserve", 1)
    llmd = variables(namespace, tmp_path, "gateway_api_llmd", 3)
    for extra, playbook in ((kserve, "pattern1.yml"), (llmd, "pattern3.yml")):
        run = run_playbook(cluster.kubeconfig, playbook, extra_vars=extra)
        assert run.rc == 0, run

    run = run_playbook(cluster.kubeconfig, "benchmark.yml", extra_vars=kserve, check=True)
    assert run.rc == 0 and run.changed == 0, run
    assert "Benchmark of http://203.0.113.10/%s/qwen (Qwen/Qwen3-0.6B), workload random" % namespace in flat(run.output)

    run = run_playbook(cluster.kubeconfig, "benchmark.yml", extra_vars=llmd, check=True)
    assert run.rc == 0 and run.changed == 0, run
    # pattern 3: the shared-prefix workload, at the gateway's root (the model goes in the body)
    assert "Benchmark of http://203.0.113.10 (Qwen/Qwen3-0.6B), workload shared_prefix" in flat(run.output), run.output[-3000:]
    assert not list(tmp_path.iterdir())  # check mode writes no report


def test_benchmark_without_a_deployed_pattern_says_what_to_do(cluster, namespace, tmp_path):
    run = run_playbook(cluster.kubeconfig, "benchmark.yml", extra_vars=variables(namespace, tmp_path, "istio_kserve", 1),
                       check=True)
    assert run.rc != 0
    assert "benchmark_url" in run.output, run.output[-3000:]
