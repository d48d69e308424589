// Go-template subset, docker tables and human renderings.
#include "engine/cli/format.h"

#include "engine/cli/commands/commands.h"

#include <gtest/gtest.h>

using engine::cli::Json;

TEST(TemplateTest, FieldsNestedPathsAndFunctions)
{
    Json data = Json::parse(R"({"State":{"Status":"running","Pid":42},"Name":"/web","Labels":{"k":"v"},"Args":["a","b"],"Gone":null})");

    EXPECT_EQ(engine::cli::render_template("{{.State.Status}} {{.State.Pid}}", data).value(), "running 42");
    EXPECT_EQ(engine::cli::render_template("{{json .Labels}}", data).value(), R"({"k":"v"})");
    EXPECT_EQ(engine::cli::render_template("{{index .Labels \"k\"}}", data).value(), "v");
    EXPECT_EQ(engine::cli::render_template("{{.Args}} {{join .Args \",\"}} {{len .Args}}", data).value(), "[a b] a,b 2");
    EXPECT_EQ(engine::cli::render_template("{{.Missing.Field}}|{{.Gone}}", data).value(), "<no value>|<no value>");
    EXPECT_EQ(engine::cli::render_template("{{upper .State.Status}}\\t{{.Labels}}", data).value(), "RUNNING\tmap[k:v]");
    EXPECT_EQ(engine::cli::render_template("{{ .Name -}}  !", data).value(), "/web!");
}

TEST(TemplateTest, MalformedTemplatesAreErrors)
{
    EXPECT_FALSE(engine::cli::render_template("{{.Name", Json::object()).ok());
    EXPECT_FALSE(engine::cli::render_template("{{nosuchfunc .Name}}", Json::object()).ok());
    EXPECT_FALSE(engine::cli::render_template("{{}}", Json::object()).ok());
}

TEST(TableTest, ColumnsArePaddedLikeGoTabwriter)
{
    auto out = engine::cli::align_columns({ "CONTAINER ID\tNAMES", "abc\tweb" });

    EXPECT_EQ(out, "CONTAINER ID   NAMES\nabc            web\n");
}

TEST(TableTest, TableFormatPrintsHeaderFromFieldNames)
{
    std::vector<Json> rows { { { "ID", "1234" }, { "Names", "a" } }, { { "ID", "5678" }, { "Names", "bb" } } };
    Json headers { { "ID", "CONTAINER ID" }, { "Names", "NAMES" } };

    auto table = engine::cli::render_rows("table {{.ID}}\t{{.Names}}", rows, headers);
    auto plain = engine::cli::render_rows("{{.ID}}:{{.Names}}", rows, headers);

    EXPECT_EQ(table.value(), "CONTAINER ID   NAMES\n1234           a\n5678           bb\n");
    EXPECT_EQ(plain.value(), "1234:a\n5678:bb\n");
}

TEST(HumanFormatTest, PortsIdsAndEllipsis)
{
    Json ports = Json::parse(R"([{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
        {"IP":"::","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},{"PrivatePort":443,"Type":"tcp"}])");

    EXPECT_EQ(engine::cli::format_ports(ports), "0.0.0.0:8080->80/tcp, :::8080->80/tcp, 443/tcp");
    EXPECT_EQ(engine::cli::short_id("sha256:1cae9b38fe1a0123456789"), "1cae9b38fe1a");
    EXPECT_EQ(engine::cli::ellipsis("busybox httpd -f -p 80 -h /etc", 20), "busybox httpd -f -p…");
    EXPECT_EQ(engine::cli::ellipsis("short", 20), "short");
    EXPECT_EQ(engine::cli::time_ago(0), "N/A");
}

TEST(PsRowTest, ContainerListEntryBecomesDockerColumns)
{
    Json entry = Json::parse(R"({"Id":"474935684686c5c829555fc270c65b854ec71ba87bfd86ea964260cbfcc76d4c","Names":["/web"],
        "Image":"bb:1","Command":"busybox httpd -f -p 80 -h /etc","Created":0,"State":"running","Status":"Up 1 second",
        "Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}],"Labels":{"a":"1"}})");

    auto row = engine::cli::ps_row(entry, false);
    auto full = engine::cli::ps_row(entry, true);

    EXPECT_EQ(row["ID"], "474935684686");
    EXPECT_EQ(row["Names"], "web");
    EXPECT_EQ(row["Command"], "\"busybox httpd -f -p…\"");
    EXPECT_EQ(row["Ports"], "0.0.0.0:8080->80/tcp");
    EXPECT_EQ(row["Labels"], "a=1");
    EXPECT_EQ(full["ID"], entry["Id"]);
    EXPECT_EQ(full["Command"], "\"busybox httpd -f -p 80 -h /etc\"");
}
