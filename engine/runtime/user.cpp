// User and group lookup in passwd(5) and group(5) text.
#include "engine/runtime/user.h"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "engine/base/strings.h"

namespace engine::runtime {

namespace {

struct PasswdEntry {
    std::string name;
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::string home;
};

struct GroupEntry {
    std::string name;
    gid_t gid { 0 };
    std::vector<std::string> members;
};

std::optional<std::uint32_t> parse_id(std::string_view text)
{
    std::uint64_t value = 0;
    if (!strings::parse_uint(text, value) || value > 0xFFFFFFFEu)
        return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

std::vector<PasswdEntry> parse_passwd(std::string_view text)
{
    std::vector<PasswdEntry> entries;
    for (const auto& line : strings::split(text, '\n')) {
        // name:password:uid:gid:gecos:home:shell
        auto fields = strings::split(line, ':');
        if (fields.size() < 4 || fields[0].empty() || fields[0][0] == '#')
            continue;
        auto uid = parse_id(fields[2]);
        auto gid = parse_id(fields[3]);
        if (!uid || !gid)
            continue;
        entries.push_back({ fields[0], *uid, *gid, fields.size() > 5 ? fields[5] : "" });
    }
    return entries;
}

std::vector<GroupEntry> parse_group(std::string_view text)
{
    std::vector<GroupEntry> entries;
    for (const auto& line : strings::split(text, '\n')) {
        // name:password:gid:member,member
        auto fields = strings::split(line, ':');
        if (fields.size() < 3 || fields[0].empty() || fields[0][0] == '#')
            continue;
        auto gid = parse_id(fields[2]);
        if (!gid)
            continue;
        GroupEntry entry { fields[0], *gid, {} };
        if (fields.size() > 3) {
            for (const auto& member : strings::split(fields[3], ','))
                if (!strings::trim(member).empty())
                    entry.members.push_back(strings::trim(member));
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

} // namespace

Result<ExecUser> resolve_user(std::string_view user, std::string_view passwd, std::string_view group)
{
    std::string user_part(user);
    std::string group_part;
    bool has_group = false;
    if (auto colon = user_part.find(':'); colon != std::string::npos) {
        group_part = user_part.substr(colon + 1);
        user_part.resize(colon);
        has_group = true;
        if (group_part.empty())
            return Error::invalid("invalid user \"" + std::string(user) + "\": empty group after ':'");
    }
    if (user_part.empty())
        user_part = "0";

    auto users = parse_passwd(passwd);
    auto groups = parse_group(group);

    ExecUser result;
    const PasswdEntry* entry = nullptr;
    if (auto uid = parse_id(user_part)) {
        result.uid = *uid;
        for (const auto& candidate : users) {
            if (candidate.uid == *uid) {
                entry = &candidate;
                break;
            }
        }
    } else {
        for (const auto& candidate : users) {
            if (candidate.name == user_part) {
                entry = &candidate;
                break;
            }
        }
        if (!entry)
            return Error::invalid("unable to find user " + user_part + ": no matching entries in passwd file");
        result.uid = entry->uid;
    }
    if (entry) {
        result.gid = entry->gid;
        if (!entry->home.empty())
            result.home = entry->home;
    }

    if (has_group) {
        if (auto gid = parse_id(group_part)) {
            result.gid = *gid;
        } else {
            auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& g) { return g.name == group_part; });
            if (it == groups.end())
                return Error::invalid("unable to find group " + group_part + ": no matching entries in group file");
            result.gid = it->gid;
        }
    }
    // Supplementary groups: the primary group first, then (when no group was given explicitly)
    // every group that lists the user by name, as containerd's WithAdditionalGIDs does.
    result.supplementary_groups.push_back(result.gid);
    if (!has_group && entry) {
        for (const auto& candidate : groups) {
            if (std::find(candidate.members.begin(), candidate.members.end(), entry->name) != candidate.members.end()
                && std::find(result.supplementary_groups.begin(), result.supplementary_groups.end(), candidate.gid)
                    == result.supplementary_groups.end())
                result.supplementary_groups.push_back(candidate.gid);
        }
    }
    return result;
}

} // namespace engine::runtime
