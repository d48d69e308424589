// Every lesson in the repository loads: its YAML, keys, checks and focus selectors are valid,
// so a typo in a lesson fails CI with the file, line and column. Also resolves lesson names.
#include <gtest/gtest.h>

#include "engine/lesson/loader.h"

namespace engine::lesson {
namespace {

std::string lessons_dir()
{
    return std::string(GLASSBOX_SOURCE_ROOT) + "/lessons";
}

TEST(RepoLessonsTest, EveryLessonYamlLoads)
{
    auto ids = list_lesson_ids(lessons_dir());
    ASSERT_FALSE(ids.empty()) << "no lessons in " << lessons_dir();

    for (auto& id : ids) {
        auto lesson = load_lesson(lessons_dir() + "/" + id);
        if (!lesson.ok()) {
            ADD_FAILURE() << lesson.error().message();
            continue;
        }
        EXPECT_GE(lesson.value().steps.size(), 1u) << id;
    }
}

TEST(RepoLessonsTest, EveryNumberedLessonHasAtLeastFourCheckedSteps)
{
    for (auto& id : list_lesson_ids(lessons_dir())) {
        if (id.rfind("00-", 0) == 0)
            continue;
        auto lesson = load_lesson(lessons_dir() + "/" + id);
        if (!lesson.ok())
            continue; // Reported by EveryLessonYamlLoads.
        EXPECT_GE(lesson.value().steps.size(), 4u) << id;
    }
}

TEST(RepoLessonsTest, NamesResolveByNumberSlugOrId)
{
    EXPECT_EQ(resolve_lesson_id(lessons_dir(), "00").value(), "00-template");
    EXPECT_EQ(resolve_lesson_id(lessons_dir(), "0").value(), "00-template");
    EXPECT_EQ(resolve_lesson_id(lessons_dir(), "template").value(), "00-template");
    EXPECT_EQ(resolve_lesson_id(lessons_dir(), "00-template").value(), "00-template");
    auto missing = resolve_lesson_id(lessons_dir(), "no-such-lesson");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message().find("00-template"), std::string::npos);
}

} // namespace
} // namespace engine::lesson
