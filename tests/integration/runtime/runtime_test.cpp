// Real containers on the real kernel: namespaces, the overlay root, PID 1 and signals, cgroup
// limits, exec, users and capabilities, each proven from /proc and cgroupfs rather than from the
// runtime's own word. Needs root; the whole test binary runs in a private mount namespace, and
// every test unmounts, kills and removes what it made.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/base/strings.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/overlay.h"
#include "engine/runtime/runtime.h"
#include "engine/sys/linux_kernel.h"

namespace engine::runtime {
namespace {

std::string read_all(int fd)
{
    std::string out;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buffer, static_cast<size_t>(n));
    }
    return out;
}

std::string slurp(const std::string& path)
{
    auto text = fs::read_file(path);
    return text.ok() ? text.value() : "";
}

ino_t inode_of(const std::string& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// "Key:\tvalue" from /proc/<pid>/status.
std::string status_field(pid_t pid, const std::string& key)
{
    for (const auto& line : strings::split(slurp("/proc/" + std::to_string(pid) + "/status"), '\n')) {
        if (strings::starts_with(line, key + ":"))
            return strings::trim(line.substr(key.size() + 1));
    }
    return "";
}

// Makes a busybox image layer: /bin/busybox, one symlink per applet, /etc/passwd and /etc/group.
void make_busybox_layer(const std::string& dir)
{
    ASSERT_TRUE(fs::make_dirs(dir + "/bin").ok());
    ASSERT_TRUE(fs::make_dirs(dir + "/etc").ok());
    for (const char* sub : { "/proc", "/sys", "/dev", "/tmp", "/root" })
        ASSERT_TRUE(fs::make_dirs(dir + sub).ok());
    std::string busybox = fs::exists("/bin/busybox") ? "/bin/busybox" : "/usr/bin/busybox";
    auto binary = fs::read_file(busybox);
    ASSERT_TRUE(binary.ok()) << "needs /bin/busybox (busybox-static)";
    ASSERT_TRUE(fs::write_file_atomic(dir + "/bin/busybox", binary.value(), 0755).ok());

    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(pipe_fds[1], 1);
        ::execl(busybox.c_str(), "busybox", "--list", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    std::string list = read_all(pipe_fds[0]);
    ::close(pipe_fds[0]);
    ::waitpid(pid, nullptr, 0);
    for (const auto& applet : strings::split(list, '\n')) {
        if (!applet.empty() && applet != "busybox") {
            ASSERT_EQ(::symlink("busybox", (dir + "/bin/" + applet).c_str()), 0) << applet;
        }
    }
    ASSERT_TRUE(fs::write_file_atomic(dir + "/etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")
                    .ok());
    ASSERT_TRUE(fs::write_file_atomic(dir + "/etc/group", "root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\n").ok());
}

class RuntimeTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::geteuid() != 0)
            return;
        // A private mount namespace for the whole binary: nothing we mount can leak to the host,
        // even if a test dies half-way.
        if (::unshare(CLONE_NEWNS) == 0)
            ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
        (void)become_subreaper();
    }

    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (CAP_SYS_ADMIN)";
        char pattern[] = "/tmp/gb-runtime-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        make_busybox_layer(m_dir + "/layer0");
        ASSERT_TRUE(fs::make_dirs(m_dir + "/layer1/etc").ok());
        ASSERT_TRUE(fs::write_file_atomic(m_dir + "/layer1/etc/layer", "1\n").ok());

        m_spec.id = strings::random_hex_id();
        m_spec.hostname = "box" + m_spec.id.substr(0, 6);
        m_spec.lower_dirs = { m_dir + "/layer0", m_dir + "/layer1" };
        m_spec.upper_dir = m_dir + "/upper";
        m_spec.work_dir = m_dir + "/work";
        m_spec.rootfs = m_dir + "/rootfs";
        m_spec.cgroup_name = "glassbox-test/" + m_spec.id.substr(0, 16);
        m_spec.process.env = { "PATH=/bin" };
        m_spec.process.capabilities = default_capabilities();
        m_spec.masked_paths = default_masked_paths();
        m_spec.readonly_paths = default_readonly_paths();
        ASSERT_TRUE(mount_rootfs(kernel(), m_spec).ok());
    }

    void TearDown() override
    {
        // Kill everything first, then reap exec'd processes before a container's PID 1: PID 1
        // of a namespace cannot finish exiting until every other member has been reaped.
        for (pid_t pid : m_pids)
            ::kill(pid, SIGKILL);
        for (auto it = m_pids.rbegin(); it != m_pids.rend(); ++it)
            ::waitpid(*it, nullptr, 0);
        if (m_dir.empty())
            return;
        auto cgroup = Cgroup::for_name(m_spec.cgroup_name);
        cgroup.kill_all(kernel());
        EXPECT_TRUE(cgroup.remove(kernel()).ok());
        for (const auto& path : cgroup.paths()) {
            EXPECT_FALSE(fs::exists(path)) << path;
            ::rmdir(path.substr(0, path.rfind('/')).c_str()); // "glassbox-test", if now empty.
        }
        EXPECT_TRUE(unmount_rootfs(kernel(), m_spec).ok());
        EXPECT_TRUE(fs::remove_tree(m_dir).ok());
    }

    static sys::Kernel& kernel() { return sys::linux_kernel(); }

    StartedProcess start(std::vector<std::string> args)
    {
        m_spec.process.args = std::move(args);
        auto started = start_container(kernel(), m_spec);
        EXPECT_TRUE(started.ok()) << started.error().describe();
        if (!started.ok())
            return {};
        m_pids.push_back(started.value().pid);
        return started.release_value();
    }

    // Runs to completion; returns {exit code, stdout}.
    std::pair<int, std::string> run(std::vector<std::string> args)
    {
        auto started = start(std::move(args));
        if (started.pid <= 0)
            return { -1, "" };
        std::string out = read_all(started.stdout_fd.get());
        int code = wait_for_exit(started.pid);
        std::erase(m_pids, started.pid);
        return { code, out };
    }

    // exec_in_container with the container's capabilities and glassbox-init from the build,
    // which forks every exec'd process into the container.
    // `init` replaces glassbox-init from the build when given.
    Result<StartedProcess> try_exec(pid_t container_pid, ProcessSpec process, std::string init = "")
    {
        process.capabilities = default_capabilities();
        const char* build = std::getenv("GLASSBOX_BUILD_DIR");
        if (build == nullptr)
            return Error::invalid("GLASSBOX_BUILD_DIR is not set (run through ctest)");
        m_spec.init_path = init.empty() ? std::string(build) + "/bin/glassbox-init" : init;
        return exec_in_container(kernel(), m_spec, container_pid, process);
    }

    // An exec whose glassbox-init is misbehaving_init.c, acting out what a tracer in the
    // container could make the real one do: `mode` and its arguments follow "sh".
    Result<StartedProcess> exec_with_misbehaving_init(pid_t container_pid, std::vector<std::string> mode,
        std::chrono::milliseconds start_timeout)
    {
        ProcessSpec process;
        process.args = { "sh" };
        process.args.insert(process.args.end(), mode.begin(), mode.end());
        process.start_timeout = start_timeout;
        return try_exec(container_pid, process, MISBEHAVING_INIT);
    }

    // An exec into the running container whose PID 1 is `container_pid`, killed at TearDown.
    StartedProcess exec(pid_t container_pid, ProcessSpec process)
    {
        auto started = try_exec(container_pid, std::move(process));
        EXPECT_TRUE(started.ok()) << started.error().describe();
        if (!started.ok())
            return {};
        m_pids.push_back(started.value().pid);
        return started.release_value();
    }

    bool alive(pid_t pid)
    {
        int status = 0;
        return ::waitpid(pid, &status, WNOHANG) == 0;
    }

    std::string m_dir;
    ContainerSpec m_spec;
    std::vector<pid_t> m_pids;
};

