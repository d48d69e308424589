#include "engine/sim/fake_nftables.h"

#include "engine/base/strings.h"

namespace engine::sim {

using json = nlohmann::json;

Result<void> FakeNftables::apply_ruleset(const network::NftRuleset& ruleset)
{
    std::lock_guard lock(m_mutex);
    m_calls.push_back("apply table ip " + ruleset.table + " (" + std::to_string(ruleset.networks.size())
        + " networks, " + std::to_string(ruleset.ports.size()) + " ports)");
    m_tables[ruleset.table] = ruleset;
    return Ok {};
}

Result<void> FakeNftables::delete_table(const std::string& table)
{
    std::lock_guard lock(m_mutex);
    m_calls.push_back("delete table ip " + table);
    m_tables.erase(table);
    return Ok {};
}

// The table as `nft -j -a list table ip <table>` prints it: the objects build_ruleset adds, each
// rule with a handle.
json FakeNftables::table_json(const std::string& table) const
{
    json items = json::array();
    std::uint64_t handle = 1;
    auto batch = network::build_ruleset(m_tables.at(table));
    for (const auto& command : batch["nftables"]) {
        if (!command.contains("add"))
            continue;
        for (const auto& [kind, body] : command["add"].items()) {
            if (body.value("family", "ip") != "ip")
                continue; // The ip6 twin of the table is not part of this listing.
            json object = body;
            if (kind == "table" && items.size() > 0)
                continue; // The batch adds the table twice; a listing shows it once.
            object["handle"] = handle++;
            items.push_back({ { kind, object } });
        }
    }
    return { { "nftables", items } };
}

Result<json> FakeNftables::list_table(const std::string& table)
{
    std::lock_guard lock(m_mutex);
    if (!m_tables.contains(table))
        return Error::not_found("nft table ip " + table + " does not exist");
    return table_json(table);
}

Result<std::string> FakeNftables::list(const std::string& command, bool as_json)
{
    std::lock_guard lock(m_mutex);
    if (command == "list tables") {
        json items = json::array();
        for (const auto& [name, ruleset] : m_tables)
            items.push_back({ { "table", { { "family", "ip" }, { "name", name } } } });
        return json { { "nftables", items } }.dump();
    }
    const std::string prefix = "list table ip ";
    if (!strings::starts_with(command, prefix))
        return Error::unsupported("the fake nftables lists only tables, not \"" + command + "\"");
    auto table = command.substr(prefix.size());
    if (!m_tables.contains(table))
        return Error::not_found("nft " + command + ": No such file or directory");
    auto listing = table_json(table);
    if (as_json)
        return listing.dump();
    // The text form: one line per rule, its expressions as JSON (the real nft prints them in
    // its own syntax), then the handle as `nft -a` prints it.
    std::string text;
    for (const auto& item : listing["nftables"])
        if (item.contains("rule"))
            text += "\t\t" + item["rule"]["expr"].dump() + " # handle " + std::to_string(item["rule"]["handle"].get<std::uint64_t>()) + "\n";
    return text;
}

network::NftRuleset FakeNftables::ruleset(const std::string& table) const
{
    std::lock_guard lock(m_mutex);
    auto it = m_tables.find(table);
    if (it == m_tables.end())
        return network::NftRuleset { .table = "" };
    return it->second;
}

bool FakeNftables::has_table(const std::string& table) const
{
    std::lock_guard lock(m_mutex);
    return m_tables.contains(table);
}

std::vector<std::string> FakeNftables::calls() const
{
    std::lock_guard lock(m_mutex);
    return m_calls;
}

} // namespace engine::sim
