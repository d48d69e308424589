// glassbox compose [-f FILE] [-p NAME] [--project-directory DIR] [--env-file FILE] [-v] VERB:
// Docker Compose's verbs (up, down, ps, logs, start, stop, restart, build, config, exec, run).
// This file only parses flags and prints; the model, the plan and the order of API calls live
// in engine/compose (ProjectOps), and the daemon does the work. `compose build` (and up's
// builds) run this same binary's `build` verb, so compose packs contexts exactly as
// `glassbox build` does.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <thread>

#include "engine/base/strings.h"
#include "engine/cli/commands/commands.h"
#include "engine/cli/session.h"
#include "engine/compose/parse.h"
#include "engine/compose/plan.h"
#include "engine/compose/project_ops.h"
#include "engine/compose/render.h"

extern char** environ;

namespace engine::cli {

namespace {

struct ComposeGlobals {
    std::vector<std::string> files;
    std::string project_name;
    std::string project_directory;
    std::string env_file;
    bool verbose { false };
};

compose::Environment process_environment()
{
    compose::Environment env;
    for (char** entry = environ; entry && *entry; ++entry) {
        std::string text = *entry;
        auto eq = text.find('=');
        if (eq != std::string::npos)
            env[text.substr(0, eq)] = text.substr(eq + 1);
    }
    return env;
}

Result<compose::Project> load(const ComposeGlobals& globals, bool quiet = false)
{
    compose::LoadOptions options;
    options.files = globals.files;
    options.project_name = globals.project_name;
    options.working_dir = globals.project_directory;
    options.env_file = globals.env_file;
    options.environment = process_environment();
    compose::LoadReport report;
    auto project = TRY(compose::load_project(options, &report));
    // Say which file was used when several candidates exist, as Compose warns.
    if (!report.skipped.empty())
        std::fprintf(stderr, "Found multiple config files with supported names: %s, %s\nUsing %s\n",
            report.files[0].c_str(), strings::join(report.skipped, ", ").c_str(),
            report.files[0].c_str());
    if (globals.verbose && !quiet)
        std::fprintf(
            stderr, "Using %s (project %s)\n", report.files[0].c_str(), project.name.c_str());
    return project;
}

void say(const std::string& line)
{
    std::string text = " " + line + "\n";
    write_fd(STDERR_FILENO, text);
}

// The socket this CLI talks to, as a -H value for the child `glassbox build`.
Result<std::string> host_flag(Context& ctx)
{
    auto* client = TRY(ctx.client());
    return "unix://" + client->socket_path();
}

// Runs `glassbox -H HOST build ...` for one service and waits for it.
compose::Builder make_builder(Context& ctx)
{
    return [&ctx](const compose::BuildRequest& request) -> Result<void> {
        auto host = TRY(host_flag(ctx));
        std::vector<std::string> args = { "glassbox", "-H", host, "build", "-t", request.tag };
        args.push_back("-f");
        args.push_back(request.spec.dockerfile[0] == '/'
                ? request.spec.dockerfile
                : request.spec.context + "/" + request.spec.dockerfile);
        for (const auto& [key, value] : request.spec.args) {
            args.push_back("--build-arg");
            args.push_back(key + "=" + value);
        }
        for (const auto& [key, value] : request.labels) {
            args.push_back("--label");
            args.push_back(key + "=" + value);
        }
        if (!request.spec.target.empty()) {
            args.push_back("--target");
            args.push_back(request.spec.target);
        }
        args.push_back(request.spec.context);
        std::vector<char*> argv;
        for (auto& arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        pid_t pid = ::fork();
        if (pid < 0)
            return Error::from_errno("fork for build", errno);
        if (pid == 0) {
            ::execv("/proc/self/exe", argv.data());
            ::_exit(127);
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) { }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return Error::system("build of " + request.tag + " failed");
        return Ok {};
    };
}

// Streams the logs of `containers` with "name  | " prefixes, one thread per container, until
// every stream ends (all of them, with follow).
Result<void> stream_logs(
    api::Client& client, const std::vector<Json>& containers, const api::LogsOptions& options)
{
    std::mutex out_mutex;
    size_t width = 0;
    for (const auto& entry : containers)
        width = std::max(width,
            entry.value("Names", Json::array()).empty()
                ? 0
                : entry["Names"][0].get<std::string>().size() - 1);
    std::vector<std::thread> threads;
    std::vector<std::optional<Error>> errors(containers.size());
    for (size_t i = 0; i < containers.size(); ++i) {
        threads.emplace_back([&, i] {
            const auto& entry = containers[i];
            auto id = entry.value("Id", "");
            auto name = entry.value("Names", Json::array()).empty()
                ? id.substr(0, 12)
                : entry["Names"][0].get<std::string>().substr(1);
            std::string prefix
                = name + std::string(width - std::min(width, name.size()), ' ') + "  | ";
            std::string partial[3];
            auto emit = [&](api::StreamKind kind, std::string_view data) {
                auto& buffer = partial[static_cast<int>(kind)];
                buffer.append(data);
                size_t start = 0;
                std::string lines;
                for (auto nl = buffer.find('\n'); nl != std::string::npos;
                     nl = buffer.find('\n', start)) {
                    lines += prefix + buffer.substr(start, nl + 1 - start);
                    start = nl + 1;
                }
                buffer.erase(0, start);
                if (!lines.empty()) {
                    std::lock_guard lock(out_mutex);
                    write_fd(
                        kind == api::StreamKind::Stderr ? STDERR_FILENO : STDOUT_FILENO, lines);
                }
            };
            auto info = client.inspect_container(id);
            bool tty = info.ok() && info.value().contains("Config")
                && info.value()["Config"].value("Tty", false);
            api::FrameDemuxer demuxer(emit);
            auto result = client.container_logs(id, options, [&](std::string_view data) {
                if (tty) {
                    emit(api::StreamKind::Stdout, data);
                    return true;
                }
                return demuxer.feed(data).ok();
            });
            for (int k = 1; k <= 2; ++k)
                if (!partial[k].empty())
                    emit(static_cast<api::StreamKind>(k), "\n");
            if (!result.ok())
                errors[i] = result.release_error();
        });
    }
    for (auto& thread : threads)
        thread.join();
    for (auto& error : errors)
        if (error)
            return std::move(*error);
    return Ok {};
}

std::optional<int> timeout_option(int value)
{
    return value < 0 ? std::nullopt : std::optional<int>(value);
}

} // namespace

void add_compose_command(CLI::App& parent, Context& ctx)
{
    auto globals = std::make_shared<ComposeGlobals>();
    auto* compose_app = parent.add_subcommand(
        "compose", "Define and run multi-container applications (compose.yaml)");
    compose_app->require_subcommand(1);
    compose_app->add_option("-f,--file", globals->files,
        "Compose configuration file (default: compose.yaml, compose.yml, "
        "docker-compose.yaml, docker-compose.yml)");
    compose_app->add_option(
        "-p,--project-name", globals->project_name, "Project name (default: the folder's name)");
    compose_app->add_option("--project-directory", globals->project_directory,
        "Working directory (default: the file's folder)");
    compose_app->add_option(
        "--env-file", globals->env_file, "Environment file for interpolation (default: .env)");
    compose_app->add_flag("-v,--verbose", globals->verbose, "Print the plan before acting on it");

    // [SECTION] up
    {
        struct Args {
            bool detach { false };
            bool build { false };
            bool force_recreate { false };
            std::vector<std::string> services;
        };
        auto args = std::make_shared<Args>();
        auto* command = compose_app->add_subcommand("up", "Create and start containers");
        command->add_flag(
            "-d,--detach", args->detach, "Detached mode: run containers in the background");
        command->add_flag("--build", args->build, "Build images before starting containers");
        command->add_flag("--force-recreate", args->force_recreate,
            "Recreate containers even if their configuration is unchanged");
        command->add_option("SERVICE", args->services, "Services (default: all)");
        set_action(command, ctx, [&ctx, globals, args]() -> Result<int> {
            auto project = TRY(load(*globals));
            if (globals->verbose)
                std::fprintf(stderr, "Plan:\n%s",
                    compose::describe_plan(
                        TRY(compose::plan_up(project, args->services, args->build)))
                        .c_str());
            auto* client = TRY(ctx.client());
            compose::ProjectOps ops(project, *client, say, make_builder(ctx));
            compose::UpOptions options;
            options.services = args->services;
            options.build = args->build;
            options.force_recreate = args->force_recreate;
            TRY(ops.up(options));
            if (args->detach)
                return 0;
            // Attached: follow every service's output until the containers end; Ctrl-C stops them.
            auto containers = TRY(ops.containers(false, args->services, false));
            SignalProxy proxy({
                .forward =
                    [&ops](const std::string&) {
                        say("Gracefully stopping... (press Ctrl+C again to force)");
                        (void)ops.stop({}, std::nullopt);
                    },
                .resize = {},
            });
            api::LogsOptions logs;
            logs.follow = true;
            TRY(stream_logs(*client, containers, logs));
            return 0;
        });
    }

    // [SECTION] down
    {
        struct Args {
            bool volumes { false };
            std::string rmi;
            int timeout { -1 };
        };
        auto args = std::make_shared<Args>();
        auto* command = compose_app->add_subcommand("down", "Stop and remove containers, networks");
        command->add_flag("-v,--volumes", args->volumes,
            "Remove named volumes declared in the file and anonymous volumes");
        command->add_option("--rmi", args->rmi,
            "Remove images used by services: \"local\" (built ones) or \"all\"");
        command->add_option("-t,--timeout", args->timeout, "Shutdown timeout in seconds");
        set_action(command, ctx, [&ctx, globals, args]() -> Result<int> {
            auto project = TRY(load(*globals));
            auto* client = TRY(ctx.client());
            compose::ProjectOps ops(project, *client, say);
            TRY(ops.down({ .volumes = args->volumes,
                .remove_images = args->rmi,
                .timeout = timeout_option(args->timeout) }));
            return 0;
        });
    }

    // [SECTION] ps
    {
        struct Args {
            bool all { false };
            bool quiet { false };
            std::vector<std::string> services;
        };
        auto args = std::make_shared<Args>();
        auto* command = compose_app->add_subcommand("ps", "List containers");
        command->add_flag("-a,--all", args->all, "Show all stopped containers too");
        command->add_flag("-q,--quiet", args->quiet, "Only display IDs");
        command->add_option("SERVICE", args->services, "Services (default: all)");
        set_action(command, ctx, [&ctx, globals, args]() -> Result<int> {
            auto project = TRY(load(*globals, true));
            auto* client = TRY(ctx.client());
            compose::ProjectOps ops(project, *client, say);
            auto containers = TRY(ops.containers(args->all, args->services, false));
            std::sort(containers.begin(), containers.end(), [](const Json& a, const Json& b) {
                return a.value("Names", Json::array()).dump()
                    < b.value("Names", Json::array()).dump();
            });
            std::vector<std::vector<std::string>> rows
                = { { "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS" } };
            for (const auto& entry : containers) {
                if (args->quiet) {
                    print_out(entry.value("Id", "") + "\n");
                    continue;
                }
                auto row = ps_row(entry, false);
                rows.push_back({ row.value("Names", ""), row.value("Image", ""),
                    row.value("Command", ""),
                    entry.value("Labels", Json::object()).value(compose::k_label_service, ""),
                    row.value("RunningFor", ""), row.value("Status", ""), row.value("Ports", "") });
            }
            if (args->quiet)
                return 0;
            std::vector<size_t> widths(rows[0].size(), 0);
            for (const auto& row : rows)
                for (size_t i = 0; i < row.size(); ++i)
                    widths[i] = std::max(widths[i], row[i].size());
            std::string out;
            for (const auto& row : rows) {
                std::string line;
                for (size_t i = 0; i < row.size(); ++i)
                    line += i + 1 < row.size()
                        ? row[i] + std::string(widths[i] - row[i].size() + 3, ' ')
                        : row[i];
                out += strings::trim(line) + "\n";
            }
            print_out(out);
            return 0;
        });
    }

    // [SECTION] logs
    {
        struct Args {
            api::LogsOptions options;
            std::vector<std::string> services;
        };
        auto args = std::make_shared<Args>();
        auto* command = compose_app->add_subcommand("logs", "View output from containers");
        command->add_flag("-f,--follow", args->options.follow, "Follow log output");
        command->add_flag("-t,--timestamps", args->options.timestamps, "Show timestamps");
        command->add_option(
            "-n,--tail", args->options.tail, "Number of lines to show from the end of the logs");
        command->add_option("SERVICE", args->services, "Services (default: all)");
        set_action(command, ctx, [&ctx, globals, args]() -> Result<int> {
            auto project = TRY(load(*globals, true));
            auto* client = TRY(ctx.client());
            compose::ProjectOps ops(project, *client, say);
            auto containers = TRY(ops.containers(true, args->services, false));
            TRY(stream_logs(*client, containers, args->options));
            return 0;
        });
    }

    // [SECTION] start, stop, restart, build
    {
        auto services = std::make_shared<std::vector<std::string>>();
        auto* command = compose_app->add_subcommand("start", "Start services");
        command->add_option("SERVICE", *services, "Services (default: all)");
        set_action(command, ctx, [&ctx, globals, services]() -> Result<int> {
            auto project = TRY(load(*globals, true));
            compose::ProjectOps ops(project, *TRY(ctx.client()), say);
            TRY(ops.start(*services));
            return 0;
        });
    }
    for (const char* verb : { "stop", "restart" }) {
        struct Args {
            int timeout { -1 };
            std::vector<std::string> services;
        };
        auto args = std::make_shared<Args>();
        bool is_stop = std::string(verb) == "stop";
        auto* command = compose_app->add_subcommand(
            verb, is_stop ? "Stop services" : "Restart service containers");
        command->add_option("-t,--timeout", args->timeout, "Shutdown timeout in seconds");
        command->add_option("SERVICE", args->services, "Services (default: all)");
        set_action(command, ctx, [&ctx, globals, args, is_stop]() -> Result<int> {
            auto project = TRY(load(*globals, true));
            compose::ProjectOps ops(project, *TRY(ctx.client()), say);
            if (is_stop)
                TRY(ops.stop(args->services, timeout_option(args->timeout)));
            else
                TRY(ops.restart(args->services, timeout_option(args->timeout)));
            return 0;
        });
    }
    {
        auto services = std::make_shared<std::vector<std::string>>();
        auto* command = compose_app->add_subcommand("build", "Build or rebuild services");
        command->add_option("SERVICE", *services, "Services (default: all with a build section)");
        set_action(command, ctx, [&ctx, globals, services]() -> Result<int> {
            auto project = TRY(load(*globals));
            compose::ProjectOps ops(project, *TRY(ctx.client()), say, make_builder(ctx));
            TRY(ops.build(*services));
            return 0;
        });
    }

    // [SECTION] config
    {
        struct Args {
            bool services { false };
            bool plan { false };
            bool quiet { false };
        };
        auto args = std::make_shared<Args>();
        auto* command = compose_app->add_subcommand(
            "config", "Validate the file and print the resolved model and plan");
        command->add_flag("--services", args->services, "Print the service names, one per line");
        command->add_flag("--plan", args->plan, "Print only the plan `up` would carry out");
        command->add_flag("-q,--quiet", args->quiet, "Only validate the file; print nothing");
        set_action(command, ctx, [globals, args]() -> Result<int> {
            auto project = TRY(load(*globals, true));
            auto steps = TRY(compose::plan_up(project, {}, false));
            if (args->quiet)
                return 0;
            if (args->services) {
                for (const auto& name : TRY(compose::start_order(project)))
                    print_out(name + "\n");
                return 0;
            }
            auto plan = compose::describe_plan(steps);
            if (args->plan) {
                print_out(plan);
                return 0;
            }
            // The plan follows as YAML comments, so the output stays a valid compose file.
            std::string out = compose::render_yaml(project)
                + "# Plan for `up` (networks, volumes, then services in dependency order):\n";
            for (const auto& line : strings::split(plan, '\n'))
                if (!line.empty())
                    out += "#   " + line + "\n";
            print_out(out);
            return 0;
        });
    }

    // [SECTION] exec
    {
        struct Args {
            bool no_tty { false };
            bool detach { false };
            std::vector<std::string> env;
            std::string user;
            std::string workdir;
            int index { 1 };
            std::string service;
            std::vector<std::string> command;
        };
        auto args = std::make_shared<Args>();
        auto* command = compose_app->add_subcommand(
            "exec", "Execute a command in a running service container");
        command->add_flag("-T,--no-TTY", args->no_tty,
            "Disable pseudo-TTY allocation (default: a TTY when stdin is one)");
        command->add_flag("-d,--detach", args->detach, "Run the command in the background");
        command->add_option("-e,--env", args->env, "Set environment variables")
            ->allow_extra_args(false);
        command->add_option("-u,--user", args->user, "Run the command as this user");
        command->add_option("-w,--workdir", args->workdir, "Working directory for the command");
        command->add_option(
            "--index", args->index, "Index of the container if the service has several");
        command->add_option("SERVICE", args->service, "Service")->required();
        command->add_option("COMMAND", args->command, "Command and arguments")->required();
        command->positionals_at_end();
        command->prefix_command();
        reject_unknown_flags(*command);
        set_action(command, ctx, [&ctx, globals, args]() -> Result<int> {
            auto project = TRY(load(*globals, true));
            auto* client = TRY(ctx.client());
            compose::ProjectOps ops(project, *client, say);
            auto id = TRY(ops.service_container(args->service, args->index));
            bool tty = !args->no_tty && !args->detach && ::isatty(STDIN_FILENO);
            bool attach = !args->detach;
            Json body {
                { "User", args->user },
                { "Tty", tty },
                { "AttachStdin", attach && tty },
                { "AttachStdout", attach },
                { "AttachStderr", attach },
                { "Detach", args->detach },
                { "Env", args->env },
                { "WorkingDir", args->workdir },
                { "Cmd", args->command },
            };
            auto exec_id = TRY(client->create_exec(id, body));
            if (args->detach) {
                TRY(client->start_exec_detached(exec_id));
                return 0;
            }
            auto stream = TRY(client->start_exec_attached(exec_id, tty));
            std::optional<RawTerminal> raw;
            if (tty)
                raw.emplace();
            auto pumped = pump_stream(stream, { .tty = tty, .send_stdin = tty });
            if (raw)
                raw->restore();
            TRY(std::move(pumped));
            auto inspected = TRY(client->inspect_exec(exec_id));
            auto code = inspected.value("ExitCode", 0);
            return code < 0 || code > 255 ? 126 : code;
        });
    }

    // [SECTION] run
    {
        struct Args {
            bool remove { false };
            bool detach { false };
            bool no_tty { false };
            bool no_deps { false };
            std::string service;
            std::vector<std::string> command;
        };
        auto args = std::make_shared<Args>();
        auto* command = compose_app->add_subcommand("run", "Run a one-off command on a service");
        command->add_flag("--rm", args->remove, "Remove the container when it exits");
        command->add_flag(
            "-d,--detach", args->detach, "Run the container in the background and print its id");
        command->add_flag("-T,--no-TTY", args->no_tty,
            "Disable pseudo-TTY allocation (default: a TTY when stdin is one)");
        command->add_flag("--no-deps", args->no_deps, "Don't start linked services");
        command->add_option("SERVICE", args->service, "Service")->required();
        command->add_option("COMMAND", args->command, "Command and arguments");
        command->positionals_at_end();
        command->prefix_command();
        reject_unknown_flags(*command);
        set_action(command, ctx, [&ctx, globals, args]() -> Result<int> {
            auto project = TRY(load(*globals, true));
            auto* client = TRY(ctx.client());
            compose::ProjectOps ops(project, *client, say, make_builder(ctx));
            // Dependencies come up first, as `up` would bring them.
            auto deps = compose::with_dependencies(project, { args->service });
            std::erase(deps, args->service);
            if (!args->no_deps && !deps.empty())
                TRY(ops.up({ .services = deps }));
            bool tty = !args->no_tty && !args->detach && ::isatty(STDIN_FILENO);
            auto id = TRY(ops.create_oneoff(args->service, args->command, tty, tty));
            if (args->detach) {
                TRY(client->start_container(id));
                print_out(id + "\n");
                return 0;
            }
            auto code = attach_and_wait(
                *client, id, tty, [client, id]() { return client->start_container(id); });
            if (args->remove)
                (void)client->remove_container(id, true, true);
            return code;
        });
    }
}

} // namespace engine::cli
