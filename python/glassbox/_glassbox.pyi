"""Type stubs for the _glassbox extension (python/bindings/*.cpp), so editors complete names."""
from typing import Any, Dict, Iterator, List, MutableSequence, Optional, Sequence, Tuple, TypeVar, Union, overload

SNAPSHOT_SCHEMA_VERSION: int
SNAPSHOT_KINDS: List[str]

# [SECTION] Errors

class GlassboxError(Exception):
    kind: str
    status: int
    errno: int
    message: str

class NotFound(GlassboxError): ...
class Conflict(GlassboxError): ...
class InvalidArgument(GlassboxError, ValueError): ...
class KernelFeatureMissing(GlassboxError): ...
class Timeout(GlassboxError, TimeoutError): ...
class DaemonUnavailable(GlassboxError): ...
class PermissionDenied(GlassboxError): ...
class NotModified(GlassboxError): ...
class BuildFailed(GlassboxError): ...

# [SECTION] Snapshot types

_T = TypeVar("_T")

class _ObjectList(MutableSequence[_T]):
    def to_list(self) -> List[Dict[str, Any]]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> _T: ...
    @overload
    def __getitem__(self, index: slice) -> "_ObjectList[_T]": ...
    def __iter__(self) -> Iterator[_T]: ...

class _Record:
    def to_dict(self) -> Dict[str, Any]: ...

class _Keyed(_Record):
    @property
    def key(self) -> str: ...

class ProcessInfo(_Keyed):
    pid: int
    ppid: int
    start_time: int
    nspid: List[int]
    comm: str
    cmdline: List[str]
    state: str
    state_name: str
    uid: int
    euid: int
    gid: int
    threads: int
    signals_caught: List[str]
    signals_ignored: List[str]
    signals_blocked: List[str]
    signals_pending: List[str]
    cgroup: str
    namespaces: Dict[str, int]
    container_id: str
    owner: str

class NamespaceInfo(_Keyed):
    type: str
    inode: int
    owner_pid: int
    members: List[int]
    bind_mounts: List[str]
    container_id: str
    owner: str

class OverlayLower(_Record):
    path: str
    layer_diff_id: str
    image_ids: List[str]
    created_by: str

class MountInfo(_Keyed):
    mount_namespace: int
    mount_id: int
    parent_id: int
    device: str
    root: str
    mount_point: str
    options: str
    propagation: str
    fstype: str
    source: str
    super_options: str
    kind: str
    lower_dirs: _ObjectList[OverlayLower]
    upper_dir: str
    work_dir: str
    volume_name: str
    container_id: str
    owner: str

class CgroupInfo(_Keyed):
    hierarchy: str
    path: str
    directory: str
    memory_current: int
    memory_max: int
    oom_events: int
    oom_kills: int
    pids_current: int
    pids_max: int
    cpu_usage_usec: int
    cpu_quota_usec: int
    cpu_period_usec: int
    processes: List[int]
    container_id: str
    owner: str

class LinkInfo(_Keyed):
    netns: int
    index: int
    name: str
    kind: str
    mac: str
    mtu: int
    up: bool
    oper_state: str
    master_index: int
    master_name: str
    bridge_port_state: str
    peer_index: int
    peer_name: str
    peer_netns: int
    parent_index: int
    parent_name: str
    parent_netns: int
    mode: str
    vlan_id: int
    container_id: str
    owner: str

class AddressInfo(_Keyed):
    netns: int
    link_index: int
    link_name: str
    family: str
    address: str
    scope: str
    container_id: str
    owner: str

class RouteInfo(_Keyed):
    netns: int
    family: str
    table: str
    destination: str
    gateway: str
    link_index: int
    link_name: str
    protocol: str
    scope: str
    metric: int
    container_id: str
    owner: str

class NeighbourInfo(_Keyed):
    netns: int
    link_index: int
    link_name: str
    address: str
    mac: str
    state: str
    container_id: str
    owner: str

class FdbEntry(_Keyed):
    netns: int
    port_index: int
    port_name: str
    bridge_index: int
    bridge_name: str
    mac: str
    vlan: int
    state: str
    owner: str

class NftRule(_Keyed):
    family: str
    table: str
    chain: str
    handle: int
    text: str
    comment: str
    owner: str

class FeatureInfo(_Record):
    name: str
    available: bool
    detail: str

class KernelInfo(_Record):
    release: str
    cgroup_layout: str
    cgroup_v2_mount: str
    features: _ObjectList[FeatureInfo]
    def feature(self, name: str) -> Optional[FeatureInfo]: ...
    def _repr_html_(self) -> str: ...

class ContainerInfo(_Keyed):
    id: str
    name: str
    image_id: str
    image_tags: List[str]
    status: str
    pid: int
    namespaces: Dict[str, int]
    processes: List[int]
    rootfs: str
    cgroup_paths: List[str]
    netns_path: str
    volumes: List[str]
    networks: List[str]

class ImageInfo(_Keyed):
    id: str
    tags: List[str]
    layers: List[str]

class LayerInfo(_Keyed):
    diff_id: str
    directory: str
    size: int
    created_by: str
    image_ids: List[str]
    container_ids: List[str]

class VolumeInfo(_Keyed):
    name: str
    driver: str
    mountpoint: str
    container_ids: List[str]

class EndpointInfo(_Record):
    container_id: str
    container_name: str
    ip_address: str
    mac_address: str
    host_link: str

