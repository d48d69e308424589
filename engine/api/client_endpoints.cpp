// api::Client typed helpers: one function per Docker Engine API call the CLI makes, sending
// the same paths and query strings the docker CLI sends.
// Path parameters are not escaped, as the docker CLI does not escape them: image references
// keep their ':' and '/'.
#include "engine/api/client.h"

namespace engine::api {

namespace {

RequestBody json_request(const Json& body)
{
    return RequestBody { .content_type = "application/json", .data = body.dump(), .source = {}, .length = {} };
}

Result<void> expect_ok(Result<HttpResponse> response)
{
    if (!response.ok())
        return response.release_error();
    return Ok {};
}

// 304 means "already in that state"; the docker CLI treats it as success.
Result<void> ok_or_not_modified(Result<HttpResponse> response)
{
    if (!response.ok() && response.error().kind() == ErrorKind::NotModified)
        return Ok {};
    return expect_ok(std::move(response));
}

std::string timeout_query(std::optional<int> timeout)
{
    return timeout ? "?t=" + std::to_string(*timeout) : std::string();
}

} // namespace

// [SECTION] System

Result<void> Client::ping() const
{
    auto response = TRY(request("HEAD", "/_ping"));
    if (response.status != 200)
        return error_from_response(response.status, response.reason, response.body);
    return Ok {};
}

Result<Json> Client::version() const { return get_json("/version"); }
Result<Json> Client::info() const { return get_json("/info"); }

Result<Json> Client::system_df(bool verbose) const
{
    return get_json(verbose ? "/system/df?verbose=1" : "/system/df");
}

Result<Json> Client::system_prune(bool all, bool volumes) const
{
    // Docker's `system prune` is containers, then networks, then images (and volumes).
    Json report = Json::object();
    report["Containers"] = TRY(prune_containers());
    report["Networks"] = TRY(prune_networks());
    if (volumes)
        report["Volumes"] = TRY(prune_volumes(false));
    report["Images"] = TRY(prune_images(all));
    return report;
}

// [SECTION] Containers

Result<std::string> Client::create_container(const Json& body, const std::string& name) const
{
    std::string path = "/containers/create";
    if (!name.empty())
        path += "?name=" + url_encode(name);
    auto response = TRY(post_json(path, body));
    if (!response.is_object() || !response.contains("Id") || !response["Id"].is_string())
        return Error::invalid("daemon's create response has no Id: " + response.dump());
    return response["Id"].get<std::string>();
}

Result<void> Client::start_container(const std::string& id) const
{
    return ok_or_not_modified(request_ok("POST", versioned("/containers/" + id + "/start")));
}

Result<void> Client::stop_container(const std::string& id, std::optional<int> timeout) const
{
    return ok_or_not_modified(request_ok("POST", versioned("/containers/" + id + "/stop" + timeout_query(timeout))));
}

Result<void> Client::restart_container(const std::string& id, std::optional<int> timeout) const
{
    return expect_ok(request_ok("POST", versioned("/containers/" + id + "/restart" + timeout_query(timeout))));
}

Result<void> Client::kill_container(const std::string& id, const std::string& signal) const
{
    std::string path = "/containers/" + id + "/kill";
    if (!signal.empty())
        path += "?signal=" + url_encode(signal);
    return expect_ok(request_ok("POST", versioned(path)));
}

Result<void> Client::remove_container(const std::string& id, bool force, bool volumes) const
{
    std::vector<std::pair<std::string, std::string>> params;
    if (force)
        params.emplace_back("force", "1");
    if (volumes)
        params.emplace_back("v", "1");
    return expect_ok(request_ok("DELETE", versioned("/containers/" + id + query_string(params))));
}

Result<void> Client::pause_container(const std::string& id) const
{
    return expect_ok(request_ok("POST", versioned("/containers/" + id + "/pause")));
}

Result<void> Client::unpause_container(const std::string& id) const
{
    return expect_ok(request_ok("POST", versioned("/containers/" + id + "/unpause")));
}

Result<void> Client::rename_container(const std::string& id, const std::string& new_name) const
{
    return expect_ok(request_ok("POST", versioned("/containers/" + id + "/rename?name=" + url_encode(new_name))));
}

Result<void> Client::resize_container(const std::string& id, int rows, int cols) const
{
    return expect_ok(request_ok("POST",
        versioned("/containers/" + id + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(cols))));
}

Result<Json> Client::inspect_container(const std::string& id) const
{
    return get_json("/containers/" + id + "/json");
}

Result<Json> Client::list_containers(const ContainerListOptions& options) const
{
    std::vector<std::pair<std::string, std::string>> params;
    if (options.all)
        params.emplace_back("all", "1");
    if (!options.filters.empty())
        params.emplace_back("filters", encode_filters(options.filters));
    if (options.size)
        params.emplace_back("size", "1");
    return get_json("/containers/json" + query_string(params));
}

Result<Json> Client::top_container(const std::string& id, const std::string& ps_args) const
{
    std::string path = "/containers/" + id + "/top";
    if (!ps_args.empty())
        path += "?ps_args=" + url_encode(ps_args);
    return get_json(path);
}

Result<Json> Client::prune_containers() const { return post_json("/containers/prune", Json::object()); }

Result<PendingResponse> Client::begin_wait(const std::string& id, const std::string& condition) const
{
    std::string path = "/containers/" + id + "/wait";
    if (!condition.empty())
        path += "?condition=" + url_encode(condition);
    return begin("POST", path);
}

Result<WaitResult> Client::finish_wait(PendingResponse& pending)
{
    auto response = TRY(pending.finish());
    if (response.status >= 300)
        return error_from_response(response.status, response.reason, response.body);
    auto body = TRY(parse_json(response.body));
    if (!body.is_object() || !body.contains("StatusCode") || !body["StatusCode"].is_number())
        return Error::invalid("daemon's wait response has no StatusCode: " + response.body.substr(0, 200));
    WaitResult result;
    result.status_code = body["StatusCode"].get<std::int64_t>();
    if (body.contains("Error") && body["Error"].is_object())
        result.error = body["Error"].value("Message", "");
    return result;
}

Result<WaitResult> Client::wait_container(const std::string& id, const std::string& condition) const
{
    auto pending = TRY(begin_wait(id, condition));
    return finish_wait(pending);
}

Result<HijackedStream> Client::attach_container(const std::string& id, bool with_stdin) const
{
    std::string query = with_stdin ? "?stderr=1&stdin=1&stdout=1&stream=1" : "?stderr=1&stdout=1&stream=1";
    return hijack("/containers/" + id + "/attach" + query, Json());
}

Result<void> Client::container_logs(const std::string& id, const LogsOptions& options, const DataSink& sink) const
{
    std::vector<std::pair<std::string, std::string>> params;
    if (options.stderr_stream)
        params.emplace_back("stderr", "1");
    if (options.stdout_stream)
        params.emplace_back("stdout", "1");
    if (options.follow)
        params.emplace_back("follow", "1");
    if (!options.since.empty())
        params.emplace_back("since", options.since);
    if (!options.until.empty())
        params.emplace_back("until", options.until);
    params.emplace_back("tail", options.tail.empty() ? "all" : options.tail);
    if (options.timestamps)
        params.emplace_back("timestamps", "1");
    return stream("GET", versioned("/containers/" + id + "/logs" + query_string(params)), {}, sink);
}

// [SECTION] Exec

Result<std::string> Client::create_exec(const std::string& container, const Json& body) const
{
    auto response = TRY(post_json("/containers/" + container + "/exec", body));
    if (!response.is_object() || !response.contains("Id") || !response["Id"].is_string())
        return Error::invalid("daemon's exec create response has no Id: " + response.dump());
    return response["Id"].get<std::string>();
}

Result<void> Client::start_exec_detached(const std::string& exec_id) const
{
    return expect_ok(request_ok("POST", versioned("/exec/" + exec_id + "/start"),
        json_request({ { "Detach", true }, { "Tty", false } })));
}

Result<HijackedStream> Client::start_exec_attached(const std::string& exec_id, bool tty) const
{
    return hijack("/exec/" + exec_id + "/start", Json { { "Detach", false }, { "Tty", tty } });
}

Result<void> Client::resize_exec(const std::string& exec_id, int rows, int cols) const
{
    return expect_ok(request_ok("POST",
        versioned("/exec/" + exec_id + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(cols))));
}

Result<Json> Client::inspect_exec(const std::string& exec_id) const { return get_json("/exec/" + exec_id + "/json"); }

// [SECTION] Images

Result<Json> Client::list_images(bool all, const std::map<std::string, std::vector<std::string>>& filters) const
{
    std::vector<std::pair<std::string, std::string>> params;
    if (all)
        params.emplace_back("all", "1");
    if (!filters.empty())
        params.emplace_back("filters", encode_filters(filters));
    return get_json("/images/json" + query_string(params));
}

Result<Json> Client::inspect_image(const std::string& name) const { return get_json("/images/" + name + "/json"); }

Result<Json> Client::image_history(const std::string& name) const
{
    return get_json("/images/" + name + "/history");
}

Result<Json> Client::remove_image(const std::string& name, bool force) const
{
    auto response = TRY(request_ok("DELETE", versioned("/images/" + name + (force ? "?force=1" : ""))));
    return parse_json(response.body);
}

Result<void> Client::tag_image(const std::string& source, const std::string& repo, const std::string& tag) const
{
    return expect_ok(request_ok("POST", versioned("/images/" + source + "/tag" + query_string({ { "repo", repo }, { "tag", tag } }))));
}

Result<Json> Client::prune_images(bool all) const
{
    std::string path = "/images/prune";
    if (!all)
        path += "?filters=" + url_encode(encode_filters({ { "dangling", { "true" } } }));
    return post_json(path, Json::object());
}

Result<std::string> Client::import_image(const RequestBody& tar, const std::string& repo, const std::string& tag,
    const std::vector<std::string>& changes, const std::string& message) const
{
    std::vector<std::pair<std::string, std::string>> params { { "fromSrc", "-" } };
    if (!repo.empty())
        params.emplace_back("repo", repo);
    if (!tag.empty())
        params.emplace_back("tag", tag);
    for (const auto& change : changes)
        params.emplace_back("changes", change);
    if (!message.empty())
        params.emplace_back("message", message);
    std::string image_id;
    TRY(stream_json_lines("POST", versioned("/images/create" + query_string(params)), tar, [&](const Json& line) {
        if (line.is_object() && line.contains("status") && line["status"].is_string())
            image_id = line["status"].get<std::string>();
    }));
    if (image_id.empty())
        return Error::invalid("daemon's import response carried no image id");
    return image_id;
}

Result<void> Client::load_images(const RequestBody& tar, const std::function<void(const Json&)>& on_message) const
{
    return stream_json_lines("POST", versioned("/images/load?quiet=0"), tar, on_message);
}

Result<void> Client::save_images(const std::vector<std::string>& names, const std::string& format,
    const DataSink& sink) const
{
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& name : names)
        params.emplace_back("names", name);
    if (!format.empty())
        params.emplace_back("format", format);
    return stream("GET", versioned("/images/get" + query_string(params)), {}, sink);
}

