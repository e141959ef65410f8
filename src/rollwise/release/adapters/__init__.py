"""Where releases are kept: GitHub's Deployments API (``github``) or a JSON file next to the canary state
(``local``)."""
