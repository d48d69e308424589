// Client side of the container filesystem endpoints (docker cp, diff, export, commit):
// HEAD/GET/PUT /containers/{id}/archive, GET /containers/{id}/export and /changes, POST /commit.
#include "engine/api/client.h"

namespace engine::api {

namespace {

// Go's base64.URLEncoding (what dockerd writes in X-Docker-Container-Path-Stat), decoded;
// the standard alphabet is accepted too.
std::string base64_decode(std::string_view text)
{
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '-' || c == '+')
            return 62;
        if (c == '_' || c == '/')
            return 63;
        return -1;
    };
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        int v = value(c);
        if (v < 0)
            continue;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

std::string archive_path(const std::string& id, const std::string& path)
{
    return Client::versioned("/containers/" + url_encode(id) + "/archive" + query_string({ { "path", path } }));
}

} // namespace

Result<Json> Client::stat_container_path(const std::string& id, const std::string& path) const
{
    auto response = TRY(request_ok("HEAD", archive_path(id, path)));
    auto header = response.header("x-docker-container-path-stat");
    if (header.empty())
        return Error::system("the daemon sent no X-Docker-Container-Path-Stat header for " + path);
    return parse_json(base64_decode(header));
}

Result<void> Client::get_archive(const std::string& id, const std::string& path, const DataSink& sink) const
{
    return stream("GET", archive_path(id, path), {}, sink);
}

Result<void> Client::put_archive(const std::string& id, const std::string& path, const RequestBody& tar,
    bool copy_uid_gid) const
{
    auto target = versioned("/containers/" + url_encode(id) + "/archive"
        + query_string({ { "path", path }, { "noOverwriteDirNonDir", "true" }, { "copyUIDGID", copy_uid_gid ? "true" : "false" } }));
    TRY(request_ok("PUT", target, tar));
    return Ok {};
}

Result<void> Client::export_container(const std::string& id, const DataSink& sink) const
{
    return stream("GET", versioned("/containers/" + url_encode(id) + "/export"), {}, sink);
}

Result<Json> Client::container_changes(const std::string& id) const
{
    return get_json("/containers/" + url_encode(id) + "/changes");
}

Result<std::string> Client::commit_container(const std::string& id, const std::string& repo, const std::string& tag,
    const std::string& comment, const std::string& author, const std::vector<std::string>& changes, bool pause) const
{
    std::vector<std::pair<std::string, std::string>> params { { "container", id }, { "repo", repo }, { "tag", tag },
        { "comment", comment }, { "author", author }, { "pause", pause ? "1" : "0" } };
    for (const auto& change : changes)
        params.emplace_back("changes", change);
    auto response = TRY(request_ok("POST", versioned("/commit" + query_string(params))));
    auto doc = TRY(parse_json(response.body));
    if (!doc.is_object() || !doc.contains("Id") || !doc["Id"].is_string())
        return Error::system("commit: the daemon's answer has no Id");
    return doc["Id"].get<std::string>();
}

} // namespace engine::api
