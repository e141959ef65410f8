"""RollwiseProvider's flag metadata follows the flag definition in the store (file store, no SDK in between)."""

from __future__ import annotations

import time

from rollwise.flags.openfeature import RollwiseProvider

FLAGS = 'version: rollwise/flags/v1\nflags:\n  f: {{variants: {{"on": true, "off": false}}, default: "on", metadata: {meta}}}\n'


def test_metadata_is_the_flags_scalars_plus_version_and_follows_changes(tmp_path):
    path = tmp_path / "flags.yml"
    path.write_text(FLAGS.format(meta="{owner: web, revision: 1, nested: {a: 1}}"))
    provider = RollwiseProvider.connect(f"file://{path}", file_poll_interval=0.01)
    try:
        assert dict(provider.resolve_boolean_details("f", False).flag_metadata) == {"owner": "web", "revision": 1,
                                                                                     "version": 0}
        path.write_text(FLAGS.format(meta="{owner: payments}") + "revision: 2\n")
        deadline = time.monotonic() + 5
        while provider.client.version < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert dict(provider.resolve_boolean_details("f", False).flag_metadata) == {"owner": "payments", "version": 2}
        assert dict(provider.resolve_boolean_details("missing", False).flag_metadata) == {"version": 0}
    finally:
        provider.shutdown()
