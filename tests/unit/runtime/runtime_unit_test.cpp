// The runtime's pure parts: signal names, capability sets, the overlay option string, user
// resolution, the PATH lookup and its Docker wording, and mount_rootfs against an in-memory
// kernel.
#include <csignal>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/base/fs.h"
#include "engine/runtime/capabilities.h"
#include "engine/runtime/command.h"
#include "engine/runtime/overlay.h"
#include "engine/runtime/runtime.h"
#include "engine/runtime/user.h"
#include "tests/unit/runtime/recording_kernel.h"

namespace engine::runtime {
namespace {

TEST(SignalTest, ParsesNamesWithAndWithoutPrefixAndNumbers)
{
    EXPECT_EQ(parse_signal("TERM").value(), SIGTERM);
    EXPECT_EQ(parse_signal("SIGKILL").value(), SIGKILL);
    EXPECT_EQ(parse_signal("sighup").value(), SIGHUP);
    EXPECT_EQ(parse_signal("9").value(), 9);
    EXPECT_EQ(parse_signal("RTMIN+2").value(), SIGRTMIN + 2);
    EXPECT_EQ(parse_signal("SIGRTMAX-1").value(), SIGRTMAX - 1);
}

TEST(SignalTest, RejectsUnknownNamesAndOutOfRangeNumbersNamingThem)
{
    for (const char* bad : { "", "NOPE", "0", "65", "-9", "RTMIN+99", "RTMIN-1" }) {
        auto result = parse_signal(bad);
        ASSERT_FALSE(result.ok()) << bad;
        EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_NE(result.error().message().find(bad), std::string::npos);
    }
}

TEST(SignalTest, NamesRoundTrip)
{
    EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
    EXPECT_EQ(signal_name(SIGWINCH), "SIGWINCH");
    for (int signal = 1; signal < 32; ++signal)
        EXPECT_EQ(parse_signal(signal_name(signal)).value(), signal) << signal;
}

TEST(CapabilityTest, DefaultSetIsDockersFourteen)
{
    const auto& caps = default_capabilities();

    EXPECT_EQ(caps.size(), 14u);
    auto mask = capability_mask(caps);
    ASSERT_TRUE(mask.ok());
    // CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW
    // SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP: the CapBnd value `docker run` shows.
    EXPECT_EQ(mask.value(), 0x00000000a80425fbULL);
}

TEST(CapabilityTest, NamesAndNumbers)
{
    EXPECT_EQ(capability_number("CAP_CHOWN").value(), 0);
    EXPECT_EQ(capability_number("net_admin").value(), 12);
    EXPECT_EQ(capability_number("SYS_ADMIN").value(), 21);
    EXPECT_EQ(capability_name(40), "CAP_CHECKPOINT_RESTORE");
    auto bad = capability_number("CAP_FLY");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("CAP_FLY"), std::string::npos);
    EXPECT_EQ(all_capabilities().size(), static_cast<size_t>(last_capability() + 1));
}

TEST(CapabilityTest, DefaultMaskedAndReadonlyPathsAreDockers)
{
    const auto& masked = default_masked_paths();
    const auto& readonly = default_readonly_paths();

    for (const char* path : { "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/scsi" })
        EXPECT_NE(std::find(masked.begin(), masked.end(), path), masked.end()) << path;
    EXPECT_EQ(readonly, (std::vector<std::string> { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" }));
}

ContainerSpec overlay_spec()
{
    ContainerSpec spec;
    spec.lower_dirs = { "/layers/base", "/layers/middle", "/layers/top" };
    spec.upper_dir = "/c/upper";
    spec.work_dir = "/c/work";
    spec.rootfs = "/c/rootfs";
    return spec;
}

TEST(OverlayTest, LowerdirsAreTopMostFirst)
{
    auto options = overlay_mount_options(overlay_spec());

    ASSERT_TRUE(options.ok());
    EXPECT_EQ(options.value(), "lowerdir=/layers/top:/layers/middle:/layers/base,upperdir=/c/upper,workdir=/c/work");
}

TEST(OverlayTest, RefusesOptionsLongerThanAPageAndSeparatorsInPaths)
{
    auto spec = overlay_spec();
    spec.lower_dirs.assign(200, "/var/lib/glassbox/layers/0123456789abcdef0123456789abcdef");
    auto too_long = overlay_mount_options(spec);
    auto comma = overlay_spec();
    comma.upper_dir = "/c/up,per";
    auto empty = overlay_spec();
    empty.lower_dirs.clear();

    ASSERT_FALSE(too_long.ok());
    EXPECT_NE(too_long.error().message().find("limit"), std::string::npos);
    ASSERT_FALSE(overlay_mount_options(comma).ok());
    EXPECT_NE(overlay_mount_options(comma).error().message().find("upper_dir"), std::string::npos);
    ASSERT_FALSE(overlay_mount_options(empty).ok());
}

TEST(OverlayTest, MountRootfsMountsOnceAndUnmountsWhatIsMounted)
{
    testing::RecordingKernel kernel;
    kernel.dirs = { "", "/c" };
    auto spec = overlay_spec();

    ASSERT_TRUE(mount_rootfs(kernel, spec).ok());
    kernel.files["/proc/self/mountinfo"] = "40 1 0:50 / /c/rootfs rw,relatime - overlay overlay rw,lowerdir=/layers/top\n";
    ASSERT_TRUE(mount_rootfs(kernel, spec).ok());
    ASSERT_TRUE(unmount_rootfs(kernel, spec).ok());

    ASSERT_EQ(kernel.mounts.size(), 1u);
    EXPECT_EQ(kernel.mounts[0].fstype, "overlay");
    EXPECT_EQ(kernel.mounts[0].target, "/c/rootfs");
    EXPECT_EQ(kernel.mounts[0].data, overlay_mount_options(spec).value());
    EXPECT_EQ(kernel.unmounted, std::vector<std::string> { "/c/rootfs" });
}

constexpr const char* k_passwd = "root:x:0:0:root:/root:/bin/sh\n"
                                 "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                                 "nobody:x:65534:65534:nobody:/home:/bin/false\n";
constexpr const char* k_group = "root:x:0:\nwheel:x:10:root,daemon\nstaff:x:50:daemon\nnogroup:x:65534:\n";

TEST(UserTest, ResolvesNamesNumbersAndGroups)
{
    auto root = resolve_user("", k_passwd, k_group).value();
    auto daemon = resolve_user("daemon", k_passwd, k_group).value();
    auto numeric = resolve_user("1234", k_passwd, k_group).value();
    auto with_group = resolve_user("nobody:staff", k_passwd, k_group).value();
    auto numbers = resolve_user("1:2", "", "").value();

    EXPECT_EQ(root.uid, 0u);
    EXPECT_EQ(root.supplementary_groups, (std::vector<gid_t> { 0, 10 }));
    EXPECT_EQ(root.home, "/root");
    EXPECT_EQ(daemon.uid, 1u);
    EXPECT_EQ(daemon.gid, 1u);
    EXPECT_EQ(daemon.supplementary_groups, (std::vector<gid_t> { 1, 10, 50 }));
    EXPECT_EQ(numeric.uid, 1234u);
    EXPECT_EQ(numeric.gid, 0u);
    EXPECT_EQ(with_group.uid, 65534u);
    EXPECT_EQ(with_group.gid, 50u);
    EXPECT_EQ(numbers.uid, 1u);
    EXPECT_EQ(numbers.gid, 2u);
}

TEST(UserTest, UnknownNamesUseDockersWording)
{
    auto user = resolve_user("ghost", k_passwd, k_group);
    auto group = resolve_user("root:ghosts", k_passwd, k_group);

    ASSERT_FALSE(user.ok());
    EXPECT_EQ(user.error().message(), "unable to find user ghost: no matching entries in passwd file");
    ASSERT_FALSE(group.ok());
    EXPECT_EQ(group.error().message(), "unable to find group ghosts: no matching entries in group file");
    EXPECT_FALSE(resolve_user("root:", k_passwd, k_group).ok());
}

class CommandTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/gb-runtime-unit-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        ASSERT_TRUE(fs::make_dirs(m_dir + "/a").ok());
        ASSERT_TRUE(fs::make_dirs(m_dir + "/b").ok());
        ASSERT_TRUE(fs::write_file_atomic(m_dir + "/a/tool", "data", 0644).ok()); // Not executable.
        ASSERT_TRUE(fs::write_file_atomic(m_dir + "/b/tool", "#!/bin/sh\n", 0755).ok());
    }
    void TearDown() override { EXPECT_TRUE(fs::remove_tree(m_dir).ok()); }

    std::string m_dir;
};

TEST_F(CommandTest, PathLookupSkipsNonExecutablesAndUsesDockersWording)
{
    std::string path = m_dir + "/a:" + m_dir + "/b";

    EXPECT_EQ(look_up_command("tool", path).value(), m_dir + "/b/tool");
    EXPECT_EQ(look_up_command("nope", path).error().message(), "exec: \"nope\": executable file not found in $PATH");
    EXPECT_EQ(look_up_command(m_dir + "/a/tool", path).error().message(),
        "exec: \"" + m_dir + "/a/tool\": permission denied");
    EXPECT_EQ(look_up_command("/nope", path).error().message(), "exec: \"/nope\": stat /nope: no such file or directory");
    EXPECT_EQ(start_error_exit_code(look_up_command("nope", path).error()), 127);
    EXPECT_EQ(start_error_exit_code(look_up_command(m_dir + "/a/tool", path).error()), 126);
    EXPECT_EQ(env_value({ "A=1", "PATH=/x" }, "PATH", "dflt"), "/x");
    EXPECT_EQ(env_value({ "A=1" }, "PATH", "dflt"), "dflt");
}

} // namespace
} // namespace engine::runtime
