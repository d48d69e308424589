"""glassbox compose end to end, on a private glassboxd: a three-service project (web, app, db on
a user-defined network, a named volume, a secret, app with a healthcheck that web waits for).
Checks the kernel state through GET /glassbox/v1/state, DNS by service name, the volume's data
across down/up, `down -v` removing everything, start-up order, and bad files failing with
file, line and key. Where Debian's docker-compose (1.29) is installed, the same project is
driven through it against glassboxd.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import pytest

import glassbox_harness as harness

PROJECT = "gbcompose"

COMPOSE_YAML = """\
services:
  web:
    image: ${{TAG}}
    command: ["sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www"]
    networks: [backend]
    stop_grace_period: 1s
    depends_on:
      app:
        condition: service_healthy
  app:
    image: ${{TAG}}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 2; touch /tmp/ready; while true; do sleep 0.2; done"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 300ms
      timeout: 2s
      retries: 30
    networks: [backend]
    depends_on: [db]
  db:
    image: ${{TAG}}
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
    environment:
      DB_NAME: ${{DB_NAME:-shop}}
    volumes:
      - dbdata:/var/lib/db
    secrets: [db_password]
    networks:
      backend:
        aliases: [database]
networks:
  backend: {{}}
volumes:
  dbdata: {{}}
secrets:
  db_password:
    file: ./db_password.txt
