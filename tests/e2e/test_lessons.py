"""Every lesson, end to end, on a fresh private glassboxd per lesson:

- `glassbox lesson solve NN` runs each step's solution and passes every check of every step;
- a wrong state (one per lesson) fails the check it should, and that check's hint names the
  objects at fault (lesson 8: web and db on different networks fail "web resolves db by name",
  and the hint names both networks);
- a lesson whose kernel features are missing here (GET /glassbox/v1/features) is skipped with the
  feature's reason, never passed, after checking that `glassbox lesson start` refuses it naming
  the missing kernel option and offering scripts/kernel-lab.

Lessons come from the repository's lessons/ folder; progress goes to a temporary file.
"""
import json
import os
import re
import subprocess
import tempfile
import time

import pytest

import glassbox_harness as harness

LESSONS_DIR = os.path.join(harness.REPO, "lessons")
LESSONS = sorted(name for name in os.listdir(LESSONS_DIR)
                 if re.match(r"^\d\d-", name) and not name.startswith("00-")
                 and os.path.isfile(os.path.join(LESSONS_DIR, name, "lesson.yaml")))


def required_features(lesson):
    """The `requires.features` list of a lesson.yaml (PyYAML when present, else the flow list)."""
    path = os.path.join(LESSONS_DIR, lesson, "lesson.yaml")
    with open(path) as f:
        text = f.read()
    try:
        import yaml
        return list(((yaml.safe_load(text) or {}).get("requires") or {}).get("features") or [])
    except ImportError:
        match = re.search(r"^\s+features:\s*\[([^\]]*)\]", text, re.M)
        return [x.strip() for x in match.group(1).split(",") if x.strip()] if match else []


def step_ids(lesson):
    with open(os.path.join(LESSONS_DIR, lesson, "lesson.yaml")) as f:
        return re.findall(r"^  - id: ([a-z0-9-]+)\s*$", f.read(), re.M)


class LessonEngine:
    """A private daemon for one lesson, and the glassbox CLI pointed at it."""

    def __init__(self, lesson, daemon):
        self.lesson = lesson
        self.daemon = daemon
        self.state_file = tempfile.mktemp(prefix="gb-lesson-progress-", suffix=".json")
        self.env = daemon.env(GLASSBOX_LESSONS_DIR=LESSONS_DIR, GLASSBOX_LESSON_STATE=self.state_file,
                              PATH=os.path.dirname(harness.CLI) + ":" + os.environ.get("PATH", ""))

    def cli(self, *args, timeout=300):
        return subprocess.run([harness.CLI, *args], capture_output=True, text=True, timeout=timeout,
                              env=self.env, stdin=subprocess.DEVNULL, cwd=LESSONS_DIR)

    def shell(self, command, timeout=120):
        """A command as the runner runs it: sh -c in the lesson folder, the lesson label set."""
        env = dict(self.env, GLASSBOX_LESSON=self.lesson)
        return subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                              timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                              cwd=os.path.join(LESSONS_DIR, self.lesson))

    def missing_features(self):
        status, body = self.daemon.api_json("GET", "/glassbox/v1/features")
        assert status == 200, f"GET /glassbox/v1/features: HTTP {status}"
        known = {f["name"]: f for f in body["features"]}
        missing = []
        for name in required_features(self.lesson):
            feature = known.get(name)
            if feature is None or not feature["available"]:
                missing.append((name, feature["detail"] if feature else "not probed by this daemon"))
        return missing


@pytest.fixture(scope="module", params=LESSONS)
def engine(request):
    """One fresh daemon per lesson (module scope + params: pytest runs every test of one lesson,
    then stops its daemon before starting the next)."""
    reason = harness.missing_reason()
    if reason:
        pytest.skip(reason)
    daemon = harness.Daemon(label="lesson" + request.param[:2]).start()
    lesson_engine = LessonEngine(request.param, daemon)
    try:
        yield lesson_engine
    finally:
        try:
            lesson_engine.cli("lesson", "reset", request.param, timeout=120)
        except (OSError, subprocess.SubprocessError):
            pass  # The daemon is stopped below whatever happened to the reset.
        alive = daemon.proc.poll() is None
        left = daemon.stop()
        if os.path.exists(lesson_engine.state_file):
            os.unlink(lesson_engine.state_file)
        assert alive, "glassboxd died during the lesson:\n" + daemon.log_text()
        assert not left, f"glassboxd left mounts behind: {left}"


