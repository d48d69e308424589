"""glassbox from Python: a container engine you can see inside.

    import glassbox
    gb = glassbox.connect()                       # $GLASSBOX_HOST, or the default daemon (started if needed)
    web = gb.containers.run("busybox:1.35.0", "sleep 60", name="web", detach=True)
    gb.state(container="web")                     # the kernel objects it made, as a table in Jupyter
    gb.diff(lambda: gb.networks.create("lab"))    # what that call changed in the kernel
    glassbox.replay("class.timeline")             # a recording, read without root or a daemon

The docker-SDK-shaped collections (containers, images, volumes, networks) follow docker-py's
names; errors are glassbox.GlassboxError subclasses carrying the engine's message and kind.
"""
from ._glassbox import (BuildFailed, Change, Conflict, ContainerInfo, DaemonUnavailable, Diff,
                        GlassboxError, ImageInfo, InvalidArgument, KernelFeatureMissing, KernelInfo,
                        LayerInfo, LinkInfo, MountInfo, NamespaceInfo, NetworkInfo, NotFound,
                        NotModified, PermissionDenied, ProcessInfo, Snapshot, Timeout, TimelineEntry,
                        VolumeInfo, diff_snapshots)
from .client import Glassbox, Recorder, connect
from .display import ImageLayers, NetworkTopology
from .models import (Container, ContainerError, ExecResult, Image, Network, Volume)
from .timeline import Timeline, replay

__version__ = "0.1.0"

__all__ = [
    "connect", "replay", "diff_snapshots", "Glassbox", "Recorder", "Timeline",
    "Container", "Image", "Volume", "Network", "ExecResult", "ImageLayers", "NetworkTopology",
    "Snapshot", "Diff", "Change", "TimelineEntry", "KernelInfo", "ContainerInfo", "ImageInfo", "LayerInfo",
    "VolumeInfo", "NetworkInfo", "ProcessInfo", "NamespaceInfo", "MountInfo", "LinkInfo",
    "GlassboxError", "NotFound", "Conflict", "InvalidArgument", "KernelFeatureMissing", "Timeout",
    "DaemonUnavailable", "PermissionDenied", "NotModified", "BuildFailed", "ContainerError",
]
