"""canary-deploy adapters: traffic routers, k6 warm-up traffic, the gate as judge, the state file."""