TEST_F(RuntimeTest, NamespacesDifferFromTheHost)
{
    auto started = start({ "sleep", "100" });
    ASSERT_GT(started.pid, 0);

    for (const char* ns : { "mnt", "uts", "ipc", "pid", "net", "cgroup" }) {
        auto mine = inode_of(std::string("/proc/self/ns/") + ns);
        auto theirs = inode_of("/proc/" + std::to_string(started.pid) + "/ns/" + ns);
        EXPECT_NE(theirs, 0u) << ns;
        EXPECT_NE(mine, theirs) << ns;
    }
}

TEST_F(RuntimeTest, RootIsTheOverlayWithLowerdirsTopMostFirst)
{
    auto started = start({ "sleep", "100" });
    ASSERT_GT(started.pid, 0);

    std::string root_line;
    for (const auto& line : strings::split(slurp("/proc/" + std::to_string(started.pid) + "/mountinfo"), '\n')) {
        auto fields = strings::split(line, ' ');
        if (fields.size() > 4 && fields[4] == "/")
            root_line = line;
    }
    EXPECT_NE(root_line.find(" - overlay "), std::string::npos) << root_line;
    EXPECT_NE(root_line.find("lowerdir=" + m_dir + "/layer1:" + m_dir + "/layer0,"), std::string::npos) << root_line;
}

