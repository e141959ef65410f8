"""What every property here checks about one run of the CLI: the documented exit codes, never a traceback,
nothing written on exit 2, and no non-finite number in a report (JSON has none; a decision never rests on one)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from hypothesis import strategies as st

from rollwise.cli import main

EXIT_CODES = {0, 1, 2, 3}

#: values that have broken parsers before: non-finite, negative, huge, empty, wrong type, nested
NASTY_SCALARS = st.one_of(
    st.sampled_from([".nan", ".inf", "-.inf", "nan", "inf", "-1", "0", "1e999", "10" * 20, "''", "~", "[]", "{}",
                     "true", "'100%'", "'-5%'", "1.5ms", "'1e3s'", "0x10", "'{track=\"x\"}'", "*a", "&a 1",
                     "!!binary aGk=", "!!python/object:os.system {}", "'\\u0000'", "\"\\xff\""]),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12).map(json.dumps),
)


def _no_constant(name: str) -> float:
    raise AssertionError(f"a report holds {name}")


def run(argv: list[str], report: Path, watched: list[Path] = ()) -> int:
    """Run the CLI; assert the boundary properties and return the exit code."""
    before = {p: p.read_bytes() if p.exists() else None for p in watched}
    report.unlink(missing_ok=True)
    code = main(argv)  # anything but a RollwiseError or a click error escapes here: a traceback fails the test
    assert code in EXIT_CODES, code
    if code == 2:
        assert not report.exists(), "exit 2 wrote a report"
        for path, content in before.items():
            assert (path.read_bytes() if path.exists() else None) == content, f"exit 2 changed {path}"
    if report.exists():
        payload = json.loads(report.read_text(), parse_constant=_no_constant)
        assert_finite(payload)
    return code


def assert_finite(value) -> None:
    if isinstance(value, float):
        assert math.isfinite(value), value
    elif isinstance(value, dict):
        for item in value.values():
            assert_finite(item)
    elif isinstance(value, list):
        for item in value:
            assert_finite(item)
