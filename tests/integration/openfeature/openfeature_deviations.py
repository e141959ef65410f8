"""The conformance scenarios rollwise knowingly answers differently, with the reason (docs/flags/openfeature.md)."""

#: scenario title -> why rollwise answers differently (kept in step with docs/flags/openfeature.md)
DEVIATIONS = {
    "A flag without metadata has empty flag metadata":
        "rollwise puts the store `version` of the flag definition into every evaluation's flag metadata, so it "
        "is never empty",
}
