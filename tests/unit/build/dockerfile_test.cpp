// Unit tests for the Dockerfile parser and the variable expander.
#include "engine/build/dockerfile.h"

#include <map>

#include <gtest/gtest.h>

using engine::build::expand_word;
using engine::build::parse_dockerfile;
using engine::build::parse_key_values;
using engine::build::SourceLocation;
using engine::build::split_words;
using engine::build::VariableLookup;

namespace {

VariableLookup lookup_from(std::map<std::string, std::string> values)
{
    return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
        if (auto it = values.find(name); it != values.end())
            return it->second;
        return std::nullopt;
    };
}

std::string expand(std::string_view word, const std::map<std::string, std::string>& values)
{
    auto result = expand_word(word, lookup_from(values), '\\', SourceLocation { "Dockerfile", 1, 1 });
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message());
    return result.ok() ? result.value() : "<error>";
}

} // namespace

TEST(DockerfileTest, ParsesEveryInstruction)
{
    auto text = R"(ARG BASE=busybox:1.36
FROM --platform=linux/amd64 ${BASE} AS builder
RUN echo hi > /x
RUN ["/bin/sh", "-c", "echo exec"]
CMD ["cat", "/x"]
ENTRYPOINT ["/bin/sh"]
ENV A=1 B="two words"
ARG VERSION=1.0
LABEL org.example.name="demo" other=x
EXPOSE 80/tcp 443
VOLUME ["/data"]
USER 1000:1000
WORKDIR /app
COPY --from=builder --chown=1:2 --chmod=0640 /x /y
ADD --chown=nobody archive.tar /opt/
SHELL ["/bin/sh", "-ec"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost || exit 1
ONBUILD RUN echo later
MAINTAINER someone
)";

    auto result = parse_dockerfile(text);

    ASSERT_TRUE(result.ok()) << result.error().message();
    const auto& ins = result.value().instructions;
    ASSERT_EQ(ins.size(), 20u);
    EXPECT_EQ(ins[0].keyword, "ARG");
    EXPECT_EQ(ins[1].keyword, "FROM");
    EXPECT_EQ(ins[1].flag("platform").value_or(""), "linux/amd64");
    EXPECT_EQ(ins[1].args, (std::vector<std::string> { "${BASE}", "AS", "builder" }));
    EXPECT_FALSE(ins[2].json_form);
    EXPECT_EQ(ins[2].rest, "echo hi > /x");
    EXPECT_TRUE(ins[3].json_form);
    EXPECT_EQ(ins[3].args, (std::vector<std::string> { "/bin/sh", "-c", "echo exec" }));
    EXPECT_TRUE(ins[4].json_form);
    EXPECT_EQ(ins[13].keyword, "COPY");
    EXPECT_EQ(ins[13].flag("from").value_or(""), "builder");
    EXPECT_EQ(ins[13].flag("chown").value_or(""), "1:2");
    EXPECT_EQ(ins[13].flag("chmod").value_or(""), "0640");
    EXPECT_EQ(ins[13].args, (std::vector<std::string> { "/x", "/y" }));
    EXPECT_EQ(ins[14].flag("chown").value_or(""), "nobody");
    EXPECT_TRUE(ins[15].json_form);
    EXPECT_EQ(ins[17].flag("interval").value_or(""), "5s");
    ASSERT_EQ(ins[17].nested.size(), 1u);
    EXPECT_EQ(ins[17].nested[0].keyword, "CMD");
    EXPECT_EQ(ins[17].nested[0].rest, "wget -q localhost || exit 1");
    ASSERT_EQ(ins[18].nested.size(), 1u);
    EXPECT_EQ(ins[18].nested[0].keyword, "RUN");
    EXPECT_EQ(ins[19].keyword, "MAINTAINER");
}

TEST(DockerfileTest, KeywordsAreCaseInsensitiveAndLocationsPointAtTheKeyword)
{
    auto result = parse_dockerfile("from busybox:1\n\n   run echo hi\n");

    ASSERT_TRUE(result.ok()) << result.error().message();
    const auto& ins = result.value().instructions;
    EXPECT_EQ(ins[0].keyword, "FROM");
    EXPECT_EQ(ins[1].keyword, "RUN");
    EXPECT_EQ(ins[1].location.line, 3);
    EXPECT_EQ(ins[1].location.column, 4);
}