"""


@pytest.fixture(scope="module")
def project_dir():
    path = tempfile.mkdtemp(prefix="gb-compose-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def write_project(path, tag):
    with open(os.path.join(path, "compose.yaml"), "w") as f:
        f.write(COMPOSE_YAML.format())
    with open(os.path.join(path, ".env"), "w") as f:
        f.write(f"TAG={tag}\n")
    with open(os.path.join(path, "db_password.txt"), "w") as f:
        f.write("s3cret\n")


def compose(daemon, path, *args, timeout=120, project=PROJECT):
    return subprocess.run([harness.CLI, "-H", daemon.host, "compose", "-p", project,
                           "--project-directory", path, *args],
                          capture_output=True, text=True, timeout=timeout, cwd=path)


def project_containers(daemon, project=PROJECT):
    filters = json.dumps({"label": [f"com.docker.compose.project={project}"]})
    status, body = daemon.request("GET", "/v1.41/containers/json?all=1&filters=" + urllib.parse.quote(filters))
    assert status == 200, body
    return {c["Labels"]["com.docker.compose.service"]: c for c in json.loads(body)}


def inspect(daemon, ref):
    status, body = daemon.request("GET", f"/v1.41/containers/{ref}/json")
    assert status == 200, body
    return json.loads(body)


def started_at(info):
    # RFC 3339 with nanoseconds; lexical order is time order within one day and zone.
    return info["State"]["StartedAt"]


@pytest.fixture(scope="module")
def up_project(daemon, project_dir):
    if not os.access(harness.CLI, os.X_OK):
        pytest.skip(f"the glassbox CLI is not built yet ({harness.CLI})")
    write_project(project_dir, daemon.tag)
    result = compose(daemon, project_dir, "up", "-d")
    assert result.returncode == 0, result.stdout + result.stderr + "\nglassboxd:\n" + daemon.log_text()[-3000:]
    yield project_dir
    compose(daemon, project_dir, "down", "-v", "-t", "1")


def test_config_prints_resolved_model_and_plan(daemon, project_dir):
    write_project(project_dir, daemon.tag)

    result = compose(daemon, project_dir, "config")

    assert result.returncode == 0, result.stderr
    assert f"image: {daemon.tag}" in result.stdout
    assert "DB_NAME: shop" in result.stdout
    plan = [line for line in result.stdout.splitlines() if line.startswith("#   ")]
    assert plan[0].endswith(f"create network {PROJECT}_backend (driver bridge)"), plan
    assert plan[1].endswith(f"create volume {PROJECT}_dbdata"), plan
    assert [p.split("start service ")[1].split()[0] for p in plan[2:]] == ["db", "app", "web"], plan


def test_up_creates_one_network_three_containers_and_mounts_the_volume(daemon, up_project):
    status, body = daemon.request("GET", "/glassbox/v1/state")
    assert status == 200
    state = json.loads(body)

    networks = [n for n in state["networks"] if n.get("name") == f"{PROJECT}_backend"]
    assert len(networks) == 1, [n.get("name") for n in state["networks"]]
    containers = {c["name"]: c for c in state["containers"] if c["name"].startswith(PROJECT + "-")}
    assert sorted(containers) == [f"{PROJECT}-app-1", f"{PROJECT}-db-1", f"{PROJECT}-web-1"]
    assert all(c["status"] == "running" for c in containers.values())
    db = containers[f"{PROJECT}-db-1"]
    volume_mounts = [m for m in state["mounts"] if m.get("container_id") == db["id"]
                     and m.get("mount_point") == "/var/lib/db"]
    assert volume_mounts and volume_mounts[0].get("volume_name") == f"{PROJECT}_dbdata", volume_mounts
    labels = project_containers(daemon)["db"]["Labels"]
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert len(labels["com.docker.compose.config-hash"]) == 64


def test_services_find_each_other_by_name(daemon, up_project):
    db_ip = inspect(daemon, f"{PROJECT}-db-1")["NetworkSettings"]["Networks"][f"{PROJECT}_backend"]["IPAddress"]

    by_service = compose(daemon, up_project, "exec", "-T", "web", "ping", "-c1", "-W2", "db")
    by_alias = compose(daemon, up_project, "exec", "-T", "app", "ping", "-c1", "-W2", "database")

    assert by_service.returncode == 0, by_service.stdout + by_service.stderr
    assert f"({db_ip})" in by_service.stdout, by_service.stdout
    assert by_alias.returncode == 0, by_alias.stdout + by_alias.stderr


def test_secret_and_environment_reach_the_container(daemon, up_project):
    secret = compose(daemon, up_project, "exec", "-T", "db", "cat", "/run/secrets/db_password")
    env = compose(daemon, up_project, "exec", "-T", "db", "sh", "-c", "echo $DB_NAME")

    assert secret.stdout == "s3cret\n", secret.stderr
    assert env.stdout == "shop\n", env.stderr


def test_depends_on_healthy_orders_start_up(daemon, up_project):
    db, app, web = (inspect(daemon, f"{PROJECT}-{s}-1") for s in ("db", "app", "web"))

    assert started_at(db) < started_at(app) < started_at(web)
    health = app["State"]["Health"]
    assert health["Status"] == "healthy"
    first_pass = min(p["End"] for p in health["Log"] if p["ExitCode"] == 0)
    # web started only after app's healthcheck first passed (app sleeps 2 s before it can).
    assert started_at(web) >= first_pass or len(health["Log"]) == 5, (started_at(web), health["Log"])
    ps = compose(daemon, up_project, "ps")
    assert "(healthy)" in ps.stdout, ps.stdout


def test_volume_data_survives_down_and_up_and_down_v_removes_everything(daemon, up_project):
    wrote = compose(daemon, up_project, "exec", "-T", "db", "sh", "-c", "echo kept > /var/lib/db/file")
    assert wrote.returncode == 0, wrote.stderr

    down = compose(daemon, up_project, "down", "-t", "1")
    assert down.returncode == 0, down.stderr
    assert project_containers(daemon) == {}
    up = compose(daemon, up_project, "up", "-d")
    assert up.returncode == 0, up.stderr
    read = compose(daemon, up_project, "exec", "-T", "db", "cat", "/var/lib/db/file")
    assert read.stdout == "kept\n", read.stdout + read.stderr

    down_v = compose(daemon, up_project, "down", "-v", "-t", "1")
    assert down_v.returncode == 0, down_v.stderr
    assert project_containers(daemon) == {}
    status, _ = daemon.request("GET", f"/v1.41/volumes/{PROJECT}_dbdata")
    assert status == 404
    status, _ = daemon.request("GET", f"/v1.41/networks/{PROJECT}_backend")
    assert status == 404


def test_run_rm_runs_a_one_off_command(daemon, project_dir):
    write_project(project_dir, daemon.tag)

    result = compose(daemon, project_dir, "run", "--rm", "--no-deps", "-T", "db", "sh", "-c", "echo one-off $DB_NAME")

    try:
        assert result.returncode == 0, result.stderr
        assert "one-off shop" in result.stdout
        leftovers = [c for c in json.loads(daemon.request("GET", "/v1.41/containers/json?all=1")[1])
                     if c["Labels"].get("com.docker.compose.oneoff") == "True"]
        assert leftovers == []
    finally:
        compose(daemon, project_dir, "down", "-v", "-t", "1")


@pytest.mark.parametrize("text, where", [
    ("services:\n  web:\n    image: busybox\n    imagee: typo\n", "compose.yaml:4: services.web.imagee: unknown key"),
    ("services:\n  web:\n    image: busybox\n    ports: {a: 1}\n", "compose.yaml:4: services.web.ports: expected a list"),
    ("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
     "dependency cycle: a -> b -> a"),
    ("services:\n  db:\n    image: x\n    environment:\n      P: ${NOPE:?set NOPE}\n",
     "compose.yaml:5: services.db.environment.P: required variable NOPE is missing a value: set NOPE"),
])
def test_bad_file_fails_with_file_line_and_key(daemon, text, where):
    path = tempfile.mkdtemp(prefix="gb-compose-bad-")
    try:
        with open(os.path.join(path, "compose.yaml"), "w") as f:
            f.write(text)

        result = compose(daemon, path, "config")

        assert result.returncode != 0
        assert where in result.stderr, result.stderr
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_compose_yaml_is_preferred_over_docker_compose_yml(daemon):
    path = tempfile.mkdtemp(prefix="gb-compose-pref-")
    try:
        for name, service in (("compose.yaml", "chosen"), ("docker-compose.yml", "ignored")):
            with open(os.path.join(path, name), "w") as f:
                f.write(f"services:\n  {service}:\n    image: busybox\n")

        result = compose(daemon, path, "config", "--services")

        assert result.stdout == "chosen\n"
        assert "Using " + os.path.join(path, "compose.yaml") in result.stderr
    finally:
        shutil.rmtree(path, ignore_errors=True)


# [SECTION] Debian's docker-compose (1.29, Python) against glassboxd.

def docker_compose_path():
    return shutil.which("docker-compose")


def test_docker_compose_drives_the_same_project(daemon, project_dir):
    if docker_compose_path() is None:
        pytest.skip("Debian's docker-compose is not installed (scripts/install-deps.sh installs it)")
    write_project(project_dir, daemon.tag)
    env = dict(os.environ, DOCKER_HOST=daemon.host, COMPOSE_INTERACTIVE_NO_CLI="1")
    run = lambda *args: subprocess.run([docker_compose_path(), "-p", "gbdc", *args], cwd=project_dir, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=180)
    try:
        up = run("up", "-d")
        assert up.returncode == 0, up.stdout + up.stderr
        services = project_containers(daemon, project="gbdc")
        assert sorted(services) == ["app", "db", "web"]
        assert all(c["State"] == "running" for c in services.values()), {k: c["Status"] for k, c in services.items()}
        # `ps` lists each container once, with its state: list filters with several labels must
        # all match, or each service's containers show up under every service.
        ps = run("ps")
        assert ps.returncode == 0, ps.stdout + ps.stderr
        rows = [line for line in ps.stdout.splitlines() if line.startswith("gbdc_")]
        assert sorted(row.split()[0] for row in rows) == ["gbdc_app_1", "gbdc_db_1", "gbdc_web_1"], ps.stdout
        assert all(" Up" in row for row in rows), ps.stdout
        logs = run("logs", "--no-color")
        assert logs.returncode == 0, logs.stdout + logs.stderr
        assert all(f"gbdc_{name}_1" in logs.stdout for name in ("app", "db", "web")), logs.stdout
        ping = run("exec", "-T", "web", "ping", "-c1", "-W2", "db")
        assert ping.returncode == 0, ping.stdout + ping.stderr
        # glassbox compose finds the project docker-compose made, by its labels.
        ours = compose(daemon, project_dir, "ps", project="gbdc")
        assert ours.returncode == 0 and ours.stdout.count("gbdc_") == 3, ours.stdout + ours.stderr
    finally:
        down = run("down", "-v", "-t", "1")
    assert down.returncode == 0, down.stdout + down.stderr
    assert project_containers(daemon, project="gbdc") == {}
    # `down -v` also removed the project's network and named volume.
    status, body = daemon.request("GET", "/v1.41/networks")
    assert status == 200 and not [n["Name"] for n in json.loads(body) if n["Name"].startswith("gbdc_")], body
    status, body = daemon.request("GET", "/v1.41/volumes")
    assert status == 200 and not [v["Name"] for v in json.loads(body)["Volumes"] or [] if v["Name"].startswith("gbdc_")], body


# [SECTION] More verbs on small projects of their own.

def small_project(files):
    path = tempfile.mkdtemp(prefix="gb-compose-small-")
    for name, text in files.items():
        with open(os.path.join(path, name), "w") as f:
            f.write(text)
    return path


def test_attached_up_prints_prefixed_output_and_returns_when_services_end(daemon):
    path = small_project({"compose.yaml": f"services:\n  hello:\n    image: {daemon.tag}\n    command: echo hi from hello\n"})
    try:
        result = compose(daemon, path, "up", project="gbattach", timeout=60)

        assert result.returncode == 0, result.stderr
        assert "gbattach-hello-1  | hi from hello" in result.stdout, result.stdout
        logs = compose(daemon, path, "logs", "hello", project="gbattach")
        assert "gbattach-hello-1  | hi from hello" in logs.stdout, logs.stdout + logs.stderr
    finally:
        compose(daemon, path, "down", project="gbattach")
        shutil.rmtree(path, ignore_errors=True)


def test_unhealthy_dependency_stops_up_with_a_clear_error(daemon):
    text = (f"services:\n  sick:\n    image: {daemon.tag}\n"
            "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]\n"
            "    healthcheck:\n      test: [\"CMD\", \"false\"]\n      interval: 200ms\n      retries: 2\n"
            f"  web:\n    image: {daemon.tag}\n    command: [\"true\"]\n"
            "    depends_on:\n      sick:\n        condition: service_healthy\n")
    path = small_project({"compose.yaml": text})
    try:
        result = compose(daemon, path, "up", "-d", project="gbsick")

        assert result.returncode != 0
        assert "dependency failed to start: container gbsick-sick-1 is unhealthy" in result.stderr, result.stderr
        assert "web" not in project_containers(daemon, project="gbsick")
        sick = inspect(daemon, "gbsick-sick-1")["State"]["Health"]
        assert sick["Status"] == "unhealthy" and sick["FailingStreak"] >= 2
        status, body = daemon.request("GET", "/v1.41/events?since=0&until=%d" % (int(time.time()) + 1))
        actions = [e["Action"] for e in map(json.loads, body.decode().splitlines())
                   if e.get("Actor", {}).get("Attributes", {}).get("name") == "gbsick-sick-1"]
        assert "health_status: unhealthy" in actions, actions
    finally:
        compose(daemon, path, "down", "-t", "1", project="gbsick")
        shutil.rmtree(path, ignore_errors=True)


def test_stop_start_restart_and_ps_follow_the_services(daemon):
    text = (f"services:\n  one:\n    image: {daemon.tag}\n"
            "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; while true; do sleep 0.2; done\"]\n")
    path = small_project({"compose.yaml": text})
    try:
        assert compose(daemon, path, "up", "-d", project="gbverbs").returncode == 0
        first_start = inspect(daemon, "gbverbs-one-1")["State"]["StartedAt"]

        stop = compose(daemon, path, "stop", project="gbverbs")
        stopped = inspect(daemon, "gbverbs-one-1")["State"]["Status"]
        ps_running = compose(daemon, path, "ps", project="gbverbs").stdout
        ps_all = compose(daemon, path, "ps", "-a", project="gbverbs").stdout
        start = compose(daemon, path, "start", project="gbverbs")
        restarted = compose(daemon, path, "restart", "-t", "1", project="gbverbs")

        assert stop.returncode == 0 and stopped == "exited"
        assert "gbverbs-one-1" not in ps_running and "gbverbs-one-1" in ps_all
        assert start.returncode == 0 and restarted.returncode == 0
        state = inspect(daemon, "gbverbs-one-1")["State"]
        assert state["Status"] == "running" and state["StartedAt"] > first_start
    finally:
        compose(daemon, path, "down", "-t", "1", project="gbverbs")
        shutil.rmtree(path, ignore_errors=True)


def test_up_build_builds_the_service_image_and_down_rmi_local_removes_it(daemon):
    path = small_project({
        "compose.yaml": "services:\n  made:\n    build: .\n    command: cat /built\n",
        "Dockerfile": f"FROM {daemon.tag}\nRUN echo built-by-compose > /built\n",
    })
    try:
        up = compose(daemon, path, "up", "--build", project="gbbuild", timeout=300)

        assert up.returncode == 0, up.stdout + up.stderr
        assert "gbbuild-made-1  | built-by-compose" in up.stdout, up.stdout
        assert daemon.request("GET", "/v1.41/images/gbbuild-made/json")[0] == 200
        down = compose(daemon, path, "down", "--rmi", "local", project="gbbuild")
        assert down.returncode == 0, down.stderr
        assert daemon.request("GET", "/v1.41/images/gbbuild-made/json")[0] == 404
    finally:
        compose(daemon, path, "down", "--rmi", "local", project="gbbuild")
        shutil.rmtree(path, ignore_errors=True)


def test_docker_cli_health_flags_reach_the_daemon(daemon, docker_cli):
    name = "gbhealth-cli"
    run = daemon.docker("run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok", "--health-interval", "200ms",
                        "--health-retries", "50", daemon.tag, "sh", "-c",
                        "trap 'exit 0' TERM; touch /tmp/ok; while true; do sleep 0.2; done")
    try:
        assert run.returncode == 0, run.stderr
        deadline = time.monotonic() + 20
        status = ""
        while time.monotonic() < deadline and status != "healthy":
            status = daemon.docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
            time.sleep(0.2)
        assert status == "healthy"
        assert "(healthy)" in daemon.docker("ps", "--filter", "name=" + name).stdout
        assert daemon.docker("ps", "-q", "--filter", "health=healthy", "--filter", "name=" + name).stdout.strip()
        assert daemon.docker("inspect", "--format", "{{json .Config.Healthcheck.Test}}", name).stdout.strip() == \
            '["CMD-SHELL","test -f /tmp/ok"]'
    finally:
        daemon.docker("rm", "-f", name)