TEST_F(RuntimeTest, ProcessIsPid1InItsOwnPidNamespace)
{
    auto started = start({ "sleep", "100" });
    ASSERT_GT(started.pid, 0);

    EXPECT_EQ(status_field(started.pid, "NSpid"), std::to_string(started.pid) + "\t1");
}

TEST_F(RuntimeTest, SeesItsOwnHostnameFilesAndProc)
{
    auto [code, out] = run({ "sh", "-c", "hostname; cat /etc/layer; echo $$; ls /dev/null /dev/pts/ptmx; cat /proc/kcore | wc -c" });

    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, m_spec.hostname + "\n1\n1\n/dev/null\n/dev/pts/ptmx\n0\n");
}

TEST_F(RuntimeTest, Pid1IgnoresSigtermAndDiesOfSigkill)
{
    auto started = start({ "sleep", "100" });
    ASSERT_GT(started.pid, 0);

    ::kill(started.pid, SIGTERM);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_TRUE(alive(started.pid));
    ::kill(started.pid, SIGKILL);
    EXPECT_EQ(wait_for_exit(started.pid), 137);
    std::erase(m_pids, started.pid);
}

TEST_F(RuntimeTest, InitForwardsSigtermToTheCommand)
{
    const char* build = std::getenv("GLASSBOX_BUILD_DIR");
    if (build == nullptr)
        GTEST_SKIP() << "GLASSBOX_BUILD_DIR is not set (run through ctest)";
    m_spec.init = true;
    m_spec.init_path = std::string(build) + "/bin/glassbox-init";
    auto started = start({ "sleep", "100" });
    ASSERT_GT(started.pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // Let init fork the command.

    auto before = std::chrono::steady_clock::now();
    ::kill(started.pid, SIGTERM);
    int code = wait_for_exit(started.pid);
    auto took = std::chrono::steady_clock::now() - before;
    std::erase(m_pids, started.pid);

    EXPECT_EQ(code, 128 + SIGTERM);
    EXPECT_LT(took, std::chrono::milliseconds(500));
}

TEST_F(RuntimeTest, InitReapsOrphansAndReturnsTheCommandsExitCode)
{
    const char* build = std::getenv("GLASSBOX_BUILD_DIR");
    if (build == nullptr)
        GTEST_SKIP() << "GLASSBOX_BUILD_DIR is not set (run through ctest)";
    m_spec.init = true;
    m_spec.init_path = std::string(build) + "/bin/glassbox-init";

    // `true` is orphaned when its subshell exits and reparented to PID 1: init must reap it, so
    // no process in the namespace is left a zombie ("Z" in /proc/<pid>/stat).
    auto [code, out] = run({ "sh", "-c", "(true &); sleep 0.5; cat /proc/[0-9]*/stat | grep -c ') Z '; cat /proc/1/comm; exit 7" });

    EXPECT_EQ(code, 7);
    EXPECT_EQ(out, "0\nglassbox-init\n");
}

TEST_F(RuntimeTest, MemoryLimitOomKillsAndIsCounted)
{
    m_spec.resources.memory_bytes = 32 * 1024 * 1024;
    auto [code, out] = run({ "dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1" });

    EXPECT_EQ(code, 137);
    auto stats = Cgroup::for_name(m_spec.cgroup_name).stats(kernel());
    EXPECT_GT(stats.oom_kills, 0);
    EXPECT_EQ(stats.memory_limit, 32 * 1024 * 1024);
}

TEST_F(RuntimeTest, PidsLimitStopsForks)
{
    m_spec.resources.pids_limit = 5;
    auto started = start({ "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait" });
    ASSERT_GT(started.pid, 0);
    std::string err = read_all(started.stderr_fd.get());
    wait_for_exit(started.pid);
    std::erase(m_pids, started.pid);

    EXPECT_NE(err.find("fork"), std::string::npos) << err;
    EXPECT_EQ(Cgroup::for_name(m_spec.cgroup_name).stats(kernel()).pids_limit, 5);
}

TEST_F(RuntimeTest, ExecJoinsTheContainersNamespaces)
{
    auto container = start({ "sleep", "100" });
    ASSERT_GT(container.pid, 0);
    ProcessSpec process;
    process.args = { "sh", "-c", "hostname; sleep 100" };

    auto exec = this->exec(container.pid, process);
    ASSERT_GT(exec.pid, 0);
    char line[256] = {};
    ASSERT_GT(::read(exec.stdout_fd.get(), line, sizeof(line) - 1), 0);

    EXPECT_EQ(std::string(line), m_spec.hostname + "\n");
    for (const char* ns : { "mnt", "uts", "ipc", "pid", "net", "cgroup" }) {
        EXPECT_EQ(inode_of("/proc/" + std::to_string(exec.pid) + "/ns/" + ns),
            inode_of("/proc/" + std::to_string(container.pid) + "/ns/" + ns))
            << ns;
    }
    EXPECT_NE(status_field(exec.pid, "NSpid").find('\t'), std::string::npos);
}

TEST_F(RuntimeTest, MissingCommandGivesDockersError)
{
    m_spec.process.args = { "nope" };

    auto started = start_container(kernel(), m_spec);

    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().message(), "exec: \"nope\": executable file not found in $PATH");
    EXPECT_EQ(start_error_exit_code(started.error()), 127);
    auto cgroup = Cgroup::for_name(m_spec.cgroup_name);
    for (const auto& path : cgroup.paths())
        EXPECT_FALSE(fs::exists(path)) << path;
}

