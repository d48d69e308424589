// glassbox-viz: the live kernel in one window. Wiring only: parse the command line, pick a source
// (live daemon socket or a recording), open a GLFW window with an OpenGL 3 context, run the
// frame loop (redraw when the source publishes, not on a busy poll), map the keyboard shortcuts,
// send the panels' requests to the daemon, and write screenshots with stb_image_write.
//   glassbox-viz [-H SOCKET] [--replay FILE [--seek N | --build-step N] [--play]]
//                [--screenshot FILE.png [--frames N] [--panel NAME]] [--font-scale F]
//                [--high-contrast] [--size WxH]
// Only this file includes GLFW. The window never needs root and never touches the kernel.
#include <sys/stat.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include "engine/api/client.h"
#include "engine/base/result.h"
#include "visualizer/app.h"
#include "visualizer/sources/live_source.h"
#include "visualizer/sources/replay_source.h"

namespace {

using engine::Error;
using engine::Ok;
using engine::Result;
using visualizer::AppState;
using visualizer::UiRequest;

constexpr const char* k_usage = R"(usage: glassbox-viz [options]
  -H, --host SOCKET       daemon socket (unix:///path or a path; default $GLASSBOX_HOST,
                          else /run/glassbox/glassbox.sock)
  --replay FILE           replay a recording from `glassbox record FILE` instead
  --seek N                with --replay: start at entry N (1-based)
  --build-step N          with --replay: start where the recorded build finished step N
  --play                  with --replay: start playing
  --screenshot FILE.png   draw --frames frames, write the window to FILE.png and exit
  --frames N              frames to draw before the screenshot (default 5)
  --panel NAME            only this panel, filling the window: containers, processes, network,
                          images, volumes, cgroups, changes, build, lesson
  --font-scale F          text size (default 1.0; Ctrl + and Ctrl - change it)
  --high-contrast         high-contrast theme (F10 toggles)
  --size WxH              window size (default 1600x900)
Shortcuts: F1 containers, F2 processes, F3 network, F4 images, F5 volumes, F6 cgroups,
F7 changes, F8 build, F9 lesson, F10 high contrast, Ctrl +/- text size; in a replay Space
plays/pauses and Left/Right step.
)";

struct Options {
    std::string host;
    std::string replay;
    int seek { 0 };
    int build_step { 0 };
    bool play { false };
    std::string screenshot;
    int frames { 5 };
    std::string panel;
    float font_scale { 1.0F };
    bool high_contrast { false };
    int width { 1600 };
    int height { 900 };
};

Result<int> parse_int(const std::string& flag, const std::string& text)
{
    try {
        size_t used = 0;
        int value = std::stoi(text, &used);
        if (used == text.size())
            return value;
    } catch (const std::exception&) {
    }
    return Error::invalid(flag + ": not a number: \"" + text + "\"");
}

