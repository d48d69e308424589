// docker commit: a new image made of the container's image plus one layer, the container's
// overlay upper directory written as a layer tar (whiteouts and opaque directories included),
// with the config the client sent (or the container's) after its --change instructions, the
// rest filled in from the container's config as dockerd's merge does. Kernel interfaces: none
// beyond files (the freezer through pause_container when asked to pause).
#include <algorithm>
#include <chrono>

#include "engine/base/fs.h"
#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/daemon/archive.h"
#include "engine/daemon/engine_internal.h"
#include "engine/image/config.h"
#include "engine/image/layer.h"
#include "engine/image/reference.h"

namespace engine::daemon {

using nlohmann::json;

// [SECTION] Config merge (pure)

namespace {

bool empty_value(const json& doc, const char* key)
{
    if (!doc.contains(key))
        return true;
    const auto& value = doc[key];
    return value.is_null() || (value.is_string() && value.get<std::string>().empty())
        || ((value.is_array() || value.is_object()) && value.empty());
}

std::string env_name(const json& entry)
{
    auto text = entry.is_string() ? entry.get<std::string>() : std::string();
    return text.substr(0, text.find('='));
}

} // namespace

json image_config_subset(const json& container_config)
{
    static const char* keys[] = { "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
        "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck", "Image", "Volumes",
        "WorkingDir", "Entrypoint", "OnBuild", "Labels", "StopSignal", "StopTimeout" };
    json out = json::object();
    for (const char* key : keys)
        if (container_config.contains(key))
            out[key] = container_config[key];
    return out;
}

void merge_commit_config(json& user, const json& container)
{
    if (!user.is_object())
        user = json::object();
    for (const char* key : { "User", "WorkingDir", "StopSignal" })
        if (empty_value(user, key) && container.contains(key))
            user[key] = container[key];
    for (const char* key : { "ExposedPorts", "Volumes", "Labels" }) {
        if (!container.contains(key) || !container[key].is_object())
            continue;
        if (!user.contains(key) || !user[key].is_object())
            user[key] = json::object();
        for (const auto& [name, value] : container[key].items())
            if (!user[key].contains(name))
                user[key][name] = value;
    }
    if (empty_value(user, "Env")) {
        if (container.contains("Env"))
            user["Env"] = container["Env"];
    } else if (container.contains("Env") && container["Env"].is_array()) {
        for (const auto& entry : container["Env"]) {
            bool found = std::any_of(user["Env"].begin(), user["Env"].end(),
                [&](const json& mine) { return env_name(mine) == env_name(entry); });
            if (!found)
                user["Env"].push_back(entry);
        }
    }
    if (empty_value(user, "Entrypoint")) {
        if (empty_value(user, "Cmd") && container.contains("Cmd"))
            user["Cmd"] = container["Cmd"];
        // Only an absent Entrypoint is inherited; an explicit empty one clears the container's.
        if ((!user.contains("Entrypoint") || user["Entrypoint"].is_null()) && container.contains("Entrypoint"))
            user["Entrypoint"] = container["Entrypoint"];
    }
    if (empty_value(user, "Healthcheck") && container.contains("Healthcheck"))
        user["Healthcheck"] = container["Healthcheck"];
}

// [SECTION] Engine::commit_container

Result<std::string> Engine::commit_container(const std::string& ref, const CommitOptions& options)
{
    if (ref.empty())
        return Error::invalid("No container name or ID supplied");
    auto container = TRY(find_container(ref));
    std::optional<image::Reference> reference;
    if (!options.repo.empty())
        reference = TRY(image::parse_reference(options.tag.empty() ? options.repo : options.repo + ":" + options.tag));

    ContainerView view;
    {
        std::lock_guard lock(m_impl->mutex);
        view = container->view;
    }
    if (view.state.status == Status::Dead)
        return Error::conflict("You cannot commit container " + view.id + " which is Dead");
    if (view.state.status == Status::Removing)
        return Error::conflict("You cannot commit container " + view.id + " which is being removed");
    auto parent = TRY_CTX(m_images->resolve(view.image_id), "commit " + view.name);

    // The config first, so a bad --change fails before any layer is written.
    auto container_config = image_config_subset(config_to_json(view.config));
    json config = options.config && options.config->is_object() ? *options.config : container_config;
    for (const auto& change : options.changes)
        TRY(image::apply_change(config, change));
    merge_commit_config(config, container_config);

    // The layer: the upper directory as it is now; paused meanwhile when asked and running.
    auto tmp_dir = m_options.root + "/tmp";
    TRY_CTX(fs::make_dirs(tmp_dir, 0700), "create " + tmp_dir);
    auto tar = tmp_dir + "/commit-" + strings::random_hex_id(16) + ".tar";
    bool paused = options.pause && view.state.status == Status::Running && pause_container(view.id).ok();
    auto written = image::write_layer_tar(view.upper_dir, tar);
    if (paused)
        (void)unpause_container(view.id);
    if (!written.ok()) {
        ::unlink(tar.c_str());
        return written.release_error().with_context("commit " + view.name);
    }

    json doc = parent.config.is_object() ? parent.config : json::object();
    for (const char* key : { "history", "rootfs", "created", "container", "container_config", "author", "comment" })
        doc.erase(key);
    doc["config"] = config;
    doc["container"] = view.id;
    doc["container_config"] = container_config;
    if (!options.author.empty())
        doc["author"] = options.author;
    if (!options.comment.empty())
        doc["comment"] = options.comment;
    auto committed = m_images->commit(parent, tar, doc);
    ::unlink(tar.c_str());
    auto record = TRY_CTX(std::move(committed), "commit " + view.name);

    std::string image_ref;
    if (reference) {
        TRY(m_images->tag(record.id, reference->str()));
        image_ref = reference->str();
    }
    publish({ "container", "commit", view.id,
        { { "comment", options.comment }, { "imageID", record.id }, { "imageRef", image_ref },
            { "image", view.config.image }, { "name", view.name } },
        0 });
    return record.id;
}

} // namespace engine::daemon
