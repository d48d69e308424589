// The device cgroup: Docker's rule syntax, the v1 write order (deny all, then each allow)
// against an in-memory kernel, and the cgroup v2 eBPF device program, run here by a small
// interpreter of the instructions it uses so its allow/deny decisions are checked without root.
#include "engine/runtime/devices.h"

#include <linux/bpf.h>
#include <sys/mount.h>

#include <cstdint>
#include <cstring>
#include <optional>

#include <gtest/gtest.h>

#include "engine/runtime/cgroup.h"
#include "engine/runtime/mount_propagation.h"
#include "tests/unit/runtime/recording_kernel.h"

namespace engine::runtime {
namespace {

using testing::RecordingKernel;

TEST(DevicesTest, RuleSyntaxIsDockersAndErrorsUseDockerdsWords)
{
    for (const char* good : { "c 1:3 rwm", "b 7:* r", "c *:* m", "a *:* rwm", "c 42:7 wr" })
        EXPECT_TRUE(check_device_rule(good).ok()) << good;

    for (const char* bad : { "bogus", "x 1:3 rwm", "c 1:3 rwx", "c 1:3", "a", "c 1 rwm", "c 1:3 rwmr", "c a:3 r" }) {
        auto result = check_device_rule(bad);
        ASSERT_FALSE(result.ok()) << bad;
        EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_EQ(result.error().message(), std::string("invalid device cgroup rule format: '") + bad + "'");
    }
}

TEST(DevicesTest, V1CgroupDeniesEverythingThenAllowsEachRuleInOrder)
{
    RecordingKernel kernel;
    for (const char* dir : { "/sys", "/sys/fs", "/sys/fs/cgroup", "/sys/fs/cgroup/devices" })
        kernel.dirs.insert(dir);
    kernel.files["/sys/fs/cgroup/devices/glassbox/c1/devices.deny"] = "";
    Resources resources;
    resources.restrict_devices = true;
    resources.device_rules = default_device_rules();
    resources.device_rules.push_back("c 42:7 rw");

    auto result = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1).create(kernel, resources);