def skip_if_kernel_lacks(engine):
    """Skips, with the missing features' reasons, a lesson this kernel cannot run, after checking
    that `glassbox lesson start` refuses it too (naming the kernel option and the kernel lab)
    rather than faking it."""
    missing = engine.missing_features()
    if missing:
        result = engine.cli("lesson", "start", engine.lesson)
        text = result.stdout + result.stderr
        assert result.returncode != 0, f"lesson start {engine.lesson} did not refuse: {text}"
        for name, detail in missing:
            option = re.search(r"CONFIG_[A-Z0-9_]+", detail)
            assert (option.group(0) if option else name) in text, f"the refusal does not name {name}: {text}"
        assert "kernel-lab" in text, f"the refusal does not offer scripts/kernel-lab: {text}"
        pytest.skip(f"{engine.lesson} needs " + "; ".join(f"{name} ({detail})" for name, detail in missing)
                    + " - run it in scripts/kernel-lab")


def failing_checks(report):
    """Readable lines for every failed check and unexpected command of a solve --json report."""
    lines = []
    for step in report.get("steps", []):
        for command in step.get("commands", []):
            if not command.get("expected", True):
                lines.append(f"[{step['id']}] command {command['command']!r} exit {command.get('exit_code')}: "
                             + command.get("output", "")[-600:])
        for check in (step.get("check") or {}).get("checks", []):
            if not check["passed"]:
                lines.append(f"[{step['id']}] FAIL {check['that']} found {check['found']} hint {check['hint']}")
    return lines


# [SECTION] Solutions

def solve(engine, label):
    """`glassbox lesson solve --json`: asserts it passed; returns the report and its problems."""
    started = time.monotonic()
    result = engine.cli("lesson", "solve", "--json", engine.lesson, timeout=600)
    elapsed = time.monotonic() - started
    assert result.stdout.strip(), f"solve printed no report (exit {result.returncode}): {result.stderr}"
    report = json.loads(result.stdout)
    problems = failing_checks(report)
    print(f"{label}: solved in {elapsed:.1f} s, {len(report['steps'])} steps")
    assert report["passed"] and result.returncode == 0, "\n".join(problems) or result.stderr
    return report, problems


def test_lesson_solution_passes_every_check(engine):
    skip_if_kernel_lacks(engine)
    report, problems = solve(engine, engine.lesson)
    ids = [step["id"] for step in report["steps"]]
    assert ids == step_ids(engine.lesson), "solve did not run every step in order"
    assert len(ids) >= 4, f"{engine.lesson} has fewer than four steps"
    for step in report["steps"]:
        checks = step["check"]["checks"]
        assert checks, f"step {step['id']} has no check"
        assert all(check["passed"] for check in checks), "\n".join(problems)


# [SECTION] Wrong states, from lesson_wrong_states.txt (shared with scripts/kernel-lab): per
# lesson, the step, the commands that build the wrong state, the check that must fail and the words
# its hint must contain. Commands run in the lesson's folder with its label, so `lesson reset`
# removes what they made.

def load_wrong_states():
    states = {}
    current = None
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lesson_wrong_states.txt")) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.partition(" ")
            if key == "lesson":
                current = states[value] = {"step": None, "run": [], "check": None, "hint": []}
            elif current is not None and key in ("step", "check"):
                current[key] = value
            elif current is not None and key in ("run", "hint"):
                current[key].append(value)
            else:
                raise ValueError(f"lesson_wrong_states.txt:{number}: unexpected line {line!r}")
    return {lesson: (s["step"], s["run"], s["check"], s["hint"]) for lesson, s in states.items()}


WRONG_STATES = load_wrong_states()


def test_every_lesson_has_a_wrong_state():
    assert sorted(WRONG_STATES) == LESSONS


def test_lesson_wrong_state_fails_the_right_check_with_its_hint(engine):
    skip_if_kernel_lacks(engine)
    step, commands, that, words = WRONG_STATES[engine.lesson]
    steps = step_ids(engine.lesson)
    assert step in steps, f"{engine.lesson} has no step {step}"
    engine.cli("lesson", "reset", engine.lesson)
    started = engine.cli("lesson", "start", engine.lesson)
    assert started.returncode == 0, started.stdout + started.stderr
    for _ in range(steps.index(step)):
        moved = engine.cli("lesson", "next", "--force")
        assert moved.returncode == 0, moved.stdout + moved.stderr
    try:
        for command in commands:
            made = engine.shell(command)
            assert made.returncode == 0, f"{command}: {made.stdout}{made.stderr}"
        result = engine.cli("lesson", "check", "--json")
        report = json.loads(result.stdout)
        assert report["step"] == step
        assert result.returncode != 0, "check passed although the state is wrong"
        found = [check for check in report["checks"] if check["that"] == that]
        assert found, f"step {step} has no check {that!r}: {[c['that'] for c in report['checks']]}"
        check = found[0]
        assert not check["passed"], f"{that} passed in the wrong state (found {check['found']})"
        for word in words:
            assert word in check["hint"], f"the hint of {that} does not name {word!r}: {check['hint']}"
        print(f"{engine.lesson}: {that} failed as it should; found {check['found']}")
    finally:
        reset = engine.cli("lesson", "reset", engine.lesson, timeout=120)
        assert reset.returncode == 0, reset.stdout + reset.stderr


