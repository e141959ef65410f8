"""rollwise: progressive delivery as GitHub Actions.

Canary deploys, SLO gates, safe Alembic migrations and feature flags, all judged in Python and run the
same on a laptop (``rollwise ...``) as in a workflow (``uses: <owner>/rollwise/actions/<name>@v1``).
"""

__version__ = "0.1.0"
