// User and group lookup in passwd(5) and group(5) text.
#include "engine/runtime/user.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "engine/base/strings.h"

namespace engine::runtime {

namespace {

struct PasswdEntry {
    std::string_view name;
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::string_view home;
};

std::optional<std::uint32_t> parse_id(std::string_view text)
{
    std::uint64_t value = 0;
    if (!strings::parse_uint(text, value) || value > 0xFFFFFFFEu)
        return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

// The colon-separated fields of one line, as views into the file's text: the files can be as
// large as an image makes them (a 100 MB /etc/group, CVE-2016-3697), so they are scanned once,
// line by line, and nothing is copied but the entry that matches.
struct Fields {
    std::array<std::string_view, 7> at {};
    size_t count { 0 };
};

Fields split_fields(std::string_view line)
{
    Fields fields;
    while (fields.count < fields.at.size()) {
        auto colon = line.find(':');
        fields.at[fields.count++] = line.substr(0, colon);
        if (colon == std::string_view::npos)
            break;
        line.remove_prefix(colon + 1);
    }
    return fields;
}

// Calls `visit` with the fields of every line of `text` that has at least `min_fields` and a
// name that is not a comment, until it returns true.
template <typename Visit>
void scan_entries(std::string_view text, size_t min_fields, Visit&& visit)
{
    while (!text.empty()) {
        auto newline = text.find('\n');
        auto line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        auto fields = split_fields(line);
        if (fields.count < min_fields || fields.at[0].empty() || fields.at[0][0] == '#')
            continue;
        if (visit(fields))
            return;
    }
}

// The first passwd(5) entry (name:password:uid:gid:gecos:home:shell) that `match` accepts.
template <typename Match>
std::optional<PasswdEntry> find_passwd(std::string_view text, Match&& match)
{
    std::optional<PasswdEntry> found;
    scan_entries(text, 4, [&](const Fields& f) {
        auto uid = parse_id(f.at[2]);
        auto gid = parse_id(f.at[3]);
        if (!uid || !gid)
            return false;
        PasswdEntry entry { f.at[0], *uid, *gid, f.count > 5 ? f.at[5] : std::string_view {} };
        if (!match(entry))
            return false;
        found = entry;
        return true;
    });
    return found;
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

    ExecUser result;
    std::optional<PasswdEntry> entry;
    if (auto uid = parse_id(user_part)) {
        result.uid = *uid;
        entry = find_passwd(passwd, [&](const PasswdEntry& e) { return e.uid == *uid; });
    } else {
        entry = find_passwd(passwd, [&](const PasswdEntry& e) { return e.name == user_part; });
        if (!entry)
            return Error::invalid("unable to find user " + user_part + ": no matching entries in passwd file");
        result.uid = entry->uid;
    }
    if (entry) {
        result.gid = entry->gid;
        if (!entry->home.empty())
            result.home = std::string(entry->home);
    }
    if (has_group) {
        if (auto gid = parse_id(group_part)) {
            result.gid = *gid;
        } else {
            // group(5): name:password:gid:member,member
            std::optional<gid_t> found;
            scan_entries(group, 3, [&](const Fields& f) {
                if (f.at[0] != group_part)
                    return false;
                found = parse_id(f.at[2]);
                return found.has_value();
            });
            if (!found)
                return Error::invalid("unable to find group " + group_part + ": no matching entries in group file");
            result.gid = *found;
        }
    }
    // Supplementary groups: the primary group first, then (when no group was given explicitly)
    // every group that lists the user by name, as containerd's WithAdditionalGIDs does.
    result.supplementary_groups.push_back(result.gid);
    if (!has_group && entry) {
        scan_entries(group, 3, [&](const Fields& f) {
            auto gid = parse_id(f.at[2]);
            if (!gid || f.count < 4)
                return false;
            std::string_view members = f.at[3];
            bool listed = false;
            while (!listed && !members.empty()) {
                auto comma = members.find(',');
                auto member = members.substr(0, comma);
                members.remove_prefix(comma == std::string_view::npos ? members.size() : comma + 1);
                listed = strings::trim(member) == entry->name;
            }
            if (listed && std::find(result.supplementary_groups.begin(), result.supplementary_groups.end(), *gid)
                    == result.supplementary_groups.end())
                result.supplementary_groups.push_back(*gid);
            return false;
        });
    }
    return result;
}

} // namespace engine::runtime