Result<Options> parse_options(int argc, char** argv)
{
    Options options;
    std::vector<std::string> args(argv + 1, argv + argc);
    for (size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        auto value = [&]() -> Result<std::string> {
            if (i + 1 >= args.size())
                return Error::invalid(arg + " needs a value");
            return args[++i];
        };
        auto number = [&]() -> Result<int> {
            auto text = TRY(value());
            return parse_int(arg, text);
        };
        if (arg == "-h" || arg == "--help") {
            std::fputs(k_usage, stdout);
            std::exit(0);
        } else if (arg == "-H" || arg == "--host") {
            options.host = TRY(value());
        } else if (arg == "--replay") {
            options.replay = TRY(value());
        } else if (arg == "--seek") {
            options.seek = TRY(number());
        } else if (arg == "--build-step") {
            options.build_step = TRY(number());
        } else if (arg == "--play") {
            options.play = true;
        } else if (arg == "--screenshot") {
            options.screenshot = TRY(value());
        } else if (arg == "--frames") {
            options.frames = TRY(number());
        } else if (arg == "--panel") {
            options.panel = TRY(value());
            if (!visualizer::find_panel(options.panel))
                return Error::invalid("--panel: no panel named \"" + options.panel
                    + "\" (containers, processes, network, images, volumes, cgroups, changes, build, lesson)");
        } else if (arg == "--font-scale") {
            auto text = TRY(value());
            options.font_scale = std::strtof(text.c_str(), nullptr);
            if (options.font_scale < 0.5F || options.font_scale > 4.0F)
                return Error::invalid("--font-scale: want a number from 0.5 to 4, got \"" + text + "\"");
        } else if (arg == "--high-contrast") {
            options.high_contrast = true;
        } else if (arg == "--size") {
            auto text = TRY(value());
            if (std::sscanf(text.c_str(), "%dx%d", &options.width, &options.height) != 2 || options.width < 200
                || options.height < 150)
                return Error::invalid("--size: want WIDTHxHEIGHT such as 1600x900, got \"" + text + "\"");
        } else {
            return Error::invalid("unknown option \"" + arg + "\" (see --help)");
        }
    }
    if (options.host.empty()) {
        const char* env = std::getenv("GLASSBOX_HOST");
        options.host = env && *env ? env : "/run/glassbox/glassbox.sock";
    }
    options.host = TRY(engine::api::Client::socket_path_from_host(options.host));
    if (options.replay.empty() && (options.seek || options.build_step || options.play))
        return Error::invalid("--seek, --build-step and --play need --replay FILE");
    if (options.frames < 1)
        return Error::invalid("--frames: want at least 1");
    return options;
}

// imgui.ini lives in the user's config directory, so a classroom layout survives restarts.
std::string ini_path()
{
    std::string base;
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        base = xdg;
    else if (const char* home = std::getenv("HOME"); home && *home)
        base = std::string(home) + "/.config";
    else
        return {};
    ::mkdir(base.c_str(), 0700);
    std::string dir = base + "/glassbox";
    ::mkdir(dir.c_str(), 0700);
    return dir + "/imgui.ini";
}

// Sends panel requests to the daemon on a worker thread: a stop can take the container's whole
// grace period, and the window must keep drawing meanwhile.
class RequestSender {
public:
    explicit RequestSender(std::string socket_path)
        : m_socket_path(std::move(socket_path))
    {
    }
    ~RequestSender()
    {
        for (auto& worker : m_workers)
            worker.join();
    }
    void send(const UiRequest& request)
    {
        m_workers.emplace_back([this, request] {
            engine::api::Client client(m_socket_path);
            Result<void> result = Ok {};
            switch (request.kind) {
            case UiRequest::Kind::Stop:
                result = client.stop_container(request.container_id, std::nullopt);
                break;
            case UiRequest::Kind::Kill:
                result = client.kill_container(request.container_id, request.signal);
                break;
            case UiRequest::Kind::Remove:
                result = client.remove_container(request.container_id, request.force, false);
                break;
            case UiRequest::Kind::Restart:
                result = client.restart_container(request.container_id, std::nullopt);
                break;
            }
            std::string text = std::string(visualizer::request_kind_name(request.kind)) + " "
                + request.container_id.substr(0, 12) + ": " + (result.ok() ? "ok" : result.error().describe());
            std::fprintf(stderr, "glassbox-viz: %s\n", text.c_str());
            std::lock_guard lock(m_mutex);
            m_last = text;
        });
    }
    std::string last()
    {
        std::lock_guard lock(m_mutex);
        return m_last;
    }

private:
    std::string m_socket_path;
    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::string m_last;
};

