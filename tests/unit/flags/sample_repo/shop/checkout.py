from rollwise.flags import FlagClient
from shop import flag_names
from shop.flag_names import NEW_CHECKOUT, Flags

# production code passes redis://
client = FlagClient.connect("file://flags.yml")
is_on = client.is_enabled


def checkout(user: str, region: str) -> str:
    if client.is_enabled(NEW_CHECKOUT, {"targetingKey": user}):
        return "new"
    theme = client.value(Flags.DARK_MODE, {"targetingKey": user}, default="light")
    if is_on("old-banner"):
        theme += "+banner"
    if client.evaluate(f"checkout-{region}", {"targetingKey": user}).value:
        theme += "+regional"
    return theme if client.is_enabled(flag_names.NEW_CHECKOUT) else "old"


def feature_on(key: str) -> bool:
    return client.is_enabled(key)
