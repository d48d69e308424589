"""The docker-SDK-shaped part of the package: containers, images, volumes and networks, as
collections with get/list/create and objects with attrs, reload() and verbs. Names, arguments and
return values follow docker-py (docker.models.*) where the concept is the same, so a script written
for `docker.from_env()` runs against `glassbox.connect()`. Every call takes `timeout` (seconds; None
waits as long as it takes and Ctrl-C still stops it).
"""
from __future__ import annotations

import io
import os
import tarfile
from collections import namedtuple
from typing import Any, Callable, Dict, Iterator, List, Optional, Union
from urllib.parse import quote

from . import _glassbox
from .progress import Progress

DEFAULT_TIMEOUT = 60.0
ExecResult = namedtuple("ExecResult", "exit_code,output")


class ContainerError(_glassbox.GlassboxError):
    """containers.run() without detach: the command exited non-zero (as docker-py's ContainerError)."""

    def __init__(self, container: "Container", exit_status: int, command: Any, image: str, stderr: bytes):
        self.container = container
        self.exit_status = exit_status
        self.command = command
        self.image = image
        self.stderr = stderr
        self.kind = "ContainerError"
        self.status = 0
        self.errno = 0
        err = f": {stderr.decode(errors='replace').strip()}" if stderr else ""
        self.message = f"Command '{command}' in image '{image}' returned non-zero exit status {exit_status}{err}"
        super().__init__(self.message)


def _q(value: str) -> str:
    """A path segment: image references keep their ':' and '/' (the daemon's router reads them)."""
    return quote(str(value), safe=":@/")


def _query(**params: Any) -> str:
    parts = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        parts.append(f"{key}={quote(str(value), safe='')}")
    return ("?" + "&".join(parts)) if parts else ""


