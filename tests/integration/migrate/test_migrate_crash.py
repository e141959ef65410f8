"""A bug during apply (an unexpected exception) runs the same rollback ladder as a failed revision, then exits 4:
the database is back at its starting revision with every checksum equal, and nothing says "rollback"."""

from __future__ import annotations

import json


def test_a_crash_during_apply_rolls_back_to_the_start_and_exits_4(project, tmp_path, monkeypatch, capsys):
    project.seed()
    project.add_fault("0006_locks_users.py")
    checksums, rows = project.checksums(), project.contents()
    outputs, report = tmp_path / "out", tmp_path / "r.json"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    def boom(*args, **kwargs):
        raise KeyError("injected")

    monkeypatch.setattr("rollwise.migrate.service.run_verify", boom)
    code = project.rollwise("apply", "--report", str(report), "--verify", "true", "--backup-dir", str(tmp_path / "b"))
    assert code == 4
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows
    err = capsys.readouterr().err
    assert "internal error in `rollwise migrate apply`: KeyError: 'injected'" in err and "Traceback" in err
    payload = json.loads(report.read_text())
    assert (payload["decision"], payload["status"], payload["to_revision"]) == ("error", "rolled-back", "0005")
    text = outputs.read_text()
    assert "\nerror\n" in text and "rollback" not in text
