// parse_reference: normalisation of Docker Hub names, registries with ports, digests, and the
// error messages for each malformed part.
#include <gtest/gtest.h>

#include "engine/image/reference.h"

namespace engine::image {
namespace {

Reference parse_ok(std::string_view text)
{
    auto result = parse_reference(text);
    EXPECT_TRUE(result.ok()) << text << ": " << (result.ok() ? "" : result.error().describe());
    return result.ok() ? result.value() : Reference {};
}

std::string parse_error(std::string_view text)
{
    auto result = parse_reference(text);
    EXPECT_FALSE(result.ok()) << text << " parsed unexpectedly";
    if (result.ok())
        return "";
    EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
    return result.error().message();
}

TEST(Reference, DefaultsToLatest)
{
    auto ref = parse_ok("busybox");
    EXPECT_EQ(ref.name, "busybox");
    EXPECT_EQ(ref.tag, "latest");
    EXPECT_EQ(ref.str(), "busybox:latest");
}

TEST(Reference, StripsDockerHubPrefixes)
{
    EXPECT_EQ(parse_ok("docker.io/library/busybox:1.35.0").str(), "busybox:1.35.0");
    EXPECT_EQ(parse_ok("index.docker.io/library/busybox").str(), "busybox:latest");
    EXPECT_EQ(parse_ok("library/alpine:3.19").str(), "alpine:3.19");
    EXPECT_EQ(parse_ok("docker.io/team/app:v2").str(), "team/app:v2");
}

TEST(Reference, KeepsRegistryWithPort)
{
    auto ref = parse_ok("localhost:5000/team/app:v2");
    EXPECT_EQ(ref.name, "localhost:5000/team/app");
    EXPECT_EQ(ref.tag, "v2");
    EXPECT_EQ(parse_ok("registry.example.com/x").name, "registry.example.com/x");
    EXPECT_EQ(parse_ok("localhost:5000/app").tag, "latest");
}

TEST(Reference, Digest)
{
    std::string hex(64, 'a');
    auto ref = parse_ok("nginx@sha256:" + hex);
    EXPECT_EQ(ref.name, "nginx");
    EXPECT_EQ(ref.tag, "");
    EXPECT_EQ(ref.digest, "sha256:" + hex);
    EXPECT_EQ(ref.str(), "nginx@sha256:" + hex);
    EXPECT_EQ(parse_ok("nginx:1.25@sha256:" + hex).digest, "sha256:" + hex);
}

TEST(Reference, ErrorsNameTheBadPart)
{
    EXPECT_NE(parse_error("Busybox").find("repository name must be lowercase"), std::string::npos);
    EXPECT_NE(parse_error("busybox:").find("tag"), std::string::npos);
    EXPECT_NE(parse_error("busybox:-bad").find("tag \"-bad\""), std::string::npos);
    EXPECT_NE(parse_error("busybox@sha256:abc").find("digest"), std::string::npos);
    EXPECT_NE(parse_error("busybox@md5:abc").find("digest algorithm"), std::string::npos);
    EXPECT_NE(parse_error("a//b").find("component"), std::string::npos);
    EXPECT_NE(parse_error("bad_-name").find("component \"bad_-name\""), std::string::npos);
    EXPECT_NE(parse_error("").find("empty"), std::string::npos);
    EXPECT_NE(parse_error(":tag").find("missing repository name"), std::string::npos);
    EXPECT_NE(parse_error("host:/app").find("registry host"), std::string::npos);
    EXPECT_NE(parse_error("busybox:" + std::string(129, 'a')).find("tag"), std::string::npos);
}

TEST(Reference, SeparatorsInComponents)
{
    EXPECT_EQ(parse_ok("my-app.v2__x").name, "my-app.v2__x");
    EXPECT_EQ(parse_ok("a---b").name, "a---b");
    parse_error("a..b");
    parse_error("a___b");
    parse_error("-a");
}

TEST(Reference, HexHelpers)
{
    EXPECT_TRUE(is_sha256_hex(std::string(64, '0')));
    EXPECT_FALSE(is_sha256_hex(std::string(63, '0')));
    EXPECT_FALSE(is_sha256_hex(std::string(64, 'A')));
    EXPECT_TRUE(is_sha256_digest("sha256:" + std::string(64, 'f')));
    EXPECT_FALSE(is_sha256_digest("sha512:" + std::string(64, 'f')));
    EXPECT_TRUE(is_hex_prefix("abc"));
    EXPECT_FALSE(is_hex_prefix("xyz"));
    EXPECT_FALSE(is_hex_prefix(""));
}

TEST(Reference, RepoAndTagAreJoinedAsTheApiSendsThem)
{
    EXPECT_EQ(parse_repo_tag("busybox", "").value().str(), "busybox:latest");
    EXPECT_EQ(parse_repo_tag("localhost:5000/app", "v2").value().str(), "localhost:5000/app:v2");
    // A pull by digest sends the digest as the tag.
    auto hex = std::string(64, 'c');
    EXPECT_EQ(parse_repo_tag("busybox", "sha256:" + hex).value().digest, "sha256:" + hex);
    auto bad = parse_repo_tag("Busybox", "1");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message(), "invalid reference format: repository name must be lowercase (in \"Busybox:1\")");
}

TEST(Reference, SplitRepoTagCutsAtTheColonAfterTheLastSlash)
{
    using Pair = std::pair<std::string, std::string>;
    EXPECT_EQ(split_repo_tag("busybox"), (Pair { "busybox", "" }));
    EXPECT_EQ(split_repo_tag("busybox:1.36"), (Pair { "busybox", "1.36" }));
    EXPECT_EQ(split_repo_tag("localhost:5000/app"), (Pair { "localhost:5000/app", "" }));
    EXPECT_EQ(split_repo_tag("localhost:5000/app:v2"), (Pair { "localhost:5000/app", "v2" }));
    EXPECT_EQ(split_repo_tag("app:"), (Pair { "app", "" }));
}

TEST(ImageName, KeepsTheTextAsTypedBesideTheReference)
{
    auto name = ImageName::parse("busybox");
    ASSERT_TRUE(name.ok()) << name.error().describe();
    EXPECT_EQ(name.value().text, "busybox");
    ASSERT_TRUE(name.value().reference);
    EXPECT_EQ(name.value().reference->str(), "busybox:latest");
    EXPECT_EQ(name.value().id_prefix, "");
    EXPECT_EQ(ImageName::parse("docker.io/library/busybox:1.36").value().reference->str(), "busybox:1.36");
}

TEST(ImageName, AnImageIdOrItsPrefixIsAName)
{
    auto hex = std::string(64, 'a');
    auto full = ImageName::parse("sha256:" + hex);
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(full.value().id_prefix, hex);
    EXPECT_EQ(ImageName::parse("sha256:ab12").value().id_prefix, "ab12");
    // "abc" names a repository and an id prefix both: the store tries the name first.
    auto both = ImageName::parse("abc");
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both.value().id_prefix, "abc");
    ASSERT_TRUE(both.value().reference);
    EXPECT_EQ(both.value().reference->str(), "abc:latest");
}

TEST(ImageName, NeitherReferenceNorIdIsInvalidReferenceFormatNamingTheText)
{
    auto bad = ImageName::parse("Busybox");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(bad.error().message(), "invalid reference format: repository name must be lowercase (in \"Busybox\")");
    EXPECT_FALSE(ImageName::parse("").ok());
}

} // namespace
} // namespace engine::image
