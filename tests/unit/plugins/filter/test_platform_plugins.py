# Copyright (c) 2026, llmd.xks contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The filter and lookup plugins the platform roles use."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleError
from ansible_collections.llmd.xks.plugins.filter.without_route_timeouts import without_route_timeouts
from ansible_collections.llmd.xks.plugins.lookup.manifests import read_manifests


def test_route_timeouts_are_removed_only_from_route_rules():
    preset = {"kind": "LLMInferenceServiceConfig", "metadata": {"name": "kserve-config-llm-router-route"},
              "spec": {"router": {"route": {"http": {"spec": {"rules": [
                  {"name": "a", "timeouts": {"request": "0s"}}, {"name": "b"}]}}}}}}
    other = {"kind": "LLMInferenceServiceConfig", "metadata": {"name": "x"}, "spec": {"replicas": 1}}
    out = without_route_timeouts([preset, other])
    assert out[0]["spec"]["router"]["route"]["http"]["spec"]["rules"] == [{"name": "a"}, {"name": "b"}]
    assert out[1] == other
    assert "timeouts" in preset["spec"]["router"]["route"]["http"]["spec"]["rules"][0]  # input untouched


def test_manifests_drops_status_and_empty_documents(tmp_path):
    (tmp_path / "b.yaml").write_text("kind: B\nmetadata: {name: b}\nstatus: {acceptedNames: {kind: ''}}\n---\n---\n")
    (tmp_path / "a.yml").write_text("kind: A\nmetadata: {name: a}\n")
    (tmp_path / "notes.txt").write_text("ignored")
    assert read_manifests([str(tmp_path)]) == [{"kind": "A", "metadata": {"name": "a"}},
                                               {"kind": "B", "metadata": {"name": "b"}}]
    assert read_manifests([str(tmp_path / "a.yml")]) == [{"kind": "A", "metadata": {"name": "a"}}]


def test_manifests_errors_name_the_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("a: [1\n")
    with pytest.raises(AnsibleError, match="bad.yaml is not valid YAML"):
        read_manifests([str(tmp_path)])
    with pytest.raises(AnsibleError, match="neither a file nor a directory"):
        read_manifests([str(tmp_path / "missing")])


def test_local_sources_maps_urls_to_the_download_dir():
    from ansible_collections.llmd.xks.plugins.filter.local_sources import local_sources

    sources = ["https://github.com/x/y/releases/download/v1/standard-install.yaml", "/srv/crds", "http://m/a/b.yaml?x=1"]
    assert local_sources(sources, "/cache/d") == ["/cache/d/standard-install.yaml", "/srv/crds", "/cache/d/b.yaml"]
    assert local_sources([], "/d") == []
