// The snapshot types of engine/state (snapshot.h, diff.h, record.h) as Python classes with
// read-only attributes named as in C++ and in SCHEMA.md, each with .to_dict() (the JSON form,
// "key" included) and .key (the identity key). Lists of objects are bound as opaque vectors, so
// `snapshot.processes[3]` does not copy the whole list first. HTML rendering is Python's
// (glassbox/display.py); _repr_html_ here only calls it.
// Also the pure functions: diff two snapshots, read a timeline file, describe objects. None of
// them needs a daemon or root.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl_bind.h>

#include "engine/state/diff.h"
#include "engine/state/record.h"
#include "engine/state/snapshot.h"
#include "engine/state/snapshot_json.h"
#include "engine/state/summary.h"
#include "python/bindings/errors.h"
#include "python/bindings/json_convert.h"
#include "python/bindings/module.h"

namespace py = pybind11;
using namespace engine::state;

PYBIND11_MAKE_OPAQUE(std::vector<ProcessInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<NamespaceInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<OverlayLower>)
PYBIND11_MAKE_OPAQUE(std::vector<MountInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<CgroupInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<LinkInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<AddressInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<RouteInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<NeighbourInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<FdbEntry>)
PYBIND11_MAKE_OPAQUE(std::vector<NftRule>)
PYBIND11_MAKE_OPAQUE(std::vector<FeatureInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<ContainerInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<ImageInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<LayerInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<VolumeInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<EndpointInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<NetworkInfo>)
PYBIND11_MAKE_OPAQUE(std::vector<Change>)
PYBIND11_MAKE_OPAQUE(std::vector<TimelineEntry>)

