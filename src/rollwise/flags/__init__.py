"""Feature flags: flags as code, evaluated in process, kept current by Redis push invalidation.

    from rollwise.flags import FlagClient
    client = FlagClient.connect("redis://127.0.0.1:6379")      # or "file://flags.yml"
    result = client.evaluate("new-checkout", {"targetingKey": "user-42", "country": "DE"}, default=False)
    result.value, result.variant, result.reason, result.version
"""

from rollwise.flags.client import ClientOptions, FlagClient
from rollwise.flags.model import Evaluation

__all__ = ["ClientOptions", "Evaluation", "FlagClient"]
