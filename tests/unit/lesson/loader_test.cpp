// Loading lesson.yaml: a good lesson becomes the model; malformed ones (bad YAML, unknown key,
// missing field, unknown object kind, nonexistent field) fail with file:line:column.
#include "engine/lesson/loader.h"

#include <gtest/gtest.h>

namespace engine::lesson {
namespace {

const char* k_good = R"yaml(title: First
summary: One container.
minutes: 5
requires:
  root: true
  features: [link.macvlan]
steps:
  - id: run-it
    title: Run it
    explain: |
      Run a container.
    commands:
      - glassbox run -d --name web busybox:1.35.0 sleep 60
      - run: glassbox build -t bad ./bad
        fails: true
    checks:
      - that: 'container(web).status == "running"'
        hint: Start web.
    focus:
      - 'container(web)'
      - 'link(in: container(web), kind: veth)'
    question:
      ask: Why?
      answer: Because.
    wait: 2
    cleanup: [glassbox rm -f web]
  - id: second
    title: Second
    explain: More.
    checks:
      - that: "not exists(container(web))"
        hint: Remove web.
)yaml";

std::string load_error(const std::string& text)
{
    auto result = parse_lesson(text, "lessons/99-x/lesson.yaml", "99-x", "/tmp");
    if (result.ok()) {
        ADD_FAILURE() << "loaded, expected an error";
        return "";
    }
    return result.error().message();
}

TEST(LoaderTest, GoodLessonBecomesTheModel)
{
    auto result = parse_lesson(k_good, "lessons/99-x/lesson.yaml", "99-x", "/tmp");

    ASSERT_TRUE(result.ok()) << result.error().message();
    const Lesson& lesson = result.value();
    EXPECT_EQ(lesson.id, "99-x");
    EXPECT_EQ(lesson.minutes, 5);
    EXPECT_TRUE(lesson.requires_root);
    EXPECT_EQ(lesson.features, std::vector<std::string> { "link.macvlan" });
    ASSERT_EQ(lesson.steps.size(), 2u);
    const Step& step = lesson.steps[0];
    EXPECT_EQ(step.commands.size(), 2u);
    EXPECT_TRUE(step.commands[1].fails);
    EXPECT_EQ(step.solution.size(), 2u); // Defaults to the commands.
    EXPECT_EQ(step.focus.size(), 2u);
    EXPECT_EQ(step.question->answer, "Because.");
    EXPECT_EQ(step.wait, 2);
    EXPECT_EQ(step.cleanup[0].run, "glassbox rm -f web");
    EXPECT_EQ(step.checks[0].expression.root->kind, NodeKind::Compare);
    EXPECT_EQ(step.explain, "Run a container.\n");
}

TEST(LoaderTest, BadYamlNamesLineAndColumn)
{
    std::string error = load_error("title: x\nsummary: y\nsteps:\n  - id: a\n   title: [\n");

    EXPECT_EQ(error.rfind("lessons/99-x/lesson.yaml:5:", 0), 0u) << error;
    EXPECT_NE(error.find("bad YAML"), std::string::npos) << error;
    // Not a value with ': ' in it, so no advice to quote one.
    EXPECT_EQ(error.find("must be quoted"), std::string::npos) << error;
}

TEST(LoaderTest, UnquotedCheckWithKeyArgumentsIsBadYamlAtItsLine)
{
    std::string text = k_good;
    text.replace(text.find("'container(web).status == \"running\"'"), 36, "exists(link(in: container(web)))");

    std::string error = load_error(text);

    EXPECT_EQ(error.rfind("lessons/99-x/lesson.yaml:17:", 0), 0u) << error;
    EXPECT_NE(error.find("containing ': ' must be quoted"), std::string::npos) << error;
}

TEST(LoaderTest, UnknownKeyNamesItsPlace)
{
    std::string text = k_good;
    text.replace(text.find("    wait: 2"), 11, "    wiat: 2");

    EXPECT_EQ(load_error(text).rfind("lessons/99-x/lesson.yaml:25:5: unknown key 'wiat' in a step", 0), 0u) << load_error(text);
}

TEST(LoaderTest, MissingFieldIsNamed)
{
    std::string error = load_error("title: x\nsteps:\n  - id: a\n");

    EXPECT_EQ(error, "lessons/99-x/lesson.yaml:1:1: the lesson has no 'summary'");
}

TEST(LoaderTest, UnknownObjectKindPointsIntoTheCheck)
{
    std::string text = k_good;
    text.replace(text.find("'container(web).status"), 22, "'contaner(web).status");

    std::string error = load_error(text);

    // Line 17, the check's text starts at column 16 (after the quote), the kind at its start.
    EXPECT_EQ(error.rfind("lessons/99-x/lesson.yaml:17:16: unknown object kind 'contaner'", 0), 0u) << error;
}

TEST(LoaderTest, NonexistentFieldPointsAtTheField)
{
    std::string text = k_good;
    text.replace(text.find("container(web).status =="), 24, "container(web).statuss ==");

    std::string error = load_error(text);

    EXPECT_EQ(error, "lessons/99-x/lesson.yaml:17:31: container has no field 'statuss'");
}

TEST(LoaderTest, DuplicateStepIdsAndBadWaitAreRefused)
{
    std::string duplicate = k_good;
    duplicate.replace(duplicate.find("id: second"), 10, "id: run-it");
    std::string long_wait = k_good;
    long_wait.replace(long_wait.find("wait: 2"), 7, "wait: 99");

    EXPECT_NE(load_error(duplicate).find(":27:9: step id 'run-it' is used twice"), std::string::npos) << load_error(duplicate);
    EXPECT_NE(load_error(long_wait).find("wait must be a number of seconds from 0 to 30"), std::string::npos);
}

TEST(LoaderTest, FocusMustBeASelector)
{
    std::string text = k_good;
    text.replace(text.find("- 'container(web)'"), 18, "- 'count(container())'");

    EXPECT_NE(load_error(text).find("a focus entry is one selector"), std::string::npos) << load_error(text);
}

} // namespace
} // namespace engine::lesson