TEST(DockerfileTest, JoinsContinuationsAndSkipsCommentsInside)
{
    auto text = "FROM busybox:1\n"
                "# a comment\n"
                "RUN echo a \\\n"
                "# inside the continuation\n"
                "\n"
                "    && echo b\n"
                "CMD [\"x\"]\n";

    auto result = parse_dockerfile(text);

    ASSERT_TRUE(result.ok()) << result.error().message();
    const auto& ins = result.value().instructions;
    ASSERT_EQ(ins.size(), 3u);
    EXPECT_EQ(ins[1].rest, "echo a     && echo b");
    EXPECT_EQ(ins[1].location.line, 3);
    EXPECT_EQ(ins[2].location.line, 7);
}

TEST(DockerfileTest, EscapeDirectiveSwitchesToBacktick)
{
    auto text = "# escape=`\n"
                "# syntax=docker/dockerfile:1\n"
                "FROM busybox:1\n"
                "RUN dir c:\\ `\n"
                "    && echo done\n";

    auto result = parse_dockerfile(text);

    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_EQ(result.value().escape, '`');
    EXPECT_EQ(result.value().syntax, "docker/dockerfile:1");
    ASSERT_EQ(result.value().instructions.size(), 2u);
    EXPECT_EQ(result.value().instructions[1].rest, "dir c:\\     && echo done");
}

TEST(DockerfileTest, DirectiveAfterACommentIsJustAComment)
{
    auto result = parse_dockerfile("# hello\n# escape=`\nFROM busybox:1\nRUN a \\\n b\n");

    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_EQ(result.value().escape, '\\');
    EXPECT_EQ(result.value().instructions[1].rest, "a  b");
}

TEST(DockerfileTest, BadEscapeDirectiveNamesTheLine)
{
    auto result = parse_dockerfile("# escape=x\nFROM busybox:1\n", "ctx/Dockerfile");

    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message().find("ctx/Dockerfile:1:1"), std::string::npos) << result.error().message();
    EXPECT_NE(result.error().message().find("escape"), std::string::npos);
}

TEST(DockerfileTest, UnknownInstructionNamesFileLineAndColumn)
{
    auto result = parse_dockerfile("FROM busybox:1\n  FORM x\n", "app/Dockerfile");

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message(), "app/Dockerfile:2:3: unknown instruction: FORM");
    EXPECT_EQ(result.error().kind(), engine::ErrorKind::InvalidArgument);
}

TEST(DockerfileTest, UnknownFlagNamesItsColumn)
{
    auto result = parse_dockerfile("FROM busybox:1\nCOPY --own=1 a b\n");

    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().message(), "Dockerfile:2:6: unknown flag for COPY: --own");
}

TEST(DockerfileTest, ArgumentErrorsAreReported)
{
    struct Case {
        const char* text;
        const char* expected;
    };
    std::vector<Case> cases = {
        { "FROM\n", "Dockerfile:1:1: FROM requires either one or three arguments" },
        { "FROM a b\n", "Dockerfile:1:1: FROM requires either one or three arguments" },
        { "FROM a AT b\n", "expects AS" },
        { "FROM a AS -bad\n", "stage name" },
        { "FROM a:1\nRUN\n", "Dockerfile:2:1: RUN requires at least one argument" },
        { "FROM a:1\nCOPY onlyone\n", "COPY requires at least two arguments" },
        { "FROM a:1\nENV A\n", "ENV must have two arguments" },
        { "FROM a:1\nENV A=1 B\n", "expects <key>=<value> pairs" },
        { "FROM a:1\nSHELL /bin/sh -c\n", "SHELL requires the arguments to be in JSON form" },
        { "FROM a:1\nUSER a b\n", "USER requires exactly one argument" },
        { "FROM a:1\nHEALTHCHECK NONE extra\n", "NONE takes no other arguments" },
        { "FROM a:1\nHEALTHCHECK RUN x\n", "expects NONE or CMD" },
        { "FROM a:1\nONBUILD FROM x\n", "ONBUILD cannot trigger FROM" },
        { "RUN echo before\nFROM a:1\n", "Dockerfile:1:1: RUN before the first FROM" },
        { "# only a comment\n", "no instructions" },
        { "ARG A=1\n", "no FROM instruction" },
    };

    for (const auto& c : cases) {
        auto result = parse_dockerfile(c.text);
        ASSERT_FALSE(result.ok()) << c.text;
        EXPECT_NE(result.error().message().find(c.expected), std::string::npos)
            << c.text << " -> " << result.error().message();
    }
}

