"""The HTML report, loaded in headless Chromium (Debian package): it renders, and its charts are drawn."""

from __future__ import annotations

import struct
import subprocess
import zlib

from rollwise.cli import main
from support import services

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--hide-scrollbars", "--window-size=1200,2200"]


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) into rows of raw pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, channels, rows


def count_colour(rows: list[bytes], channels: int, rgb: tuple[int, int, int], slack: int = 40) -> int:
    hits = 0
    for row in rows[::2]:
        for x in range(0, len(row), channels * 2):
            r, g, b = row[x], row[x + 1], row[x + 2]
            if abs(r - rgb[0]) + abs(g - rgb[1]) + abs(b - rgb[2]) <= slack:
                hits += 1
    return hits


def test_html_report_renders_in_chromium_with_both_lines(gate_prometheus, repo_root, tmp_path):
    html = tmp_path / "report.html"
    code = main(["gate", "--config", str(repo_root / "examples/gate/rollwise.yml"), "--prometheus-url",
                 gate_prometheus.url, "--baseline", '{scenario="latency_regression",track="baseline"}',
                 "--canary", '{scenario="latency_regression",track="canary"}', "--start", str(gate_prometheus.start),
                 "--end", str(gate_prometheus.end), "--html", str(html)])
    assert code == 1
    chromium = services.find_binary("chromium")
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, "--dump-dom", html.as_uri()], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert 'id="decision">rollback</span>' in dom
    assert dom.count("<polyline") == 6  # baseline and canary for each of the three SLOs
    shot = tmp_path / "report.png"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--screenshot={shot}", html.as_uri()], capture_output=True,
                   timeout=60, check=True)
    width, channels, rows = png_pixels(shot.read_bytes())
    assert width == 1200
    assert count_colour(rows, channels, (0xCF, 0x22, 0x2E)) > 50  # the red "rollback" badge
    assert count_colour(rows, channels, (0x1F, 0x77, 0xB4)) > 50  # baseline lines
    assert count_colour(rows, channels, (0xD6, 0x27, 0x28)) > 50  # canary lines
