// Unit tests for the teaching lints: each rule fires on a Dockerfile with the problem and stays
// silent on the fixed one.
#include "engine/build/lints.h"

#include <gtest/gtest.h>

using engine::build::lint_dockerfile;
using engine::build::LintFinding;
using engine::build::LintOptions;
using engine::build::LintSeverity;
using engine::build::parse_dockerfile;

namespace {

std::vector<LintFinding> lint(const std::string& text, LintOptions options = {})
{
    auto parsed = parse_dockerfile(text);
    EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message());
    if (!parsed.ok())
        return {};
    return lint_dockerfile(parsed.value(), options);
}

std::vector<LintFinding> with_rule(const std::vector<LintFinding>& findings, const std::string& rule)
{
    std::vector<LintFinding> out;
    for (const auto& finding : findings) {
        if (finding.rule == rule)
            out.push_back(finding);
    }
    return out;
}

} // namespace

TEST(LintsTest, UntaggedBaseImageIsAWarningWithReasonAndLesson)
{
    auto findings = with_rule(lint("FROM busybox\nCMD [\"true\"]\n"), "latest-tag");

    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].severity, LintSeverity::Warning);
    EXPECT_EQ(findings[0].location.line, 1);
    EXPECT_NE(findings[0].reason.find("reproducible"), std::string::npos);
    EXPECT_EQ(findings[0].lesson, "lessons/02-dockerfiles-images/");
    EXPECT_NE(findings[0].format().find("Dockerfile:1:1: warning [latest-tag]"), std::string::npos);
}

TEST(LintsTest, CheckErrorDirectiveAndStrictMakeEveryFindingAnError)
{
    const std::string text = "# check=error=true\nFROM busybox\nCMD sleep infinity\n";
    auto directive = engine::build::parse_check_directive(text, "Dockerfile");
    ASSERT_TRUE(directive.ok());
    EXPECT_TRUE(directive.value().error);
    LintOptions options;
    options.check = directive.value();
    auto findings = lint(text, options);
    ASSERT_EQ(findings.size(), 3u); // latest-tag, keep-alive, shell-form.
    EXPECT_TRUE(engine::build::has_lint_errors(findings));
    for (const auto& finding : findings)
        EXPECT_EQ(finding.severity, LintSeverity::Error) << finding.rule;

    LintOptions strict;
    strict.strict = true;
    EXPECT_TRUE(engine::build::has_lint_errors(lint("FROM busybox:1\nCMD sleep 1\n", strict)));
    EXPECT_FALSE(engine::build::has_lint_errors(lint("FROM busybox:1\nCMD sleep 1\n")));
}

TEST(LintsTest, CheckSkipDirectiveSilencesNamedRulesOrAll)
{
    auto skip = engine::build::parse_check_directive("# syntax=docker/dockerfile:1\n# check=skip=Latest-Tag,shell-form;error=true\nFROM busybox\nCMD sleep infinity\n", "Dockerfile");
    ASSERT_TRUE(skip.ok());
    LintOptions options;
    options.check = skip.value();
    auto findings = lint("FROM busybox\nCMD sleep infinity\n", options);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].rule, "keep-alive");
    EXPECT_EQ(findings[0].severity, LintSeverity::Error);

    auto all = engine::build::parse_check_directive("# check=skip=all\nFROM busybox\n", "Dockerfile");
    ASSERT_TRUE(all.ok());
    options.check = all.value();
    EXPECT_TRUE(lint("FROM busybox\nCMD sleep infinity\n", options).empty());
}

TEST(LintsTest, CheckDirectiveOnlyAtTheTopAndBadValuesNameTheLine)
{
    // After an instruction or a plain comment a "# check=" line is an ordinary comment.
    auto late = engine::build::parse_check_directive("FROM busybox\n# check=error=true\n", "Dockerfile");
    ASSERT_TRUE(late.ok());
    EXPECT_FALSE(late.value().error);
    auto after_comment = engine::build::parse_check_directive("# a comment\n# check=error=true\n", "Dockerfile");
    ASSERT_TRUE(after_comment.ok());
    EXPECT_FALSE(after_comment.value().error);

    auto bad = engine::build::parse_check_directive("# escape=`\n# check=error=yes\nFROM busybox\n", "Dockerfile");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("Dockerfile:2"), std::string::npos) << bad.error().message();
    EXPECT_NE(bad.error().message().find("error="), std::string::npos);
}

TEST(LintsTest, LatestTagFiresThroughArgsAndRegistryPorts)
{
    EXPECT_EQ(with_rule(lint("FROM busybox:latest\n"), "latest-tag").size(), 1u);
    EXPECT_EQ(with_rule(lint("FROM localhost:5000/app\n"), "latest-tag").size(), 1u);
    EXPECT_EQ(with_rule(lint("ARG V=latest\nFROM busybox:${V}\n"), "latest-tag").size(), 1u);
}

