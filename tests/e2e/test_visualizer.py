"""glassbox-viz end to end (issue 10), under Xvfb with Mesa's llvmpipe: a private glassboxd with
three containers on two networks (one a user-defined bridge) and a named volume gives a
--screenshot PNG that is not blank and differs from an empty engine's; a recorded build replays
stepped to its third instruction; bad recordings give one clear message naming the file and exit
non-zero without a crash; a daemon that goes away shows "disconnected", and the window reconnects
when a daemon answers on the socket again.

The helpers (Xvfb, the scene, the build recording, the PNG reader) are shared with
scripts/screenshots, which makes the README's screenshots from the same state.
"""
import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tarfile
import tempfile
import time
import zlib

import pytest

import glassbox_harness as harness

VIZ = os.path.join(harness.BUILD, "bin", "glassbox-viz")

DOCKERFILE = """FROM {base}
RUN echo hello > /hello.txt
COPY app.txt /app/app.txt
RUN rm /hello.txt && echo "viz:x:1000:1000::/:/bin/sh" >> /etc/passwd && mkdir -p /data
ENV GREETING=hi
CMD ["sh"]
"""


# [SECTION] Helpers shared with scripts/screenshots

class Xvfb:
    """A private X server on a free display, stopped by PID."""

    def __init__(self, size="1600x900x24"):
        self.size = size
        self.proc = None
        self.display = None
        # One private config directory per X server (the layout file must not come from, or go
        # to, the user's own config); removed in stop().
        self.config_home = None

    def start(self):
        if not shutil.which("Xvfb"):
            raise RuntimeError("Xvfb is not installed (apt-get install xvfb)")
        for number in range(91, 160):
            if os.path.exists(f"/tmp/.X11-unix/X{number}") or os.path.exists(f"/tmp/.X{number}-lock"):
                continue
            proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", self.size, "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.poll() is None:
                if os.path.exists(f"/tmp/.X11-unix/X{number}"):
                    self.proc, self.display = proc, f":{number}"
                    return self
                time.sleep(0.05)
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
        raise RuntimeError("no free X display between :91 and :159")

    def stop(self):
        if self.config_home:
            shutil.rmtree(self.config_home, ignore_errors=True)
            self.config_home = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def env(self):
        env = dict(os.environ, DISPLAY=self.display, LIBGL_ALWAYS_SOFTWARE="1")
        if self.config_home is None:
            self.config_home = tempfile.mkdtemp(prefix="gb-viz-config-")
        env["XDG_CONFIG_HOME"] = self.config_home
        return env


def run_viz(xvfb, *args, timeout=60):
    return subprocess.run([VIZ, *args], capture_output=True, text=True, timeout=timeout, env=xvfb.env(),
                          stdin=subprocess.DEVNULL)


def make_scene(daemon, image, prefix="viz"):
    """Three containers on two networks (the default bridge and a user-defined one) and a named
    volume. Returns the names made, for remove_scene."""
    network, volume = f"{prefix}-frontend", f"{prefix}-data"
    made = {"network": network, "volume": volume, "containers": []}
    for args in (("network", "create", network), ("volume", "create", volume)):
        result = daemon.cli(*args)
        assert result.returncode == 0, f"glassbox {' '.join(args)}: {result.stderr}"
    for name, extra in ((f"{prefix}-web", ["--network", network, "-v", f"{volume}:/data"]),
                        (f"{prefix}-db", ["--network", network]),
                        (f"{prefix}-cache", [])):
        result = daemon.cli("run", "-d", "--name", name, *extra, image, "sleep", "600")
        assert result.returncode == 0, f"run {name}: {result.stderr}"
        made["containers"].append(name)
    return made


def remove_scene(daemon, made):
    for name in made["containers"]:
        daemon.cli("rm", "-f", name)
    daemon.cli("network", "rm", made["network"])
    daemon.cli("volume", "rm", made["volume"])


def build_context(base):
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        for name, text in (("Dockerfile", DOCKERFILE.format(base=base)), ("app.txt", "the app\n")):
            blob = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return data.getvalue()


