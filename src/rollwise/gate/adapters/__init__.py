"""slo-gate adapters: the metric sources (Prometheus over HTTP, k6 results files)."""
