// Named and anonymous volumes under <root>/volumes/<name>/_data, with their metadata in
// <root>/volumes/<name>/volume.json (written atomically). A volume is plain directory on the
// host that the runtime bind-mounts into containers.
//
// A volume directory appears and disappears in one rename, so a daemon killed at any moment
// leaves each volume either whole (directory and record) or absent: create builds
// "<root>/volumes/.new-<name>" (its _data and its fsynced record) and renames it to <name>;
// remove renames <name> to ".gone-<name>-<random>" before deleting its files. Names starting
// with a dot are never volume names (they must start with a letter or digit), and the next start
// removes them: a staged create never reached a client, a renamed-away volume was being removed.
// A directory without a record (left by a daemon before this scheme: it made _data, then wrote
// the record, and removed the record first) is removed at start for the same two reasons.
#include "engine/volume/volume.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <nlohmann/json.hpp>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"

namespace engine::volume {

using nlohmann::json;

namespace {

// Makes a rename in `dir` durable (the rename itself is atomic; this makes it survive power loss).
Result<void> sync_dir(const std::string& dir)
{
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return Error::from_errno("open " + dir, errno);
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0)
        return Error::from_errno("fsync " + dir, saved);
    return Ok {};
}

} // namespace

Result<std::unique_ptr<Store>> Store::open(const std::string& root)
{
    auto dir = root + "/volumes";
    TRY_CTX(fs::make_dirs(dir, 0701), "open volume store");
    // What a daemon killed half-way through a create or a remove left (see the top of the file).
    for (const auto& name : fs::list_dir(dir)) {
        auto path = dir + "/" + name;
        if (!fs::is_dir(path) || (fs::exists(path + "/volume.json") && name[0] != '.'))
            continue;
        log::info("removing " + path + ": a volume create or remove was interrupted");
        if (auto removed = fs::remove_tree(path); !removed.ok())
            log::warn("volume store: " + removed.error().describe());
    }
    return std::make_unique<Store>(dir);
}

static json to_json(const Volume& volume)
{
    return json {
        { "Name", volume.name },
        { "Driver", volume.driver },
        { "CreatedAt", volume.created_at },
        { "Labels", volume.labels },
        { "Options", volume.options },
        { "Anonymous", volume.anonymous },
    };
}

static bool valid_name(const std::string& name)
{
    if (name.size() < 2 || name.size() > 255)
        return false;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
            return false;
    }
    return true;
}

Result<Volume> Store::read_volume(const std::string& name) const
{
    auto path = m_root + "/" + name + "/volume.json";
    auto text = valid_name(name) ? fs::read_file(path) : Result<std::string>(Error::not_found(path));
    if (!text.ok())
        return Error::not_found("get " + name + ": no such volume");
    try {
        auto doc = json::parse(text.value());
        Volume volume;
        volume.name = doc.value("Name", name);
        volume.driver = doc.value("Driver", "local");
        volume.created_at = doc.value("CreatedAt", "");
        volume.labels = doc.value("Labels", std::map<std::string, std::string> {});
        volume.options = doc.value("Options", std::map<std::string, std::string> {});
        volume.anonymous = doc.value("Anonymous", false);
        volume.mountpoint = m_root + "/" + name + "/_data";
        return volume;
    } catch (const json::exception& e) {
        return Error::system("read " + path + ": " + e.what());
    }
}

Result<Volume> Store::create(const std::string& name, const std::map<std::string, std::string>& labels,
    const std::map<std::string, std::string>& options)
{
    if (!valid_name(name))
        return Error::invalid("create " + name
            + ": includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed");
    for (const auto& [key, value] : options) {
        (void)value;
        if (key != "type" && key != "device" && key != "o")
            return Error::invalid("create " + name + ": invalid option key: \"" + key + "\"");
    }
    if (!options.empty())
        return Error::unsupported("create " + name + ": local volume driver options (type, device, o) are not supported by glassbox");
    std::lock_guard lock(m_mutex);
    if (fs::exists(m_root + "/" + name + "/volume.json"))
        return read_volume(name);
    Volume volume;
    volume.name = name;
    volume.labels = labels;
    volume.options = options;
    return TRY_CTX(publish(std::move(volume)), "create volume " + name);
}

Result<Volume> Store::create_anonymous()
{
    Volume volume;
    volume.name = strings::random_hex_id();
    volume.labels = { { "com.docker.volume.anonymous", "" } };
    volume.anonymous = true;
    auto context = "create volume " + volume.name;
    std::lock_guard lock(m_mutex);
    return TRY_CTX(publish(std::move(volume)), context);
}

Result<Volume> Store::publish(Volume volume)
{
    volume.created_at = strings::rfc3339_nano(std::chrono::system_clock::now());
    auto staging = m_root + "/.new-" + volume.name;
    auto final_dir = m_root + "/" + volume.name;
    TRY(fs::remove_tree(staging)); // A staged create of this name that failed.
    TRY(fs::make_dirs(staging + "/_data", 0755));
    TRY(fs::write_file_atomic(staging + "/volume.json", to_json(volume).dump()));
    // A directory without a record under the final name (an old daemon's interrupted create)
    // would make the rename fail; it holds nothing a client could have seen.
    if (fs::is_dir(final_dir) && !fs::exists(final_dir + "/volume.json"))
        TRY(fs::remove_tree(final_dir));
    if (::rename(staging.c_str(), final_dir.c_str()) != 0) {
        auto error = Error::from_errno("rename " + staging + " to " + final_dir, errno);
        (void)fs::remove_tree(staging);
        return error;
    }
    TRY(sync_dir(m_root));
    volume.mountpoint = final_dir + "/_data";
    return volume;
}

Result<Volume> Store::get(const std::string& name) const
{
    std::lock_guard lock(m_mutex);
    return read_volume(name);
}

std::vector<Volume> Store::list() const
{
    std::lock_guard lock(m_mutex);
    std::vector<Volume> out;
    for (const auto& name : fs::list_dir(m_root)) {
        if (!valid_name(name))
            continue; // A staged create or a removal in progress.
        auto volume = read_volume(name);
        if (volume.ok())
            out.push_back(volume.release_value());
    }
    return out;
}

Result<void> Store::remove(const std::string& name, bool force, const std::string& in_use_by)
{
    std::lock_guard lock(m_mutex);
    if (!fs::exists(m_root + "/" + name + "/volume.json"))
        return Error::not_found("get " + name + ": no such volume");
    if (!in_use_by.empty() && !force)
        return Error::conflict("remove " + name + ": volume is in use - [" + in_use_by + "]");
    // Out of sight in one rename, then deleted: a crash half-way leaves a dot-directory that
    // the next start removes, never a record that points at half-deleted data.
    auto gone = m_root + "/.gone-" + name + "-" + strings::random_hex_id(8);
    if (::rename((m_root + "/" + name).c_str(), gone.c_str()) != 0)
        return Error::from_errno("remove volume " + name, errno);
    (void)sync_dir(m_root);
    TRY_CTX(fs::remove_tree(gone), "remove volume " + name);
    return Ok {};
}

std::uint64_t Store::size_of(const std::string& name) const { return fs::disk_usage(m_root + "/" + name + "/_data"); }

bool Store::is_empty(const std::string& name) const { return fs::list_dir(m_root + "/" + name + "/_data").empty(); }

} // namespace engine::volume
