"""A rollout whose data stays inconclusive holds at its weight when the plan says so (exit 3), blocks a new
rollout, and is undone later by `rollwise canary rollback` — the runbook's path, on the real CLI."""

from __future__ import annotations

import json

from rollwise.cli import main
from support import services

CONFIG = """\
version: rollwise/v1
prometheus: {{url: "http://127.0.0.1:{port}", timeout: 1s, deadline: 2s, retries: 0}}
slos:
  - name: availability
    sli: {{ratio: {{errors: 'http_requests_total{{code=~"5.."}}', total: http_requests_total}}}}
    objective: 99%
canary:
  phases: [5, 100]
  analysis: {{warmup: 0s, interval: 500ms, count: 1, inconclusive_limit: 1, on_inconclusive: hold}}
  router: {{type: command, command: "echo {{weight}} > weight; cat weight"}}
  commands: {{rollback: "echo undone > rollback.log"}}
  state_file: state.json
"""


def test_inconclusive_data_holds_then_a_manual_rollback_undoes_it(tmp_path, capsys):
    config = tmp_path / "rollwise.yml"
    config.write_text(CONFIG.format(port=services.free_port()))  # nothing listens there: Prometheus is down
    report = tmp_path / "report.json"
    assert main(["canary", "run", "--config", str(config), "--report", str(report)]) == 3
    data = json.loads(report.read_text())
    assert (data["decision"], data["weight"], data["phase_reached"]) == ("inconclusive", 5, 5)
    assert "2 inconclusive analyses in this phase > inconclusive limit 1" in data["reason"]
    assert (tmp_path / "weight").read_text() == "5\n"
    assert "inconclusive, held at weight 5 %" in capsys.readouterr().err

    assert main(["canary", "run", "--config", str(config), "--report", str(report)]) == 2
    assert "a previous rollout is held at weight 5 %" in capsys.readouterr().err

    assert main(["canary", "rollback", "--config", str(config)]) == 0
    assert (tmp_path / "weight").read_text() == "0\n"
    assert (tmp_path / "rollback.log").read_text() == "undone\n"
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "rolled_back"
