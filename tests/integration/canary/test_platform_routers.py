"""The kubernetes and fly routers, driven against fake kubectl/flyctl executables on PATH that keep the
platform's state in a JSON file and record every call."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from rollwise.canary.adapters.routers import RouterError, create
from rollwise.canary.adapters.routers.fly import machine_counts
from rollwise.canary.model.plan import RouterSpec

FAKE_KUBECTL = r'''
import json, os, sys
state, log = os.environ["FAKE_STATE"], os.environ["FAKE_LOG"]
args = sys.argv[1:]
open(log, "a").write(json.dumps(args) + "\n")
obj = json.load(open(state))
if os.environ.get("FAKE_FAIL") and args[0] == "patch":
    sys.exit('Error from server (Forbidden): httproutes "shop" is forbidden: User "ci" cannot patch')
if args[0] == "get":
    print(json.dumps(obj))
elif args[0] == "patch":
    for op in json.loads(args[args.index("-p") + 1]):
        *parents, last = [int(p) if p.isdigit() else p for p in op["path"].strip("/").split("/")]
        target = obj
        for part in parents:
            target = target[part]
        target[last] = op["value"]
    json.dump(obj, open(state, "w"))
'''

FAKE_FLYCTL = r'''
import json, os, sys
state, log = os.environ["FAKE_STATE"], os.environ["FAKE_LOG"]
args = sys.argv[1:]
open(log, "a").write(json.dumps(args) + "\n")
counts = json.load(open(state))
if args[:2] == ["scale", "count"]:
    for pair in args[2:]:
        if "=" in pair:
            group, count = pair.split("=")
            counts[group] = int(count)
    json.dump(counts, open(state, "w"))
elif args[:2] == ["machines", "list"]:
    machines = [{"id": f"{g}{i}", "state": "started", "config": {"metadata": {"fly_process_group": g}}}
                for g, n in counts.items() for i in range(n)]
    machines.append({"id": "old", "state": "stopped", "config": {"metadata": {"fly_process_group": "canary"}}})
    print(json.dumps(machines))
'''


@pytest.fixture()
def fake(tmp_path, monkeypatch):
    """Install a fake executable named ``name`` on PATH with ``state`` as its platform state."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_STATE", str(tmp_path / "state.json"))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.log"))

    def install(name, source, state):
        exe = bindir / name
        exe.write_text(f"#!{sys.executable}\n{source}")
        exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
        (tmp_path / "state.json").write_text(json.dumps(state))

    install.calls = lambda: [json.loads(line) for line in (tmp_path / "calls.log").read_text().splitlines()]
    install.state = lambda: json.loads((tmp_path / "state.json").read_text())
    return install


HTTPROUTE = {"kind": "HTTPRoute", "spec": {"rules": [
    {"matches": [{"path": {"value": "/admin"}}], "backendRefs": [{"name": "admin", "port": 80}]},
    {"backendRefs": [{"name": "shop-stable", "port": 80, "weight": 100}, {"name": "shop-canary", "port": 80}]},
]}}

VIRTUALSERVICE = {"kind": "VirtualService", "spec": {"http": [{"route": [
    {"destination": {"host": "shop", "subset": "stable"}, "weight": 100},
    {"destination": {"host": "shop", "subset": "canary"}, "weight": 0},
]}]}}


def test_kubernetes_httproute_weights(fake):
    fake("kubectl", FAKE_KUBECTL, HTTPROUTE)
    router = create(RouterSpec("kubernetes", {"name": "shop", "namespace": "prod", "baseline": "shop-stable",
                                              "canary": "shop-canary"}))
    assert router.set_weight(25) == 25
    refs = fake.state()["spec"]["rules"][1]["backendRefs"]
    assert [(r["name"], r["weight"]) for r in refs] == [("shop-stable", 75), ("shop-canary", 25)]
    assert fake.state()["spec"]["rules"][0]["backendRefs"] == [{"name": "admin", "port": 80}]
    get, patch, _ = fake.calls()
    assert get == ["get", "httproutes.gateway.networking.k8s.io", "shop", "-o", "json", "--namespace", "prod"]
    assert patch[:4] == ["patch", "httproutes.gateway.networking.k8s.io", "shop", "--type=json"]
    assert json.loads(patch[5]) == [
        {"op": "add", "path": "/spec/rules/1/backendRefs/0/weight", "value": 75},
        {"op": "add", "path": "/spec/rules/1/backendRefs/1/weight", "value": 25}]
    assert router.set_weight(0) == 0


def test_kubernetes_istio_virtualservice_by_subset(fake):
    fake("kubectl", FAKE_KUBECTL, VIRTUALSERVICE)
    router = create(RouterSpec("kubernetes", {"kind": "virtualservice", "name": "shop", "baseline": "stable",
                                              "canary": "canary", "context": "prod-eu"}))
    assert router.set_weight(50) == 50
    assert [r["weight"] for r in fake.state()["spec"]["http"][0]["route"]] == [50, 50]
    assert fake.calls()[0][-2:] == ["--context", "prod-eu"]


def test_kubernetes_errors_are_router_errors(fake, monkeypatch):
    fake("kubectl", FAKE_KUBECTL, HTTPROUTE)
    router = create(RouterSpec("kubernetes", {"name": "shop", "baseline": "shop-stable", "canary": "shop-next"}))
    with pytest.raises(RouterError, match="no rule of httproute shop routes to both 'shop-stable' and 'shop-next'"):
        router.set_weight(5)
    monkeypatch.setenv("FAKE_FAIL", "1")
    router = create(RouterSpec("kubernetes", {"name": "shop", "baseline": "shop-stable", "canary": "shop-canary"}))
    with pytest.raises(RouterError, match="patching the weights of httproute shop failed: .* cannot patch"):
        router.set_weight(5)


def test_missing_kubectl_says_so():
    router = create(RouterSpec("kubernetes", {"name": "shop", "baseline": "a", "canary": "b",
                                              "kubectl": "/nonexistent/kubectl"}))
    with pytest.raises(RouterError, match=r"exited with code 127.*\(is it installed and on PATH\?\)"):
        router.set_weight(5)


def test_fly_scales_process_groups_and_reports_the_machine_share(fake):
    fake("flyctl", FAKE_FLYCTL, {"app": 10, "canary": 0})
    router = create(RouterSpec("fly", {"app": "shop", "machines": 10}))
    assert router.set_weight(5) == 10  # one Machine of ten is the smallest canary
    assert fake.state() == {"app": 9, "canary": 1}
    assert fake.calls()[0] == ["scale", "count", "app=9", "canary=1", "--app", "shop", "--yes"]
    assert fake.calls()[1] == ["machines", "list", "--app", "shop", "--json"]
    assert router.set_weight(50) == 50
    assert router.set_weight(0) == 0 and fake.state() == {"app": 10, "canary": 0}


@pytest.mark.parametrize(("weight", "expected"), [(0, (10, 0)), (1, (9, 1)), (25, (8, 2)), (99, (1, 9)),
                                                  (100, (0, 10))],
                         ids=["zero", "tiny-gets-one", "rounds", "baseline-keeps-one", "all"])
def test_machine_counts(weight, expected):
    assert machine_counts(weight, 10) == expected