Result<void> write_screenshot(const std::string& path, int width, int height)
{
    std::vector<unsigned char> pixels(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL's rows start at the bottom; PNG's at the top.
    stbi_flip_vertically_on_write(1);
    if (!stbi_write_png(path.c_str(), width, height, 3, pixels.data(), width * 3))
        return Error::system("write screenshot " + path + ": stb_image_write failed (is the directory writable?)");
    return Ok {};
}

void glfw_error(int code, const char* description)
{
    std::fprintf(stderr, "glassbox-viz: GLFW error %d: %s\n", code, description);
}

Result<int> run(int argc, char** argv)
{
    auto options = TRY(parse_options(argc, argv));

    // [1] The source. A bad recording fails here, before any window opens.
    std::unique_ptr<visualizer::Source> source;
    visualizer::ReplaySource* replay = nullptr;
    visualizer::LiveSource* live = nullptr;
    if (!options.replay.empty()) {
        auto opened = TRY(visualizer::ReplaySource::open(options.replay));
        replay = opened.get();
        source = std::move(opened);
        if (options.build_step > 0) {
            int position = replay->position_of_build_step(options.build_step);
            if (position < 0)
                return Error::invalid("recording " + options.replay + " has no build step " + std::to_string(options.build_step));
            replay->seek(position);
        } else if (options.seek > 0) {
            replay->seek(options.seek - 1);
        }
    } else {
        auto made = std::make_unique<visualizer::LiveSource>(options.host);
        live = made.get();
        source = std::move(made);
    }

    // [2] The window.
    glfwSetErrorCallback(glfw_error);
    if (!glfwInit())
        return Error::system("cannot open a window: GLFW could not initialise (is DISPLAY set? over SSH use ssh -X)");
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    GLFWwindow* window = glfwCreateWindow(options.width, options.height, "glassbox-viz", nullptr, nullptr);
    if (!window) {
        glfwTerminate();
        return Error::system("cannot open a window: no OpenGL 3.0 context (over SSH, try LIBGL_ALWAYS_SOFTWARE=1)");
    }
    glfwMakeContextCurrent(window);
    glfwSwapInterval(1);
    source->set_on_change([] { glfwPostEmptyEvent(); });

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    // Screenshots must not depend on (or change) the user's saved layout.
    std::string ini = options.screenshot.empty() ? ini_path() : std::string();
    io.IniFilename = ini.empty() ? nullptr : ini.c_str();
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    ImGui_ImplOpenGL3_Init("#version 130");

    AppState state;
    state.font_scale = options.font_scale;
    state.theme = options.high_contrast ? visualizer::Theme::HighContrast : visualizer::Theme::Dark;
    visualizer::apply_theme(state.theme);
    state.source_label = source->label();
    if (const auto* panel = visualizer::find_panel(options.panel)) {
        state.single_panel = true;
        state.focus = panel->id;
    }

    if (live)
        live->start();
    if (replay) {
        replay->start();
        replay->set_playing(options.play);
    }

    // [3] The frame loop.
    RequestSender sender(options.host);
    std::vector<UiRequest> requests;
    std::string title;
    std::string reported_status;
    int frames_drawn = 0;
    int frames_with_data = 0;
    auto started = std::chrono::steady_clock::now();
    int exit_code = 0;
    // Per-frame cost in screenshot mode: process CPU time (llvmpipe's rasteriser threads run in
    // this process, so it counts too; glFinish waits for them) and wall time.
    auto cpu_seconds = [] {
        timespec now {};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
        return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
    };
    double measured_cpu = 0;
    double measured_wall = 0;
    int measured_frames = 0;
    while (!glfwWindowShouldClose(window)) {
        double frame_cpu_start = cpu_seconds();
        double frame_wall_start = visualizer::monotonic_seconds();
        auto frame = source->latest();
        double now = visualizer::monotonic_seconds();
        bool fading = frame->marks && now - frame->changed_at < visualizer::highlight_seconds;
        if (options.screenshot.empty())
            glfwWaitEventsTimeout(fading ? 0.05 : 1.0);
        else
            glfwPollEvents();
        frame = source->latest();

        // The status goes to stderr too, so scripts (and tests) can follow it.
        std::string status = frame->connected ? "connected" : frame->status;
        if (!replay && status != reported_status) {
            std::fprintf(stderr, "glassbox-viz: %s\n", status.c_str());
            reported_status = status;
        }
        std::string wanted_title = "glassbox-viz - " + source->label() + " (" + (frame->connected ? "connected" : "disconnected") + ")";
        if (wanted_title != title) {
            title = wanted_title;
            glfwSetWindowTitle(window, title.c_str());
        }

        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        // Shortcuts: one function key per panel, plus theme, text size and replay keys.
        if (!io.WantTextInput) {
            for (int i = 0; i < visualizer::panel_count; ++i) {
                if (ImGui::IsKeyPressed(GLFW_KEY_F1 + i, false))
                    visualizer::focus_panel(state, visualizer::panel_infos()[static_cast<size_t>(i)].id);
            }
            if (ImGui::IsKeyPressed(GLFW_KEY_F10, false)) {
                state.theme = state.theme == visualizer::Theme::Dark ? visualizer::Theme::HighContrast : visualizer::Theme::Dark;
                visualizer::apply_theme(state.theme);
            }
            if (io.KeyCtrl && (ImGui::IsKeyPressed(GLFW_KEY_EQUAL) || ImGui::IsKeyPressed(GLFW_KEY_KP_ADD)))
                state.font_scale = std::min(state.font_scale + 0.25F, 4.0F);
            if (io.KeyCtrl && (ImGui::IsKeyPressed(GLFW_KEY_MINUS) || ImGui::IsKeyPressed(GLFW_KEY_KP_SUBTRACT)))
                state.font_scale = std::max(state.font_scale - 0.25F, 0.5F);
            if (replay && ImGui::IsKeyPressed(GLFW_KEY_SPACE, false))
                replay->set_playing(!replay->playing());
            if (replay && ImGui::IsKeyPressed(GLFW_KEY_RIGHT))
                replay->seek(replay->position() + 1);
            if (replay && ImGui::IsKeyPressed(GLFW_KEY_LEFT))
                replay->seek(replay->position() - 1);
        }
        state.last_request_result = sender.last();
        visualizer::draw_app(*frame, state, source->timeline(), requests, nullptr, now);
        ImGui::Render();
        int width = 0;
        int height = 0;
        glfwGetFramebufferSize(window, &width, &height);
        glViewport(0, 0, width, height);
        glClearColor(0.08F, 0.08F, 0.1F, 1.0F);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

        // Requests are drained after Render(): panels only queue them.
        for (const auto& request : requests) {
            if (live)
                sender.send(request);
            else
                state.last_request_result = "actions need a live daemon (this is a replay)";
        }
        requests.clear();

        ++frames_drawn;
        if (!options.screenshot.empty()) {
            glFinish();
            // The first frames size windows and lay the graph out; measure the steady ones.
            if (frames_with_data >= 2) {
                measured_cpu += cpu_seconds() - frame_cpu_start;
                measured_wall += visualizer::monotonic_seconds() - frame_wall_start;
                ++measured_frames;
            }
        }
        // A live screenshot waits (up to 10 s) for the first snapshot, so it shows real state.
        bool has_data = replay || frame->snapshot != visualizer::empty_snapshot();
        if (has_data)
            ++frames_with_data;
        if (!options.screenshot.empty()) {
            bool waited_out = std::chrono::steady_clock::now() - started > std::chrono::seconds(10);
            if (frames_with_data >= options.frames || (waited_out && frames_drawn >= options.frames)) {
                auto written = write_screenshot(options.screenshot, width, height);
                if (!written.ok()) {
                    std::fprintf(stderr, "glassbox-viz: %s\n", written.error().describe().c_str());
                    exit_code = 1;
                } else {
                    std::fprintf(stderr, "glassbox-viz: wrote %s (%dx%d, %s)\n", options.screenshot.c_str(), width, height,
                        frame->connected ? "connected" : frame->status.c_str());
                    if (measured_frames > 0)
                        std::fprintf(stderr, "glassbox-viz: %d frames: %.2f ms CPU and %.2f ms wall per frame (goal: at most 16 ms)\n",
                            measured_frames, measured_cpu * 1000 / measured_frames, measured_wall * 1000 / measured_frames);
                    // No data to show is still a screenshot, but not a success.
                    exit_code = has_data ? 0 : 2;
                }
                break;
            }
            if (!has_data)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        glfwSwapBuffers(window);
    }

    if (live)
        live->stop();
    if (replay)
        replay->stop();
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return exit_code;
}

} // namespace

int main(int argc, char** argv)
{
    auto result = run(argc, argv);
    if (!result.ok()) {
        std::fprintf(stderr, "glassbox-viz: %s\n", result.error().describe().c_str());
        return 1;
    }
    return result.value();
}