    ASSERT_TRUE(result.ok()) << result.error().describe();
    std::vector<std::pair<std::string, std::string>> device_writes;
    for (const auto& write : kernel.writes)
        if (write.first.find("/devices/glassbox/c1/") != std::string::npos)
            device_writes.push_back(write);
    ASSERT_EQ(device_writes.size(), default_device_rules().size() + 2);
    EXPECT_EQ(device_writes.front(), std::make_pair(std::string("/sys/fs/cgroup/devices/glassbox/c1/devices.deny"), std::string("a")));
    EXPECT_EQ(device_writes.back(), std::make_pair(std::string("/sys/fs/cgroup/devices/glassbox/c1/devices.allow"), std::string("c 42:7 rw")));
}

// Runs a device program the way the kernel would for one request and returns its verdict, or
// nullopt (with a test failure) when it does something the device programs should never do:
// an opcode outside the set they use, a backward or out-of-range jump, reading the context
// from a clobbered register, falling off the end.
std::optional<std::int64_t> run(const std::vector<sys::BpfInstruction>& program, char type, std::uint32_t major,
    std::uint32_t minor, const std::string& access)
{
    std::uint32_t access_bits = 0;
    for (char c : access)
        access_bits |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    bpf_cgroup_dev_ctx ctx { (access_bits << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK), major, minor };
    std::uint64_t reg[11] {};
    bool is_ctx[11] {};
    is_ctx[1] = true;
    for (std::size_t pc = 0; pc < program.size(); ++pc) {
        const auto& insn = program[pc];
        if (insn.dst > 10 || insn.src > 10) {
            ADD_FAILURE() << "bad register at " << pc;
            return std::nullopt;
        }
        auto& dst = reg[insn.dst];
        std::uint64_t src_x = reg[insn.src];
        auto imm = static_cast<std::uint64_t>(static_cast<std::int64_t>(insn.imm));
        auto jump = [&](bool taken) {
            if (insn.offset < 0 || pc + 1 + insn.offset > program.size() - 1) {
                ADD_FAILURE() << "jump out of range at " << pc;
                return false;
            }
            if (taken)
                pc += insn.offset;
            return true;
        };
        switch (insn.code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            if (!is_ctx[insn.src] || insn.offset < 0 || insn.offset + 4 > static_cast<int>(sizeof ctx) || insn.offset % 4) {
                ADD_FAILURE() << "bad context read at " << pc;
                return std::nullopt;
            }
            std::memcpy(&reg[insn.dst], reinterpret_cast<const char*>(&ctx) + insn.offset, 4);
            reg[insn.dst] &= 0xffffffffULL;
            is_ctx[insn.dst] = false;
            break;
        case BPF_ALU | BPF_AND | BPF_K: dst = (dst & imm) & 0xffffffffULL; is_ctx[insn.dst] = false; break;
        case BPF_ALU | BPF_RSH | BPF_K: dst = (dst & 0xffffffffULL) >> insn.imm; is_ctx[insn.dst] = false; break;
        case BPF_ALU | BPF_MOV | BPF_X: dst = src_x & 0xffffffffULL; is_ctx[insn.dst] = false; break;
        case BPF_ALU64 | BPF_MOV | BPF_K: dst = imm; is_ctx[insn.dst] = false; break;
        case BPF_JMP | BPF_JNE | BPF_K:
            if (!jump(dst != imm))
                return std::nullopt;
            break;
        case BPF_JMP | BPF_JNE | BPF_X:
            if (!jump(dst != src_x))
                return std::nullopt;
            break;
        case BPF_JMP | BPF_EXIT: return static_cast<std::int64_t>(reg[0]);
        default:
            ADD_FAILURE() << "unexpected opcode " << int(insn.code) << " at " << pc;
            return std::nullopt;
        }
    }
    ADD_FAILURE() << "the program falls off its end";
    return std::nullopt;
}

TEST(DeviceProgramTest, DockersDefaultListAllowsItsDevicesAndMknodAndDeniesTheRest)
{
    auto program = device_filter_program(default_device_rules());
    ASSERT_TRUE(program.ok()) << program.error().describe();
    auto allowed = [&](char type, std::uint32_t major, std::uint32_t minor, const char* access) {
        return run(program.value(), type, major, minor, access) == 1;
    };

    EXPECT_TRUE(allowed('c', 1, 3, "rw"));    // /dev/null
    EXPECT_TRUE(allowed('c', 1, 9, "r"));     // /dev/urandom
    EXPECT_TRUE(allowed('c', 136, 4, "rw"));  // /dev/pts/4
    EXPECT_TRUE(allowed('c', 10, 200, "rw")); // /dev/net/tun
    EXPECT_TRUE(allowed('c', 1, 1, "m"));     // mknod of any node...
    EXPECT_TRUE(allowed('b', 8, 0, "m"));
    EXPECT_FALSE(allowed('c', 1, 1, "r"));    // ...but not opening it: /dev/mem
    EXPECT_FALSE(allowed('c', 1, 1, "rw"));
    EXPECT_FALSE(allowed('b', 8, 0, "r"));    // /dev/sda
    EXPECT_FALSE(allowed('c', 10, 229, "rw")); // /dev/fuse
    EXPECT_FALSE(allowed('b', 1, 3, "rw"));   // the type counts: a block 1:3 is not /dev/null
    EXPECT_FALSE(allowed('c', 1, 11, "w"));   // /dev/kmsg
}

TEST(DeviceProgramTest, EveryAccessBitAskedForMustBeInTheRule)
{
    auto program = device_filter_program({ "c 42:7 r", "b 7:* rw", "a 250:1 m" });
    ASSERT_TRUE(program.ok()) << program.error().describe();
    auto verdict = [&](char type, std::uint32_t major, std::uint32_t minor, const char* access) {
        return run(program.value(), type, major, minor, access);
    };

    EXPECT_EQ(verdict('c', 42, 7, "r"), 1);
    EXPECT_EQ(verdict('c', 42, 7, "w"), 0);
    EXPECT_EQ(verdict('c', 42, 7, "rw"), 0);
    EXPECT_EQ(verdict('c', 42, 8, "r"), 0);
    EXPECT_EQ(verdict('b', 7, 123, "rw"), 1); // a loop device, any minor
    EXPECT_EQ(verdict('b', 7, 0, "rwm"), 0);
    EXPECT_EQ(verdict('c', 7, 0, "r"), 0);
    EXPECT_EQ(verdict('c', 250, 1, "m"), 1);  // "a": either type
    EXPECT_EQ(verdict('b', 250, 1, "m"), 1);
    EXPECT_EQ(verdict('b', 250, 1, "r"), 0);
}

TEST(DeviceProgramTest, ProgramReadsTheContextOnceThenOneBlockPerRuleEndingInDeny)
{
    auto program = device_filter_program({ "c 1:3 rwm", "c *:* m" }).value();

    // Six context loads, "c 1:3 rwm" (type, major, minor, allow: 5), "c *:* m" (type, three
    // access instructions, allow: 6), the deny (2).
    ASSERT_EQ(program.size(), 6u + 5u + 6u + 2u);
    EXPECT_EQ(program[0], (sys::BpfInstruction { BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0 }));
    EXPECT_EQ(program[4], (sys::BpfInstruction { BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0 }));
    EXPECT_EQ(program[5], (sys::BpfInstruction { BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0 }));
    // The first rule's type check skips the four instructions left in its block.
    EXPECT_EQ(program[6], (sys::BpfInstruction { BPF_JMP | BPF_JNE | BPF_K, 2, 0, 4, BPF_DEVCG_DEV_CHAR }));
    EXPECT_EQ(program[8], (sys::BpfInstruction { BPF_JMP | BPF_JNE | BPF_K, 5, 0, 2, 3 }));
    EXPECT_EQ(program[program.size() - 2], (sys::BpfInstruction { BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0 }));
    EXPECT_EQ(program.back(), (sys::BpfInstruction { BPF_JMP | BPF_EXIT, 0, 0, 0, 0 }));
    // Every jump lands at the start of the next rule (just after an exit), never past the end.
    for (std::size_t i = 0; i < program.size(); ++i) {
        if ((program[i].code & 0x07) != BPF_JMP || program[i].code == (BPF_JMP | BPF_EXIT))
            continue;
        std::size_t target = i + 1 + program[i].offset;
        ASSERT_LT(target, program.size()) << i;
        EXPECT_EQ(program[target - 1].code, BPF_JMP | BPF_EXIT) << i;
    }
}

TEST(DeviceProgramTest, AllowAllStopsTheProgramBecauseTheVerifierRefusesDeadCode)
{
    auto program = device_filter_program({ "c 1:3 r", "a *:* rwm", "c 1:5 r" }).value();

    // The loads, "c 1:3 r" (type, three access instructions, major, minor, allow: 8), then the
    // bare allow of "a *:* rwm" as the last two instructions.
    ASSERT_EQ(program.size(), 6u + 8u + 2u);
    EXPECT_EQ(program[program.size() - 2], (sys::BpfInstruction { BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1 }));
    EXPECT_EQ(program.back().code, BPF_JMP | BPF_EXIT);
    EXPECT_EQ(run(program, 'b', 8, 0, "rwm"), 1);
}

TEST(DeviceProgramTest, BadRulesAndNumbersTheProgramCannotCompareAreRefusedNamingTheRule)
{
    auto bad = device_filter_program({ "c 1:3 rwm", "bogus" });
    auto huge = device_filter_program({ "c 4294967296:1 r" });

    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "invalid device cgroup rule format: 'bogus'");
    ASSERT_FALSE(huge.ok());
    EXPECT_EQ(huge.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(huge.error().message(), "device cgroup rule 'c 4294967296:1 r': major number 4294967296 is out of range");
}

TEST(DevicesTest, V2CgroupGetsTheDeviceProgramAndNoDevicesFiles)
{
    RecordingKernel kernel;
    for (const char* dir : { "/sys", "/sys/fs", "/sys/fs/cgroup" })
        kernel.dirs.insert(dir);
    Resources resources;
    resources.restrict_devices = true;
    resources.device_rules = default_device_rules();
    resources.device_rules.push_back("c 42:7 rw");

    auto result = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V2).create(kernel, resources);

