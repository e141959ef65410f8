"""Flag keys as constants, the way most code bases name them."""

from enum import Enum

NEW_CHECKOUT = "new-checkout"


class Flags:
    DARK_MODE = "dark-mode"


class Flag(Enum):
    SEARCH = "search-v2"