def post_build(daemon, tag):
    """POST /build with a small context; returns the JSON lines the daemon streamed."""
    conn = harness.UnixHTTPConnection(daemon.socket, timeout=300)
    try:
        conn.request("POST", f"/v1.41/build?t={tag}&rm=1", body=build_context(daemon.tag),
                     headers={"Content-Type": "application/x-tar"})
        response = conn.getresponse()
        body = response.read().decode()
        assert response.status == 200, body
    finally:
        conn.close()
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def record_build(daemon, path, tag):
    """Records (glassbox record) the event stream while the Dockerfile above builds."""
    record = subprocess.Popen([harness.CLI, "-H", daemon.host, "record", path], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(path) and open(path).read().count("\n") >= 2:
                break
            time.sleep(0.1)
        lines = post_build(daemon, tag)
        assert not any("error" in line for line in lines), lines
        time.sleep(1.5)  # The snapshot after the build's image events.
    finally:
        record.send_signal(signal.SIGINT)
        record.wait(timeout=30)
    return path


def png_pixels(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA PNG: enough of a PNG reader to
    compare screenshots without third-party packages."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 3
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), f"{path}: unsupported PNG format"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 255
        rows.append(bytes(line) if channels == 3 else bytes(b for j, b in enumerate(line) if j % 4 != 3))
        previous = line
    return width, height, rows


def distinct_colours(rows, step=4):
    colours = set()
    for row in rows[::step]:
        for x in range(0, len(row) - 2, 3 * step):
            colours.add(row[x:x + 3])
    return len(colours)


def differing_rows(a, b):
    return sum(1 for x, y in zip(a, b) if x != y)


# The SIMULATED badge's orange (visualizer/app.cpp: ImVec4(0.85, 0.45, 0.05)), as llvmpipe draws it.
BADGE_RGB = (217, 115, 13)


def badge_pixels(rows, top=40):
    """Pixels of the badge's orange in the menu bar (the top `top` rows)."""
    count = 0
    for row in rows[:top]:
        for x in range(0, len(row) - 2, 3):
            if all(abs(row[x + i] - BADGE_RGB[i]) <= 12 for i in range(3)):
                count += 1
    return count


# [SECTION] Tests

@pytest.fixture(scope="module")
def xvfb():
    if not os.access(VIZ, os.X_OK):
        pytest.skip(f"glassbox-viz is not built ({VIZ}); configure with -DENGINE_BUILD_VISUALIZER=ON")
    server = Xvfb()
    try:
        server.start()
    except RuntimeError as error:
        pytest.skip(str(error))
    yield server
    server.stop()


def test_screenshot_of_three_containers_on_two_networks_differs_from_empty_engine(daemon, image, xvfb, tmp_path):
    empty_png = str(tmp_path / "empty.png")
    result = run_viz(xvfb, "-H", daemon.host, "--screenshot", empty_png, "--size", "1280x720")
    assert result.returncode == 0, result.stderr
    made = make_scene(daemon, image)
    try:
        full_png = str(tmp_path / "scene.png")
        result = run_viz(xvfb, "-H", daemon.host, "--screenshot", full_png, "--size", "1280x720", "--frames", "8")
        assert result.returncode == 0, result.stderr
        assert "wrote" in result.stderr and "connected" in result.stderr, result.stderr
        network_png = str(tmp_path / "network.png")
        result = run_viz(xvfb, "-H", daemon.host, "--screenshot", network_png, "--panel", "network",
                         "--size", "1280x720")
        assert result.returncode == 0, result.stderr
    finally:
        remove_scene(daemon, made)

    width, height, empty = png_pixels(empty_png)
    assert (width, height) == (1280, 720)
    _, _, full = png_pixels(full_png)
    _, _, network = png_pixels(network_png)
    assert distinct_colours(full) > 20, "the screenshot is (nearly) blank"
    assert distinct_colours(network) > 10, "the network panel screenshot is (nearly) blank"
    # The containers, links and volume fill rows that are plain in the empty engine's picture.
    assert differing_rows(empty, full) > 100
    status, version = daemon.api_json("GET", "/version")
    if status == 200 and version.get("GlassboxKernel") == "real":
        assert badge_pixels(full) == 0, "the real kernel's window shows the SIMULATED badge"


def test_simulated_kernel_screenshot_shows_the_simulated_badge(xvfb, tmp_path):
    """A student's setup: glassboxd --kernel=sim as user nobody, the same scene; the screenshot's
    menu bar carries the orange SIMULATED badge (and the snapshot it drew says simulated)."""
    reason = harness.missing_reason()
    if reason:
        pytest.skip(reason + " (root runs the simulated daemon as nobody with setpriv)")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed (needed to run the simulated daemon as nobody)")
    sim = harness.Daemon(label="vizsim", kernel="sim", user="nobody").start()
    try:
        status, version = sim.api_json("GET", "/version")
        assert status == 200 and version["GlassboxKernel"] == "simulated", version
        made = make_scene(sim, sim.tag, prefix="vizsim")
        try:
            png = str(tmp_path / "sim.png")
            result = run_viz(xvfb, "-H", sim.host, "--screenshot", png, "--size", "1280x720", "--frames", "8")
            assert result.returncode == 0, result.stderr
        finally:
            remove_scene(sim, made)
        _, _, rows = png_pixels(png)
        assert distinct_colours(rows) > 20, "the simulated kernel's screenshot is (nearly) blank"
        assert badge_pixels(rows) >= 100, "no SIMULATED badge in the menu bar"
    finally:
        alive = sim.proc.poll() is None
        sim.stop()
        assert alive, "the simulated glassboxd died:\n" + sim.log_text()


def test_replay_of_a_recorded_build_steps_to_its_third_instruction(daemon, xvfb, tmp_path):
    recording = record_build(daemon, str(tmp_path / "build.timeline"), harness.unique("vizbuild"))
    steps = []
    with open(recording) as f:
        for line in f:
            entry = json.loads(line)
            event = entry.get("event", {}).get("event", {}) if entry.get("type") == "event" else {}
            if event.get("Type") == "build" and event.get("Action") == "step":
                steps.append(event["Actor"]["Attributes"])
    assert [int(step["step"]) for step in steps] == [1, 2, 3, 4, 5, 6]
    assert steps[2]["instruction"] == "COPY app.txt /app/app.txt"
    assert steps[2]["cache"] == "miss" and steps[2]["layer"].startswith("sha256:")
    assert "A /app/app.txt" in steps[2]["changes"].split("\n")
    fourth = steps[3]["changes"].split("\n")
    assert "D /hello.txt" in fourth and "C /etc/passwd" in fourth, fourth

    third = str(tmp_path / "third.png")
    first = str(tmp_path / "first.png")
    result = run_viz(xvfb, "--replay", recording, "--build-step", "3", "--panel", "build",
                     "--screenshot", third, "--size", "1280x720")
    assert result.returncode == 0, result.stderr
    result = run_viz(xvfb, "--replay", recording, "--build-step", "1", "--panel", "build",
                     "--screenshot", first, "--size", "1280x720")
    assert result.returncode == 0, result.stderr
    _, _, third_rows = png_pixels(third)
    _, _, first_rows = png_pixels(first)
    assert distinct_colours(third_rows) > 10
    assert differing_rows(first_rows, third_rows) > 10, "step 3 looks like step 1"
    result = run_viz(xvfb, "--replay", recording, "--build-step", "9", "--screenshot", third)
    assert result.returncode == 1 and "no build step 9" in result.stderr


@pytest.mark.parametrize("content,expected", [
    ("this is not json\n", "not JSON"),
    ('{"type":"header","format":"glassbox-timeline","schema_version":42}\n', "schema_version 42"),
    ('{"type":"header","format":"glassbox-timeline","schema_version":1}\n{"type":"snapshot","snapshot":{"schema_ver',
     "truncated"),
])
def test_bad_recording_gives_one_clear_message_and_exits_non_zero(xvfb, tmp_path, content, expected):
    path = tmp_path / "bad.timeline"
    path.write_text(content)

    result = run_viz(xvfb, "--replay", str(path), "--screenshot", str(tmp_path / "never.png"))

    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and expected in lines[0], lines[0]
    assert not (tmp_path / "never.png").exists()


def test_daemon_gone_shows_disconnected_and_reconnects_when_it_returns(xvfb, tmp_path):
    """A socket with no daemon behind it: the window says "disconnected"; when something answers
    on the socket again the source reconnects (a stand-in daemon serving the events stream)."""
    sock_path = str(tmp_path / "gone.sock")
    viz = subprocess.Popen([VIZ, "-H", sock_path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           env=xvfb.env(), stdin=subprocess.DEVNULL)
    server = None
    try:
        first = viz.stderr.readline()
        if "connecting to" in first:
            first = viz.stderr.readline()
        assert "disconnected" in first and sock_path in first, first
        # A daemon comes back: answer the events request with one snapshot line, then ticks.
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(sock_path)
        server.listen(1)
        server.settimeout(10)
        conn, _ = server.accept()
        conn.recv(65536)
        snapshot = json.dumps({"type": "snapshot", "snapshot": {"schema_version": 1, "generation": 3}}) + "\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + f"{len(snapshot):x}\r\n{snapshot}\r\n".encode())
        second = viz.stderr.readline()
        assert second.strip() == "glassbox-viz: connected", second
        # And goes away again.
        conn.close()
        third = viz.stderr.readline()
        assert "disconnected" in third, third
        assert viz.poll() is None, "glassbox-viz exited"
    finally:
        if server:
            server.close()
        viz.terminate()
        viz.wait(timeout=10)
    assert viz.returncode in (0, -signal.SIGTERM)
