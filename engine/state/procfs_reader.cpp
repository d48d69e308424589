// procfs for the collector: /proc/<pid>/stat (ppid, state, start time), status (uids, NSpid,
// signal masks), cmdline, cgroup, ns/* links and mountinfo. See proc(5) for every format here.
#include "engine/state/collector_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <climits>
#include <cstdlib>
#include <optional>

#include "engine/base/fd.h"
#include "engine/base/strings.h"

namespace engine::state::detail {

namespace {

// Appends the rest of an open file to `out`: until read(2) returns 0, or with `one_record` until
// a read shorter than asked for (see read_one_record_file). False if a read fails.
bool read_rest(int fd, std::string& out, bool one_record)
{
    size_t used = out.size();
    out.resize(std::max<size_t>(4096, used * 2));
    while (true) {
        if (used == out.size())
            out.resize(out.size() * 2);
        size_t wanted = out.size() - used;
        ssize_t got = ::read(fd, out.data() + used, wanted);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            out.clear();
            return false;
        }
        used += static_cast<size_t>(got);
        if (got == 0 || (one_record && static_cast<size_t>(got) < wanted))
            break;
    }
    out.resize(used);
    return true;
}

// The first read of an open file, of at most 4 KiB, into a buffer on the stack and then into
// `out` (whose capacity a caller reading many files reuses: growing a fresh string would
// allocate and zero 4 KiB for each of the thousand files of a snapshot). Returns the bytes read,
// or -1 if the read failed.
ssize_t read_first(int fd, std::string& out)
{
    out.clear();
    char buffer[4096];
    ssize_t got;
    do {
        got = ::read(fd, buffer, sizeof buffer);
    } while (got < 0 && errno == EINTR);
    if (got > 0)
        out.assign(buffer, static_cast<size_t>(got));
    return got;
}

// Reads an open file from its current offset. With `one_record`, a read shorter than asked for
// is the end (see read_one_record_file), which saves the read(2) that would only return 0;
// otherwise reads until read(2) returns 0.
bool read_open_file(int fd, std::string& out, bool one_record)
{
    if (!one_record) {
        out.clear();
        return read_rest(fd, out, false);
    }
    ssize_t got = read_first(fd, out);
    if (got < 0)
        return false;
    // A record larger than the buffer: read the rest as any file.
    return static_cast<size_t>(got) < 4096 || read_rest(fd, out, true);
}

// Reads a file relative to `dir_fd` (AT_FDCWD for an absolute path); see read_open_file.
bool read_small_file_at(int dir_fd, const char* path, std::string& out, bool one_record)
{
    out.clear();
    UniqueFd fd(::openat(dir_fd, path, O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return false;
    return read_open_file(fd.get(), out, one_record);
}

std::uint64_t read_namespace_inode_at(int pid_dir_fd, const char* type)
{
    char link[16];
    std::snprintf(link, sizeof link, "ns/%s", type);
    char target[64];
    ssize_t length = ::readlinkat(pid_dir_fd, link, target, sizeof(target) - 1);
    if (length <= 0)
        return 0;
    return parse_namespace_link(std::string_view(target, static_cast<size_t>(length)));
}

} // namespace

bool read_file_at(int dir_fd, const char* name, std::string& out, bool one_record)
{
    return read_small_file_at(dir_fd, name, out, one_record);
}

bool read_pid_list_at(int dir_fd, const char* name, std::string& out)
{
    UniqueFd fd(::openat(dir_fd, name, O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        out.clear();
        return false;
    }
    // A seq_file read fills the caller's buffer with whole records until the next would not fit
    // in its own buffer (a page at least) or in the caller's, or there is no next; so when a 4 KiB
    // read comes back shorter than 4 KiB by the longest record or more, there was no next.
    ssize_t got = read_first(fd.get(), out);
    if (got < 0)
        return false;
    constexpr size_t longest_record = 8; // "4194303\n": PID_MAX_LIMIT is 4194304.
    return static_cast<size_t>(got) + longest_record <= 4096 || read_rest(fd.get(), out, false);
}

bool reread_file(int fd, std::string& out)
{
    if (::lseek(fd, 0, SEEK_SET) != 0)
        return false;
    return read_open_file(fd, out, false);
}

bool read_small_file(const std::string& path, std::string& out)
{
    return read_small_file_at(AT_FDCWD, path.c_str(), out, false);
}

bool read_one_record_file(const std::string& path, std::string& out)
{
    return read_small_file_at(AT_FDCWD, path.c_str(), out, true);
}

std::vector<int> list_pids(const std::string& proc_root)
{
    std::vector<int> pids;
    DIR* dir = ::opendir(proc_root.c_str());
    if (!dir)
        return pids;
    while (auto* entry = ::readdir(dir)) {
        std::uint64_t pid = 0;
        if (strings::parse_uint(entry->d_name, pid) && pid > 0)
            pids.push_back(static_cast<int>(pid));
    }
    ::closedir(dir);
    std::sort(pids.begin(), pids.end());
    return pids;
}

std::uint64_t parse_namespace_link(std::string_view target)
{
    auto open = target.find(":[");
    if (open == std::string_view::npos || target.empty() || target.back() != ']')
        return 0;
    std::uint64_t inode = 0;
    if (!strings::parse_uint(target.substr(open + 2, target.size() - open - 3), inode))
        return 0;
    return inode;
}

std::uint64_t read_namespace_inode(const std::string& proc_root, int pid, const char* type)
{
    char target[64];
    auto path = proc_root + "/" + std::to_string(pid) + "/ns/" + type;
    ssize_t length = ::readlink(path.c_str(), target, sizeof(target) - 1);
    if (length <= 0)
        return 0;
    return parse_namespace_link(std::string_view(target, static_cast<size_t>(length)));
}

const std::vector<const char*>& namespace_types()
{
    static const std::vector<const char*> types = { "mnt", "uts", "ipc", "pid", "net", "cgroup", "user", "time" };
    return types;
}

bool parse_stat(std::string_view text, ProcessInfo& process)
{
    // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
    auto open = text.find('(');
    auto close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
        return false;
    process.comm = std::string(text.substr(open + 1, close - open - 1));
    // Fields 3 (state), 4 (ppid) and 22 (start time), walked in place: field n is the
    // (n - 3)th after the comm.
    auto rest = text.substr(std::min(close + 2, text.size()));
    std::string_view state, ppid, start_time;
    int count = 0;
    for (int field = 3; !rest.empty(); ++field, ++count) {
        auto space = rest.find(' ');
        auto value = rest.substr(0, space);
        if (field == 3)
            state = value;
        else if (field == 4)
            ppid = value;
        else if (field == 22)
            start_time = value;
        rest = space == std::string_view::npos ? std::string_view {} : rest.substr(space + 1);
    }
    if (count < 20)
        return false;
    process.state = std::string(state);
    std::uint64_t value = 0;
    if (strings::parse_uint(ppid, value))
        process.ppid = static_cast<int>(value);
    if (strings::parse_uint(start_time, value))
        process.start_time = value;
    return true;
}

namespace {

// The first and second tab-separated numbers of a status value ("0\t0\t0\t0"); 0 if missing.
int nth_number(std::string_view text, int n)
{
    text = trim_view(text);
    for (int i = 0; i < n; ++i) {
        auto tab = text.find('\t');
        if (tab == std::string_view::npos)
            return 0;
        text = text.substr(tab + 1);
    }
    std::uint64_t value = 0;
    if (!strings::parse_uint(trim_view(text.substr(0, text.find('\t'))), value))
        return 0;
    return static_cast<int>(value);
}

int first_number(std::string_view text) { return nth_number(text, 0); }

int second_number(std::string_view text) { return nth_number(text, 1); }

void add_unique(std::vector<std::string>& into, const std::vector<std::string>& names)
{
    for (const auto& name : names) {
        if (std::find(into.begin(), into.end(), name) == into.end())
            into.push_back(name);
    }
}

} // namespace

void parse_status(std::string_view text, ProcessInfo& process)
{
    for_each_part(text, '\n', [&](std::string_view line) {
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return;
        auto key = line.substr(0, colon);
        auto value = trim_view(line.substr(colon + 1));
        if (key == "State") {
            process.state = std::string(value.substr(0, 1));
        } else if (key == "Uid") {
            process.uid = first_number(value);
            process.euid = second_number(value);
        } else if (key == "Gid") {
            process.gid = first_number(value);
        } else if (key == "Threads") {
            process.threads = first_number(value);
        } else if (key == "NSpid") {
            process.nspid.clear();
            for_each_part(value, '\t', [&](std::string_view part) {
                std::uint64_t pid = 0;
                if (strings::parse_uint(trim_view(part), pid))
                    process.nspid.push_back(static_cast<int>(pid));
            });
        } else if (key == "SigPnd" || key == "ShdPnd") {
            add_unique(process.signals_pending, decode_signal_mask(value));
        } else if (key == "SigBlk") {
            process.signals_blocked = decode_signal_mask(value);
        } else if (key == "SigIgn") {
            process.signals_ignored = decode_signal_mask(value);
        } else if (key == "SigCgt") {
            process.signals_caught = decode_signal_mask(value);
        }
    });
    process.state_name = process_state_name(process.state);
}

std::vector<std::string> parse_cmdline(std::string_view text)
{
    std::vector<std::string> args;
    for_each_part(text, '\0', [&](std::string_view arg) { args.emplace_back(arg); });
    return args;
}

namespace {

// Calls each(hierarchy, path) for every line of a /proc/<pid>/cgroup text, as views into it;
// the hierarchy of the v2 line ("0::/a") is "unified".
template <typename Each>
void for_each_proc_cgroup(std::string_view text, Each&& each)
{
    for_each_part(text, '\n', [&](std::string_view line) {
        auto first = line.find(':');
        auto second = first == std::string_view::npos ? std::string_view::npos : line.find(':', first + 1);
        if (second == std::string_view::npos)
            return;
        auto controllers = line.substr(first + 1, second - first - 1);
        each(controllers.empty() ? std::string_view("unified") : controllers, line.substr(second + 1));
    });
}

} // namespace

std::vector<std::pair<std::string, std::string>> parse_proc_cgroup(std::string_view text)
{
    std::vector<std::pair<std::string, std::string>> result;
    for_each_proc_cgroup(text, [&](std::string_view hierarchy, std::string_view path) {
        result.emplace_back(std::string(hierarchy), std::string(path));
    });
    return result;
}

namespace {

// PF_KTHREAD in the flags field of /proc/<pid>/stat (include/linux/sched.h).
constexpr std::uint64_t kernel_thread_flag = 0x00200000;

// Whether the flags field (field 9) of a /proc/<pid>/stat text marks a kernel thread.
bool is_kernel_thread(std::string_view stat)
{
    auto close = stat.rfind(')');
    if (close == std::string_view::npos)
        return false;
    auto rest = stat.substr(close + 1);
    for (int field = 3; field <= 9; ++field) {
        auto start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos)
            return false;
        rest = rest.substr(start);
        auto end = std::min(rest.find(' '), rest.size());
        if (field == 9) {
            std::uint64_t flags = 0;
            return strings::parse_uint(rest.substr(0, end), flags) && (flags & kernel_thread_flag) != 0;
        }
        rest = rest.substr(end);
    }
    return false;
}

// The unified path of a /proc/<pid>/cgroup text on v2 and hybrid; the memory hierarchy's on pure
// v1 (from the lines parse_proc_cgroup gives, without two strings per line).
std::string process_cgroup(std::string_view text)
{
    std::string_view memory;
    std::optional<std::string_view> unified;
    for_each_proc_cgroup(text, [&](std::string_view hierarchy, std::string_view path) {
        if (hierarchy == "unified")
            unified = path;
        else if (hierarchy == "memory" && memory.empty())
            memory = path;
    });
    return std::string(unified ? *unified : memory);
}

} // namespace

bool read_process(const std::string& proc_root, int pid, ProcessInfo& process, std::string* cgroup_text)
{
    // Everything is read relative to the process's directory, opened once: procfs then looks the
    // PID up once instead of a dozen times.
    char base[PATH_MAX];
    std::snprintf(base, sizeof base, "%s/%d", proc_root.c_str(), pid);
    UniqueFd dir(::open(base, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid())
        return false;
    // One buffer per thread for all its processes' files: its capacity is kept.
    thread_local std::string text;
    process.pid = pid;
    // stat, status and cgroup are one seq_file record each, and cmdline is copied out of the
    // process's memory until the buffer is full or the arguments end: all four are whole records.
    if (!read_small_file_at(dir.get(), "stat", text, true) || !parse_stat(text, process))
        return false;
    // A kernel thread has no memory to hold arguments: its cmdline is always empty.
    bool kernel_thread = is_kernel_thread(text);
    if (!read_small_file_at(dir.get(), "status", text, true))
        return false;
    parse_status(text, process);
    if (!kernel_thread && read_small_file_at(dir.get(), "cmdline", text, true))
        process.cmdline = parse_cmdline(text);
    if (read_small_file_at(dir.get(), "cgroup", text, true)) {
        process.cgroup = process_cgroup(text);
        if (cgroup_text)
            *cgroup_text = text;
    }
    for (const char* type : namespace_types()) {
        if (auto inode = read_namespace_inode_at(dir.get(), type))
            process.namespaces[type] = inode;
    }
    // A zombie has released its namespaces: its ns links no longer resolve, which is expected.
    return true;
}

std::string unescape_mount_path(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            auto digits = text.substr(i + 1, 3);
            if (digits.size() == 3 && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
                out.push_back(static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0')));
                i += 3;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

std::vector<MountInfo> parse_mountinfo(std::string_view text, std::uint64_t mount_namespace)
{
    std::vector<MountInfo> mounts;
    std::vector<std::string_view> fields;
    for_each_part(text, '\n', [&](std::string_view line) {
        // Views into the text, one vector reused for every line; empty fields are kept.
        fields.clear();
        while (true) {
            auto space = line.find(' ');
            fields.push_back(line.substr(0, space));
            if (space == std::string_view::npos)
                break;
            line = line.substr(space + 1);
        }
        // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
        auto dash = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 10 || dash == fields.end() || dash - fields.begin() < 6 || fields.end() - dash < 4)
            return;
        MountInfo mount;
        mount.mount_namespace = mount_namespace;
        std::uint64_t value = 0;
        if (!strings::parse_uint(fields[0], value))
            return;
        mount.mount_id = static_cast<int>(value);
        if (strings::parse_uint(fields[1], value))
            mount.parent_id = static_cast<int>(value);
        mount.device = std::string(fields[2]);
        mount.root = unescape_mount_path(fields[3]);
        mount.mount_point = unescape_mount_path(fields[4]);
        mount.options = std::string(fields[5]);
        for (auto it = fields.begin() + 6; it != dash; ++it) {
            if (it != fields.begin() + 6)
                mount.propagation += ' ';
            mount.propagation += *it;
        }
        mount.fstype = std::string(*(dash + 1));
        mount.source = unescape_mount_path(*(dash + 2));
        mount.super_options = std::string(*(dash + 3));
        mounts.push_back(std::move(mount));
    });
    return mounts;
}

void parse_overlay_options(std::string_view super_options, std::vector<std::string>& lower_dirs,
    std::string& upper_dir, std::string& work_dir)
{
    lower_dirs.clear();
    // Options are comma separated; overlayfs escapes commas and colons inside paths with '\'.
    std::vector<std::string> options;
    std::string current;
    for (size_t i = 0; i < super_options.size(); ++i) {
        char c = super_options[i];
        if (c == '\\' && i + 1 < super_options.size()) {
            current.push_back(c);
            current.push_back(super_options[++i]);
        } else if (c == ',') {
            options.push_back(std::move(current));
            current.clear();
        } else {
            current.push_back(c);
        }
    }
    options.push_back(std::move(current));

    auto split_colons = [](std::string_view value) {
        std::vector<std::string> parts;
        std::string part;
        for (size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '\\' && i + 1 < value.size()) {
                part.push_back(value[++i]);
            } else if (value[i] == ':') {
                if (!part.empty())
                    parts.push_back(unescape_mount_path(part));
                part.clear();
            } else {
                part.push_back(value[i]);
            }
        }
        if (!part.empty())
            parts.push_back(unescape_mount_path(part));
        return parts;
    };
    for (const auto& option : options) {
        if (strings::starts_with(option, "lowerdir=")) {
            for (auto& dir : split_colons(std::string_view(option).substr(9)))
                lower_dirs.push_back(std::move(dir));
        } else if (strings::starts_with(option, "lowerdir+=")) {
            // Kernels 6.8+ may show layers added through fsconfig one option per layer.
            lower_dirs.push_back(unescape_mount_path(option.substr(10)));
        } else if (strings::starts_with(option, "upperdir=")) {
            upper_dir = unescape_mount_path(option.substr(9));
        } else if (strings::starts_with(option, "workdir=")) {
            work_dir = unescape_mount_path(option.substr(8));
        }
    }
}

} // namespace engine::state::detail
