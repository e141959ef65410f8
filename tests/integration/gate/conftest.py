"""One real Prometheus for all gate integration tests, backfilled with every scenario by promtool."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import pytest

from support import services

import gate_data


@dataclass(frozen=True)
class GateProm:
    url: str
    end: int  # end of the judged window (unix seconds)
    service: services.Service

    @property
    def start(self) -> int:
        return self.end - gate_data.WINDOW


@pytest.fixture(scope="session")
def gate_prometheus(tmp_path_factory):
    """Prometheus (Debian package) serving blocks made with ``promtool tsdb create-blocks-from openmetrics``."""
    workdir = tmp_path_factory.mktemp("gate-prometheus")
    end = int(time.time() // 60 * 60) - 120
    source = workdir / "series.om"
    source.write_text(gate_data.generate(end))
    storage = workdir / "tsdb"
    promtool = services.find_binary("promtool")
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(storage)], check=True,
                   capture_output=True)
    service = services.start_prometheus(workdir, storage=storage)
    yield GateProm(service.url, end, service)
    service.stop()
