"""Routers on real components: nginx (weights checked by requests), the command router, the flag router on a
file store and on Redis, and plugins registered through the ``rollwise.routers`` entry-point group."""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import httpx
import pytest

from rollwise.canary.adapters.routers import RouterError, available, create, router_class
from rollwise.canary.model.plan import RouterSpec
from support import services


def backend(track):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("X-Track", track)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def nginx_setup(tmp_path):
    servers = {track: backend(track) for track in ("baseline", "canary")}
    options = {"upstream_file": str(tmp_path / "nginx" / "upstream.conf"), "upstream": "app",
               "baseline": f"127.0.0.1:{servers['baseline'].server_port}",
               "canary": f"127.0.0.1:{servers['canary'].server_port}"}
    (tmp_path / "nginx").mkdir()
    router = create(RouterSpec("nginx", options))
    (tmp_path / "nginx" / "upstream.conf").write_text(router.render(0))
    nginx = services.start_nginx(tmp_path / "nginx", (
        f"include {tmp_path}/nginx/upstream.conf;\nserver {{\n listen 127.0.0.1:$PORT;\n"
        " location / { proxy_pass http://app; }\n"
        " location = /w { return 200 $rollwise_canary_weight; }\n}\n"))
    router.options.update(conf=str(nginx.extra["conf"]), prefix=str(tmp_path / "nginx"), weight_url=f"{nginx.url}/w")
    yield router, nginx
    nginx.stop()
    for server in servers.values():
        server.shutdown()


def served(url, requests=100):
    # a fresh connection each time, as new clients arrive (a kept-alive one may outlive a reload)
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0)) as client:
        return Counter(client.get(url).headers["x-track"] for _ in range(requests))


@pytest.mark.parametrize("weight", [0, 25, 100], ids=["zero", "quarter", "all"])
def test_nginx_splits_by_weight(nginx_setup, weight):
    router, nginx = nginx_setup
    assert router.set_weight(weight) == weight
    seen = served(nginx.url, 200)
    assert seen["canary"] == pytest.approx(2 * weight, abs=0 if weight in (0, 100) else 12)
    assert seen["baseline"] + seen["canary"] == 200


def test_nginx_rejected_config_keeps_the_last_good_file(nginx_setup):
    router, nginx = nginx_setup
    router.set_weight(25)
    good = router.path(router.options["upstream_file"]).read_text()
    router.options["canary"] = "127.0.0.1:99999"
    with pytest.raises(RouterError, match=r"nginx -t\) failed: .*invalid port"):
        router.set_weight(50)
    assert router.path(router.options["upstream_file"]).read_text() == good
    assert served(nginx.url, 200)["canary"] == pytest.approx(50, abs=12)


def test_nginx_unconfirmed_weight_is_an_error(nginx_setup):
    router, nginx = nginx_setup
    router.options.update(weight_url=f"{nginx.url}/not-the-weight", confirm_timeout=0.5)
    with pytest.raises(RouterError, match="still returns .* not weight 10"):
        router.set_weight(10)


def test_command_router_passes_the_weight_and_reads_back_what_was_set(tmp_path):
    log = tmp_path / "calls"
    router = create(RouterSpec("command", {"command": f"echo $ROLLWISE_BASELINE_WEIGHT {{weight}} >> {log}; echo 30"}))
    assert router.set_weight(25) == 30
    assert log.read_text() == "75 25\n"
    assert create(RouterSpec("command", {"command": "echo weight set"})).set_weight(5) == 5
    with pytest.raises(RouterError, match="command router: setting weight 5 failed: `exit 3` exited with code 3"):
        create(RouterSpec("command", {"command": "exit 3"})).set_weight(5)


FLAGS = """\
version: rollwise/flags/v1
flags:
  checkout-v2:
    default: false
"""


def test_flag_router_on_a_file_store(tmp_path):
    (tmp_path / "flags.yml").write_text(FLAGS)
    router = create(RouterSpec("flag", {"store": "file://flags.yml", "flag": "checkout-v2"}), base_dir=tmp_path)
    assert router.set_weight(25) == 25
    from rollwise.flags import service

    raw = service.read(service.open_store(f"file://{tmp_path}/flags.yml")).raw_flags["checkout-v2"]
    assert raw["default"]["rollout"] == {"true": 25, "false": 75}
    assert router.set_weight(0) == 0


def test_flag_router_on_redis(redis_server, tmp_path):
    from rollwise.flags import service

    (tmp_path / "flags.yml").write_text(FLAGS)
    store = service.open_store(redis_server.url)
    service.sync(store, tmp_path / "flags.yml", service.Audit(actor="test"))
    router = create(RouterSpec("flag", {"store": redis_server.url, "flag": "checkout-v2"}))
    assert router.set_weight(50) == 50
    redis_server.stop()
    with pytest.raises(RouterError, match="flag router: setting checkout-v2 to 100 % failed"):
        router.set_weight(100)


def test_flag_router_unknown_flag(tmp_path):
    (tmp_path / "flags.yml").write_text(FLAGS)
    router = create(RouterSpec("flag", {"store": f"file://{tmp_path}/flags.yml", "flag": "nope"}))
    with pytest.raises(RouterError, match="flag router: setting nope to 5 % failed"):
        router.set_weight(5)


def test_plugins_come_from_the_entry_point_group(tmp_path, monkeypatch):
    (tmp_path / "haproxy_router.py").write_text(textwrap.dedent("""
        from rollwise.canary.adapters.routers import Router

        class HAProxyRouter(Router):
            name = "haproxy"
            options_schema = {"type": "object", "properties": {"backend": {"type": "string"}}}

            def set_weight(self, weight):
                return weight
        """))
    dist = tmp_path / "rollwise_haproxy-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rollwise-haproxy\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[rollwise.routers]\nhaproxy = haproxy_router:HAProxyRouter\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "haproxy" in available() and {"command", "nginx", "kubernetes", "fly", "flag"} <= set(available())
    assert router_class("haproxy").__name__ == "HAProxyRouter"
    assert create(RouterSpec("haproxy", {"backend": "shop"})).set_weight(40) == 40
    monkeypatch.delitem(sys.modules, "haproxy_router", raising=False)