TEST_F(RuntimeTest, ExecFailuresKeepDockersWordingAndSetupFailuresNameTheContainer)
{
    auto container = start({ "sleep", "100" });
    ASSERT_GT(container.pid, 0);
    // Passes the PATH lookup (a regular file with x bits) but execve(2) refuses it: glassbox-init's
    // fork reports only the errno, the daemon words it.
    ASSERT_TRUE(fs::write_file_atomic(m_spec.rootfs + "/garbage", std::string("\x01\x02 not a program\n"), 0755).ok());
    struct Case {
        std::vector<std::string> args;
        std::string message;
        int exit_code;
    };
    for (const auto& [args, message, exit_code] : std::vector<Case> {
             { { "nope" }, "exec: \"nope\": executable file not found in $PATH", 127 },
             { { "/nope" }, "exec: \"/nope\": stat /nope: no such file or directory", 127 },
             { { "/etc/passwd" }, "exec: \"/etc/passwd\": permission denied", 126 },
             { { "/garbage" }, "exec: \"/garbage\": exec format error", 125 } }) {
        ProcessSpec process;
        process.args = args;
        auto started = try_exec(container.pid, process);
        ASSERT_FALSE(started.ok()) << args[0];
        EXPECT_EQ(started.error().message(), message);
        EXPECT_EQ(start_error_exit_code(started.error()), exit_code) << message;
    }
    ProcessSpec process;
    process.args = { "true" };
    process.cwd = "/no/such/dir";
    auto started = try_exec(container.pid, process);
    ASSERT_FALSE(started.ok());
    EXPECT_TRUE(strings::starts_with(started.error().message(), "exec in container " + m_spec.id.substr(0, 12) + ": chdir"))
        << started.error().message();
    EXPECT_TRUE(alive(container.pid));
}

