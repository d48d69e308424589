// Swarm routes, for the single-host clients that probe them: glassbox is never part of a swarm,
// so each answers as dockerd 20.10 does on a node that has not joined one (503, with dockerd's
// words; POST /swarm/leave says "not part of a swarm", so a client's cleanup path that leaves
// "just in case" works). Creating or joining a swarm is refused with a 400 that says why.
#include "engine/api/handlers/handlers.h"

namespace engine::api::handlers {

namespace {

constexpr const char* k_not_manager = "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" "
                                      "to connect this node to swarm and try again.";

Result<void> not_a_manager(Exchange& ex)
{
    TRY(ex.drain_body());
    ex.respond_json(503, { { "message", k_not_manager } });
    return Ok {};
}

Result<void> not_in_a_swarm(Exchange& ex)
{
    TRY(ex.drain_body());
    ex.respond_json(503, { { "message", "This node is not part of a swarm" } });
    return Ok {};
}

Result<void> no_swarm_mode(Exchange& ex)
{
    TRY(ex.drain_body());
    return Error::invalid("glassbox is a single-host engine and has no swarm mode: a node cannot init or join a swarm "
                          "(run the containers with docker run or compose instead)");
}

} // namespace

void register_swarm_routes(Router& router)
{
    for (const char* path : { "/swarm", "/swarm/unlockkey", "/nodes", "/nodes/{id}", "/services", "/services/{id}",
             "/services/{id}/logs", "/tasks", "/tasks/{id}", "/tasks/{id}/logs", "/secrets", "/secrets/{id}", "/configs",
             "/configs/{id}" })
        router.add("GET", path, not_a_manager);
    for (const char* path : { "/swarm/update", "/swarm/unlock", "/nodes/{id}/update", "/services/create",
             "/services/{id}/update", "/secrets/create", "/secrets/{id}/update", "/configs/create", "/configs/{id}/update" })
        router.add("POST", path, not_a_manager);
    for (const char* path : { "/nodes/{id}", "/services/{id}", "/secrets/{id}", "/configs/{id}" })
        router.add("DELETE", path, not_a_manager);
    router.add("POST", "/swarm/leave", not_in_a_swarm);
    router.add("POST", "/swarm/init", no_swarm_mode);
    router.add("POST", "/swarm/join", no_swarm_mode);
}

} // namespace engine::api::handlers
