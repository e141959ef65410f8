"""docs/getting-started.md works as written: its shell blocks run in order on a fresh directory.

A block runs as one bash script (``set -euo pipefail``) in a shared working directory; ``ROLLWISE_REPO`` points
at this checkout. A comment ``<!-- expect: exit N -->`` right before a block asserts its exit code.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "getting-started.md"
BLOCK = re.compile(r"(?:<!--\s*expect:\s*exit\s+(?P<code>\d+)\s*-->\s*\n)?```(?:bash|sh|console)\n(?P<body>.*?)```", re.S)


def blocks(text: str) -> list[tuple[str, int]]:
    """The shell blocks of a markdown text and the exit code each is expected to end with."""
    return [(m.group("body"), int(m.group("code") or 0)) for m in BLOCK.finditer(text)]


def test_block_parser():
    text = "x\n```bash\necho a\n```\n<!-- expect: exit 1 -->\n```bash\nfalse\n```\n```yaml\nk: v\n```\n"
    assert blocks(text) == [("echo a\n", 0), ("false\n", 1)]


def test_getting_started_runs_as_written(tmp_path):
    found = blocks(DOC.read_text())
    assert len(found) >= 3, "the guide should walk through install, a passing gate and a failing gate"
    env = {**os.environ, "ROLLWISE_REPO": str(ROOT), "HOME": str(tmp_path),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        for index, (body, expected) in enumerate(found, 1):
            _run_block(tmp_path, env, index, body, expected)
    finally:  # the services the guide started, should a failing block have skipped its clean-up
        for pid_file in tmp_path.glob("*.pid"):
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass


def _run_block(tmp_path, env, index, body, expected):
    result = subprocess.run(["bash", "-c", "set -euo pipefail\n" + body], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == expected, (
        f"block {index} of {DOC.name} exited {result.returncode}, expected {expected}:\n{body}\n"
        f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    )
