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

// Unset, or set to "" / [] / {}: what dockerd's merge counts as left empty.
template <typename T>
bool empty_value(const std::optional<T>& value)
{
    return !value || value->empty();
}

bool empty_value(const std::optional<image::ImageHealthcheck>& value)
{
    return !value || *value == image::ImageHealthcheck {};
}

// The container's config writes an unset Cmd or Entrypoint as null; the merge passes that on.
bool written_null(const image::ContainerDefaults& config, const char* key)
{
    auto it = config.other.find(key);
    return it != config.other.end() && it->is_null();
}

std::string env_name(const std::string& entry)
{
    return entry.substr(0, entry.find('='));
}

template <typename Set>
void add_missing(std::optional<Set>& user, const std::optional<Set>& container)
{
    if (!container)
        return;
    if (!user)
        user.emplace();
    user->insert(container->begin(), container->end());
}

} // namespace

Result<image::ContainerDefaults> image_config_subset(const json& container_config)
{
    static const char* keys[] = { "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
        "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck", "Image", "Volumes",
        "WorkingDir", "Entrypoint", "OnBuild", "Labels", "StopSignal", "StopTimeout" };
    json out = json::object();
    for (const char* key : keys)
        if (container_config.contains(key))
            out[key] = container_config[key];
    return image::ContainerDefaults::from_json(out, "the container's config");
}

void merge_commit_config(image::ContainerDefaults& user, const image::ContainerDefaults& container)
{
    for (auto field : { &image::ContainerDefaults::user, &image::ContainerDefaults::working_dir,
             &image::ContainerDefaults::stop_signal })
        if (empty_value(user.*field) && container.*field)
            user.*field = container.*field;
    add_missing(user.exposed_ports, container.exposed_ports);
    add_missing(user.volumes, container.volumes);
    add_missing(user.labels, container.labels);
    if (empty_value(user.env)) {
        if (container.env)
            user.env = container.env;
    } else if (container.env) {
        for (const auto& entry : *container.env) {
            bool found = std::any_of(user.env->begin(), user.env->end(),
                [&](const std::string& mine) { return env_name(mine) == env_name(entry); });
            if (!found)
                user.env->push_back(entry);
        }
    }
    if (empty_value(user.entrypoint)) {
        if (empty_value(user.cmd)) {
            if (container.cmd)
                user.cmd = container.cmd;
            else if (written_null(container, "Cmd"))
                user.set_null("Cmd");
        }
        // Only an absent Entrypoint is inherited; an explicit empty one clears the container's.
        if (!user.entrypoint) {
            if (container.entrypoint)
                user.entrypoint = container.entrypoint;
            else if (written_null(container, "Entrypoint"))
                user.set_null("Entrypoint");
        }
    }
    if (empty_value(user.healthcheck) && container.healthcheck)
        user.healthcheck = container.healthcheck;
}

// [SECTION] Engine::commit_container

Result<std::string> Engine::commit_container(const std::string& ref, const CommitOptions& options)
{
    if (ref.empty())
        return Error::invalid("No container name or ID supplied");
    auto container = TRY(find_container(ref));

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
    auto container_config = TRY_CTX(image_config_subset(config_to_json(view.config)), "commit " + view.name);
    image::ContainerDefaults config = options.config ? *options.config : container_config;
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

    // The parent's config minus what belongs to the parent alone; the store adds history and rootfs.
    image::ImageConfig doc = parent.config;
    doc.history.reset();
    doc.rootfs_type.reset();
    doc.diff_ids.reset();
    doc.created.reset();
    doc.author.reset();
    doc.comment.reset();
    for (const char* key : { "history", "rootfs", "created", "container", "container_config", "author", "comment" })
        doc.other.erase(key);
    doc.config = std::move(config);
    doc.other.erase("config");
    doc.container = view.id;
    doc.container_config = std::move(container_config);
    if (!options.author.empty())
        doc.author = options.author;
    if (!options.comment.empty())
        doc.comment = options.comment;
    auto committed = m_images->commit(parent, tar, doc);
    ::unlink(tar.c_str());
    auto record = TRY_CTX(std::move(committed), "commit " + view.name);

    std::string image_ref;
    if (const auto& reference = options.reference) {
        TRY(m_images->tag(record.id, *reference));
        image_ref = reference->str();
    }
    publish({ "container", "commit", view.id,
        { { "comment", options.comment }, { "imageID", record.id }, { "imageRef", image_ref },
            { "image", view.config.image.text }, { "name", view.name } },
        0 });
    return record.id;
}

} // namespace engine::daemon
