from openfeature import api

from .flag_names import Flag

features = api.get_client()


def search(query: str) -> list[str]:
    key = "dark-mode"
    if features.get_boolean_value(Flag.SEARCH.value, False):
        return [query, features.get_string_details(flag_key=key, default_value="light").value]
    return [query]
