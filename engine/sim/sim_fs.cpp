#include "engine/sim/sim_fs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>

#include "engine/base/fs.h"
#include "engine/base/safe_path.h"
#include "engine/base/strings.h"

namespace engine::sim {

namespace {

bool lexists(const std::string& path)
{
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0;
}

// A whiteout in `dir` for `name`: the OCI ".wh." file or overlayfs's 0/0 character device.
bool is_whiteout(const std::string& dir, const std::string& name)
{
    if (lexists(dir + "/.wh." + name))
        return true;
    struct stat info {};
    return ::lstat((dir + "/" + name).c_str(), &info) == 0 && S_ISCHR(info.st_mode) && info.st_rdev == 0;
}

std::string parent_of(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

} // namespace

std::string clean_path(const std::string& cwd, const std::string& path)
{
    // ".." at the root stays at the root, as the kernel resolves it.
    return "/" + safe_path::clean_relative(!path.empty() && path[0] == '/' ? path : cwd + "/" + path);
}

ContainerFs::ContainerFs(std::vector<std::string> lowers, std::string upper, std::vector<BindMount> binds)
    : m_lowers(std::move(lowers))
    , m_upper(std::move(upper))
    , m_binds(std::move(binds))
{
}

const BindMount* ContainerFs::bind_for(const std::string& path, std::string& rest) const
{
    const BindMount* best = nullptr;
    for (const auto& bind : m_binds) {
        if ((path == bind.destination || strings::starts_with(path, bind.destination + "/"))
            && (!best || bind.destination.size() > best->destination.size()))
            best = &bind;
    }
    if (best)
        rest = path.substr(best->destination.size());
    return best;
}

bool ContainerFs::whited_out(const std::string& path, size_t layer_limit) const
{
    // Any ancestor (or the path itself) whited out in the upper directory or a layer above
    // `layer_limit` hides it. Layer index: 0 = upper, i + 1 = m_lowers[i].
    for (auto current = path; current != "/"; current = parent_of(current)) {
        auto dir = parent_of(current);
        auto name = base_of(current);
        if (!m_upper.empty() && is_whiteout(m_upper + dir, name))
            return true;
        for (size_t i = 0; i + 1 < layer_limit && i < m_lowers.size(); ++i)
            if (is_whiteout(m_lowers[i] + dir, name))
                return true;
    }
    return false;
}

std::string ContainerFs::resolve(const std::string& path) const
{
    std::string rest;
    if (const auto* bind = bind_for(path, rest)) {
        auto host = bind->source + rest;
        return lexists(host) ? host : std::string();
    }
    if (!m_upper.empty() && !whited_out(path, 0) && lexists(m_upper + path))
        return m_upper + path;
    for (size_t i = 0; i < m_lowers.size(); ++i) {
        if (whited_out(path, i + 1))
            return {};
        if (lexists(m_lowers[i] + path))
            return m_lowers[i] + path;
    }
    return path == "/" && !m_upper.empty() ? m_upper : std::string();
}

bool ContainerFs::exists(const std::string& path) const { return !resolve(path).empty(); }
bool ContainerFs::is_dir(const std::string& path) const
{
    auto host = resolve(path);
    return !host.empty() && fs::is_dir(host);
}

Result<std::string> ContainerFs::read(const std::string& path) const
{
    auto host = resolve(path);
    if (host.empty())
        return Error::from_errno(path, ENOENT);
    if (fs::is_dir(host))
        return Error::from_errno(path, EISDIR);
    return fs::read_file(host);
}

Result<void> ContainerFs::copy_up(const std::string& path)
{
    auto host = resolve(path);
    if (host.empty() || strings::starts_with(host, m_upper + "/"))
        return Ok {};
    TRY(fs::make_dirs(parent_of(m_upper + path), 0755));
    std::error_code error;
    std::filesystem::copy(host, m_upper + path, std::filesystem::copy_options::copy_symlinks, error);
    if (error)
        return Error::from_errno("copy up " + path, error.value());
    return Ok {};
}

Result<void> ContainerFs::write(const std::string& path, const std::string& contents, bool append)
{
    std::string rest;
    if (const auto* bind = bind_for(path, rest)) {
        if (bind->read_only)
            return Error::from_errno(path, EROFS);
        auto host = bind->source + rest;
        std::string old;
        if (append)
            if (auto current = fs::read_file(host); current.ok())
                old = current.value();
        return fs::write_file_replace(host, old + contents);
    }
    if (m_upper.empty())
        return Error::from_errno(path, EROFS);
    if (!is_dir(parent_of(path)))
        return Error::from_errno(path, ENOENT);
    TRY(copy_up(path));
    TRY(fs::make_dirs(parent_of(m_upper + path), 0755));
    // A new file over a whiteout replaces the whiteout.
    std::error_code error;
    std::filesystem::remove(m_upper + parent_of(path) + "/.wh." + base_of(path), error);
    std::string old;
    if (append)
        if (auto current = fs::read_file(m_upper + path); current.ok())
            old = current.value();
    return fs::write_file_replace(m_upper + path, old + contents);
}

Result<void> ContainerFs::remove(const std::string& path)
{
    std::string rest;
    if (const auto* bind = bind_for(path, rest)) {
        if (bind->read_only)
            return Error::from_errno(path, EROFS);
        if (::unlink((bind->source + rest).c_str()) != 0)
            return Error::from_errno(path, errno);
        return Ok {};
    }
    if (!exists(path))
        return Error::from_errno(path, ENOENT);
    std::error_code error;
    std::filesystem::remove_all(m_upper + path, error);
    bool in_lower = false;
    for (size_t i = 0; i < m_lowers.size() && !in_lower; ++i)
        in_lower = !whited_out(path, i + 1) && lexists(m_lowers[i] + path);
    if (in_lower) {
        TRY(fs::make_dirs(m_upper + parent_of(path), 0755));
        TRY(fs::write_file_replace(m_upper + parent_of(path) + "/.wh." + base_of(path), ""));
    }
    return Ok {};
}

Result<void> ContainerFs::make_dir(const std::string& path)
{
    if (exists(path))
        return Error::from_errno("mkdir " + path, EEXIST);
    if (!is_dir(parent_of(path)))
        return Error::from_errno("mkdir " + path, ENOENT);
    std::string rest;
    if (const auto* bind = bind_for(path, rest)) {
        if (bind->read_only)
            return Error::from_errno("mkdir " + path, EROFS);
        if (::mkdir((bind->source + rest).c_str(), 0755) != 0)
            return Error::from_errno("mkdir " + path, errno);
        return Ok {};
    }
    if (m_upper.empty())
        return Error::from_errno("mkdir " + path, EROFS);
    std::error_code error;
    std::filesystem::remove(m_upper + parent_of(path) + "/.wh." + base_of(path), error);
    return fs::make_dirs(m_upper + path, 0755);
}

Result<std::vector<std::string>> ContainerFs::list(const std::string& path) const
{
    if (!is_dir(path))
        return Error::from_errno(path, ENOTDIR);
    std::string rest;
    if (const auto* bind = bind_for(path, rest)) {
        auto names = fs::list_dir(bind->source + rest);
        std::sort(names.begin(), names.end());
        return names;
    }
    std::set<std::string> names;
    std::vector<std::string> layers;
    if (!m_upper.empty())
        layers.push_back(m_upper);
    layers.insert(layers.end(), m_lowers.begin(), m_lowers.end());
    for (const auto& layer : layers)
        for (const auto& name : fs::list_dir(layer + path))
            if (!strings::starts_with(name, ".wh."))
                names.insert(name);
    std::vector<std::string> out;
    for (const auto& name : names)
        if (exists(clean_path(path, name)))
            out.push_back(name);
    // Bind mounts whose destination is directly in this directory.
    for (const auto& bind : m_binds)
        if (parent_of(bind.destination) == path && std::find(out.begin(), out.end(), base_of(bind.destination)) == out.end())
            out.push_back(base_of(bind.destination));
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace engine::sim
