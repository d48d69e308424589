// nftables for the collector, through the network::Nftables seam: the rules of glassbox's tables (port publishing,
// NAT, isolation). The JSON listing (`nft -j -a list table`) gives the structure (family, table,
// chain, handle, comment); the text listing of the same table gives each rule as a person reads it
// ("tcp dport 8080 dnat ip to 172.18.0.2:80"); the two are joined by rule handle.
#include "engine/state/collector_internal.h"

#include <nlohmann/json.hpp>

#include "engine/base/strings.h"

namespace engine::state::detail {

namespace {

// From the text listing: handle -> rule text, and the chain each handle sits in.
std::map<std::uint64_t, std::string> rule_texts(std::string_view listing)
{
    std::map<std::uint64_t, std::string> texts;
    for (const auto& raw : strings::split(listing, '\n')) {
        auto line = strings::trim(raw);
        auto marker = line.rfind(" # handle ");
        if (marker == std::string::npos)
            continue;
        // Chain and table headers end in "{ # handle N"; rules do not.
        auto body = strings::trim(line.substr(0, marker));
        if (body.empty() || body.back() == '{')
            continue;
        std::uint64_t handle = 0;
        if (strings::parse_uint(strings::trim(line.substr(marker + 10)), handle))
            texts[handle] = body;
    }
    return texts;
}

} // namespace

Result<std::vector<NftRule>> parse_nft_rules(std::string_view json_text, std::string_view text_listing,
    const std::string& prefix)
{
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid(std::string("nftables JSON listing: ") + error.what());
    }
    if (!json.is_object() || !json.contains("nftables") || !json["nftables"].is_array())
        return Error::invalid("nftables JSON listing: missing \"nftables\" array");
    auto texts = rule_texts(text_listing);
    std::vector<NftRule> rules;
    for (const auto& item : json["nftables"]) {
        if (!item.is_object() || !item.contains("rule"))
            continue;
        const auto& rule = item["rule"];
        if (!rule.is_object())
            continue;
        NftRule out;
        out.family = rule.value("family", "");
        out.table = rule.value("table", "");
        out.chain = rule.value("chain", "");
        out.handle = rule.value("handle", std::uint64_t { 0 });
        out.comment = rule.value("comment", "");
        if (!strings::starts_with(out.table, prefix))
            continue;
        auto it = texts.find(out.handle);
        out.text = it != texts.end() ? it->second : rule.contains("expr") ? rule["expr"].dump() : "";
        out.owner = "glassbox";
        rules.push_back(std::move(out));
    }
    return rules;
}

namespace {

Result<std::vector<NftRule>> list_rules(network::Nftables& nftables, const std::string& prefix)
{
    // Find glassbox's tables first, so a busy host's other rules are never listed.
    auto tables_json = TRY(nftables.list("list tables", true));
    nlohmann::json tables;
    try {
        tables = nlohmann::json::parse(tables_json);
    } catch (const nlohmann::json::exception& error) {
        return Error::invalid(std::string("nftables table list: ") + error.what());
    }
    std::vector<NftRule> rules;
    for (const auto& item : tables.value("nftables", nlohmann::json::array())) {
        if (!item.contains("table"))
            continue;
        auto family = item["table"].value("family", "");
        auto name = item["table"].value("name", "");
        if (!strings::starts_with(name, prefix))
            continue;
        auto command = "list table " + family + " " + name;
        auto json_text = TRY(nftables.list(command, true));
        auto text = TRY(nftables.list(command, false));
        auto table_rules = TRY(parse_nft_rules(json_text, text, prefix));
        rules.insert(rules.end(), table_rules.begin(), table_rules.end());
    }
    return rules;
}

} // namespace

Result<std::vector<NftRule>> read_nft_rules(network::Nftables& nftables, const std::string& prefix)
{
    // A table that vanished between the two listings, or a socket in a bad state: start over
    // once (LibNftables opens a fresh context after a failure) before reporting the error.
    auto rules = list_rules(nftables, prefix);
    if (rules.ok())
        return rules;
    return list_rules(nftables, prefix);
}

} // namespace engine::state::detail
