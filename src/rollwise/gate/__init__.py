"""slo-gate: judge a canary against its baseline and its SLOs, and say proceed, rollback or inconclusive."""
