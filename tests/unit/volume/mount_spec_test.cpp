#include <gtest/gtest.h>

#include "engine/volume/volume.h"

using engine::volume::MountSpec;
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
    EXPECT_NE(no_target.error().message().find("target is required"), std::string::npos);
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
