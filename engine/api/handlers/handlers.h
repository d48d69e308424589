// The Docker API handlers, one file per area, each registering its routes on the router.
// Shared plumbing for streams (hijacked attach/exec sessions, chunked log output) lives in
// handlers/streams.h.
#pragma once

#include "engine/api/router.h"
#include "engine/daemon/engine.h"

namespace engine::api::handlers {

// A handler that needs the engine, bound into a router Handler.
using EngineHandler = Result<void> (*)(daemon::Engine& engine, Exchange& exchange);
inline Handler bind(daemon::Engine& engine, EngineHandler handler)
{
    return [&engine, handler](Exchange& exchange) { return handler(engine, exchange); };
}

// The terminal size of a resize request (?h=rows&w=cols); InvalidArgument with dockerd's words
// (Go's strconv.Atoi error) when either is missing or not a number, or out of range.
Result<std::pair<int, int>> terminal_size(const Request& request);

// The ?repo=&tag= pair naming an image that tag, commit or import gives a name: what
// image::parse_repo_tag reads, except a digest, refused before any work in dockerd's words
// ("invalid tag format" for a "sha256:..." tag, `refused` for a repo@digest).
Result<image::Reference> new_image_name(std::string_view repo, std::string_view tag, std::string_view refused);

// /_ping, /version, /info, /system/df, /events.
void register_system_routes(Router& router, daemon::Engine& engine);
// /containers/...
void register_container_routes(Router& router, daemon::Engine& engine);
// /swarm, /nodes, /services, /tasks, /secrets, /configs: dockerd's answers on a node outside a swarm.
void register_swarm_routes(Router& router);
// GET /containers/{id}/stats (handlers/stats.cpp).
void register_stats_routes(Router& router, daemon::Engine& engine);
// /containers/{id}/archive, /export, /changes and POST /commit (handlers/archive.cpp).
void register_archive_routes(Router& router, daemon::Engine& engine);
// /containers/{id}/exec and /exec/...
void register_exec_routes(Router& router, daemon::Engine& engine);
// /images/... (pull answers that glassbox is offline; load, save and import work on tar files).
void register_image_routes(Router& router, daemon::Engine& engine);
// /volumes/...
void register_volume_routes(Router& router, daemon::Engine& engine);
// /networks/...
void register_network_routes(Router& router, daemon::Engine& engine);
// POST /build (handlers/build.cpp, owned by the builder).
void register_build_routes(Router& router, daemon::Engine& engine);
// /glassbox/v1/state, /glassbox/v1/state/diff, /glassbox/v1/events, /glassbox/v1/features (handlers/glassbox.cpp).
void register_glassbox_routes(Router& router, daemon::Engine& engine);

} // namespace engine::api::handlers
