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

namespace {

// A value of a match as nft prints it: an address, a number, a prefix "10.1.0.0/24", a set.
std::string nft_value(const json& value)
{
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_object() && value.contains("prefix"))
        return nft_value(value["prefix"]["addr"]) + "/" + value["prefix"]["len"].dump();
    if (value.is_object() && value.contains("set")) {
        std::string items;
        for (const auto& item : value["set"])
            items += (items.empty() ? "" : ", ") + nft_value(item);
        return "{ " + items + " }";
    }
    if (value.is_array()) {
        std::string items;
        for (const auto& item : value)
            items += (items.empty() ? "" : ",") + nft_value(item);
        return items;
    }
    return value.dump();
}

// One expression of a rule as `nft list` prints it.
std::string nft_text(const json& expression)
{
    if (!expression.is_object() || expression.empty())
        return expression.dump();
    auto first = expression.begin();
    const std::string kind = first.key();
    const json& body = first.value();
    if (kind == "match") {
        const auto& left = body["left"];
        std::string subject = left.dump();
        if (left.contains("payload"))
            subject = left["payload"].value("protocol", "") + " " + left["payload"].value("field", "");
        else if (left.contains("meta")) {
            auto key = left["meta"].value("key", "");
            subject = key == "iifname" || key == "oifname" ? key : "meta " + key;
        } else if (left.contains("fib")) {
            subject = "fib " + nft_value(left["fib"].value("flags", json::array())) + " " + left["fib"].value("result", "");
        }
        auto op = body.value("op", "==");
        return subject + (op == "==" ? " " : " " + op + " ") + nft_value(body["right"]);
    }
    if (kind == "dnat" || kind == "snat")
        return kind + " to " + nft_value(body["addr"]) + (body.contains("port") ? ":" + nft_value(body["port"]) : "");
    if (body.is_null() || kind == "accept" || kind == "drop")
        return kind;
    return kind + " " + nft_value(body);
}

} // namespace

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
    // The text form: one line per rule in nft's own syntax ("tcp dport 18087 dnat to
    // 10.1.0.2:80"), then the handle as `nft -a` prints it.
    std::string text;
    for (const auto& item : listing["nftables"]) {
        if (!item.contains("rule"))
            continue;
        std::string line;
        for (const auto& expression : item["rule"]["expr"])
            line += (line.empty() ? "" : " ") + nft_text(expression);
        text += "\t\t" + line + " # handle " + std::to_string(item["rule"]["handle"].get<std::uint64_t>()) + "\n";
    }
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
