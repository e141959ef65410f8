"""Property-based tests over every input boundary: a bounded profile by default, a thorough one on request.

``HYPOTHESIS_PROFILE=thorough ./scripts/test.sh tests/properties`` runs ten times more examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("bounded", max_examples=40, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("thorough", parent=settings.get_profile("bounded"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))
