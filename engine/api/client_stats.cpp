// Client side of GET /containers/{id}/stats (the `glassbox stats` verb). Kept apart from
// client_endpoints.cpp so the stats work does not touch the file every verb edits.
#include "engine/api/client.h"

namespace engine::api {

Result<Json> Client::container_stats(const std::string& id, bool one_shot) const
{
    // stream=0 waits a second on the daemon so precpu_stats is filled and CPU % can be
    // computed from one answer; one-shot=1 answers at once with precpu_stats zeroed.
    return get_json("/containers/" + id + "/stats?stream=0" + (one_shot ? "&one-shot=1" : ""));
}

} // namespace engine::api