TEST(DockerfileTest, InvalidJsonFallsBackToShellForm)
{
    auto result = parse_dockerfile("FROM a:1\nCMD [\"unterminated\n");

    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_FALSE(result.value().instructions[1].json_form);
    EXPECT_EQ(result.value().instructions[1].rest, "[\"unterminated");
}

TEST(DockerfileTest, CrLfLineEndingsAreAccepted)
{
    auto result = parse_dockerfile("FROM a:1\r\nRUN echo hi \\\r\n  there\r\n");

    ASSERT_TRUE(result.ok()) << result.error().message();
    EXPECT_EQ(result.value().instructions[1].rest, "echo hi   there");
}

TEST(DockerfileTest, ExpandsPlainAndBracedVariables)
{
    std::map<std::string, std::string> env = { { "A", "one" }, { "EMPTY", "" } };

    EXPECT_EQ(expand("$A", env), "one");
    EXPECT_EQ(expand("${A}x", env), "onex");
    EXPECT_EQ(expand("pre-$A-post", env), "pre-one-post");
    EXPECT_EQ(expand("$MISSING.", env), ".");
    EXPECT_EQ(expand("cost $", env), "cost $");
}

TEST(DockerfileTest, ExpandsDefaultAndAlternativeModifiers)
{
    std::map<std::string, std::string> env = { { "A", "one" }, { "EMPTY", "" } };

    EXPECT_EQ(expand("${A:-d}", env), "one");
    EXPECT_EQ(expand("${MISSING:-d}", env), "d");
    EXPECT_EQ(expand("${EMPTY:-d}", env), "d");
    EXPECT_EQ(expand("${EMPTY-d}", env), "");
    EXPECT_EQ(expand("${A:+alt}", env), "alt");
    EXPECT_EQ(expand("${MISSING:+alt}", env), "");
    EXPECT_EQ(expand("${EMPTY:+alt}", env), "");
    EXPECT_EQ(expand("${EMPTY+alt}", env), "alt");
    EXPECT_EQ(expand("${MISSING:-${A}-nested}", env), "one-nested");
}

TEST(DockerfileTest, QuotesAndEscapesControlExpansion)
{
    std::map<std::string, std::string> env = { { "A", "one" } };

    EXPECT_EQ(expand("'$A'", env), "$A");
    EXPECT_EQ(expand("\"$A two\"", env), "one two");
    EXPECT_EQ(expand("\\$A", env), "$A");
    EXPECT_EQ(expand("\"say \\\"hi\\\"\"", env), "say \"hi\"");
}

TEST(DockerfileTest, ExpansionErrorsNameTheLocation)
{
    auto lookup = lookup_from({});
    SourceLocation where { "Dockerfile", 4, 1 };

    auto unterminated = expand_word("${A", lookup, '\\', where);
    auto bad_modifier = expand_word("${A:?oops}", lookup, '\\', where);
    auto open_quote = expand_word("\"abc", lookup, '\\', where);

    ASSERT_FALSE(unterminated.ok());
    EXPECT_NE(unterminated.error().message().find("Dockerfile:4:1: missing '}'"), std::string::npos);
    ASSERT_FALSE(bad_modifier.ok());
    EXPECT_NE(bad_modifier.error().message().find("unsupported modifier ':?'"), std::string::npos);
    ASSERT_FALSE(open_quote.ok());
    EXPECT_NE(open_quote.error().message().find("unterminated double quote"), std::string::npos);
}

TEST(DockerfileTest, SplitWordsKeepsQuotedSpaces)
{
    auto words = split_words("A=\"two words\" B='x y' C=plain\\ escaped", '\\');

    EXPECT_EQ(words, (std::vector<std::string> { "A=\"two words\"", "B='x y'", "C=plain\\ escaped" }));
}

TEST(DockerfileTest, KeyValuesInBothEnvForms)
{
    auto parsed = parse_dockerfile("FROM a:1\nENV A=\"x y\" B=${A:-z}\nENV LEGACY some value $HOME\n");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    auto lookup = lookup_from({ { "HOME", "/root" } });

    auto modern = parse_key_values(parsed.value().instructions[1], lookup, '\\');
    auto legacy = parse_key_values(parsed.value().instructions[2], lookup, '\\');

    ASSERT_TRUE(modern.ok()) << modern.error().message();
    ASSERT_EQ(modern.value().size(), 2u);
    EXPECT_EQ(modern.value()[0], (std::pair<std::string, std::string> { "A", "x y" }));
    EXPECT_EQ(modern.value()[1], (std::pair<std::string, std::string> { "B", "z" }));
    ASSERT_TRUE(legacy.ok()) << legacy.error().message();
    ASSERT_EQ(legacy.value().size(), 1u);
    EXPECT_EQ(legacy.value()[0], (std::pair<std::string, std::string> { "LEGACY", "some value /root" }));
}

