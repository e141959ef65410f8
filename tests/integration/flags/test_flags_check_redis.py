"""`flags check` with a real Redis store: a flag killed in Redis (its audit stream says when) and still read by the
sample repository's code is stale once stale_after has passed on an injected clock; sync entries count too."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rollwise.flags import service
from rollwise.flags.model.changes import Audit
from support.clock import FakeClock

SAMPLE = Path(__file__).resolve().parents[2] / "unit" / "flags" / "sample_repo"


def test_stale_flag_from_the_redis_audit_stream(redis_server, tmp_path):
    repo = shutil.copytree(SAMPLE, tmp_path / "repo")
    store = service.open_store(redis_server.url)
    try:
        service.sync(store, repo / "flags.yml", Audit("deploy"))  # old-banner arrives killed
        synced = datetime.now(timezone.utc)
        service.set_rollout(store, "new-checkout", 100, Audit("ci", "ramp done"))

        def stale(days: int) -> list[tuple[str, str, int]]:
            result = service.check_code(repo / "flags.yml", repo, store=store, clock=FakeClock((synced + timedelta(days=days)).timestamp()))
            return sorted((f.key, f.file, f.line) for f in result.findings if f.rule == "stale-flag")

        assert stale(29) == []
        # every flag that serves one variant to everyone since the sync: killed, 100 %, or no rules at all
        found = stale(31)
        assert sorted({key for key, _, _ in found}) == ["dark-mode", "new-checkout", "old-banner", "search-v2"]
        assert [(f, line) for key, f, line in found if key in ("new-checkout", "old-banner")] == [
            ("shop/checkout.py", 11), ("shop/checkout.py", 18), ("web/src/checkout.ts", 6),
            ("services/banner.go", 10), ("shop/checkout.py", 14)]
        # back to a split: no longer one variant for everyone
        service.set_rollout(store, "new-checkout", 50, Audit("oncall", "errors"))
        assert "new-checkout" not in {key for key, _, _ in stale(31)}
    finally:
        store.close()