    ASSERT_TRUE(result.ok()) << result.error().describe();
    ASSERT_EQ(kernel.device_filters.size(), 1u);
    EXPECT_EQ(kernel.device_filters[0].first, "/sys/fs/cgroup/glassbox/c1");
    EXPECT_EQ(kernel.device_filters[0].second, device_filter_program(resources.device_rules).value());
    EXPECT_EQ(run(kernel.device_filters[0].second, 'c', 42, 7, "rw"), 1);
    for (const auto& write : kernel.writes)
        EXPECT_EQ(write.first.find("devices."), std::string::npos) << write.first;
}

TEST(DevicesTest, HybridKeepsTheV1DevicesHierarchyAndLoadsNoProgram)
{
    RecordingKernel kernel;
    for (const char* dir : { "/sys", "/sys/fs", "/sys/fs/cgroup", "/sys/fs/cgroup/devices", "/sys/fs/cgroup/unified" })
        kernel.dirs.insert(dir);
    kernel.files["/sys/fs/cgroup/devices/glassbox/c1/devices.deny"] = "";
    Resources resources;
    resources.restrict_devices = true;
    resources.device_rules = default_device_rules();

    auto result = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::Hybrid).create(kernel, resources);

    ASSERT_TRUE(result.ok()) << result.error().describe();
    EXPECT_TRUE(kernel.device_filters.empty());
    EXPECT_EQ(kernel.written("/sys/fs/cgroup/devices/glassbox/c1/devices.deny"), "a");
}