namespace glassbox_py {

namespace {

// Objects with an identity key.
template<typename T>
concept Keyed = requires(const T& value)
{
    identity_key(value);
};

// Calls glassbox.display.<function>(object) for rich output in Jupyter.
py::object display_call(const char* function, py::handle object)
{
    return py::module_::import("glassbox.display").attr(function)(object);
}

// A class for a plain-data struct: to_dict(), key (when it has one), repr, equality by JSON.
template<typename T>
py::class_<T> record_class(py::module_& m, const char* name, const char* doc)
{
    py::class_<T> cls(m, name, doc);
    cls.def(
        "to_dict",
        [](const T& value) {
            nlohmann::json json = value;
            if constexpr (Keyed<T>)
                json["key"] = identity_key(value);
            return to_python(json);
        },
        "The object as a plain dict, in the JSON form of engine/state/SCHEMA.md.");
    cls.def(
        "__eq__", [](const T& a, const T& b) { return nlohmann::json(a) == nlohmann::json(b); });
    cls.def(
        "__ne__", [](const T& a, const T& b) { return nlohmann::json(a) != nlohmann::json(b); });
    cls.attr("__hash__") = py::none();
    if constexpr (Keyed<T>) {
        cls.def_property_readonly(
            "key", [](const T& value) { return identity_key(value); },
            "Identity key: the same object has the same key in every snapshot.");
        cls.def("__repr__", [name](const T& value) {
            return std::string("<") + name + " " + identity_key(value) + ">";
        });
    } else {
        cls.def("__repr__", [name](const T& value) {
            auto text = nlohmann::json(value).dump(
                -1, ' ', false, nlohmann::json::error_handler_t::replace);
            if (text.size() > 120)
                text = text.substr(0, 117) + "...";
            return std::string("<") + name + " " + text + ">";
        });
    }
    return cls;
}

template<typename T>
void bind_list(py::module_& m, const char* name)
{
    py::bind_vector<std::vector<T>>(m, name, py::module_local(false))
        .def(
            "to_list",
            [](const std::vector<T>& items) {
                py::list out;
                for (const auto& item : items)
                    out.append(py::cast(item).attr("to_dict")());
                return out;
            },
            "Every object as a plain dict.");
}

} // namespace

// Declares one read-only attribute per field, from the same list snapshot_json.h serialises.
#define GB_READONLY(field) cls.def_readonly(#field, &Self::field);
#define GB_FIELDS(...) NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(GB_READONLY, __VA_ARGS__))

void bind_state(py::module_& m)
{
    {
        using Self = ProcessInfo;
        auto cls = record_class<Self>(
            m, "ProcessInfo", "A process: host PID, NSpid chain, signals, cgroup, namespaces.");
        GB_FIELDS(pid, ppid, start_time, nspid, comm, cmdline, state, state_name, uid, euid, gid,
            threads, signals_caught, signals_ignored, signals_blocked, signals_pending, cgroup,
            namespaces, container_id, owner)
    }
    {
        using Self = NamespaceInfo;
        auto cls = record_class<Self>(
            m, "NamespaceInfo", "A namespace (type and inode) and the host PIDs in it.");
        GB_FIELDS(type, inode, owner_pid, members, bind_mounts, container_id, owner)
    }
    {
        using Self = OverlayLower;
        auto cls = record_class<Self>(
            m, "OverlayLower", "One overlay lowerdir, resolved to its image layer.");
        GB_FIELDS(path, layer_diff_id, image_ids, created_by)
    }
    bind_list<OverlayLower>(m, "OverlayLowerList");
    {
        using Self = MountInfo;
        auto cls = record_class<Self>(
            m, "MountInfo", "A mount from /proc/<pid>/mountinfo, with overlay layers resolved.");
        GB_FIELDS(mount_namespace, mount_id, parent_id, device, root, mount_point, options,
            propagation, fstype, source, super_options, kind, lower_dirs, upper_dir, work_dir,
            volume_name, container_id, owner)
    }
    {
        using Self = CgroupInfo;
        auto cls = record_class<Self>(
            m, "CgroupInfo", "A cgroup with its limits and usage (-1 = unknown or unlimited).");
        GB_FIELDS(hierarchy, path, directory, memory_current, memory_max, oom_events, oom_kills,
            pids_current, pids_max, cpu_usage_usec, cpu_quota_usec, cpu_period_usec, processes,
            container_id, owner)
    }
    {
        using Self = LinkInfo;
        auto cls = record_class<Self>(m, "LinkInfo",
            "A network link in some network namespace (veth, bridge, macvlan, ...).");
        GB_FIELDS(netns, index, name, kind, mac, mtu, up, oper_state, master_index, master_name,
            bridge_port_state, peer_index, peer_name, peer_netns, parent_index, parent_name,
            parent_netns, mode, vlan_id, container_id, owner)
    }
    {
        using Self = AddressInfo;
        auto cls = record_class<Self>(m, "AddressInfo", "An IP address on a link.");
        GB_FIELDS(netns, link_index, link_name, family, address, scope, container_id, owner)
    }
    {
        using Self = RouteInfo;
        auto cls = record_class<Self>(m, "RouteInfo", "A route in some network namespace.");
        GB_FIELDS(netns, family, table, destination, gateway, link_index, link_name, protocol,
            scope, metric, container_id, owner)
    }
    {
        using Self = NeighbourInfo;
        auto cls = record_class<Self>(m, "NeighbourInfo", "An ARP/NDP neighbour entry.");
        GB_FIELDS(netns, link_index, link_name, address, mac, state, container_id, owner)
    }
    {
        using Self = FdbEntry;
        auto cls = record_class<Self>(
            m, "FdbEntry", "A bridge forwarding-database entry (which MAC sits on which port).");
        GB_FIELDS(netns, port_index, port_name, bridge_index, bridge_name, mac, vlan, state, owner)
    }
    {
        using Self = NftRule;
        auto cls
            = record_class<Self>(m, "NftRule", "An nftables rule in one of glassbox's tables.");
        GB_FIELDS(family, table, chain, handle, text, comment, owner)
    }
    {
        using Self = FeatureInfo;
        auto cls = record_class<Self>(m, "FeatureInfo", "One result of the kernel feature probe.");
        GB_FIELDS(name, available, detail)
    }
    bind_list<FeatureInfo>(m, "FeatureList");
    {
        using Self = KernelInfo;
        auto cls = record_class<Self>(
            m, "KernelInfo", "The kernel: release, cgroup layout and the feature probe.");
        GB_FIELDS(release, cgroup_layout, cgroup_v2_mount, features)
        cls.def(
            "feature",
            [](const KernelInfo& kernel, const std::string& name) -> py::object {
                for (const auto& feature : kernel.features)
                    if (feature.name == name)
                        return py::cast(feature);
                return py::none();
            },
            py::arg("name"), "The probe result named `name` (\"link.ipvlan\", ...), or None.");
        cls.def("_repr_html_", [](py::object self) { return display_call("features_html", self); });
    }
    {
        using Self = ContainerInfo;
        auto cls = record_class<Self>(m, "ContainerInfo",
            "A container as the snapshot joins it to the kernel: PID 1, namespaces, cgroups.");
        GB_FIELDS(id, name, image_id, image_tags, status, pid, namespaces, processes, rootfs,
            cgroup_paths, netns_path, volumes, networks)
    }
    {
        using Self = ImageInfo;
        auto cls = record_class<Self>(
            m, "ImageInfo", "An image: tags and layer diff ids, lowest first.");
        GB_FIELDS(id, tags, layers)
    }
    {
        using Self = LayerInfo;
        auto cls = record_class<Self>(
            m, "LayerInfo", "A layer and the images and containers that share it.");
        GB_FIELDS(diff_id, directory, size, created_by, image_ids, container_ids)
    }
    {
        using Self = VolumeInfo;
        auto cls = record_class<Self>(
            m, "VolumeInfo", "A named volume and the containers that mount it.");
        GB_FIELDS(name, driver, mountpoint, container_ids)
    }
    {
        using Self = EndpointInfo;
        auto cls = record_class<Self>(m, "EndpointInfo", "A container's attachment to a network.");
        GB_FIELDS(container_id, container_name, ip_address, mac_address, host_link)
    }
    bind_list<EndpointInfo>(m, "EndpointList");
    {
        using Self = NetworkInfo;
        auto cls = record_class<Self>(m, "NetworkInfo", "A glassbox network and its endpoints.");
        GB_FIELDS(id, name, driver, bridge_name, parent, subnet, gateway, endpoints)
    }

    bind_list<ContainerInfo>(m, "ContainerInfoList");
    bind_list<ImageInfo>(m, "ImageInfoList");
    bind_list<LayerInfo>(m, "LayerInfoList");
    bind_list<VolumeInfo>(m, "VolumeInfoList");
    bind_list<NetworkInfo>(m, "NetworkInfoList");
    bind_list<ProcessInfo>(m, "ProcessInfoList");
    bind_list<NamespaceInfo>(m, "NamespaceInfoList");
    bind_list<MountInfo>(m, "MountInfoList");
    bind_list<CgroupInfo>(m, "CgroupInfoList");
    bind_list<LinkInfo>(m, "LinkInfoList");
    bind_list<AddressInfo>(m, "AddressInfoList");
    bind_list<RouteInfo>(m, "RouteInfoList");
    bind_list<NeighbourInfo>(m, "NeighbourInfoList");
    bind_list<FdbEntry>(m, "FdbEntryList");
    bind_list<NftRule>(m, "NftRuleList");

    {
        using Self = Snapshot;
        py::class_<Self> cls(m, "Snapshot",
            "Everything glassbox can show about the kernel at one moment "
            "(engine/state/SCHEMA.md).");
        GB_FIELDS(schema_version, generation, taken_at, hostname, kernel, host_namespaces,
            containers, images, layers, volumes, networks, processes, namespaces, mounts, cgroups,
            links, addresses, routes, neighbours, fdb, nft_rules, warnings)
        cls.def(
            "to_dict",
            [](const Snapshot& snapshot) { return to_python(snapshot_to_json(snapshot)); },
            "The snapshot as plain dicts and lists (the JSON of GET /glassbox/v1/state).");
        cls.def_static(
            "from_dict",
            [](py::handle value) {
                auto json = from_python(value);
                return unwrap(snapshot_from_json(json));
            },
            py::arg("data"),
            "Reads a snapshot from its dict form; InvalidArgument names a bad field.");
        cls.def(
            "filter",
            [](const Snapshot& snapshot, const std::string& container, const std::string& kind) {
                return unwrap(filter_snapshot(snapshot, SnapshotFilter { container, kind }));
            },
            py::arg("container") = "", py::arg("kind") = "",
            "Only one container's objects and/or one kind; NotFound / InvalidArgument otherwise.");
        cls.def(
            "container",
            [](const Snapshot& snapshot, const std::string& id_or_name) -> py::object {
                const auto* found = find_container(snapshot, id_or_name);
                return found ? py::cast(*found) : py::none();
            },
            py::arg("id_or_name"), "The container with this name, id or id prefix, or None.");
        cls.def(
            "process",
            [](const Snapshot& snapshot, int pid) -> py::object {
                const auto* found = find_process(snapshot, pid);
                return found ? py::cast(*found) : py::none();
            },
            py::arg("pid"), "The process with this host PID, or None.");
        cls.def("describe_netns", &describe_netns, py::arg("inode"),
            "A readable name for a network namespace: \"the host\", \"container web's netns\", "
            "...");
        cls.def(
            "describe",
            [](const Snapshot& snapshot, const std::string& kind) {
                return describe_objects(snapshot, kind);
            },
            py::arg("kind"), "One sentence per object of `kind` (\"links\", \"mounts\", ...).");
        cls.def("summary", &render_summary, "The readable summary `glassbox state` prints.");
        cls.def("__repr__", [](const Snapshot& snapshot) {
            return "<Snapshot generation " + std::to_string(snapshot.generation) + " at "
                + snapshot.taken_at + ": " + std::to_string(snapshot.containers.size())
                + " containers, " + std::to_string(snapshot.processes.size()) + " processes, "
                + std::to_string(snapshot.namespaces.size()) + " namespaces, "
                + std::to_string(snapshot.links.size()) + " links>";
        });
        cls.def("_repr_html_", [](py::object self) { return display_call("snapshot_html", self); });
    }

    {
        using Self = Change;
        py::class_<Self> cls(m, "Change", "One added, removed or changed object in a diff.");
        GB_FIELDS(kind, key, owner, sentence, fields)
        cls.def_property_readonly(
            "type", [](const Change& change) { return std::string(change_type_name(change.type)); },
            "\"added\", \"removed\" or \"changed\".");
        cls.def("to_dict", [](const Change& change) {
            Diff one;
            one.changes.push_back(change);
            return to_python(diff_to_json(one)["changes"][0]);
        });
        cls.def("__repr__", [](const Change& change) {
            return "<Change " + std::string(change_type_name(change.type)) + " " + change.key + ": "
                + change.sentence + ">";
        });
    }
    bind_list<Change>(m, "ChangeList");
    {
        using Self = Diff;
        py::class_<Self> cls(
            m, "Diff", "What changed in the kernel between two snapshots.", py::dynamic_attr());
        GB_FIELDS(from_generation, to_generation, changes)
        cls.def("to_dict", [](const Diff& diff) { return to_python(diff_to_json(diff)); });
        cls.def_static(
            "from_dict",
            [](py::handle value) { return unwrap(diff_from_json(from_python(value))); },
            py::arg("data"));
        cls.def("text", &render_diff, "One line per change, as `glassbox state diff` prints it.");
        cls.def("__len__", [](const Diff& diff) { return diff.changes.size(); });
        cls.def("__bool__", [](const Diff& diff) { return !diff.changes.empty(); });
        cls.def("__repr__", [](const Diff& diff) {
            return "<Diff " + std::to_string(diff.from_generation) + " -> "
                + std::to_string(diff.to_generation) + ": " + std::to_string(diff.changes.size())
                + " changes>";
        });
        cls.def("_repr_html_", [](py::object self) { return display_call("diff_html", self); });
    }
    m.def(
        "diff_snapshots",
        [](const Snapshot& before, const Snapshot& after, bool glassbox_only, bool include_usage) {
            return diff_snapshots(before, after, DiffOptions { glassbox_only, include_usage });
        },
        py::arg("before"), py::arg("after"), py::arg("glassbox_only") = false,
        py::arg("include_usage") = false,
        "The diff of two snapshots (matched by identity key), computed here: no daemon needed.");

    {
        using Self = TimelineEntry;
        py::class_<Self> cls(
            m, "TimelineEntry", "One line of a recording: a snapshot or an event.");
        cls.def_property_readonly("type", [](const TimelineEntry& entry) {
            return entry.type == TimelineEntry::Type::Snapshot ? "snapshot" : "event";
        });
        GB_FIELDS(time, snapshot)
        cls.def_property_readonly(
            "event", [](const TimelineEntry& entry) { return to_python(entry.event); },
            "The event line (a dict) for event entries, None for snapshots.");
        cls.def("text", &render_timeline_entry, "The entry as `glassbox replay` prints it.");
        cls.def("__repr__", [](const TimelineEntry& entry) {
            if (entry.type == TimelineEntry::Type::Snapshot)
                return "<TimelineEntry snapshot " + std::to_string(entry.snapshot.generation)
                    + " at " + entry.time + ">";
            return "<TimelineEntry event " + entry.event.value("type", std::string("?")) + " at "
                + entry.time + ">";
        });
    }
    bind_list<TimelineEntry>(m, "TimelineEntryList");
    m.def(
        "read_timeline",
        [](const std::string& path) {
            engine::Result<std::vector<TimelineEntry>> entries = engine::Error::system("not read");
            {
                py::gil_scoped_release release;
                entries = read_timeline(path);
            }
            return unwrap(std::move(entries));
        },
        py::arg("path"),
        "Reads a whole recording (glassbox record / glassbox.record) with the C++ reader: "
        "no daemon, no root. InvalidArgument names the file and line of a malformed entry.");
    m.def(
        "parse_snapshot", [](const std::string& text) { return unwrap(parse_snapshot(text)); },
        py::arg("text"), "Reads a snapshot from JSON text.");
    m.attr("SNAPSHOT_SCHEMA_VERSION") = snapshot_schema_version;
    m.attr("SNAPSHOT_KINDS") = snapshot_kinds();
}

#undef GB_FIELDS
#undef GB_READONLY

} // namespace glassbox_py