def _filters(filters: Optional[Dict[str, Any]]) -> Optional[str]:
    if not filters:
        return None
    import json
    encoded: Dict[str, List[str]] = {}
    for key, value in filters.items():
        encoded[key] = [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
    return json.dumps(encoded)


class Model:
    """An API object: `attrs` is the daemon's inspect answer; reload() reads it again."""

    def __init__(self, attrs: Dict[str, Any], client: "Any", collection: "Collection"):
        self.attrs = attrs
        self.client = client
        self.collection = collection

    @property
    def id(self) -> str:
        return self.attrs.get("Id") or self.attrs.get("ID") or self.attrs.get("Name", "")

    @property
    def short_id(self) -> str:
        ident = self.id
        return ident[7:19] if ident.startswith("sha256:") else ident[:12]

    @property
    def _api(self) -> _glassbox.Client:
        return self.client.api

    def reload(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self.attrs = self.collection.get(self.id, timeout=timeout).attrs

    def __eq__(self, other: object) -> bool:
        return isinstance(other, self.__class__) and self.id == other.id

    def __hash__(self) -> int:
        return hash(f"{self.__class__.__name__}:{self.id}")

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}: {self.short_id}>"


class Collection:
    model: type = Model

    def __init__(self, client: Any):
        self.client = client

    @property
    def _api(self) -> _glassbox.Client:
        return self.client.api

    def prepare_model(self, attrs: Dict[str, Any]) -> Any:
        return self.model(attrs, self.client, self)

    def get(self, key: str, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Any:  # pragma: no cover
        raise NotImplementedError


# [SECTION] Containers

class Container(Model):
    @property
    def name(self) -> str:
        return (self.attrs.get("Name") or "").lstrip("/")

    @property
    def status(self) -> str:
        state = self.attrs.get("State")
        return state.get("Status", "") if isinstance(state, dict) else (state or "")

    @property
    def labels(self) -> Dict[str, str]:
        return (self.attrs.get("Config") or {}).get("Labels") or {}

    @property
    def image(self) -> Optional["Image"]:
        image_id = self.attrs.get("ImageID") or self.attrs.get("Image", "")
        try:
            return self.client.images.get(image_id.split(":", 1)[-1] if image_id.startswith("sha256:") else image_id)
        except _glassbox.NotFound:
            return None

    @property
    def pid(self) -> int:
        """Host PID of the container's PID 1 (0 when not running)."""
        return int((self.attrs.get("State") or {}).get("Pid") or 0)

    def _tty(self) -> bool:
        return bool((self.attrs.get("Config") or {}).get("Tty"))

    def start(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._api.request("POST", f"/containers/{_q(self.id)}/start", timeout=timeout)

    def stop(self, timeout: Optional[int] = None, call_timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Like docker-py, `timeout` is the grace period before SIGKILL; the call may take that
        long plus `call_timeout`."""
        grace = 10 if timeout is None else timeout
        limit = None if call_timeout is None else call_timeout + grace
        self._api.request("POST", f"/containers/{_q(self.id)}/stop{_query(t=grace)}", timeout=limit)

    def restart(self, timeout: Optional[int] = None, call_timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        grace = 10 if timeout is None else timeout
        limit = None if call_timeout is None else call_timeout + grace
        self._api.request("POST", f"/containers/{_q(self.id)}/restart{_query(t=grace)}", timeout=limit)

    def kill(self, signal: Union[str, int, None] = None, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._api.request("POST", f"/containers/{_q(self.id)}/kill{_query(signal=signal)}", timeout=timeout)

    def pause(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._api.request("POST", f"/containers/{_q(self.id)}/pause", timeout=timeout)

    def unpause(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._api.request("POST", f"/containers/{_q(self.id)}/unpause", timeout=timeout)

    def rename(self, name: str, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._api.request("POST", f"/containers/{_q(self.id)}/rename{_query(name=name)}", timeout=timeout)

    def remove(self, v: bool = False, link: bool = False, force: bool = False,
               timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self._api.request("DELETE", f"/containers/{_q(self.id)}{_query(v=v, force=force)}", timeout=timeout)

    def wait(self, timeout: Optional[float] = None, condition: Optional[str] = None) -> Dict[str, Any]:
        """Blocks until the container stops; returns {"StatusCode": n, "Error": ...}. Raises
        glassbox.Timeout after `timeout` seconds (None: no limit; Ctrl-C interrupts)."""
        answer = self._api.request("POST", f"/containers/{_q(self.id)}/wait{_query(condition=condition)}",
                                   timeout=timeout)
        return answer or {}

    def top(self, ps_args: Optional[str] = None, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self._api.request("GET", f"/containers/{_q(self.id)}/top{_query(ps_args=ps_args)}", timeout=timeout)

    def logs(self, stdout: bool = True, stderr: bool = True, stream: bool = False, timestamps: bool = False,
             tail: Union[str, int] = "all", since: Any = None, follow: Optional[bool] = None, until: Any = None,
             timeout: Optional[float] = DEFAULT_TIMEOUT) -> Union[bytes, Iterator[bytes]]:
        """The container's output, stdout and stderr interleaved as written. With stream=True, a
        generator of chunks (following new output unless follow=False) that Ctrl-C stops."""
        if follow is None:
            follow = stream
        path = f"/containers/{_q(self.id)}/logs" + _query(stdout=stdout, stderr=stderr, timestamps=timestamps,
                                                            tail=str(tail), since=since, until=until, follow=follow)
        mode = "raw" if self._tty() else "multiplexed"
        source = self._api.open_stream("GET", path, mode=mode, timeout=None if stream else timeout)
        if stream:
            return _chunks(source)
        with source:
            return b"".join(_payload(piece) for piece in source)

    def exec_run(self, cmd: Union[str, List[str]], stdout: bool = True, stderr: bool = True, stdin: bool = False,
                 tty: bool = False, privileged: bool = False, user: str = "", detach: bool = False,
                 stream: bool = False, socket: bool = False, environment: Any = None, workdir: Optional[str] = None,
                 demux: bool = False, timeout: Optional[float] = None) -> ExecResult:
        """Runs `cmd` in the container; ExecResult(exit_code, output) as docker-py returns it
        (output = (stdout, stderr) with demux=True). A str cmd is split like a shell would."""
        if stream or socket or stdin:
            raise _glassbox.InvalidArgument("exec_run: stream, socket and stdin are not supported here")
        if isinstance(cmd, str):
            import shlex
            cmd = shlex.split(cmd)
        code, out, err = self._api.exec_run(self.id, list(cmd), tty=tty, user=user or "", environment=environment,
                                            workdir=workdir or "", privileged=privileged, detach=detach,
                                            timeout=timeout)
        if detach:
            return ExecResult(None, b"")
        if demux:
            return ExecResult(code, (out if stdout else None, err if stderr else None))
        return ExecResult(code, (out if stdout else b"") + (err if stderr else b""))

    def state(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> _glassbox.Snapshot:
        """The kernel snapshot narrowed to this container (its processes, namespaces, mounts, ...)."""
        return self._api.state(container=self.id, timeout=timeout)


def _payload(piece: Any) -> bytes:
    return piece[1] if isinstance(piece, tuple) else piece


def _chunks(source: _glassbox.Stream) -> Iterator[bytes]:
    try:
        for piece in source:
            yield _payload(piece)
    finally:
        source.close()


def _binds(volumes: Any) -> List[str]:
    if volumes is None:
        return []
    if isinstance(volumes, dict):
        binds = []
        for source, spec in volumes.items():
            if isinstance(spec, dict):
                binds.append(f"{source}:{spec['bind']}:{spec.get('mode', 'rw')}")
            else:
                binds.append(f"{source}:{spec}")
        return binds
    if isinstance(volumes, str):
        return [volumes]
    return list(volumes)


def _port_bindings(ports: Dict[str, Any]) -> Dict[str, Any]:
    bindings: Dict[str, Any] = {}
    for container_port, host in ports.items():
        key = str(container_port) if "/" in str(container_port) else f"{container_port}/tcp"
        hosts = host if isinstance(host, list) else [host]
        entries = []
        for one in hosts:
            if one is None:
                entries.append({"HostIp": "", "HostPort": ""})
            elif isinstance(one, tuple):
                entries.append({"HostIp": one[0], "HostPort": str(one[1]) if len(one) > 1 else ""})
            else:
                entries.append({"HostIp": "", "HostPort": str(one)})
        bindings[key] = entries
    return bindings


def container_config(image: str, command: Any = None, **kwargs: Any) -> Dict[str, Any]:
    """The body of POST /containers/create from docker-py's run()/create() keyword arguments."""
    config: Dict[str, Any] = {"Image": image}
    host: Dict[str, Any] = {}
    if command is not None:
        import shlex
        config["Cmd"] = shlex.split(command) if isinstance(command, str) else list(command)
    entrypoint = kwargs.pop("entrypoint", None)
    if entrypoint is not None:
        import shlex
        config["Entrypoint"] = shlex.split(entrypoint) if isinstance(entrypoint, str) else list(entrypoint)
    environment = kwargs.pop("environment", None)
    if environment is not None:
        config["Env"] = [f"{k}={v}" for k, v in environment.items()] if isinstance(environment, dict) else list(environment)
    simple = {"working_dir": "WorkingDir", "user": "User", "hostname": "Hostname", "labels": "Labels",
              "tty": "Tty", "stdin_open": "OpenStdin", "stop_signal": "StopSignal", "domainname": "Domainname"}
    for key, field in simple.items():
        value = kwargs.pop(key, None)
        if value is not None:
            config[field] = value
    binds = _binds(kwargs.pop("volumes", None))
    if binds:
        host["Binds"] = binds
    ports = kwargs.pop("ports", None)
    if ports:
        host["PortBindings"] = _port_bindings(ports)
        config["ExposedPorts"] = {key: {} for key in host["PortBindings"]}
    network = kwargs.pop("network", None)
    network_mode = kwargs.pop("network_mode", None)
    if network_mode or network:
        host["NetworkMode"] = network_mode or network
    if kwargs.pop("network_disabled", False):
        config["NetworkDisabled"] = True
    host_fields = {"privileged": "Privileged", "cap_add": "CapAdd", "cap_drop": "CapDrop", "pids_limit": "PidsLimit",
                   "auto_remove": "AutoRemove", "init": "Init", "read_only": "ReadonlyRootfs", "pid_mode": "PidMode",
                   "ipc_mode": "IpcMode", "dns": "Dns", "extra_hosts": "ExtraHosts", "tmpfs": "Tmpfs",
                   "mounts": "Mounts", "nano_cpus": "NanoCpus", "cpu_shares": "CpuShares", "restart_policy": "RestartPolicy"}
    for key, field in host_fields.items():
        value = kwargs.pop(key, None)
        if value is not None:
            host[field] = value
    mem_limit = kwargs.pop("mem_limit", None)
    if mem_limit is not None:
        host["Memory"] = _bytes(mem_limit)
    if kwargs:
        raise _glassbox.InvalidArgument("unsupported container options: " + ", ".join(sorted(kwargs)))
    config["HostConfig"] = host
    return config


def _bytes(value: Union[int, str]) -> int:
    if isinstance(value, int):
        return value
    units = {"b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    text = value.strip().lower()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


class ContainerCollection(Collection):
    model = Container

    def create(self, image: Union[str, "Image"], command: Any = None, name: Optional[str] = None,
               timeout: Optional[float] = DEFAULT_TIMEOUT, **kwargs: Any) -> Container:
        image_name = image.id if isinstance(image, Image) else image
        config = container_config(image_name, command, **kwargs)
        answer = self._api.request("POST", "/containers/create" + _query(name=name), config, timeout=timeout)
        return self.get(answer["Id"], timeout=timeout)

    def run(self, image: Union[str, "Image"], command: Any = None, stdout: bool = True, stderr: bool = False,
            remove: bool = False, detach: bool = False, name: Optional[str] = None,
            timeout: Optional[float] = None, **kwargs: Any) -> Union[Container, bytes]:
        """Creates and starts a container. detach=True returns the Container; otherwise waits for it
        (up to `timeout` seconds), returns its output, and raises ContainerError on a non-zero exit."""
        call_timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        container = self.create(image, command, name=name, timeout=call_timeout, **kwargs)
        try:
            container.start(timeout=call_timeout)
        except _glassbox.GlassboxError:
            if remove:
                container.remove(force=True)
            raise
        if detach:
            return container
        try:
            status = container.wait(timeout=timeout).get("StatusCode", 0)
            out = container.logs(stdout=stdout, stderr=stderr, timeout=call_timeout)
            err = container.logs(stdout=False, stderr=True, timeout=call_timeout) if status != 0 else b""
        except BaseException:
            if remove:
                container.remove(force=True)
            raise
        if remove:
            container.remove()
        if status != 0:
            raise ContainerError(container, status, command, str(image), err)
        return out

    def get(self, container_id: str, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Container:
        return self.prepare_model(self._api.request("GET", f"/containers/{_q(container_id)}/json", timeout=timeout))

    def list(self, all: bool = False, filters: Optional[Dict[str, Any]] = None, limit: int = -1,
             sparse: bool = False, ignore_removed: bool = False,
             timeout: Optional[float] = DEFAULT_TIMEOUT) -> List[Container]:
        answer = self._api.request("GET", "/containers/json" + _query(all=all, filters=_filters(filters),
                                                                      limit=limit if limit > 0 else None),
                                   timeout=timeout)
        if sparse:
            return [self.prepare_model(item) for item in answer]
        found = []
        for item in answer:
            try:
                found.append(self.get(item["Id"], timeout=timeout))
            except _glassbox.NotFound:
                if not ignore_removed:
                    raise
        return found

    def prune(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self._api.request("POST", "/containers/prune", timeout=timeout)


# [SECTION] Images

class Image(Model):
    @property
    def tags(self) -> List[str]:
        return [tag for tag in (self.attrs.get("RepoTags") or []) if tag != "<none>:<none>"]

    @property
    def labels(self) -> Dict[str, str]:
        return (self.attrs.get("Config") or {}).get("Labels") or {}

    def history(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> List[Dict[str, Any]]:
        return self._api_history(timeout)

    def _api_history(self, timeout: Optional[float]) -> List[Dict[str, Any]]:
        return self.client.api.request("GET", f"/images/{_q(self.id)}/history", timeout=timeout)

    def tag(self, repository: str, tag: Optional[str] = None, timeout: Optional[float] = DEFAULT_TIMEOUT) -> bool:
        self.client.api.request("POST", f"/images/{_q(self.id)}/tag" + _query(repo=repository, tag=tag), timeout=timeout)
        return True

    def layers(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> "Any":
        """The image's layers as the engine keeps them (sizes, instructions, which other images
        and containers share each); renders as a table in Jupyter."""
        from .display import ImageLayers
        snapshot = self.client.api.state(kind="", timeout=timeout)
        return ImageLayers(snapshot, self.id)

    def _repr_html_(self) -> str:
        from .display import image_html
        return image_html(self)


class ImageCollection(Collection):
    model = Image

    def get(self, name: str, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Image:
        return self.prepare_model(self._api.request("GET", f"/images/{_q(name)}/json", timeout=timeout))

    def list(self, name: Optional[str] = None, all: bool = False, filters: Optional[Dict[str, Any]] = None,
             timeout: Optional[float] = DEFAULT_TIMEOUT) -> List[Image]:
        filters = dict(filters or {})
        if name:
            filters["reference"] = name
        answer = self._api.request("GET", "/images/json" + _query(all=all, filters=_filters(filters)), timeout=timeout)
        return [self.get(item["Id"], timeout=timeout) for item in answer]

    def remove(self, image: str, force: bool = False, noprune: bool = False,
               timeout: Optional[float] = DEFAULT_TIMEOUT) -> List[Dict[str, Any]]:
        return self._api.request("DELETE", f"/images/{_q(image)}" + _query(force=force, noprune=noprune), timeout=timeout)

    def build(self, path: Optional[str] = None, tag: Optional[str] = None, dockerfile: Optional[str] = None,
              buildargs: Optional[Dict[str, str]] = None, nocache: bool = False, rm: bool = True,
              labels: Optional[Dict[str, str]] = None, fileobj: Any = None, progress: Any = True,
              timeout: Optional[float] = 600.0, **kwargs: Any) -> "tuple[Image, List[Dict[str, Any]]]":
        """Builds an image from a directory (or a Dockerfile in `fileobj`); returns (Image, log
        lines) like docker-py. `progress`: True draws a progress bar in Jupyter, a callable gets
        every message (a dict), False is quiet. A failed build raises glassbox.BuildFailed."""
        import json
        if path is None and fileobj is None:
            raise _glassbox.InvalidArgument("images.build: give path= (a directory) or fileobj= (a Dockerfile)")
        if kwargs:
            raise _glassbox.InvalidArgument("unsupported build options: " + ", ".join(sorted(kwargs)))
        context = _tar_context(path, fileobj)
        query = _query(t=tag, dockerfile=dockerfile, nocache=nocache, rm=rm,
                       buildargs=json.dumps(buildargs) if buildargs else None,
                       labels=json.dumps(labels) if labels else None)
        report = Progress.for_build(progress, tag or path or "build")
        lines: List[Dict[str, Any]] = []
        image_id = None
        with self._api.open_stream("POST", "/build" + query, mode="json", body=context,
                                   content_type="application/x-tar", timeout=timeout) as stream:
            for message in stream:
                lines.append(message)
                if "error" in message or "errorDetail" in message:
                    detail = (message.get("errorDetail") or {}).get("message") or message.get("error")
                    report.finish(failed=True)
                    raise _glassbox.BuildFailed(str(detail))
                aux = message.get("aux")
                if isinstance(aux, dict) and aux.get("ID"):
                    image_id = aux["ID"]
                report.update(message)
        report.finish()
        if image_id is None:
            raise _glassbox.BuildFailed("the build ended without an image id")
        return self.get(image_id), lines

    def load(self, data: Optional[bytes] = None, path: Optional[str] = None, progress: Any = True,
             timeout: Optional[float] = 600.0) -> List[Image]:
        """Loads a `docker save` / OCI tar (bytes in `data`, or a file `path`, streamed); returns the
        images it held. Progress as in build()."""
        if (data is None) == (path is None):
            raise _glassbox.InvalidArgument("images.load: give exactly one of data= or path=")
        report = Progress.for_load(progress, path or "image tar")
        loaded: List[Image] = []
        names: List[str] = []
        with self._api.open_stream("POST", "/images/load?quiet=0", mode="json",
                                   body=data if data is not None else None, body_file=path or "",
                                   content_type="application/x-tar", timeout=timeout) as stream:
            for message in stream:
                if "error" in message or "errorDetail" in message:
                    report.finish(failed=True)
                    detail = (message.get("errorDetail") or {}).get("message") or message.get("error")
                    raise _glassbox.GlassboxError(str(detail))
                text = message.get("stream", "")
                for prefix in ("Loaded image: ", "Loaded image ID: "):
                    if text.startswith(prefix):
                        names.append(text[len(prefix):].strip())
                report.update(message)
        report.finish()
        for name in names:
            loaded.append(self.get(name))
        return loaded

    def import_image(self, path: str, repository: str, tag: str = "latest",
                     timeout: Optional[float] = 600.0) -> Image:
        """Imports a root filesystem tar as a one-layer image (docker import), streamed from `path`."""
        query = _query(fromSrc="-", repo=repository, tag=tag)
        image_id = None
        with self._api.open_stream("POST", "/images/create" + query, mode="json", body_file=path,
                                   content_type="application/x-tar", timeout=timeout) as stream:
            for message in stream:
                if "error" in message or "errorDetail" in message:
                    raise _glassbox.GlassboxError(str(message.get("error") or message))
                if message.get("status", "").startswith("sha256:"):
                    image_id = message["status"]
        return self.get(image_id or f"{repository}:{tag}")

    def prune(self, filters: Optional[Dict[str, Any]] = None, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self._api.request("POST", "/images/prune" + _query(filters=_filters(filters)), timeout=timeout)


def _tar_context(path: Optional[str], fileobj: Any) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        if fileobj is not None:
            data = fileobj.read()
            if isinstance(data, str):
                data = data.encode()
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        else:
            if not os.path.isdir(path):
                raise _glassbox.InvalidArgument(f"images.build: {path} is not a directory")
            tar.add(path, arcname=".")
    return buffer.getvalue()


# [SECTION] Volumes

class Volume(Model):
    @property
    def id(self) -> str:
        return self.attrs.get("Name", "")

    @property
    def name(self) -> str:
        return self.attrs.get("Name", "")

    @property
    def short_id(self) -> str:
        return self.name

    def remove(self, force: bool = False, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self.client.api.request("DELETE", f"/volumes/{_q(self.name)}" + _query(force=force), timeout=timeout)


class VolumeCollection(Collection):
    model = Volume

    def create(self, name: Optional[str] = None, driver: Optional[str] = None,
               driver_opts: Optional[Dict[str, str]] = None, labels: Optional[Dict[str, str]] = None,
               timeout: Optional[float] = DEFAULT_TIMEOUT) -> Volume:
        body: Dict[str, Any] = {}
        if name is not None:
            body["Name"] = name
        if driver is not None:
            body["Driver"] = driver
        if driver_opts is not None:
            body["DriverOpts"] = driver_opts
        if labels is not None:
            body["Labels"] = labels
        return self.prepare_model(self._api.request("POST", "/volumes/create", body, timeout=timeout))

    def get(self, volume_id: str, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Volume:
        return self.prepare_model(self._api.request("GET", f"/volumes/{_q(volume_id)}", timeout=timeout))

    def list(self, filters: Optional[Dict[str, Any]] = None, timeout: Optional[float] = DEFAULT_TIMEOUT) -> List[Volume]:
        answer = self._api.request("GET", "/volumes" + _query(filters=_filters(filters)), timeout=timeout)
        return [self.prepare_model(item) for item in (answer or {}).get("Volumes") or []]

    def remove(self, name: str, force: bool = False, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Removes the volume `name` (the same as volumes.get(name).remove())."""
        self._api.request("DELETE", f"/volumes/{_q(name)}" + _query(force=force), timeout=timeout)

    def prune(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self._api.request("POST", "/volumes/prune", timeout=timeout)


# [SECTION] Networks

class Network(Model):
    @property
    def name(self) -> str:
        return self.attrs.get("Name", "")

    @property
    def containers(self) -> List[Container]:
        return [self.client.containers.get(cid) for cid in (self.attrs.get("Containers") or {})]

    def connect(self, container: Union[str, Container], aliases: Optional[List[str]] = None,
                ipv4_address: Optional[str] = None, timeout: Optional[float] = DEFAULT_TIMEOUT, **kwargs: Any) -> None:
        ident = container.id if isinstance(container, Container) else container
        endpoint: Dict[str, Any] = {}
        if aliases:
            endpoint["Aliases"] = aliases
        if ipv4_address:
            endpoint["IPAMConfig"] = {"IPv4Address": ipv4_address}
        body: Dict[str, Any] = {"Container": ident}
        if endpoint:
            body["EndpointConfig"] = endpoint
        self.client.api.request("POST", f"/networks/{_q(self.id)}/connect", body, timeout=timeout)

    def disconnect(self, container: Union[str, Container], force: bool = False,
                   timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        ident = container.id if isinstance(container, Container) else container
        self.client.api.request("POST", f"/networks/{_q(self.id)}/disconnect",
                                {"Container": ident, "Force": force}, timeout=timeout)

    def remove(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        self.client.api.request("DELETE", f"/networks/{_q(self.id)}", timeout=timeout)

    def _repr_html_(self) -> str:
        from .display import network_html
        return network_html(self)


class NetworkCollection(Collection):
    model = Network

    def create(self, name: str, driver: Optional[str] = None, options: Optional[Dict[str, str]] = None,
               ipam: Optional[Dict[str, Any]] = None, check_duplicate: Optional[bool] = None, internal: bool = False,
               labels: Optional[Dict[str, str]] = None, enable_ipv6: bool = False, attachable: Optional[bool] = None,
               scope: Optional[str] = None, ingress: Optional[bool] = None,
               timeout: Optional[float] = DEFAULT_TIMEOUT) -> Network:
        body: Dict[str, Any] = {"Name": name, "Driver": driver or "bridge", "Internal": internal,
                                "EnableIPv6": enable_ipv6}
        if options:
            body["Options"] = options
        if ipam:
            body["IPAM"] = ipam
        if labels:
            body["Labels"] = labels
        if attachable is not None:
            body["Attachable"] = attachable
        if check_duplicate is not None:
            body["CheckDuplicate"] = check_duplicate
        answer = self._api.request("POST", "/networks/create", body, timeout=timeout)
        return self.get(answer["Id"], timeout=timeout)

    def get(self, network_id: str, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Network:
        return self.prepare_model(self._api.request("GET", f"/networks/{_q(network_id)}", timeout=timeout))

    def list(self, names: Optional[List[str]] = None, ids: Optional[List[str]] = None,
             filters: Optional[Dict[str, Any]] = None, greedy: bool = False,
             timeout: Optional[float] = DEFAULT_TIMEOUT) -> List[Network]:
        filters = dict(filters or {})
        if names:
            filters["name"] = names
        if ids:
            filters["id"] = ids
        answer = self._api.request("GET", "/networks" + _query(filters=_filters(filters)), timeout=timeout)
        return [self.prepare_model(item) for item in answer or []]

    def remove(self, name: str, timeout: Optional[float] = DEFAULT_TIMEOUT) -> None:
        """Removes the network `name` (the same as networks.get(name).remove())."""
        self._api.request("DELETE", f"/networks/{_q(name)}", timeout=timeout)

    def prune(self, timeout: Optional[float] = DEFAULT_TIMEOUT) -> Dict[str, Any]:
        return self._api.request("POST", "/networks/prune", timeout=timeout)
