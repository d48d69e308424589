"""The docker Python SDK (docker-py 7.x) against a private glassboxd, unchanged: containers.run
attached and detached, containers.list, logs, exec_run, stop, remove, images.list and volumes.
Runs under unittest with the python3 that has the `docker` package (scripts/test).
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import glassbox_harness as harness  # noqa: E402

try:
    import docker
    import docker.errors
except ImportError:  # Reported as a skip with the reason below.
    docker = None


class DockerSdkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if docker is None:
            raise unittest.SkipTest(f"the docker Python package is not installed for {sys.executable}")
        if os.environ.get("GLASSBOX_E2E_REFERENCE") == "dockerd":
            # Checks the suite's expectations against a real, private dockerd.
            from dockerd_harness import Dockerd
            cls.daemon = Dockerd().start()
            cls.daemon.tag = harness.base_tag()
            cls.daemon.docker("import", harness.BASE_TAR, cls.daemon.tag)
        else:
            reason = harness.missing_reason(need_cli=False)
            if reason:
                raise unittest.SkipTest(reason)
            cls.daemon = harness.Daemon(label="sdk").start()
        cls.client = docker.DockerClient(base_url=cls.daemon.host, timeout=60)
        cls.image = cls.daemon.tag

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        alive = cls.daemon.proc.poll() is None
        left = cls.daemon.stop() or []
        if not alive:
            raise AssertionError("glassboxd died during the docker SDK tests:\n" + cls.daemon.log_text())
        if left:
            raise AssertionError(f"glassboxd left mounts behind: {left}")

    def test_version_answers_with_api_141(self):
        self.assertEqual(self.client.version()["ApiVersion"], "1.41")

    def test_run_attached_returns_the_output(self):
        out = self.client.containers.run(self.image, ["echo", "from-sdk"], remove=True)

        self.assertEqual(out, b"from-sdk\n")

    def test_run_attached_nonzero_exit_raises_container_error(self):
        with self.assertRaises(docker.errors.ContainerError) as caught:
            self.client.containers.run(self.image, ["sh", "-c", "echo bad >&2; exit 4"], remove=True)

        self.assertEqual(caught.exception.exit_status, 4)

    def test_run_detached_list_logs_exec_stop_remove(self):
        name = harness.unique("gbt")
        container = self.client.containers.run(
            self.image, ["sh", "-c", "echo started; exec sleep 300"], detach=True, name=name)
        try:
            listed = [c.name for c in self.client.containers.list()]
            self.assertIn(name, listed)
            deadline = time.monotonic() + 10
            while b"started" not in container.logs() and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(container.logs(), b"started\n")

            exit_code, output = container.exec_run(["sh", "-c", "echo exec-out; exit 2"])
            self.assertEqual((exit_code, output), (2, b"exec-out\n"))

            container.stop(timeout=1)
            container.reload()
            self.assertEqual(container.status, "exited")
            self.assertEqual(container.attrs["State"]["ExitCode"], 137)
            self.assertNotIn(name, [c.name for c in self.client.containers.list()])
            self.assertIn(name, [c.name for c in self.client.containers.list(all=True)])
        finally:
            container.remove(force=True)

        with self.assertRaises(docker.errors.NotFound):
            self.client.containers.get(name)

    def test_images_list_has_the_base_image(self):
        tags = [tag for image in self.client.images.list() for tag in image.tags]

        self.assertIn(self.image, tags)

    def test_volumes_create_list_remove(self):
        name = harness.unique("gbv")

        volume = self.client.volumes.create(name)
        listed = [v.name for v in self.client.volumes.list()]
        out = self.client.containers.run(self.image, ["sh", "-c", "echo v > /d/f; cat /d/f"],
                                         volumes={name: {"bind": "/d", "mode": "rw"}}, remove=True)
        volume.remove()

        self.assertEqual(volume.name, name)
        self.assertIn(name, listed)
        self.assertEqual(out, b"v\n")
        self.assertNotIn(name, [v.name for v in self.client.volumes.list()])


if __name__ == "__main__":
    unittest.main()
