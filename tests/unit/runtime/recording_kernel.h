// A small in-memory Kernel for the runtime's unit tests: files and directories live in maps,
// and every mount and write is recorded in order, so a test can assert which cgroup file got
// which value on which layout without touching the real kernel.
#pragma once

#include <cerrno>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/sys/kernel.h"

namespace engine::runtime::testing {

class RecordingKernel final : public sys::Kernel {
public:
    std::map<std::string, std::string> files;
    std::set<std::string> dirs;
    std::vector<sys::MountRequest> mounts;
    std::vector<std::pair<std::string, std::string>> writes;

    Result<void> mount(const sys::MountRequest& request) override
    {
        mounts.push_back(request);
        return Ok {};
    }
    Result<void> umount(const std::string& target, int) override
    {
        unmounted.push_back(target);
        return Ok {};
    }
    Result<void> unshare(int) override { return Ok {}; }
    Result<void> set_namespace(const UniqueFd&, sys::NamespaceKind) override { return Ok {}; }
    Result<void> pivot_root(const std::string&, const std::string&) override { return Ok {}; }
    Result<void> change_dir(const std::string&) override { return Ok {}; }
    Result<void> set_hostname(std::string_view) override { return Ok {}; }
    Result<std::string> read_file(const std::string& path) override
    {
        auto it = files.find(path);
        if (it == files.end())
            return Error::from_errno("open " + path, ENOENT);
        return it->second;
    }
    Result<void> write_file(const std::string& path, std::string_view contents) override
    {
        auto slash = path.rfind('/');
        if (!dirs.contains(path.substr(0, slash)))
            return Error::from_errno("open " + path, ENOENT);
        writes.emplace_back(path, std::string(contents));
        files[path] = std::string(contents);
        return Ok {};
    }
    Result<void> make_dir(const std::string& path, mode_t) override
    {
        auto slash = path.rfind('/');
        if (!dirs.contains(path.substr(0, slash)))
            return Error::from_errno("mkdir " + path, ENOENT);
        dirs.insert(path);
        return Ok {};
    }
    Result<void> make_node(const std::string& path, mode_t, dev_t) override
    {
        files[path] = "";
        return Ok {};
    }
    Result<void> make_symlink(const std::string&, const std::string& link_path) override
    {
        files[link_path] = "";
        return Ok {};
    }
    Result<void> remove_dir(const std::string& path) override
    {
        dirs.erase(path);
        return Ok {};
    }
    bool path_exists(const std::string& path) override { return dirs.contains(path) || files.contains(path); }
    std::vector<std::string> list_subdirs(const std::string& path) override
    {
        std::vector<std::string> names;
        for (const auto& dir : dirs)
            if (dir.size() > path.size() + 1 && dir.compare(0, path.size() + 1, path + "/") == 0
                && dir.find('/', path.size() + 1) == std::string::npos)
                names.push_back(dir.substr(path.size() + 1));
        return names;
    }

    Result<void> attach_device_filter(const std::string& cgroup_dir, const std::vector<sys::BpfInstruction>& program) override
    {
        if (!dirs.contains(cgroup_dir))
            return Error::from_errno("open cgroup " + cgroup_dir, ENOENT);
        device_filters.emplace_back(cgroup_dir, program);
        return Ok {};
    }

    // The value last written to `path`, or "" if none was.
    std::string written(const std::string& path) const
    {
        std::string value;
        for (const auto& [file, contents] : writes)
            if (file == path)
                value = contents;
        return value;
    }

    std::vector<std::string> unmounted;
    std::vector<std::pair<std::string, std::vector<sys::BpfInstruction>>> device_filters;
};

} // namespace engine::runtime::testing
