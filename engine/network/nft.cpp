#include "engine/network/nft.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include <nftables/libnftables.h>

#include "engine/base/strings.h"

namespace engine::network {

namespace {

using json = nlohmann::json;

struct ContextDeleter {
    void operator()(nft_ctx* ctx) const { nft_ctx_free(ctx); }
};
using ContextPtr = std::unique_ptr<nft_ctx, ContextDeleter>;

json match(json left, json right, const std::string& op = "==")
{
    return { { "match", { { "op", op }, { "left", std::move(left) }, { "right", std::move(right) } } } };
}

json meta(const std::string& key)
{
    return { { "meta", { { "key", key } } } };
}

json payload(const std::string& protocol, const std::string& field)
{
    return { { "payload", { { "protocol", protocol }, { "field", field } } } };
}

json prefix(const std::string& subnet)
{
    auto slash = subnet.find('/');
    return { { "prefix", { { "addr", subnet.substr(0, slash) }, { "len", std::stoi(subnet.substr(slash + 1)) } } } };
}

json rule(const std::string& table, const std::string& chain, json expressions, const std::string& comment = "",
    const std::string& family = "ip")
{
    json body = { { "family", family }, { "table", table }, { "chain", chain }, { "expr", std::move(expressions) } };
    if (!comment.empty())
        body["comment"] = comment;
    return { { "add", { { "rule", body } } } };
}

json chain(const std::string& table, const std::string& name, const std::string& type, const std::string& hook, int priority,
    const std::string& family = "ip")
{
    return { { "add", { { "chain", { { "family", family }, { "table", table }, { "name", name }, { "type", type },
                                       { "hook", hook }, { "prio", priority }, { "policy", "accept" } } } } } };
}

// Runs a command batch (JSON text or nft syntax); returns libnftables' output.
Result<std::string> run(const std::string& commands, bool json_output)
{
    ContextPtr ctx(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx)
        return Error::system("nft_ctx_new failed");
    if (json_output)
        nft_ctx_output_set_flags(ctx.get(), NFT_CTX_OUTPUT_JSON);
    nft_ctx_buffer_output(ctx.get());
    nft_ctx_buffer_error(ctx.get());
    if (nft_run_cmd_from_buffer(ctx.get(), commands.c_str()) != 0) {
        std::string error = nft_ctx_get_error_buffer(ctx.get());
        while (!error.empty() && error.back() == '\n')
            error.pop_back();
        return Error::system("nftables: " + error);
    }
    return std::string(nft_ctx_get_output_buffer(ctx.get()));
}

} // namespace

json build_ruleset(const NftRuleset& ruleset)
{
    const auto& t = ruleset.table;
    json table = { { "family", "ip" }, { "name", t } };
    json commands = json::array();
    // add + delete + add: replaces the table whether or not it existed, in one transaction.
    commands.push_back({ { "add", { { "table", table } } } });
    commands.push_back({ { "delete", { { "table", table } } } });
    commands.push_back({ { "add", { { "table", table } } } });
    commands.push_back(chain(t, "forward", "filter", "forward", 0));
    commands.push_back(chain(t, "prerouting", "nat", "prerouting", -100));
    commands.push_back(chain(t, "output", "nat", "output", -100));
    commands.push_back(chain(t, "postrouting", "nat", "postrouting", 100));

    json drop = { { "drop", nullptr } };
    // The forward rules match interfaces only, so they read the same in family ip and ip6.
    auto forward_rules = [&](const NftNetwork& network, const std::string& family) {
        if (network.internal) {
            commands.push_back(rule(t, "forward", { match(meta("iifname"), network.bridge),
                match(meta("oifname"), network.bridge, "!="), drop }, "internal " + network.bridge, family));
            commands.push_back(rule(t, "forward", { match(meta("oifname"), network.bridge),
                match(meta("iifname"), network.bridge, "!="), drop }, "internal " + network.bridge, family));
        }
        for (const auto& other : ruleset.networks)
            if (other.bridge != network.bridge)
                commands.push_back(rule(t, "forward", { match(meta("iifname"), network.bridge),
                    match(meta("oifname"), other.bridge), drop }, "isolate " + network.bridge + " from " + other.bridge, family));
    };
    for (const auto& network : ruleset.networks) {
        forward_rules(network, "ip");
        if (ruleset.masquerade && !network.internal)
            commands.push_back(rule(t, "postrouting", { match(payload("ip", "saddr"), prefix(network.subnet)),
                match(meta("oifname"), network.bridge, "!="), { { "masquerade", nullptr } } }, "outbound NAT " + network.bridge));
    }
    for (const auto& port : ruleset.ports) {
        json expressions = json::array();
        json fib = { { "fib", { { "result", "type" }, { "flags", json::array({ "daddr" }) } } } };
        expressions.push_back(match(fib, "local"));
        if (!port.host_ip.empty() && port.host_ip != "0.0.0.0")
            expressions.push_back(match(payload("ip", "daddr"), port.host_ip));
        expressions.push_back(match(payload(port.protocol, "dport"), port.host_port));
        expressions.push_back({ { "dnat", { { "addr", port.container_ip }, { "port", port.container_port } } } });
        std::string comment = "publish " + std::to_string(port.host_port) + "/" + port.protocol + " -> "
            + port.container_ip + ":" + std::to_string(port.container_port);
        commands.push_back(rule(t, "prerouting", expressions, comment));
        // Connections made on the host to a non-loopback local address take the output hook;
        // loopback connections are served by the userland proxy instead.
        json local = expressions;
        local.insert(local.begin(), match(payload("ip", "daddr"), prefix("127.0.0.0/8"), "!="));
        commands.push_back(rule(t, "output", local, comment));
    }
    // IPv6: an ip6 table of the same name, dropped and made again only while some network has
    // IPv6 (a listing of the ip table is unchanged). Every network's bridge is isolated from
    // the IPv6 ones, since IPv6 from another network would arrive on them too. No NAT: dockerd
    // 20.10 does none for IPv6 either, and glassbox's IPv6 subnets are unique local ones.
    json table6 = { { "family", "ip6" }, { "name", t } };
    commands.push_back({ { "add", { { "table", table6 } } } });
    commands.push_back({ { "delete", { { "table", table6 } } } });
    bool any_ipv6 = std::any_of(ruleset.networks.begin(), ruleset.networks.end(),
        [](const NftNetwork& network) { return !network.subnet6.empty(); });
    if (any_ipv6) {
        commands.push_back({ { "add", { { "table", table6 } } } });
        commands.push_back(chain(t, "forward", "filter", "forward", 0, "ip6"));
        for (const auto& network : ruleset.networks)
            forward_rules(network, "ip6");
    }
    return { { "nftables", commands } };
}

Result<void> LibNftables::apply_ruleset(const NftRuleset& ruleset)
{
    TRY_CTX(run(build_ruleset(ruleset).dump(), true), "replace nft table ip " + ruleset.table);
    return Ok {};
}

Result<void> LibNftables::delete_table(const std::string& table)
{
    json body = { { "family", "ip" }, { "name", table } };
    json body6 = { { "family", "ip6" }, { "name", table } };
    json batch = { { "nftables", json::array({ { { "add", { { "table", body } } } }, { { "delete", { { "table", body } } } },
                                     { { "add", { { "table", body6 } } } }, { { "delete", { { "table", body6 } } } } }) } };
    TRY_CTX(run(batch.dump(), true), "delete nft table ip " + table);
    return Ok {};
}

Result<json> LibNftables::list_table(const std::string& table)
{
    // Whether the table exists is read from the list of tables, not from the wording of
    // libnftables' error message.
    auto parse = [](const std::string& text) -> Result<json> {
        try {
            return json::parse(text);
        } catch (const json::exception& error) {
            return Error::system(std::string("nft list output is not JSON: ") + error.what());
        }
    };
    auto listing = TRY(run("list tables", true));
    auto tables = TRY(parse(listing));
    bool exists = false;
    for (const auto& item : tables.value("nftables", json::array()))
        if (item.contains("table") && item["table"].value("family", "") == "ip" && item["table"].value("name", "") == table)
            exists = true;
    if (!exists)
        return Error::not_found("nft table ip " + table + " does not exist");
    auto output = TRY(run("list table ip " + table, true));
    return parse(output);
}

namespace {

// One libnftables context for the listings, for the life of the process: creating one costs more
// than the listings themselves (it reads iproute2's tables and opens a netlink socket), and the
// state collector lists on every snapshot. The socket belongs to the network namespace of the
// thread that made it, which is always the daemon's own. A mutex serialises the users.
struct ListSession {
    std::mutex mutex;
    ContextPtr context;
};

ListSession& list_session()
{
    static ListSession session;
    return session;
}

} // namespace

Result<std::string> LibNftables::list(const std::string& command, bool json_output)
{
    auto& session = list_session();
    std::lock_guard lock(session.mutex);
    if (!session.context) {
        session.context.reset(nft_ctx_new(NFT_CTX_DEFAULT));
        if (!session.context)
            return Error::system("nft_ctx_new failed");
        nft_ctx_buffer_output(session.context.get());
        nft_ctx_buffer_error(session.context.get());
    }
    auto* context = session.context.get();
    nft_ctx_output_set_flags(context, NFT_CTX_OUTPUT_HANDLE | (json_output ? NFT_CTX_OUTPUT_JSON : 0));
    if (nft_run_cmd_from_buffer(context, command.c_str()) != 0) {
        const char* error = nft_ctx_get_error_buffer(context);
        auto failure = Error::system("nft " + command + ": " + strings::trim(error ? error : "failed"));
        // The socket may be in a bad state: the next listing starts with a fresh context.
        session.context.reset();
        return failure;
    }
    const char* output = nft_ctx_get_output_buffer(context);
    return std::string(output ? output : "");
}

LibNftables& libnftables()
{
    static LibNftables nftables;
    return nftables;
}

} // namespace engine::network
