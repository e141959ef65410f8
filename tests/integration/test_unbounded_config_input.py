"""Unbounded and ambiguous YAML on the real CLI: an alias bomb, deep nesting and duplicate keys in rollwise.yml and
flags.yml are exit 2 at the line, in a process held to 512 MiB of memory (the bomb alone would take 1.4 GB), and a
real Redis store is left as it was."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from rollwise.cli import main
from rollwise.flags import service
from support.services import free_port

BOMB = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
DEEP = "x: " + "[" * 100_000 + "]" * 100_000 + "\n"


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (512 * 2**20, 512 * 2**20))


def rollwise(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rollwise.cli", *args], cwd=cwd, capture_output=True, text=True,
                          preexec_fn=_limited, timeout=300)


@pytest.mark.parametrize("text,words", [("version: rollwise/v1\n" + BOMB, "aliases expand"),
                                        ("version: rollwise/v1\n" + DEEP, "deeper than 64")], ids=["alias-bomb", "deep"])
def test_unbounded_rollwise_yml_is_exit_2_within_512_mib(tmp_path, text, words):
    (tmp_path / "rollwise.yml").write_text(text)
    done = rollwise("gate", "--config", "rollwise.yml", "--prometheus-url", f"http://127.0.0.1:{free_port()}",
                    "--window", "10m", "--report", "r.json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "rollwise.yml:" in done.stderr and words in done.stderr and not (tmp_path / "r.json").exists()


def test_unbounded_flags_yml_is_exit_2_within_512_mib(tmp_path, redis_server):
    (tmp_path / "flags.yml").write_text("version: rollwise/flags/v1\nflags: {}\n" + BOMB)
    done = rollwise("flags", "sync", "--store", redis_server.url, "--file", "flags.yml", "--actor", "t", cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "flags.yml:" in done.stderr and "aliases expand" in done.stderr


def test_duplicate_flag_key_in_flags_yml_is_exit_2_and_redis_keeps_its_flags(tmp_path, redis_server, capsys):
    good = tmp_path / "good.yml"
    good.write_text("version: rollwise/flags/v1\nflags:\n  checkout: {default: true}\n")
    audit = ["--actor", "ci", "--reason", "test"]
    assert main(["flags", "sync", "--store", redis_server.url, "--file", str(good), *audit]) == 0
    store = service.open_store(redis_server.url)
    before = store.load()
    store.close()
    # the second `checkout:` would silently replace the first, and turn the checkout off for everyone
    twice = tmp_path / "flags.yml"
    twice.write_text("version: rollwise/flags/v1\nflags:\n  checkout: {default: true}\n  banner: {default: false}\n"
                     "  checkout: {default: false}\n")
    capsys.readouterr()
    assert main(["flags", "sync", "--store", redis_server.url, "--file", str(twice), "--report",
                 str(tmp_path / "r.json"), *audit]) == 2
    err = capsys.readouterr().err
    assert "flags.yml:5: flags.checkout" in err and "lines 3 and 5" in err
    store = service.open_store(redis_server.url)
    after = store.load()
    store.close()
    assert after.version == before.version
    assert json.loads((tmp_path / "r.json").read_text())["decision"] != "proceed"