// The host PIDs in the container's cgroup, as the kernel lists them.
std::vector<std::string> cgroup_members(const ContainerSpec& spec)
{
    auto paths = Cgroup::for_name(spec.cgroup_name).paths();
    std::vector<std::string> members;
    for (const auto& pid : strings::split(paths.empty() ? "" : slurp(paths.front() + "/cgroup.procs"), '\n')) {
        if (!pid.empty())
            members.push_back(pid);
    }
    return members;
}

TEST_F(RuntimeTest, ExecRejectsAPidReportNamingTheContainersPid1OrANonChild)
{
    auto container = start({ "sleep", "100" });
    ASSERT_GT(container.pid, 0);

    // PID 1 is the daemon's child in the container's PID namespace too: only its PID gives it away.
    auto forged = exec_with_misbehaving_init(container.pid, { "forge", std::to_string(container.pid) },
        std::chrono::seconds(30));
    ASSERT_FALSE(forged.ok());
    EXPECT_EQ(forged.error().message(), "exec in container " + m_spec.id.substr(0, 12) + ": the PID report named process "
            + std::to_string(container.pid) + ", which is the container's PID 1");
    auto host = exec_with_misbehaving_init(container.pid, { "forge", std::to_string(::getpid()) },
        std::chrono::seconds(30));
    ASSERT_FALSE(host.ok());
    EXPECT_NE(host.error().message().find("which is not the daemon's child in the container's PID namespace"),
        std::string::npos)
        << host.error().message();

    EXPECT_TRUE(alive(container.pid));
    EXPECT_EQ(status_field(container.pid, "State").substr(0, 1), "S");
}

TEST_F(RuntimeTest, ExecWhoseInitStopsBeforeReportingTimesOutAndKillsWhatItForked)
{
    auto container = start({ "sleep", "100" });
    ASSERT_GT(container.pid, 0);

    auto began = std::chrono::steady_clock::now();
    auto stopped = exec_with_misbehaving_init(container.pid, { "stop-before-report" }, std::chrono::milliseconds(300));
    auto took = std::chrono::steady_clock::now() - began;

    ASSERT_FALSE(stopped.ok());
    EXPECT_EQ(stopped.error().message(), "exec in container " + m_spec.id.substr(0, 12)
            + ": \"sh\" did not start within 300ms (glassbox-init did not report its PID; stopped or hung before its "
              "execve?); killed it");
    EXPECT_LT(took, std::chrono::seconds(10));
    // The stopped init and the child it forked are gone: only PID 1 is left in the cgroup.
    EXPECT_EQ(cgroup_members(m_spec), std::vector<std::string> { std::to_string(container.pid) });
    EXPECT_TRUE(alive(container.pid));
}

TEST_F(RuntimeTest, ExecStoppedBeforeItsExecveTimesOutAndIsKilled)
{
    auto container = start({ "sleep", "100" });
    ASSERT_GT(container.pid, 0);

    auto stopped = exec_with_misbehaving_init(container.pid, { "stop-before-exec" }, std::chrono::milliseconds(300));

    ASSERT_FALSE(stopped.ok());
    EXPECT_EQ(stopped.error().message(), "exec in container " + m_spec.id.substr(0, 12)
            + ": \"sh\" did not start within 300ms (it did not reach its execve; stopped or hung before its execve?); "
              "killed it");
    EXPECT_EQ(cgroup_members(m_spec), std::vector<std::string> { std::to_string(container.pid) });
    EXPECT_TRUE(alive(container.pid));
}