TEST(LintsTest, LatestTagSilentOnPinnedScratchDigestStagesAndAllowLatest)
{
    EXPECT_TRUE(with_rule(lint("FROM busybox:1.36\n"), "latest-tag").empty());
    EXPECT_TRUE(with_rule(lint("FROM localhost:5000/app:2\n"), "latest-tag").empty());
    EXPECT_TRUE(with_rule(lint("FROM scratch\n"), "latest-tag").empty());
    EXPECT_TRUE(with_rule(lint("FROM busybox@sha256:0123\n"), "latest-tag").empty());
    EXPECT_TRUE(with_rule(lint("FROM busybox:1 AS base\nFROM base\n"), "latest-tag").empty());
    EXPECT_TRUE(with_rule(lint("ARG V=1.36\nFROM busybox:${V}\n"), "latest-tag").empty());
    LintOptions allow;
    allow.allow_latest = true;
    EXPECT_TRUE(with_rule(lint("FROM busybox\n", allow), "latest-tag").empty());
    LintOptions pinned_by_arg;
    pinned_by_arg.build_args = { { "V", "1.2" } };
    EXPECT_TRUE(with_rule(lint("ARG V=latest\nFROM busybox:${V}\n", pinned_by_arg), "latest-tag").empty());
}

TEST(LintsTest, KeepAliveCommandsWarnAboutPid1)
{
    for (const char* cmd : { "CMD [\"tail\", \"-f\", \"/dev/null\"]", "ENTRYPOINT [\"sleep\", \"infinity\"]",
             "CMD [\"sh\", \"-c\", \"while true; do sleep 1; done\"]" }) {
        auto findings = with_rule(lint(std::string("FROM busybox:1\n") + cmd + "\n"), "keep-alive");
        ASSERT_EQ(findings.size(), 1u) << cmd;
        EXPECT_EQ(findings[0].severity, LintSeverity::Warning);
        EXPECT_NE(findings[0].reason.find("PID 1"), std::string::npos);
        EXPECT_NE(findings[0].reason.find("SIGTERM"), std::string::npos);
        EXPECT_EQ(findings[0].lesson, "lessons/05-pid1-signals/");
    }
}

TEST(LintsTest, KeepAliveSilentOnARealService)
{
    EXPECT_TRUE(with_rule(lint("FROM busybox:1\nCMD [\"httpd\", \"-f\", \"-p\", \"8080\"]\n"), "keep-alive").empty());
}

TEST(LintsTest, ShellFormCmdAndEntrypointWarnAboutSignals)
{
    auto findings = with_rule(lint("FROM busybox:1\nENTRYPOINT httpd -f\nCMD -p 80\n"), "shell-form");

    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].location.line, 2);
    EXPECT_EQ(findings[1].location.line, 3);
    EXPECT_NE(findings[0].reason.find("SIGTERM"), std::string::npos);
}

TEST(LintsTest, ShellFormSilentOnJsonForm)
{
    EXPECT_TRUE(with_rule(lint("FROM busybox:1\nENTRYPOINT [\"httpd\", \"-f\"]\nCMD [\"-p\", \"80\"]\n"), "shell-form")
                    .empty());
}

TEST(LintsTest, SecretLookingEnvAndArgNamesWarn)
{
    auto findings = with_rule(
        lint("ARG GITHUB_TOKEN\nFROM busybox:1\nENV DB_PASSWORD=x API_KEY=y\nENV AWS_SECRET legacy form\n"),
        "secret-in-env");

    ASSERT_EQ(findings.size(), 4u);
    EXPECT_NE(findings[0].message.find("GITHUB_TOKEN"), std::string::npos);
    EXPECT_NE(findings[1].message.find("DB_PASSWORD"), std::string::npos);
    EXPECT_NE(findings[2].message.find("API_KEY"), std::string::npos);
    EXPECT_NE(findings[3].message.find("AWS_SECRET"), std::string::npos);
    EXPECT_NE(findings[0].reason.find("history"), std::string::npos);
    EXPECT_EQ(findings[0].lesson, "lessons/02-dockerfiles-images/");
}

TEST(LintsTest, SecretLintSilentOnOrdinaryNames)
{
    EXPECT_TRUE(with_rule(lint("FROM busybox:1\nENV MONKEY=1 KEYBOARD=us PATH_PREFIX=/x PUBLIC_KEY_FILE=/k\nARG "
                               "VERSION=1\n"),
        "secret-in-env")
                    .empty());
}

TEST(LintsTest, FixedDockerfileHasNoFindings)
{
    auto findings = lint("ARG VERSION=1.36\nFROM busybox:${VERSION}\nENV APP_HOME=/app\nCMD [\"httpd\", \"-f\"]\n");

    EXPECT_TRUE(findings.empty()) << findings[0].format();
}

TEST(LintsTest, FindingsQuoteALongLineOnlyInPart)
{
    std::string long_command(50000, 'a');
    std::string long_name = "SECRET_" + std::string(50000, 'B');

    auto findings = lint("FROM " + std::string(50000, 'i') + "\nCMD " + long_command + "\nENV " + long_name + "=1\n");

    ASSERT_EQ(findings.size(), 3u);
    for (const auto& finding : findings) {
        EXPECT_LT(finding.message.size(), 300U) << finding.rule;
        EXPECT_NE(finding.message.find("... (50"), std::string::npos) << finding.message;
    }
}