Result<void> Client::pull_image(const std::string& image, const std::function<void(const Json&)>& on_message) const
{
    // Split "repo:tag" the way the docker CLI sends it: fromImage=<repo>&tag=<tag>. A ':' after
    // the last '/' is the tag separator (a registry port comes before a '/').
    std::string repo = image;
    std::string tag = "latest";
    auto at = image.find('@');
    auto slash = image.rfind('/');
    auto colon = image.rfind(':');
    if (at != std::string::npos) {
        repo = image.substr(0, at);
        tag = image.substr(at + 1);
    } else if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        repo = image.substr(0, colon);
        tag = image.substr(colon + 1);
    }
    RequestBody empty;
    return stream_json_lines("POST", versioned("/images/create" + query_string({ { "fromImage", repo }, { "tag", tag } })),
        empty, on_message);
}

// [SECTION] Volumes

Result<Json> Client::create_volume(const Json& body) const { return post_json("/volumes/create", body); }
Result<Json> Client::list_volumes() const { return get_json("/volumes"); }
Result<Json> Client::inspect_volume(const std::string& name) const { return get_json("/volumes/" + name); }

Result<void> Client::remove_volume(const std::string& name, bool force) const
{
    return expect_ok(request_ok("DELETE", versioned("/volumes/" + name + (force ? "?force=1" : ""))));
}

Result<Json> Client::prune_volumes(bool all) const
{
    std::string path = "/volumes/prune";
    if (all)
        path += "?filters=" + url_encode(encode_filters({ { "all", { "true" } } }));
    return post_json(path, Json::object());
}

// [SECTION] Networks

Result<Json> Client::create_network(const Json& body) const { return post_json("/networks/create", body); }
Result<Json> Client::list_networks() const { return get_json("/networks"); }
Result<Json> Client::inspect_network(const std::string& name) const { return get_json("/networks/" + name); }

Result<void> Client::remove_network(const std::string& name) const
{
    return expect_ok(request_ok("DELETE", versioned("/networks/" + name)));
}

Result<Json> Client::prune_networks() const { return post_json("/networks/prune", Json::object()); }

Result<void> Client::connect_network(const std::string& network, const Json& body) const
{
    return expect_ok(request_ok("POST", versioned("/networks/" + network + "/connect"), json_request(body)));
}

Result<void> Client::disconnect_network(const std::string& network, const std::string& container, bool force) const
{
    return expect_ok(request_ok("POST", versioned("/networks/" + network + "/disconnect"),
        json_request({ { "Container", container }, { "Force", force } })));
}

} // namespace engine::api
