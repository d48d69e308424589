// Healthchecks (Docker's Config.Healthcheck and State.Health): JSON mapping shared by the API
// and the container records, and the rules that turn probe results into a status. The probe
// loop itself is Engine::start_health_monitor (health.cpp): every interval it runs the test
// inside the container as an exec, with the timeout, and records the verdict.
#pragma once

#include <chrono>

#include <nlohmann/json.hpp>

#include "engine/base/result.h"
#include "engine/daemon/engine.h"
#include "engine/image/image_config.h"

namespace engine::daemon {

// Docker's defaults for fields left at 0.
inline constexpr std::chrono::seconds k_default_health_interval { 30 };
inline constexpr std::chrono::seconds k_default_health_timeout { 30 };
inline constexpr int k_default_health_retries = 3;
inline constexpr size_t k_health_log_entries = 5;
inline constexpr size_t k_health_output_limit = 4096;

// {"Test": [...], "Interval": ns, "Timeout": ns, "StartPeriod": ns, "Retries": n}.
nlohmann::json health_config_to_json(const HealthConfig& config);
// Reads that shape (absent or null fields are 0). Wrong types are InvalidArgument naming
// "Healthcheck.<field>". A Test of [] returns nullopt (inherit the image's).
Result<std::optional<HealthConfig>> health_config_from_json(const nlohmann::json& doc);
// State.Health: {"Status", "FailingStreak", "Log": [{"Start","End","ExitCode","Output"}]}.
nlohmann::json health_state_to_json(const HealthState& state);

// Fills what the user left unset from the image's HEALTHCHECK (image config "Healthcheck"),
// as Docker merges them: the image's test when none was given, its durations where 0.
void merge_image_healthcheck(ContainerConfig& config, const image::ContainerDefaults& image_config);

// True when the config asks for probes (a test other than NONE).
bool health_enabled(const ContainerConfig& config);

// Applies one probe result to `state` (Docker's handleProbeResult): success resets the streak
// and makes it healthy; a failure inside the start period while still "starting" is not
// counted; otherwise the streak grows and reaching `retries` makes it unhealthy. Returns true
// when the status changed.
bool apply_probe(HealthState& state, const HealthProbe& probe, int retries, bool in_start_period);

// " (healthy)", " (unhealthy)", " (health: starting)" or "" for the ps status column.
std::string health_status_suffix(const HealthState& state);

} // namespace engine::daemon
