"""One short script, run once with the glassbox package and once with the docker SDK against the
same daemon (test_python_docker_compat.py compares the two outputs). Only calls both share, named
as docker-py names them. Usage: python3 python_compat_script.py glassbox|docker HOST IMAGE SUFFIX;
prints one JSON object of results with SUFFIX replaced by "S"."""
import json
import sys

flavour, host, image, suffix = sys.argv[1:5]
if flavour == "glassbox":
    import glassbox
    client = glassbox.connect(host)
    ContainerError, NotFound = glassbox.ContainerError, glassbox.NotFound

    def status_of(error):
        return error.status
else:
    import docker
    client = docker.DockerClient(base_url=host)
    ContainerError, NotFound = docker.errors.ContainerError, docker.errors.NotFound

    def status_of(error):
        return error.response.status_code

out = {}
made = []
try:
    box = client.containers.run(image, ["sh", "-c", "echo out; echo err >&2; exit 3"], name=f"cmp-{suffix}", detach=True)
    made.append(box)
    out["detached_status"] = box.status
    out["wait"] = box.wait(timeout=30)["StatusCode"]
    box.reload()
    out["name"], out["status"] = box.name, box.status
    out["exit_code"] = box.attrs["State"]["ExitCode"]
    out["stdout"] = box.logs(stderr=False).decode()
    out["stderr"] = box.logs(stdout=False).decode()
    out["run_output"] = client.containers.run(image, ["echo", "hello"], remove=True).decode()
    try:
        client.containers.run(image, ["sh", "-c", "exit 2"], remove=True)
    except ContainerError as error:
        out["container_error"] = error.exit_status
    sleeper = client.containers.run(image, "sleep 300", name=f"sleep-{suffix}", detach=True)
    made.append(sleeper)
    result = sleeper.exec_run(["sh", "-c", "echo x; exit 4"])
    out["exec"] = [result.exit_code, result.output.decode()]
    out["running"] = sorted(c.name for c in client.containers.list() if c.name.endswith(suffix))
    out["all"] = sorted(c.name for c in client.containers.list(all=True) if c.name.endswith(suffix))
    out["image_tags"] = client.images.get(image).tags
    volume = client.volumes.create(f"vol-{suffix}")
    made.append(volume)
    out["volume"] = volume.name
    out["volumes"] = sorted(v.name for v in client.volumes.list() if v.name.endswith(suffix))
    network = client.networks.create(f"net-{suffix}", driver="bridge")
    made.append(network)
    out["network"] = network.name
    network.connect(sleeper)
    network.reload()
    out["network_containers"] = [c.name for c in network.containers]
    network.disconnect(sleeper)
    sleeper.stop(timeout=1)
    sleeper.reload()
    out["stopped"] = [sleeper.status, sleeper.attrs["State"]["ExitCode"]]
    try:
        client.containers.get(f"missing-{suffix}")
    except NotFound as error:
        out["missing"] = status_of(error)
    try:
        client.containers.create(image, "true", name=f"cmp-{suffix}")
    except Exception as error:  # docker-py raises APIError for 409, glassbox Conflict
        out["conflict"] = status_of(error)
finally:
    for obj in reversed(made):
        try:
            obj.remove(force=True) if hasattr(obj, "exec_run") else obj.remove()
        except Exception as error:
            out.setdefault("cleanup_errors", []).append(str(error))
print(json.dumps(out, sort_keys=True).replace(suffix, "S"))
