// The daemon compiles seccomp profiles before it forks and caches the programs: the same
// (profile, capabilities) must give the very same programs back, a different capability set a
// different program, and bad input an error rather than a program. No filter is loaded here.
#include <linux/capability.h>

#include <gtest/gtest.h>

#include "engine/runtime/seccomp.h"

using namespace engine;

namespace {

constexpr std::uint64_t k_docker_default_caps = 0xa80425fbULL;
constexpr std::uint64_t k_with_sys_admin = k_docker_default_caps | (std::uint64_t { 1 } << CAP_SYS_ADMIN);

bool same_instructions(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].code != b[i].code || a[i].jt != b[i].jt || a[i].jf != b[i].jf || a[i].k != b[i].k)
            return false;
    }
    return true;
}

} // namespace

TEST(SeccompProgramCache, TheSameProfileAndCapabilitiesGiveTheSamePrograms)
{
    auto first = runtime::compile_seccomp_profile(runtime::k_default_seccomp_profile, k_docker_default_caps);
    auto second = runtime::compile_seccomp_profile(runtime::k_default_seccomp_profile, k_docker_default_caps);
    ASSERT_TRUE(first.ok()) << first.error().message();
    ASSERT_TRUE(second.ok()) << second.error().message();
    EXPECT_EQ(first.value().get(), second.value().get());
    // The allow-list, then the ENOSYS filter for calls newer than libseccomp.
    ASSERT_EQ(first.value()->filters.size(), 2u);
    EXPECT_GT(first.value()->filters[0].size(), 300u);
    EXPECT_FALSE(first.value()->filters[1].empty());
}

TEST(SeccompProgramCache, OtherCapabilitiesGiveAnotherProgram)
{
    auto plain = runtime::compile_seccomp_profile(runtime::k_default_seccomp_profile, k_docker_default_caps);
    auto admin = runtime::compile_seccomp_profile(runtime::k_default_seccomp_profile, k_with_sys_admin);
    ASSERT_TRUE(plain.ok() && admin.ok());
    EXPECT_NE(plain.value().get(), admin.value().get());
    // CAP_SYS_ADMIN allows mount, setns and friends and lifts clone's namespace-flag rule.
    EXPECT_FALSE(same_instructions(plain.value()->filters[0], admin.value()->filters[0]));
    // The ENOSYS filter does not depend on capabilities.
    EXPECT_TRUE(same_instructions(plain.value()->filters[1], admin.value()->filters[1]));
}

TEST(SeccompProgramCache, AJsonProfileIsOneProgramAndNoProfileIsNone)
{
    auto none = runtime::compile_seccomp_profile("", k_docker_default_caps);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none.value()->filters.empty());

    std::string json = R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["keyctl"], "action": "SCMP_ACT_ERRNO"}]})";
    auto profile = runtime::compile_seccomp_profile(json, k_docker_default_caps);
    ASSERT_TRUE(profile.ok()) << profile.error().message();
    ASSERT_EQ(profile.value()->filters.size(), 1u);
    EXPECT_FALSE(profile.value()->filters[0].empty());
}

TEST(SeccompProgramCache, ABadProfileIsAnErrorNamingTheField)
{
    auto bad = runtime::compile_seccomp_profile(R"({"defaultAction": "SCMP_ACT_NOPE"})", k_docker_default_caps);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("defaultAction"), std::string::npos) << bad.error().message();
}
