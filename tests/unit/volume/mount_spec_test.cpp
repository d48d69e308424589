#include <gtest/gtest.h>

#include "engine/volume/volume.h"

using engine::volume::check_mount_spec;
using engine::volume::format_mount_spec;
using engine::volume::MountSpec;
using engine::volume::parse_mount_type;
using engine::volume::parse_mount_spec;
using engine::volume::parse_volume_spec;

TEST(MountSpecTest, NamedVolumeWithReadOnlyOption)
{
    auto spec = parse_volume_spec("data:/var/lib/data:ro");

    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_EQ(spec.value().type, MountSpec::Type::Volume);
    EXPECT_EQ(spec.value().source, "data");
    EXPECT_EQ(spec.value().target, "/var/lib/data");
    EXPECT_TRUE(spec.value().read_only);
}

TEST(MountSpecTest, LeadingSlashMakesABindMount)
{
    auto spec = parse_volume_spec("/srv/www:/usr/share/www");

    ASSERT_TRUE(spec.ok());
    EXPECT_EQ(spec.value().type, MountSpec::Type::Bind);
    EXPECT_EQ(spec.value().source, "/srv/www");
}

TEST(MountSpecTest, SinglePathIsAnAnonymousVolume)
{
    auto spec = parse_volume_spec("/cache");

    ASSERT_TRUE(spec.ok());
    EXPECT_EQ(spec.value().type, MountSpec::Type::Volume);
    EXPECT_TRUE(spec.value().source.empty());
}

TEST(MountSpecTest, ErrorsQuoteTheSpecAndNameTheProblem)
{
    auto too_many = parse_volume_spec("a:/b:ro:extra");
    auto relative_target = parse_volume_spec("data:relative");
    auto bad_option = parse_volume_spec("data:/d:rw,fast");
    auto relative_host = parse_volume_spec("./here:/d");

    ASSERT_FALSE(too_many.ok());
    EXPECT_NE(too_many.error().message().find("\"a:/b:ro:extra\""), std::string::npos);
    EXPECT_NE(too_many.error().message().find("too many colons"), std::string::npos);
    ASSERT_FALSE(relative_target.ok());
    EXPECT_NE(relative_target.error().message().find("must be absolute"), std::string::npos);
    ASSERT_FALSE(bad_option.ok());
    EXPECT_NE(bad_option.error().message().find("\"fast\""), std::string::npos);
    ASSERT_FALSE(relative_host.ok());
}

TEST(MountSpecTest, MountSyntaxParsesBindAndTmpfs)
{
    auto bind = parse_mount_spec("type=bind,source=/etc/hosts,target=/h,readonly");
    auto tmpfs = parse_mount_spec("type=tmpfs,destination=/run,tmpfs-size=64m");

    ASSERT_TRUE(bind.ok());
    EXPECT_EQ(bind.value().type, MountSpec::Type::Bind);
    EXPECT_TRUE(bind.value().read_only);
    ASSERT_TRUE(tmpfs.ok());
    EXPECT_EQ(tmpfs.value().type, MountSpec::Type::Tmpfs);
    EXPECT_EQ(tmpfs.value().tmpfs_options, "size=64m");
}

TEST(MountSpecTest, MountSyntaxRejectsUnknownFieldsAndMissingTarget)
{
    auto unknown = parse_mount_spec("type=volume,src=v,dst=/d,colour=blue");
    auto no_target = parse_mount_spec("type=volume,src=v");

    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message().find("\"colour\""), std::string::npos);
    ASSERT_FALSE(no_target.ok());
    EXPECT_NE(no_target.error().message().find("field Target must not be empty"), std::string::npos);
}

TEST(MountSpecTest, BindPropagationIsKeptAndRefusedOnVolumes)
{
    auto short_form = parse_volume_spec("/srv/www:/www:ro,rslave");
    auto long_form = parse_mount_spec("type=bind,src=/srv,dst=/srv,bind-propagation=rshared");
    auto on_volume = parse_volume_spec("data:/data:rshared");
    auto unknown = parse_mount_spec("type=bind,src=/srv,dst=/srv,bind-propagation=bogus");

    ASSERT_TRUE(short_form.ok()) << short_form.error().describe();
    EXPECT_EQ(short_form.value().propagation, "rslave");
    EXPECT_TRUE(short_form.value().read_only);
    ASSERT_TRUE(long_form.ok()) << long_form.error().describe();
    EXPECT_EQ(long_form.value().propagation, "rshared");
    ASSERT_FALSE(on_volume.ok());
    EXPECT_NE(on_volume.error().message().find("field BindOptions must not be specified"), std::string::npos);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().message(), "invalid mount config for type \"bind\": invalid propagation mode: bogus");
}

