// sim::FakeNftables: an in-memory nftables for unit tests. It keeps the last ruleset applied per
// table and answers listings from it in the JSON form libnftables prints (the rules of
// build_ruleset, numbered with handles), so readers of the ruleset run unchanged over it.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/network/nft.h"

namespace engine::sim {

class FakeNftables final : public network::Nftables {
public:
    Result<void> apply_ruleset(const network::NftRuleset& ruleset) override;
    Result<void> delete_table(const std::string& table) override;
    Result<nlohmann::json> list_table(const std::string& table) override;
    Result<std::string> list(const std::string& command, bool json) override;

    // The ruleset last applied to `table`; one with an empty table name when there is none.
    network::NftRuleset ruleset(const std::string& table) const;
    bool has_table(const std::string& table) const;
    // Every call so far, one line each.
    std::vector<std::string> calls() const;

private:
    nlohmann::json table_json(const std::string& table) const;

    mutable std::mutex m_mutex;
    std::map<std::string, network::NftRuleset> m_tables;
    std::vector<std::string> m_calls;
};

} // namespace engine::sim
