// The progress store: a missing file is no progress, a saved one reads back, a corrupt one is an
// error naming the file, and the path follows GLASSBOX_LESSON_STATE / XDG_STATE_HOME / HOME.
#include "engine/lesson/progress.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace engine::lesson {
namespace {

class ProgressTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/gb-progress-XXXXXX";
        m_dir = mkdtemp(pattern);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::string m_dir;
};

TEST_F(ProgressTest, MissingFileIsEmptyProgress)
{
    auto progress = load_progress(m_dir + "/none.json");

    ASSERT_TRUE(progress.ok());
    EXPECT_EQ(progress.value().current, "");
    EXPECT_TRUE(progress.value().lessons.empty());
}

TEST_F(ProgressTest, SavedProgressReadsBackAndCreatesTheDirectory)
{
    Progress progress;
    progress.current = "01-first-container";
    progress.lessons["01-first-container"] = { 2, { "run-it", "look" }, false };
    progress.lessons["00-template"] = { 3, {}, true };
    std::string path = m_dir + "/state/glassbox/lessons.json";

    ASSERT_TRUE(save_progress(path, progress).ok());
    auto loaded = load_progress(path);

    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    EXPECT_EQ(loaded.value().current, "01-first-container");
    EXPECT_EQ(loaded.value().lessons["01-first-container"].step, 2);
    EXPECT_EQ(loaded.value().lessons["01-first-container"].passed, (std::vector<std::string> { "run-it", "look" }));
    EXPECT_TRUE(loaded.value().lessons["00-template"].completed);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(ProgressTest, CorruptFileIsAnErrorNamingIt)
{
    std::string path = m_dir + "/lessons.json";
    std::ofstream(path) << "{not json";

    auto loaded = load_progress(path);

    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().message().find(path), std::string::npos);
}

TEST_F(ProgressTest, PathFollowsTheEnvironment)
{
    unsetenv("GLASSBOX_LESSON_STATE");
    setenv("XDG_STATE_HOME", "/x/state", 1);
    EXPECT_EQ(default_progress_path(), "/x/state/glassbox/lessons.json");
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/home/learner", 1);
    EXPECT_EQ(default_progress_path(), "/home/learner/.local/state/glassbox/lessons.json");
    setenv("GLASSBOX_LESSON_STATE", "/tmp/p.json", 1);
    EXPECT_EQ(default_progress_path(), "/tmp/p.json");
    unsetenv("GLASSBOX_LESSON_STATE");
}

} // namespace
} // namespace engine::lesson
