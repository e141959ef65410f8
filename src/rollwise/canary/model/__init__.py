"""canary-deploy model: the plan, what a rollout did, and the policy after each analysis. Pure data and logic."""
