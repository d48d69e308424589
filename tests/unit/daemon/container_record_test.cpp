// Container records on disk (engine/daemon/container_record.cpp): a record this version writes
// reads back to the same typed values, and a record the previous version wrote (every value as
// the API sent it, plus ImageRef beside Config.Image) still loads.
#include <gtest/gtest.h>

#include "engine/daemon/engine_internal.h"

namespace engine::daemon {
namespace {

using nlohmann::json;

const std::string k_other_id = std::string(64, 'b');

ContainerView sample_view()
{
    ContainerView view;
    view.id = std::string(64, 'a');
    view.name = "web";
    view.image_id = "sha256:" + std::string(64, 'c');
    view.config.image = image::ImageName::parse("busybox").value();
    view.config.pid_mode = PidMode::parse("container:" + k_other_id).value();
    view.config.volumes_from = { VolumesFrom::parse("data:ro").value(), VolumesFrom::parse("logs").value() };
    view.config.network_mode = NetworkMode::parse("none").value();
    return view;
}

ContainerView load(const json& record)
{
    ContainerView view;
    std::vector<RecordedMount> mounts;
    ProcessIdentity process;
    auto loaded = container_from_json(record, view, mounts, process);
    EXPECT_TRUE(loaded.ok()) << loaded.error().describe();
    return view;
}

TEST(ContainerRecordTest, NewRecordRoundTripsTheParsedValues)
{
    auto view = sample_view();

    auto record = container_to_json(view, {}, {});
    auto back = load(json::parse(record.dump()));

    EXPECT_EQ(back.config.image, view.config.image);
    EXPECT_EQ(back.config.pid_mode, view.config.pid_mode);
    EXPECT_EQ(back.config.volumes_from, view.config.volumes_from);
    EXPECT_EQ(back.config.network_mode, view.config.network_mode);
    // On disk the values keep the text the API sent, so an older version reads them too.
    EXPECT_EQ(record["Config"]["Image"], "busybox");
    EXPECT_EQ(record["ImageRef"], "busybox");
    EXPECT_EQ(record["Config"]["PidMode"], "container:" + k_other_id);
    EXPECT_EQ(record["Config"]["VolumesFrom"], json::array({ "data:ro", "logs" }));
}

TEST(ContainerRecordTest, RecordOfThePreviousVersionLoads)
{
    // The shape the previous version wrote: Config.Image, PidMode and VolumesFrom as strings.
    auto record = json::parse(R"({
        "SchemaVersion": 1, "Id": ")" + std::string(64, 'a') + R"(", "Name": "web",
        "ImageId": "sha256:)" + std::string(64, 'c') + R"(", "ImageRef": "localhost:5000/app:v2",
        "Path": "sh", "Args": [],
        "Config": { "Image": "localhost:5000/app:v2", "NetworkMode": "default",
            "PidMode": "container:)" + k_other_id + R"(", "VolumesFrom": ["data:ro", "logs:rw"] },
        "State": { "Status": "exited" } })");

    auto view = load(record);

    EXPECT_EQ(view.config.image.text, "localhost:5000/app:v2");
    ASSERT_TRUE(view.config.image.reference);
    EXPECT_EQ(view.config.image.reference->name, "localhost:5000/app");
    EXPECT_EQ(view.config.image.reference->tag, "v2");
    EXPECT_TRUE(view.config.pid_mode.is(PidMode::Kind::Container));
    EXPECT_EQ(view.config.pid_mode.container, k_other_id);
    ASSERT_EQ(view.config.volumes_from.size(), 2U);
    EXPECT_TRUE(view.config.volumes_from[0].read_only());
    EXPECT_EQ(view.config.volumes_from[1].text(), "logs:rw");
    // Written again, the record is what the previous version wrote.
    auto again = container_to_json(view, {}, {});
    EXPECT_EQ(again["Config"]["Image"], record["Config"]["Image"]);
    EXPECT_EQ(again["Config"]["PidMode"], record["Config"]["PidMode"]);
    EXPECT_EQ(again["Config"]["VolumesFrom"], record["Config"]["VolumesFrom"]);
}

TEST(ContainerRecordTest, ImageByIdAndWithoutPidModeOrVolumesFromLoad)
{
    auto id = "sha256:" + std::string(64, 'c');
    auto view = load({ { "Id", std::string(64, 'a') }, { "Config", { { "Image", id }, { "PidMode", "" } } } });

    EXPECT_EQ(view.config.image.text, id);
    EXPECT_EQ(view.config.image.id_prefix, std::string(64, 'c'));
    EXPECT_TRUE(view.config.pid_mode.is(PidMode::Kind::Private));
    EXPECT_TRUE(view.config.volumes_from.empty());
}

TEST(ContainerRecordTest, ValuesThisVersionRefusesAreLeftOutButTheImageTextStays)
{
    auto view = load({ { "Id", std::string(64, 'a') },
        { "Config", { { "Image", "Not/A/Reference" }, { "PidMode", "bogus" }, { "VolumesFrom", json::array({ "data:xx", "logs" }) } } } });

    EXPECT_EQ(view.config.image.text, "Not/A/Reference");
    EXPECT_FALSE(view.config.image.reference);
    EXPECT_TRUE(view.config.pid_mode.is(PidMode::Kind::Private));
    ASSERT_EQ(view.config.volumes_from.size(), 1U);
    EXPECT_EQ(view.config.volumes_from[0].text(), "logs");
}

} // namespace
} // namespace engine::daemon