TEST_F(RuntimeTest, UserNobodyRunsAsUid65534)
{
    m_spec.process.user = "nobody";
    auto [code, out] = run({ "id" });

    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");
}

TEST_F(RuntimeTest, RootGetsSupplementaryGroupsFromEtcGroup)
{
    auto [code, out] = run({ "id" });

    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n");
}

TEST_F(RuntimeTest, BoundingSetIsDockersDefault)
{
    auto started = start({ "sleep", "100" });
    ASSERT_GT(started.pid, 0);
    auto mask = capability_mask(default_capabilities());
    ASSERT_TRUE(mask.ok());
    char expected[32];
    std::snprintf(expected, sizeof(expected), "%016llx", static_cast<unsigned long long>(mask.value()));

    EXPECT_EQ(status_field(started.pid, "CapBnd"), expected);
    EXPECT_EQ(status_field(started.pid, "CapEff"), expected);
    EXPECT_EQ(status_field(started.pid, "CapInh"), "0000000000000000");
}

TEST_F(RuntimeTest, CgroupIsGoneAfterRemove)
{
    auto started = start({ "sleep", "100" });
    ASSERT_GT(started.pid, 0);
    auto cgroup = Cgroup::for_name(m_spec.cgroup_name);
    EXPECT_TRUE(fs::exists(cgroup.paths().front()));

    cgroup.kill_all(kernel());
    EXPECT_EQ(wait_for_exit(started.pid), 137);
    std::erase(m_pids, started.pid);
    ASSERT_TRUE(cgroup.remove(kernel()).ok());

    for (const auto& path : cgroup.paths())
        EXPECT_FALSE(fs::exists(path)) << path;
}

TEST_F(RuntimeTest, TtyProcessSeesATerminal)
{
    m_spec.process.tty = true;
    m_spec.process.console_rows = 33;
    m_spec.process.console_cols = 101;
    auto started = start({ "sh", "-c", "stty size; test -t 0 && echo tty" });
    ASSERT_GT(started.pid, 0);
    std::string out = read_all(started.pty_master.get()); // EIO at the end ends the read.
    EXPECT_EQ(wait_for_exit(started.pid), 0);
    std::erase(m_pids, started.pid);

    EXPECT_NE(out.find("33 101"), std::string::npos) << out;
    EXPECT_NE(out.find("tty"), std::string::npos) << out;
}

// The pty comes from the container's own devpts: the name "tty" prints exists inside, and
// /dev/console is that same terminal (a read-only root must not get in the way).
TEST_F(RuntimeTest, TtyIsFromTheContainersDevptsAndIsTheConsole)
{
    m_spec.readonly_rootfs = true;
    m_spec.process.tty = true;
    m_spec.process.console_rows = 40;
    m_spec.process.console_cols = 120;
    auto started = start({ "sh", "-c",
        "tty; stty size; t=$(tty); test -c \"$t\" && echo exists;"
        "test -c /dev/console && stat -c 'console %t:%T' /dev/console && stat -c 'slave %t:%T' \"$t\";"
        "echo $(ls /dev/pts)" });
    ASSERT_GT(started.pid, 0);
    std::string out = read_all(started.pty_master.get());
    EXPECT_EQ(wait_for_exit(started.pid), 0);
    std::erase(m_pids, started.pid);

    auto lines = strings::split(out, '\n');
    for (auto& line : lines)
        line = strings::trim(line); // The terminal turns "\n" into "\r\n".
    ASSERT_GE(lines.size(), 6u) << out;
    EXPECT_EQ(lines[0], "/dev/pts/0") << out;
    EXPECT_EQ(lines[1], "40 120") << out;
    EXPECT_EQ(lines[2], "exists") << out;
    ASSERT_TRUE(strings::starts_with(lines[3], "console ")) << out;
    ASSERT_TRUE(strings::starts_with(lines[4], "slave ")) << out;
    EXPECT_EQ(lines[3].substr(8), lines[4].substr(6)) << out; // Same major:minor.
    EXPECT_EQ(lines[5], "0 ptmx") << out; // Only our pair in the container's instance.
}

