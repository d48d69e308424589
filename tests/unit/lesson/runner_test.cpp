// The runner's daemon-free parts: a step's view and its checks over a given snapshot, and the
// JSON form `glassbox lesson check --json` prints.
#include "engine/lesson/runner.h"

#include <gtest/gtest.h>

#include "engine/lesson/loader.h"
#include "tests/unit/lesson/test_snapshot.h"

namespace engine::lesson {
namespace {

Lesson template_lesson()
{
    auto lesson = load_lesson(std::string(GLASSBOX_SOURCE_ROOT) + "/lessons/00-template");
    EXPECT_TRUE(lesson.ok()) << lesson.error().message();
    return lesson.release_value();
}

TEST(RunnerTest, ChecksOfAMissingContainerFailWithTheirHints)
{
    Lesson lesson = template_lesson();

    StepCheck result = Runner::check_step(lesson, 0, testing::sample_snapshot());

    EXPECT_FALSE(result.passed);
    EXPECT_EQ(result.step, "run-it");
    ASSERT_FALSE(result.checks.empty());
    EXPECT_FALSE(result.checks[0].passed);
    EXPECT_EQ(result.checks[0].found, "no container named tpl-web");
    EXPECT_EQ(result.checks[0].hint, lesson.steps[0].checks[0].hint);
}

TEST(RunnerTest, JsonFormHasTheAgreedFields)
{
    Lesson lesson = template_lesson();

    auto json = Runner::check_step(lesson, 0, testing::sample_snapshot()).to_json();

    EXPECT_EQ(json["lesson"], "00-template");
    EXPECT_EQ(json["step"], "run-it");
    EXPECT_EQ(json["passed"], false);
    auto& check = json["checks"][0];
    for (const char* key : { "that", "passed", "found", "hint", "focus" })
        EXPECT_TRUE(check.contains(key)) << key;
    EXPECT_EQ(check["focus"][0], "container(tpl-web)");
}

TEST(RunnerTest, ViewPastTheLastStepIsFinished)
{
    Lesson lesson = template_lesson();

    StepView first = Runner::view(lesson, 0);
    StepView past = Runner::view(lesson, static_cast<int>(lesson.steps.size()));

    EXPECT_EQ(first.index, 0);
    EXPECT_EQ(first.count, static_cast<int>(lesson.steps.size()));
    EXPECT_FALSE(first.commands.empty());
    EXPECT_FALSE(first.finished);
    EXPECT_TRUE(past.finished);
}

} // namespace
} // namespace engine::lesson
