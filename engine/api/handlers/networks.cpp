// Docker API network endpoints: create (201 {"Id","Warning"}; 409 for a name in use), list,
// inspect, remove (403 with active endpoints, as dockerd answers), connect, disconnect, prune.
// The drivers themselves (bridge, host, none, macvlan, ipvlan) live in engine/network.
#include "engine/api/docker_json.h"
#include "engine/api/handlers/handlers.h"
#include "engine/base/strings.h"
#include "engine/network/ipv6.h"

namespace engine::api::handlers {

using daemon::Engine;

static std::function<std::string(const std::string&)> name_lookup(Engine& engine)
{
    return [&engine](const std::string& id) {
        auto view = engine.inspect_container(id);
        return view.ok() ? view.value().name : std::string();
    };
}

static Result<void> network_create(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    auto config = TRY(network_config_from_json(body));
    auto view = TRY(engine.create_network(std::move(config)));
    ex.respond_json(201, { { "Id", view.id }, { "Warning", strings::join(view.warnings, "; ") } });
    return Ok {};
}

static Result<void> network_list(Engine& engine, Exchange& ex)
{
    auto filters = TRY(ex.request().filters());
    auto views = TRY(engine.list_networks(filters));
    Json out = Json::array();
    auto lookup = name_lookup(engine);
    for (auto& view : views)
        out.push_back(network_json(view, lookup));
    ex.respond_json(200, out);
    return Ok {};
}

static Result<void> network_inspect(Engine& engine, Exchange& ex)
{
    auto view = TRY(engine.inspect_network(ex.request().param("id")));
    ex.respond_json(200, network_json(view, name_lookup(engine)));
    return Ok {};
}

static Result<void> network_remove(Engine& engine, Exchange& ex)
{
    auto result = engine.remove_network(ex.request().param("id"));
    if (!result.ok() && result.error().kind() == ErrorKind::Conflict)
        // dockerd answers "has active endpoints" with 403, and the CLI expects that.
        return Error::make(ErrorKind::PermissionDenied, result.error().message());
    TRY(std::move(result));
    ex.respond_empty(204);
    return Ok {};
}

// A string field of a JSON object, "" when absent or null; InvalidArgument naming `what` when
// it has another type.
static Result<std::string> optional_string(const Json& object, const char* key, const std::string& what)
{
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return std::string();
    if (!it->is_string())
        return Error::invalid(what + "." + key + ": expected a string, got " + it->dump());
    return it->get<std::string>();
}

// POST /networks/{id}/connect with EndpointConfig: Aliases (served by the embedded DNS),
// IPAMConfig.IPv4Address and IPv6Address (static addresses), MacAddress, and Links. dockerd accepts Links on
// user-defined networks, where the embedded DNS already resolves every container by name, so
// glassbox accepts them and adds nothing (the course notes explain why links are avoided).
// A container that is not running is connected when it next starts, as with dockerd.
static Result<void> network_connect(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    if (!body.is_object() || !body.contains("Container") || !body["Container"].is_string())
        return Error::invalid("network connect: Container (a container id or name) is required");
    std::vector<std::string> aliases;
    std::string ipv4, ipv6, mac;
    if (body.contains("EndpointConfig") && body["EndpointConfig"].is_object()) {
        auto& endpoint = body["EndpointConfig"];
        if (endpoint.contains("Aliases") && endpoint["Aliases"].is_array()) {
            for (auto& alias : endpoint["Aliases"]) {
                if (alias.is_string())
                    aliases.push_back(alias.get<std::string>());
            }
        }
        mac = TRY(optional_string(endpoint, "MacAddress", "EndpointConfig"));
        if (endpoint.contains("IPAMConfig") && endpoint["IPAMConfig"].is_object()) {
            auto& ipam = endpoint["IPAMConfig"];
            ipv4 = TRY(optional_string(ipam, "IPv4Address", "EndpointConfig.IPAMConfig"));
            ipv6 = TRY(optional_string(ipam, "IPv6Address", "EndpointConfig.IPAMConfig"));
        }
    }
    if (!ipv6.empty())
        TRY(network::Ipv6::parse(ipv6)); // "invalid IPv6 address: ...", as dockerd words it.
    TRY(engine.connect_network(ex.request().param("id"), body["Container"].get<std::string>(), aliases, ipv4, mac, ipv6));
    ex.respond(200, "application/json", "");
    return Ok {};
}

// True when the container is attached to the network, or will be when it starts.
static bool attached_to(const daemon::ContainerView& container, const network::NetworkRecord& network)
{
    for (const auto& endpoint : container.endpoints)
        if (endpoint.network_id == network.id)
            return true;
    // The network its NetworkMode attaches it to ("bridge" for default, "" for container:<ref>).
    auto primary = container.config.network_mode.network();
    if (!primary.empty() && (primary == network.name || primary == network.id))
        return true;
    return container.config.network_aliases.contains(network.name);
}

static Result<void> network_disconnect(Engine& engine, Exchange& ex)
{
    auto body = TRY(ex.read_json());
    if (!body.is_object() || !body.contains("Container") || !body["Container"].is_string())
        return Error::invalid("network disconnect: Container (a container id or name) is required");
    bool force = body.contains("Force") && body["Force"].is_boolean() && body["Force"].get<bool>();
    auto container = TRY(engine.inspect_container(body["Container"].get<std::string>()));
    auto network = TRY(engine.inspect_network(ex.request().param("id")));
    // dockerd answers this with a 500 and these words.
    if (!attached_to(container, network))
        return Error::system("container " + container.id + " is not connected to the network " + network.name);
    TRY(engine.disconnect_network(network.id, container.id, force));
    ex.respond(200, "application/json", "");
    return Ok {};
}

static Result<void> network_prune(Engine& engine, Exchange& ex)
{
    TRY(ex.request().filters());
    auto deleted = TRY(engine.prune_networks());
    ex.respond_json(200, { { "NetworksDeleted", deleted.empty() ? Json(nullptr) : Json(deleted) } });
    return Ok {};
}

void register_network_routes(Router& router, Engine& engine)
{
    router.add("POST", "/networks/create", bind(engine, network_create));
    router.add("POST", "/networks/prune", bind(engine, network_prune));
    router.add("GET", "/networks", bind(engine, network_list));
    router.add("GET", "/networks/{id}", bind(engine, network_inspect));
    router.add("DELETE", "/networks/{id}", bind(engine, network_remove));
    router.add("POST", "/networks/{id}/connect", bind(engine, network_connect));
    router.add("POST", "/networks/{id}/disconnect", bind(engine, network_disconnect));
}

} // namespace engine::api::handlers