TEST_F(RuntimeTest, ExecWithTtyGetsAPtyFromTheContainersDevpts)
{
    auto container = start({ "sleep", "100" });
    ASSERT_GT(container.pid, 0);
    ProcessSpec process;
    process.args = { "sh", "-c", "t=$(tty); echo $t; test -c \"$t\" && echo exists; stty size" };
    process.tty = true;
    process.console_rows = 20;
    process.console_cols = 70;

    auto exec = this->exec(container.pid, process);
    ASSERT_GT(exec.pid, 0);
    ASSERT_TRUE(exec.pty_master.valid());
    std::string out = read_all(exec.pty_master.get());
    EXPECT_EQ(wait_for_exit(exec.pid), 0);
    std::erase(m_pids, exec.pid);

    EXPECT_EQ(out, "/dev/pts/0\r\nexists\r\n20 70\r\n");
}

TEST_F(RuntimeTest, TtyOfANonRootUserIsTheirs)
{
    m_spec.process.tty = true;
    m_spec.process.user = "nobody";
    auto started = start({ "sh", "-c", "stat -c %u $(tty); echo hi > $(tty)" });
    ASSERT_GT(started.pid, 0);
    std::string out = read_all(started.pty_master.get());
    EXPECT_EQ(wait_for_exit(started.pid), 0);
    std::erase(m_pids, started.pid);

    EXPECT_EQ(out, "65534\r\nhi\r\n");
}

TEST_F(RuntimeTest, MountsReadonlyRootfsAndMaskedPathsHold)
{
    ASSERT_TRUE(fs::make_dirs(m_dir + "/data").ok());
    ASSERT_TRUE(fs::make_dirs(m_dir + "/ro").ok());
    m_spec.mounts.push_back({ .type = MountEntry::Type::Bind, .source = m_dir + "/data", .destination = "/data", .read_only = false, .options = "" });
    m_spec.mounts.push_back({ .type = MountEntry::Type::Bind, .source = m_dir + "/ro", .destination = "/deep/ro", .read_only = true, .options = "" });
    m_spec.mounts.push_back({ .type = MountEntry::Type::Tmpfs, .source = "", .destination = "/scratch", .read_only = false, .options = "size=1m" });
    m_spec.readonly_rootfs = true;
    m_spec.process.cwd = "/work/here";

    auto [code, out] = run({ "sh", "-c",
        "pwd; echo hi > /data/x && cat /data/x; echo ok > /scratch/s && cat /scratch/s;"
        "touch /deep/ro/y 2>/dev/null && echo ro-writable; touch /etc/z 2>/dev/null && echo root-writable;"
        "echo x > /proc/sys/kernel/domainname 2>/dev/null && echo procsys-writable;"
        "cat /proc/keys | wc -c; test -r /sys/fs/cgroup/cgroup.procs && echo cgroup-readable" });

    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "/work/here\nhi\nok\n0\ncgroup-readable\n");
    EXPECT_EQ(slurp(m_dir + "/data/x"), "hi\n");
    EXPECT_FALSE(fs::exists(m_dir + "/ro/y"));
}

TEST_F(RuntimeTest, MountDestinationSymlinkCannotEscapeTheRootfs)
{
    // An image whose /evil points at a host path: the mount must land inside the rootfs.
    std::string outside = m_dir + "/outside";
    ASSERT_EQ(::symlink(outside.c_str(), (m_dir + "/layer1/evil").c_str()), 0);
    ASSERT_TRUE(unmount_rootfs(kernel(), m_spec).ok()); // Remount so the new file shows.
    ASSERT_TRUE(mount_rootfs(kernel(), m_spec).ok());
    m_spec.mounts.push_back({ .type = MountEntry::Type::Tmpfs, .source = "", .destination = "/evil/sub", .read_only = false, .options = "size=1m" });

    auto [code, out] = run({ "sh", "-c", "echo in > /evil/sub/f && cat " + outside + "/sub/f" });

    EXPECT_EQ(code, 0);
    EXPECT_EQ(out, "in\n");
    EXPECT_FALSE(fs::exists(outside));
}