// [SECTION] Limits on hostile Dockerfiles (issue 17).

TEST(DockerfileTest, LineLongerThanTheLimitIsRefusedNamingFileAndLine)
{
    std::string text = "FROM busybox:1\nRUN echo " + std::string(engine::build::k_max_dockerfile_line_bytes, 'x') + "\n";

    auto parsed = parse_dockerfile(text, "ctx/Dockerfile");

    ASSERT_FALSE(parsed.ok());
    const auto& message = parsed.error().message();
    EXPECT_EQ(message.rfind("ctx/Dockerfile:2:1: line is 65545 bytes long; the limit is 65536", 0), 0U) << message;
    EXPECT_LT(message.size(), 200U);
}

TEST(DockerfileTest, InstructionJoinedPastTheLimitIsRefusedAtItsFirstLine)
{
    std::string text = "FROM busybox:1\nRUN echo \\\n";
    std::string piece = std::string(60000, 'y') + " \\\n";
    for (size_t joined = 0; joined <= engine::build::k_max_instruction_bytes; joined += piece.size())
        text += piece;
    text += "done\n";

    auto parsed = parse_dockerfile(text);

    ASSERT_FALSE(parsed.ok());
    const auto& message = parsed.error().message();
    EXPECT_EQ(message.rfind("Dockerfile:2:1: instruction continues over more than 1048576 bytes", 0), 0U) << message;
}

TEST(DockerfileTest, MoreInstructionsThanTheLimitAreRefusedNamingTheFirstOneOver)
{
    std::string text = "FROM busybox:1\n";
    for (size_t i = 1; i <= engine::build::k_max_instructions; ++i)
        text += "ENV A" + std::to_string(i) + "=1\n";

    auto parsed = parse_dockerfile(text);

    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().message().rfind("Dockerfile:1001:1: more than 1000 instructions (this Dockerfile has 1001)", 0), 0U)
        << parsed.error().message();
}

TEST(DockerfileTest, InstructionCountAtTheLimitParses)
{
    std::string text = "FROM busybox:1\n";
    for (size_t i = 1; i < engine::build::k_max_instructions; ++i)
        text += "ENV A" + std::to_string(i) + "=1\n";

    auto parsed = parse_dockerfile(text);

    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(parsed.value().instructions.size(), engine::build::k_max_instructions);
}

TEST(DockerfileTest, ErrorsQuoteAtMost200BytesOfAWord)
{
    std::string word(60000, 'z');

    auto unknown = parse_dockerfile("FROM busybox:1\n" + word + " x\n");
    auto stage = parse_dockerfile("FROM busybox:1 AS " + word + "!\n");

    ASSERT_FALSE(unknown.ok());
    EXPECT_LT(unknown.error().message().size(), 300U) << unknown.error().message().substr(0, 300);
    EXPECT_NE(unknown.error().message().find("... (60000 bytes)"), std::string::npos);
    ASSERT_FALSE(stage.ok());
    EXPECT_LT(stage.error().message().size(), 400U) << stage.error().message().substr(0, 400);
}

TEST(DockerfileTest, OnbuildChainIsRefusedWithoutRecursingPerWord)
{
    std::string text = "FROM busybox:1\n";
    for (int i = 0; i < 8000; ++i)
        text += "ONBUILD ";
    text += "RUN true\n";

    auto parsed = parse_dockerfile(text);

    ASSERT_FALSE(parsed.ok());
    EXPECT_NE(parsed.error().message().find("Dockerfile:2:1: ONBUILD cannot trigger ONBUILD"), std::string::npos)
        << parsed.error().message().substr(0, 300);
}

TEST(DockerfileTest, SubstitutionsNestedPastTheLimitAreRefused)
{
    auto lookup = lookup_from({});
    std::string word;
    for (int i = 0; i < 10000; ++i)
        word += "${A:-";
    word += "x" + std::string(10000, '}');

    auto expanded = expand_word(word, lookup, '\\', SourceLocation { "Dockerfile", 3, 1 });

    ASSERT_FALSE(expanded.ok());
    EXPECT_NE(expanded.error().message().find("substitutions nested deeper than 64 levels"), std::string::npos);
    EXPECT_LT(expanded.error().message().size(), 400U);
}
