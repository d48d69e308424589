// Every lesson in the repository loads: its YAML, keys, checks and focus selectors are valid,
// so a typo in a lesson fails CI with the file, line and column. Also resolves lesson names, and
// checks that the lesson paths in the sources' "Lesson:" comments exist.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

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

// A source comment that begins "Lesson:" and names a lesson's folder sends a reader to the lesson
// that shows the code at work; every such path on the line must exist and name a lesson, not the
// folder of all lessons.
TEST(RepoLessonsTest, LessonCommentsInTheSourcesNameLessonsThatExist)
{
    namespace stdfs = std::filesystem;
    const stdfs::path root(GLASSBOX_SOURCE_ROOT);
    // Built in two pieces so that this file does not match itself.
    const std::string marker = std::string("Lesson: ") + "lessons/";
    const std::regex path_pattern(std::string("lesson") + R"(s/[A-Za-z0-9_./-]*)");
    int comments = 0;
    for (const char* top : { "engine", "python", "visualizer", "scripts", "tests" }) {
        if (!stdfs::is_directory(root / top))
            continue;
        for (const auto& entry : stdfs::recursive_directory_iterator(root / top)) {
            auto extension = entry.path().extension().string();
            if (!entry.is_regular_file()
                || (extension != ".h" && extension != ".cpp" && extension != ".c" && extension != ".py"))
                continue;
            std::ifstream file(entry.path());
            std::string line;
            for (int number = 1; std::getline(file, line); ++number) {
                auto at = line.find(marker);
                if (at == std::string::npos)
                    continue;
                ++comments;
                auto where = stdfs::relative(entry.path(), root).string() + ":" + std::to_string(number);
                std::string rest = line.substr(at + marker.find("lessons/"));
                for (std::sregex_iterator match(rest.begin(), rest.end(), path_pattern), end; match != end; ++match) {
                    std::string path = match->str();
                    while (!path.empty() && (path.back() == '.' || path.back() == ','))
                        path.pop_back();
                    EXPECT_NE(path, marker.substr(marker.find("lessons/"))) << where << " names no lesson";
                    EXPECT_TRUE(stdfs::exists(root / path)) << where << ": " << path << " does not exist";
                }
            }
        }
    }
    EXPECT_GT(comments, 0) << "no Lesson: comments found under " << root;
}

} // namespace
} // namespace engine::lesson
