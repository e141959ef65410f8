"""Releases: every rollout recorded as a deployment of an environment (GitHub Deployments, or a local JSON
ledger), and ``rollwise release list|current|revert`` to see them and go back to the last good one.
"""