TEST_F(RuntimeTest, DetachedRootfsLeavesTheMountTableButLivesUntilItsDescriptorIsClosed)
{
    auto [code, out] = run({ "sh", "-c", "echo kept > /written" });
    ASSERT_EQ(code, 0) << out;

    auto held = detach_rootfs(kernel(), m_spec);
    ASSERT_TRUE(held.ok()) << held.error().describe();
    ASSERT_TRUE(held.value().valid());
    // Gone from the mount table: the directory is empty and can be removed, as --rm does next.
    EXPECT_EQ(slurp("/proc/self/mountinfo").find(" " + m_spec.rootfs + " "), std::string::npos);
    EXPECT_FALSE(fs::exists(m_spec.rootfs + "/etc/layer"));
    // Still the overlay through the descriptor: the layers and what the container wrote.
    UniqueFd layer(::openat(held.value().get(), "etc/layer", O_RDONLY | O_CLOEXEC));
    UniqueFd written(::openat(held.value().get(), "written", O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(layer.valid());
    EXPECT_TRUE(written.valid());
    layer.reset();
    written.reset();
    held.value().reset();

    // Nothing is mounted there any more, so a second detach has nothing to hold.
    auto again = detach_rootfs(kernel(), m_spec);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again.value().valid());
}

TEST_F(RuntimeTest, StdinPipeReachesTheProcess)
{
    m_spec.process.open_stdin = true;
    auto started = start({ "cat" });
    ASSERT_GT(started.pid, 0);

    ASSERT_EQ(::write(started.stdin_fd.get(), "hello\n", 6), 6);
    started.stdin_fd.reset();
    std::string out = read_all(started.stdout_fd.get());

    EXPECT_EQ(out, "hello\n");
    EXPECT_EQ(wait_for_exit(started.pid), 0);
    std::erase(m_pids, started.pid);
}

TEST_F(RuntimeTest, JoinsAGivenNetworkNamespaceOrTheHosts)
{
    auto first = start({ "sleep", "100" });
    ASSERT_GT(first.pid, 0);
    std::string first_net = "/proc/" + std::to_string(first.pid) + "/ns/net";
    ContainerSpec second = m_spec;
    second.id = strings::random_hex_id();
    second.cgroup_name = "glassbox-test/" + second.id.substr(0, 16);
    second.netns_path = first_net;
    second.process.args = { "sleep", "100" };
    ContainerSpec host = second;
    host.id = strings::random_hex_id();
    host.cgroup_name = "glassbox-test/" + host.id.substr(0, 16);
    host.netns_path = "host";
    host.process.args = { "sh", "-c", "ls /sys/class/net/lo >/dev/null && echo sys-ok" };

    auto joined = start_container(kernel(), second);
    ASSERT_TRUE(joined.ok()) << joined.error().describe();
    m_pids.insert(m_pids.begin(), joined.value().pid);
    auto on_host = start_container(kernel(), host);
    ASSERT_TRUE(on_host.ok()) << on_host.error().describe();
    std::string host_out = read_all(on_host.value().stdout_fd.get());
    EXPECT_EQ(wait_for_exit(on_host.value().pid), 0);

    EXPECT_EQ(inode_of("/proc/" + std::to_string(joined.value().pid) + "/ns/net"), inode_of(first_net));
    EXPECT_EQ(inode_of("/proc/" + std::to_string(on_host.value().pid) + "/ns/net"), 0u); // Reaped.
    EXPECT_EQ(host_out, "sys-ok\n");
    ::kill(joined.value().pid, SIGKILL);
    EXPECT_EQ(wait_for_exit(joined.value().pid), 137);
    std::erase(m_pids, joined.value().pid);
    for (const auto* spec : { &second, &host })
        EXPECT_TRUE(Cgroup::for_name(spec->cgroup_name).remove(kernel()).ok());
}

} // namespace
} // namespace engine::runtime