TEST(DevicesTest, PrivilegedContainersKeepEveryDevice)
{
    RecordingKernel kernel;
    for (const char* dir : { "/sys", "/sys/fs", "/sys/fs/cgroup", "/sys/fs/cgroup/devices" })
        kernel.dirs.insert(dir);
    kernel.files["/sys/fs/cgroup/devices/glassbox/c1/devices.deny"] = "";

    auto result = Cgroup::for_layout("glassbox/c1", sys::CgroupLayout::V1).create(kernel, Resources {});

    ASSERT_TRUE(result.ok()) << result.error().describe();
    for (const auto& write : kernel.writes)
        EXPECT_EQ(write.first.find("/devices.deny"), std::string::npos) << write.first;
    EXPECT_TRUE(kernel.device_filters.empty());
}

TEST(MountPropagationTest, SharedModesNeedASharedSourceMountAndSlaveModesASharedOrSlaveOne)
{
    RecordingKernel kernel;
    kernel.files["/proc/self/mountinfo"] = "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
                                           "40 26 0:50 / /srv/shared rw shared:7 - tmpfs tmpfs rw\n"
                                           "41 26 0:51 / /srv/slave rw master:7 - tmpfs tmpfs rw\n";

    auto private_shared = check_propagation_source(kernel, "/nonexistent-gb/data", "rshared");
    auto private_slave = check_propagation_source(kernel, "/nonexistent-gb/data", "slave");

    ASSERT_FALSE(private_shared.ok());
    EXPECT_EQ(private_shared.error().message(), "path /nonexistent-gb/data is mounted on / but it is not a shared mount");
    ASSERT_FALSE(private_slave.ok());
    EXPECT_EQ(private_slave.error().message(), "path /nonexistent-gb/data is mounted on / but it is not a shared or slave mount");
    EXPECT_TRUE(check_propagation_source(kernel, "/srv/shared/x", "rshared").ok());
    EXPECT_TRUE(check_propagation_source(kernel, "/srv/slave/x", "rslave").ok());
    EXPECT_FALSE(check_propagation_source(kernel, "/srv/slave/x", "shared").ok());
    EXPECT_TRUE(check_propagation_source(kernel, "/nonexistent-gb/data", "rprivate").ok());
    EXPECT_EQ(propagation_flags("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
    EXPECT_EQ(propagation_flags("slave"), static_cast<unsigned long>(MS_SLAVE));
    EXPECT_EQ(propagation_flags(""), 0UL);
}

TEST(MountPropagationTest, TheHoldingMountIsTheLongestContainingPointAndTheTopOfAStack)
{
    std::string table = "26 1 254:0 / / rw shared:1 - ext4 /dev/vda rw\n"
                        "40 26 0:50 / /srv rw shared:7 - tmpfs tmpfs rw\n"
                        "41 40 0:51 / /srv rw - tmpfs tmpfs rw\n"
                        "42 26 0:52 / /srv\\040two rw master:3 - tmpfs tmpfs rw\n";

    auto stacked = holding_mount(table, "/srv/x");
    auto escaped = holding_mount(table, "/srv two/y");
    auto root = holding_mount(table, "/srvx");

    ASSERT_TRUE(stacked && escaped && root);
    EXPECT_EQ(stacked->point, "/srv");
    EXPECT_FALSE(stacked->shared); // The private tmpfs on top hides the shared one.
    EXPECT_EQ(escaped->point, "/srv two");
    EXPECT_TRUE(escaped->slave);
    EXPECT_EQ(root->point, "/");
    EXPECT_TRUE(root->shared);
    EXPECT_FALSE(holding_mount("", "/x"));
    EXPECT_TRUE(is_shared_mode("shared") && is_shared_mode("rshared") && !is_shared_mode("rslave"));
}

} // namespace
} // namespace engine::runtime