class NetworkInfo(_Keyed):
    id: str
    name: str
    driver: str
    bridge_name: str
    parent: str
    subnet: str
    gateway: str
    endpoints: _ObjectList[EndpointInfo]

class Snapshot:
    schema_version: int
    generation: int
    taken_at: str
    hostname: str
    kernel: KernelInfo
    host_namespaces: Dict[str, int]
    containers: _ObjectList[ContainerInfo]
    images: _ObjectList[ImageInfo]
    layers: _ObjectList[LayerInfo]
    volumes: _ObjectList[VolumeInfo]
    networks: _ObjectList[NetworkInfo]
    processes: _ObjectList[ProcessInfo]
    namespaces: _ObjectList[NamespaceInfo]
    mounts: _ObjectList[MountInfo]
    cgroups: _ObjectList[CgroupInfo]
    links: _ObjectList[LinkInfo]
    addresses: _ObjectList[AddressInfo]
    routes: _ObjectList[RouteInfo]
    neighbours: _ObjectList[NeighbourInfo]
    fdb: _ObjectList[FdbEntry]
    nft_rules: _ObjectList[NftRule]
    warnings: List[str]
    def to_dict(self) -> Dict[str, Any]: ...
    @staticmethod
    def from_dict(data: Dict[str, Any]) -> "Snapshot": ...
    def filter(self, container: str = "", kind: str = "") -> "Snapshot": ...
    def container(self, id_or_name: str) -> Optional[ContainerInfo]: ...
    def process(self, pid: int) -> Optional[ProcessInfo]: ...
    def describe_netns(self, inode: int) -> str: ...
    def describe(self, kind: str) -> List[str]: ...
    def summary(self) -> str: ...
    def _repr_html_(self) -> str: ...

class Change:
    type: str
    kind: str
    key: str
    owner: str
    sentence: str
    fields: List[str]
    def to_dict(self) -> Dict[str, Any]: ...

class Diff:
    from_generation: int
    to_generation: int
    changes: _ObjectList[Change]
    result: Any
    extras: Dict[str, Any]
    def to_dict(self) -> Dict[str, Any]: ...
    @staticmethod
    def from_dict(data: Dict[str, Any]) -> "Diff": ...
    def text(self) -> str: ...
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def _repr_html_(self) -> str: ...

class TimelineEntry:
    type: str
    time: str
    snapshot: Snapshot
    event: Any
    def text(self) -> str: ...

def diff_snapshots(before: Snapshot, after: Snapshot, glassbox_only: bool = False,
                   include_usage: bool = False) -> Diff: ...
def read_timeline(path: str) -> _ObjectList[TimelineEntry]: ...
def parse_snapshot(text: str) -> Snapshot: ...

# [SECTION] Client

class Stream(Iterator[Any]):
    def __iter__(self) -> "Stream": ...
    def __next__(self) -> Union[bytes, Tuple[int, bytes], Dict[str, Any]]: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Stream": ...
    def __exit__(self, *args: Any) -> bool: ...

class Recording:
    active: bool
    path: str
    def stop(self, settle: float = 3.0) -> Dict[str, Any]: ...

class Client:
    socket_path: str
    def __init__(self, host: str) -> None: ...
    def request(self, method: str, path: str, body: Any = None, content_type: str = "",
                timeout: Optional[float] = 60.0, versioned: bool = True) -> Any: ...
    def ping(self, timeout: Optional[float] = 60.0) -> bool: ...
    def exec_run(self, container: str, cmd: Union[str, Sequence[str]], tty: bool = False, user: str = "",
                 environment: Any = None, workdir: str = "", privileged: bool = False, detach: bool = False,
                 timeout: Optional[float] = None) -> Tuple[Optional[int], bytes, bytes]: ...
    def state(self, container: str = "", kind: str = "", generation: Optional[int] = None,
              timeout: Optional[float] = 60.0) -> Snapshot: ...
    def diff(self, query: Dict[str, Any], timeout: Optional[float] = 60.0) -> Tuple[Diff, Dict[str, Any]]: ...
    def features(self, timeout: Optional[float] = 60.0) -> KernelInfo: ...
    def open_stream(self, method: str, path: str, mode: str = "json", body: Any = None, body_file: str = "",
                    content_type: str = "", timeout: Optional[float] = None, versioned: bool = True) -> Stream: ...
    def start_recording(self, path: str, all: bool = False, timeout: Optional[float] = 30.0) -> Recording: ...

# [SECTION] Lessons (present when engine::lesson was built)

class LessonRunner:
    def __init__(self, lessons_dir: str, socket_path: str, cli_path: str, progress_path: str = "") -> None: ...
    def list(self, timeout: Optional[float] = 60.0) -> List[Dict[str, Any]]: ...
    def start(self, name: str, timeout: Optional[float] = 60.0) -> Dict[str, Any]: ...
    def show(self, timeout: Optional[float] = 60.0) -> Dict[str, Any]: ...
    def check(self, timeout: Optional[float] = 60.0) -> Dict[str, Any]: ...
    def next(self, force: bool = False, timeout: Optional[float] = 60.0) -> Dict[str, Any]: ...
    def back(self, timeout: Optional[float] = 60.0) -> Dict[str, Any]: ...
    def run(self, timeout: Optional[float] = 600.0) -> List[Dict[str, Any]]: ...
    def reset(self, name: str = "", timeout: Optional[float] = 300.0) -> List[str]: ...
    def solve(self, name: str, keep: bool = False, timeout: Optional[float] = 900.0) -> Dict[str, Any]: ...

def find_lessons_dir(executable: str) -> str: ...
