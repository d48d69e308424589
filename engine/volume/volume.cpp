// Named and anonymous volumes under <root>/volumes/<name>/_data, with their metadata in
// <root>/volumes/<name>/volume.json (written atomically). A volume is plain directory on the
// host that the runtime bind-mounts into containers.
#include "engine/volume/volume.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <nlohmann/json.hpp>

#include "engine/base/fs.h"
#include "engine/base/strings.h"

namespace engine::volume {

using nlohmann::json;

Result<std::unique_ptr<Store>> Store::open(const std::string& root)
{
    auto dir = root + "/volumes";
    TRY_CTX(fs::make_dirs(dir, 0701), "open volume store");
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

Result<Volume> Store::read_volume(const std::string& name) const
{
    auto path = m_root + "/" + name + "/volume.json";
    auto text = fs::read_file(path);
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
    volume.created_at = strings::rfc3339_nano(std::chrono::system_clock::now());
    volume.mountpoint = m_root + "/" + name + "/_data";
    TRY_CTX(fs::make_dirs(volume.mountpoint, 0755), "create volume " + name);
    TRY_CTX(fs::write_file_atomic(m_root + "/" + name + "/volume.json", to_json(volume).dump()), "create volume " + name);
    return volume;
}

Result<Volume> Store::create_anonymous()
{
    auto name = strings::random_hex_id();
    auto volume = TRY(create(name, { { "com.docker.volume.anonymous", "" } }, {}));
    volume.anonymous = true;
    {
        std::lock_guard lock(m_mutex);
        TRY(fs::write_file_atomic(m_root + "/" + name + "/volume.json", to_json(volume).dump()));
    }
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
    // Drop the metadata first: a crash half-way leaves an orphan directory, never a record
    // that points at missing data.
    auto meta = m_root + "/" + name + "/volume.json";
    if (::unlink(meta.c_str()) != 0)
        return Error::from_errno("remove volume " + name, errno);
    TRY_CTX(fs::remove_tree(m_root + "/" + name), "remove volume " + name);
    return Ok {};
}

std::uint64_t Store::size_of(const std::string& name) const { return fs::disk_usage(m_root + "/" + name + "/_data"); }

bool Store::is_empty(const std::string& name) const { return fs::list_dir(m_root + "/" + name + "/_data").empty(); }

} // namespace engine::volume