# [SECTION] The simulated kernel (docs/simulated-kernel.md): the same lessons, solved on a
# `glassboxd --kernel=sim` run as user nobody, with the CLI and the lesson commands as nobody too.
# A lesson the simulation cannot run yet is skipped with the exact reason.

# A lesson the simulated kernel cannot run yet, with the exact reason (none today).
SIM_SKIPS = {}


class SimLessonEngine(LessonEngine):
    """LessonEngine whose CLI and shell commands run as the daemon's user."""

    def __init__(self, lesson, daemon):
        super().__init__(lesson, daemon)
        self.state_file = os.path.join(daemon.tmp, "lesson-progress.json")
        self.env.update(GLASSBOX_LESSON_STATE=self.state_file, HOME=daemon.tmp)

    def cli(self, *args, timeout=300):
        return subprocess.run(self.daemon.as_user([harness.CLI, *args]), capture_output=True, text=True,
                              timeout=timeout, env=self.env, stdin=subprocess.DEVNULL, cwd=LESSONS_DIR)


def sim_missing_reason():
    if os.geteuid() != 0:
        return "needs root to run the simulated daemon as user nobody (setpriv)"
    if not shutil_which("setpriv"):
        return "setpriv is not installed"
    return harness.missing_reason()


def shutil_which(name):
    import shutil
    return shutil.which(name)


@pytest.fixture(scope="module", params=LESSONS)
def sim_engine(request):
    reason = SIM_SKIPS.get(request.param) or sim_missing_reason()
    if reason:
        pytest.skip(f"{request.param} on the simulated kernel: {reason}")
    daemon = harness.Daemon(label="sim" + request.param[:2], kernel="sim", user="nobody").start()
    lesson_engine = SimLessonEngine(request.param, daemon)
    try:
        yield lesson_engine
    finally:
        try:
            lesson_engine.cli("lesson", "reset", request.param, timeout=120)
        except (OSError, subprocess.SubprocessError):
            pass
        alive = daemon.proc.poll() is None
        daemon.stop()
        assert alive, "simulated glassboxd died during the lesson:\n" + daemon.log_text()


def test_lesson_solves_on_sim(sim_engine):
    status, version = sim_engine.daemon.api_json("GET", "/version")
    assert status == 200 and version["GlassboxKernel"] == "simulated", version
    report, _ = solve(sim_engine, f"{sim_engine.lesson} (simulated kernel, as nobody)")
    assert [step["id"] for step in report["steps"]] == step_ids(sim_engine.lesson)
    status, snapshot = sim_engine.daemon.api_json("GET", "/glassbox/v1/state")
    assert status == 200 and snapshot["kernel"]["mode"] == "simulated", snapshot["kernel"]
    assert snapshot["kernel"]["simulated_reason"]


@pytest.mark.parametrize("sim_engine", ["01-first-container"], indirect=True)
def test_sim_step_reading_proc_says_where_the_processes_are(sim_engine):
    """On the simulated kernel the containers' processes are not in this machine's /proc: a step
    whose commands read it says where they are and what to type, and /proc inside a container is
    the container's own view (docs/simulated-kernel.md)."""
    run = lambda *args: sim_engine.cli(*args, timeout=60)
    assert run("lesson", "start", "01").returncode == 0
    first = run("lesson", "show")
    assert first.returncode == 0 and "On the simulated kernel" not in first.stdout, first.stdout
    assert run("lesson", "next", "--force").returncode == 0
    started = run("lesson", "run")
    assert started.returncode == 0, started.stdout + started.stderr
    shown = run("lesson", "next")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    procfs = os.path.join(sim_engine.daemon.run_root, "sim", "pseudo", "proc")
    assert "On the simulated kernel" in shown.stdout, shown.stdout
    assert f"ls -l {procfs}/$(glassbox inspect -f '{{{{.State.Pid}}}}' first)/ns/ {procfs}/self/ns/" in shown.stdout, shown.stdout

    status = run("exec", "first", "cat", "/proc/1/status")
    assert status.returncode == 0 and "\nPid:\t1\n" in status.stdout and "\nNSpid:\t1\n" in status.stdout, status
    unmodelled = run("exec", "first", "cat", "/proc/meminfo")
    assert unmodelled.returncode == 1 and "/proc/meminfo is not modelled" in unmodelled.stderr, unmodelled
