"""Helpers for the local kwok-backed test cluster (tools/cluster.sh)."""