TEST(MountSpecTest, OnlyAVolumeFlagBindMakesItsMissingSource)
{
    auto from_v = parse_volume_spec("/srv/new:/data");
    auto from_mount = parse_mount_spec("type=bind,src=/srv/new,dst=/data");

    ASSERT_TRUE(from_v.ok());
    EXPECT_TRUE(from_v.value().create_missing_source);
    ASSERT_TRUE(from_mount.ok());
    EXPECT_FALSE(from_mount.value().create_missing_source);
}

TEST(MountSpecTest, CheckNamesTheFieldAtFaultInDockerdsWords)
{
    MountSpec no_target { .type = MountSpec::Type::Bind, .source = "/srv" };
    MountSpec relative_source { .type = MountSpec::Type::Bind, .source = "srv", .target = "/srv" };
    MountSpec tmpfs_with_source { .type = MountSpec::Type::Tmpfs, .source = "/x", .target = "/run" };
    MountSpec bad_name { .type = MountSpec::Type::Volume, .source = "a b", .target = "/d" };
    MountSpec bad_propagation { .type = MountSpec::Type::Bind, .source = "/srv", .target = "/srv", .propagation = "bogus" };
    MountSpec propagation_on_volume { .type = MountSpec::Type::Volume, .target = "/d", .propagation = "rshared" };

    EXPECT_EQ(check_mount_spec(no_target).error().message(), "invalid mount config for type \"bind\": field Target must not be empty");
    EXPECT_EQ(check_mount_spec(relative_source).error().message(),
        "invalid mount config for type \"bind\": invalid mount path: 'srv' mount path must be absolute");
    EXPECT_EQ(check_mount_spec(tmpfs_with_source).error().message(),
        "invalid mount config for type \"tmpfs\": field Source must not be specified");
    EXPECT_NE(check_mount_spec(bad_name).error().message().find("field Source: \"a b\" is not a valid volume name"), std::string::npos);
    EXPECT_EQ(check_mount_spec(bad_propagation).error().message(), "invalid mount config for type \"bind\": invalid propagation mode: bogus");
    EXPECT_EQ(check_mount_spec(propagation_on_volume).error().message(),
        "invalid mount config for type \"volume\": field BindOptions must not be specified");
    EXPECT_TRUE(check_mount_spec({ .type = MountSpec::Type::Volume, .target = "/anon" }).ok());
}

TEST(MountSpecTest, UnknownTypeIsRefusedNamingIt)
{
    auto type = parse_mount_type("npipe");

    ASSERT_FALSE(type.ok());
    EXPECT_EQ(type.error().message(), "unknown mount type \"npipe\" (use volume, bind or tmpfs)");
}

// A container record keeps HostConfig.Mounts in the --mount text; reading it back must give the
// same MountSpec, and the text must be what earlier records hold.
TEST(MountSpecTest, FormatReadsBackToTheSameSpec)
{
    std::vector<MountSpec> specs {
        { .type = MountSpec::Type::Volume, .source = "v1", .target = "/m", .read_only = true, .no_copy = true },
        { .type = MountSpec::Type::Volume, .target = "/anon" },
        { .type = MountSpec::Type::Bind, .source = "/srv", .target = "/srv", .propagation = "rshared" },
        { .type = MountSpec::Type::Tmpfs, .target = "/run", .tmpfs_options = "size=65536,mode=1777" },
    };
    EXPECT_EQ(format_mount_spec(specs[0]), "type=volume,source=v1,target=/m,readonly,volume-nocopy");
    EXPECT_EQ(format_mount_spec(specs[3]), "type=tmpfs,target=/run,tmpfs-size=65536,tmpfs-mode=1777");
    for (const auto& spec : specs) {
        auto back = parse_mount_spec(format_mount_spec(spec));
        ASSERT_TRUE(back.ok()) << format_mount_spec(spec) << ": " << back.error().describe();
        EXPECT_EQ(back.value(), spec) << format_mount_spec(spec);
    }
}
