// Healthchecks: the daemon runs the container's test every interval as an exec (the same path
// as `docker exec`: the container's namespaces, cgroup, user and capabilities), waits at most
// the timeout, keeps the last five results and moves State.Health between starting, healthy
// and unhealthy as Docker does (moby daemon/health.go). Each status change is published as a
// "health_status: <status>" container event.
#include "engine/daemon/health.h"

#include <csignal>
#include <limits>
#include <thread>

#include "engine/base/log.h"
#include "engine/base/strings.h"
#include "engine/daemon/engine_internal.h"

namespace engine::daemon {

using nlohmann::json;
using namespace std::chrono_literals;

// [SECTION] JSON.

json health_config_to_json(const HealthConfig& config)
{
    return {
        { "Test", config.test },
        { "Interval", config.interval_ns },
        { "Timeout", config.timeout_ns },
        { "StartPeriod", config.start_period_ns },
        { "Retries", config.retries },
    };
}

Result<std::optional<HealthConfig>> health_config_from_json(const json& doc)
{
    if (doc.is_null())
        return std::optional<HealthConfig> {};
    if (!doc.is_object())
        return Error::invalid("Healthcheck: expected an object, got " + doc.dump());
    HealthConfig config;
    if (auto it = doc.find("Test"); it != doc.end() && !it->is_null()) {
        if (!it->is_array())
            return Error::invalid(
                "Healthcheck.Test: expected a list of strings, got " + it->dump());
        for (const auto& item : *it) {
            if (!item.is_string())
                return Error::invalid(
                    "Healthcheck.Test: expected a list of strings, got " + it->dump());
            config.test.push_back(item.get<std::string>());
        }
    }
    for (auto [key, field] : { std::pair { "Interval", &config.interval_ns },
             std::pair { "Timeout", &config.timeout_ns },
             std::pair { "StartPeriod", &config.start_period_ns } }) {
        auto it = doc.find(key);
        if (it == doc.end() || it->is_null())
            continue;
        if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
            return Error::invalid(std::string("Healthcheck.") + key
                + ": expected a duration in nanoseconds, got " + it->dump());
        *field = it->get<std::int64_t>();
    }
    if (auto it = doc.find("Retries"); it != doc.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
            return Error::invalid(
                "Healthcheck.Retries: expected a whole number, got " + it->dump());
        config.retries = it->get<int>();
    }
    if (!config.test.empty() && config.test[0] != "CMD" && config.test[0] != "CMD-SHELL"
        && config.test[0] != "NONE")
        return Error::invalid("Healthcheck.Test: must start with CMD, CMD-SHELL or NONE, got \""
            + config.test[0] + "\"");
    if (config.test.empty() && !config.interval_ns && !config.timeout_ns && !config.start_period_ns
        && !config.retries)
        return std::optional<HealthConfig> {};
    return std::optional<HealthConfig> { config };
}

json health_state_to_json(const HealthState& state)
{
    json log = json::array();
    for (const auto& probe : state.log)
        log.push_back({ { "Start", probe.start }, { "End", probe.end },
            { "ExitCode", probe.exit_code }, { "Output", probe.output } });
    return { { "Status", state.status }, { "FailingStreak", state.failing_streak },
        { "Log", log } };
}

// [SECTION] Rules.

void merge_image_healthcheck(ContainerConfig& config, const image::ContainerDefaults& image_config)
{
    if (!image_config.healthcheck)
        return;
    const auto& check = *image_config.healthcheck;
    HealthConfig from_image;
    from_image.test = check.test.value_or(std::vector<std::string> {});
    from_image.interval_ns = check.interval.value_or(0);
    from_image.timeout_ns = check.timeout.value_or(0);
    from_image.start_period_ns = check.start_period.value_or(0);
    auto retries = check.retries.value_or(0);
    // The image's check is a default, not the user's request: one this version cannot run (a
    // negative duration, a test that is not CMD, CMD-SHELL or NONE) is left out, not refused.
    const auto& test = from_image.test;
    bool usable = from_image.interval_ns >= 0 && from_image.timeout_ns >= 0 && from_image.start_period_ns >= 0
        && retries >= 0 && retries <= std::numeric_limits<int>::max()
        && (test.empty() || test[0] == "CMD" || test[0] == "CMD-SHELL" || test[0] == "NONE");
    from_image.retries = static_cast<int>(retries);
    bool empty = test.empty() && !from_image.interval_ns && !from_image.timeout_ns && !from_image.start_period_ns
        && !from_image.retries;
    if (!usable || empty)
        return;
    if (!config.healthcheck) {
        config.healthcheck = from_image;
        return;
    }
    auto& mine = *config.healthcheck;
    if (mine.test.empty())
        mine.test = from_image.test;
    if (!mine.interval_ns)
        mine.interval_ns = from_image.interval_ns;
    if (!mine.timeout_ns)
        mine.timeout_ns = from_image.timeout_ns;
    if (!mine.start_period_ns)
        mine.start_period_ns = from_image.start_period_ns;
    if (!mine.retries)
        mine.retries = from_image.retries;
}

bool health_enabled(const ContainerConfig& config)
{
    return config.healthcheck && !config.healthcheck->test.empty()
        && config.healthcheck->test[0] != "NONE";
}

bool apply_probe(HealthState& state, const HealthProbe& probe, int retries, bool in_start_period)
{
    auto before = state.status;
    state.log.push_back(probe);
    while (state.log.size() > k_health_log_entries)
        state.log.erase(state.log.begin());
    if (probe.exit_code == 0) {
        state.failing_streak = 0;
        state.status = "healthy";
    } else if (!(in_start_period && state.status == "starting")) {
        state.failing_streak++;
        if (state.failing_streak >= retries)
            state.status = "unhealthy";
    }
    return state.status != before;
}

std::string health_status_suffix(const HealthState& state)
{
    if (state.status.empty())
        return {};
    if (state.status == "starting")
        return " (health: starting)";
    return " (" + state.status + ")";
}

// [SECTION] The probe loop.

namespace {

// Collects a probe's output (stdout and stderr together, as Docker's Output has them), capped.
class CaptureSink : public OutputSink {
public:
    bool write(StreamKind, std::string_view data) override
    {
        std::lock_guard lock(m_mutex);
        if (m_text.size() < k_health_output_limit)
            m_text.append(data.substr(0, k_health_output_limit - m_text.size()));
        return true;
    }
    std::string text()
    {
        std::lock_guard lock(m_mutex);
        return m_text;
    }

private:
    std::mutex m_mutex;
    std::string m_text;
};

std::string now_text()
{
    return strings::rfc3339_nano(std::chrono::system_clock::now());
}

std::chrono::nanoseconds or_default(std::int64_t ns, std::chrono::seconds fallback)
{
    return ns > 0 ? std::chrono::nanoseconds(ns) : std::chrono::nanoseconds(fallback);
}

} // namespace

void Engine::start_health_monitor(const std::shared_ptr<Container>& container)
{
    HealthConfig check;
    std::string id;
    {
        std::lock_guard lock(m_impl->mutex);
        if (!health_enabled(container->view.config)) {
            container->view.state.health = {};
            return;
        }
        check = *container->view.config.healthcheck;
        id = container->view.id;
        // Each run starts over: "starting" until the first verdict.
        container->view.state.health.status = "starting";
        container->view.state.health.failing_streak = 0;
    }
    std::uint64_t run = 0;
    {
        std::lock_guard lock(container->wait->mutex);
        run = container->wait->exits;
    }
    const auto interval = or_default(check.interval_ns, k_default_health_interval);
    const auto timeout = or_default(check.timeout_ns, k_default_health_timeout);
    const int retries = check.retries > 0 ? check.retries : k_default_health_retries;
    const auto start_period = std::chrono::nanoseconds(check.start_period_ns);
    const auto started = std::chrono::steady_clock::now();

    spawn_thread([this, container, check, id, run, interval, timeout, retries, start_period,
                     started] {
        auto run_over = [&] {
            return container->wait->exits != run || !container->wait->running
                || m_impl->shutting_down.load();
        };
        for (;;) {
            // Sleep one interval, waking at once when this run of the container ends.
            {
                std::unique_lock lock(container->wait->mutex);
                if (container->wait->cv.wait_for(lock, interval, run_over))
                    return;
            }
            ExecConfig exec;
            if (check.test[0] == "CMD-SHELL")
                exec.cmd = { "/bin/sh", "-c", check.test.size() > 1 ? check.test[1] : "" };
            else
                exec.cmd.assign(check.test.begin() + 1, check.test.end());
            HealthProbe probe;
            probe.start = now_text();
            auto sink = std::make_shared<CaptureSink>();
            auto exec_id = exec_create(id, exec);
            Result<Attachment> attached = exec_id.ok() ? exec_start(exec_id.value(), false, sink)
                                                       : Result<Attachment>(exec_id.error());
            if (!attached.ok()) {
                // The container stopped between the wake-up and the exec: not a verdict.
                if (run_over())
                    return;
                probe.exit_code = -1;
                probe.output = attached.error().describe();
            } else {
                auto deadline = std::chrono::steady_clock::now() + timeout;
                bool finished = false;
                while (std::chrono::steady_clock::now() < deadline) {
                    auto view = exec_inspect(exec_id.value());
                    if (view.ok() && view.value().exited) {
                        probe.exit_code = view.value().exit_code;
                        finished = true;
                        break;
                    }
                    std::this_thread::sleep_for(20ms);
                }
                if (finished) {
                    attached.value().wait_done();
                    probe.output = sink->text();
                } else {
                    // Kill the probe; its pump thread finishes on its own once the pipes close.
                    if (auto view = exec_inspect(exec_id.value());
                        view.ok() && view.value().pid > 0)
                        (void)m_kernel.send_signal(view.value().pid, SIGKILL);
                    probe.exit_code = -1;
                    auto ms
                        = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
                    probe.output = "Health check exceeded timeout ("
                        + (ms % 1000 == 0 ? std::to_string(ms / 1000) + "s"
                                          : std::to_string(ms) + "ms")
                        + ")";
                }
                // Probes are not kept as exec instances: one every interval would pile up.
                std::lock_guard lock(m_impl->mutex);
                m_impl->execs.erase(exec_id.value());
                container->exec_ids.erase(exec_id.value());
            }
            probe.end = now_text();
            bool in_start_period = std::chrono::steady_clock::now() - started < start_period;
            std::string status;
            bool changed = false;
            {
                std::lock_guard wait_lock(container->wait->mutex);
                if (container->wait->exits != run)
                    return;
            }
            {
                std::lock_guard lock(m_impl->mutex);
                changed
                    = apply_probe(container->view.state.health, probe, retries, in_start_period);
                status = container->view.state.health.status;
            }
            if (changed)
                publish({ "container", "health_status: " + status, id,
                    { { "image", container->view.config.image.text }, { "name", container->view.name } },
                    0 });
        }
    });
}

} // namespace engine::daemon
