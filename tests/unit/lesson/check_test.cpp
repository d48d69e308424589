// The check language: parsing (precedence, errors with their offsets, schema-checked fields)
// and evaluation over the hand-built snapshot in test_snapshot.h (every operator, derived
// fields, strict failures for missing objects).
#include "engine/lesson/check.h"

#include <gtest/gtest.h>

#include "tests/unit/lesson/test_snapshot.h"

namespace engine::lesson {
namespace {

Expression parse_ok(const std::string& text)
{
    auto parsed = parse_check(text);
    if (auto* error = std::get_if<ParseError>(&parsed))
        ADD_FAILURE() << text << ": " << error->offset << ": " << error->message;
    return std::get<Expression>(parsed);
}

ParseError parse_error(const std::string& text)
{
    auto parsed = parse_check(text);
    if (std::holds_alternative<Expression>(parsed)) {
        ADD_FAILURE() << text << " parsed, expected an error";
        return {};
    }
    return std::get<ParseError>(parsed);
}

Evaluation run(const std::string& text)
{
    return evaluate(parse_ok(text), testing::sample_snapshot());
}

bool passes(const std::string& text)
{
    Evaluation result = run(text);
    EXPECT_FALSE(result.error) << text << ": " << result.found;
    return result.passed;
}

TEST(CheckParseTest, AndBindsTighterThanOrAndNotTighterThanAnd)
{
    Expression expression = parse_ok("not true and false or true");

    ASSERT_EQ(expression.root->kind, NodeKind::Or);
    EXPECT_EQ(expression.root->children[0]->kind, NodeKind::And);
    EXPECT_EQ(expression.root->children[0]->children[0]->kind, NodeKind::Not);
}

TEST(CheckParseTest, ComparisonBindsTighterThanNot)
{
    Expression expression = parse_ok("not container(web).status == \"running\"");

    ASSERT_EQ(expression.root->kind, NodeKind::Not);
    EXPECT_EQ(expression.root->children[0]->kind, NodeKind::Compare);
}

TEST(CheckParseTest, UnknownKindIsReportedAtItsOffset)
{
    ParseError error = parse_error("count(contaner(web)) == 1");

    EXPECT_EQ(error.offset, 6u);
    EXPECT_NE(error.message.find("unknown object kind 'contaner'"), std::string::npos) << error.message;
}

TEST(CheckParseTest, NumbersPastTheirRangeAreParseErrorsNotExceptions)
{
    // Found by the lesson fuzzer: std::stoll threw out of the parser and ended the process.
    ParseError integer = parse_error("count(container(web)) == 99999999999999999999999");
    ParseError index = parse_error("link(in: container(web), name: eth0).addresses[99999999999999999999].prefix == 16");

    EXPECT_NE(integer.message.find("is too large"), std::string::npos) << integer.message;
    EXPECT_NE(index.message.find("is too large"), std::string::npos) << index.message;
}

TEST(CheckParseTest, FieldMissingFromTheSchemaIsAParseError)
{
    ParseError error = parse_error("container(web).pidd == 1");

    EXPECT_EQ(error.offset, 15u);
    EXPECT_EQ(error.message, "container has no field 'pidd'");
}

TEST(CheckParseTest, FieldOfADerivedObjectIsCheckedAgainstItsKind)
{
    ParseError error = parse_error("link(in: container(web), kind: veth).peer.mastr == bridge(glassbox0)");

    EXPECT_EQ(error.message, "link has no field 'mastr'");
    EXPECT_EQ(error.offset, 42u);
}

TEST(CheckParseTest, UnknownSelectorKeyNamesTheKeysOfTheKind)
{
    ParseError error = parse_error("link(kinds: veth).up == true");

    EXPECT_EQ(error.offset, 5u);
    EXPECT_NE(error.message.find("unknown key 'kinds' for link (keys: in, name, kind, master)"), std::string::npos) << error.message;
}

TEST(CheckParseTest, ChainedComparisonsAndUnclosedThingsAreErrors)
{
    EXPECT_NE(parse_error("1 == 1 == true").message.find("do not chain"), std::string::npos);
    EXPECT_NE(parse_error("container(web").message.find("expected ',' or ')'"), std::string::npos);
    EXPECT_NE(parse_error("container(web).status == \"run").message.find("not closed"), std::string::npos);
    EXPECT_NE(parse_error("container(web).status matches \"(\"").message.find("bad regular expression"), std::string::npos);
    EXPECT_NE(parse_error("container(web).status.x == 1").message.find("not an object"), std::string::npos);
    EXPECT_EQ(parse_error("container(web) ==").offset, 17u);
}

TEST(CheckParseTest, ImageReferencesAreOnePositionalArgument)
{
    Expression expression = parse_ok("image(busybox:1.35.0).id != null");

    const Node& selector = *expression.root->children[0]->children[0];
    ASSERT_EQ(selector.args.size(), 1u);
    EXPECT_EQ(selector.args[0].key, "");
    EXPECT_EQ(selector.args[0].literal, "busybox:1.35.0");
}

TEST(CheckEvalTest, ComparesFieldsOfAContainer)
{
    EXPECT_TRUE(passes("container(web).status == \"running\""));
    EXPECT_TRUE(passes("container(web).status != \"exited\""));
    EXPECT_TRUE(passes("container(web).pid > 4000 and container(web).pid >= 4242 and container(web).pid < 5000 and container(web).pid <= 4242"));
    EXPECT_FALSE(passes("container(web).pid < 4242"));
    EXPECT_TRUE(passes("container(c0f).name == \"web\"")); // An id prefix selects too.
}

TEST(CheckEvalTest, MissingContainerFailsNamingIt)
{
    Evaluation result = run("container(nope).status != \"running\"");

    EXPECT_FALSE(result.passed);
    EXPECT_TRUE(result.error);
    EXPECT_EQ(result.found, "no container named nope");
}

TEST(CheckEvalTest, NotOfAMissingObjectStillFails)
{
    Evaluation result = run("not container(nope).status == \"running\"");

    EXPECT_FALSE(result.passed);
    EXPECT_EQ(result.found, "no container named nope");
}

TEST(CheckEvalTest, ExistsAndCountSeeMissingObjectsAsNone)
{
    EXPECT_FALSE(passes("exists(container(nope))"));
    EXPECT_TRUE(passes("not exists(container(nope))"));
    EXPECT_TRUE(passes("count(container()) == 2"));
    EXPECT_TRUE(passes("count(link(in: container(web))) == 2"));
    EXPECT_EQ(run("exists(container(nope))").found, "no container named nope");
}

TEST(CheckEvalTest, AmbiguousSelectorIsAnError)
{
    Evaluation result = run("link(in: container(web)).up == true");

    EXPECT_TRUE(result.error);
    EXPECT_NE(result.found.find("matches 2 links (lo, eth0)"), std::string::npos) << result.found;
}

TEST(CheckEvalTest, FoundShowsTheLeftValueOfAFailedComparison)
{
    Evaluation result = run("container(db).status == \"running\"");

    EXPECT_FALSE(result.passed);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.found, "\"exited\"");
}

TEST(CheckEvalTest, Pid1AndSignalStates)
{
    EXPECT_TRUE(passes("container(web).pid1.comm == \"sleep\""));
    EXPECT_TRUE(passes("container(web).pid1.nspid_inner == 1 and container(web).pid1.host_pid == 4242"));
    EXPECT_TRUE(passes("container(web).pid1.signals.TERM == \"default\""));
    EXPECT_TRUE(passes("container(web).pid1.signals.PIPE == \"ignored\""));
    EXPECT_TRUE(passes("container(web).pid1.signals.HUP == \"blocked\""));
    EXPECT_TRUE(passes("process(4243).signals.TERM == \"caught\""));
    EXPECT_TRUE(passes("container(web).pid1.children.zombie contains true"));
    EXPECT_TRUE(passes("process(4243).parent == container(web).pid1"));
    EXPECT_TRUE(passes("process(4243).container == container(web)"));
}

TEST(CheckEvalTest, StoppedContainerHasNoPid1)
{
    Evaluation result = run("container(db).pid1.comm == \"sleep\"");

    EXPECT_TRUE(result.error);
    EXPECT_NE(result.found.find("is null"), std::string::npos) << result.found;
}

TEST(CheckEvalTest, VethPeerAndMasterAcrossNamespaces)
{
    EXPECT_TRUE(passes("link(in: container(web), kind: veth).peer.master == bridge(glassbox0)"));
    EXPECT_TRUE(passes("link(in: container(web), kind: veth).peer.name == \"gb-c0ffee\""));
    EXPECT_TRUE(passes("bridge(glassbox0).ports contains link(in: host(), name: gb-c0ffee)"));
    EXPECT_TRUE(passes("network(back).bridge == bridge(glassbox0)"));
    EXPECT_TRUE(passes("container(web).links.name == [\"lo\", \"eth0\"]"));
    EXPECT_TRUE(passes("container(web).addresses.ip contains \"172.18.0.2\""));
    EXPECT_TRUE(passes("link(in: container(web), name: eth0).addresses[0].prefix == 16"));
    EXPECT_TRUE(passes("route(in: container(web), dst: default).gateway == \"172.18.0.1\""));
    EXPECT_EQ(run("bridge(docker0).up == true").found, "no bridge named docker0 in the host");
}

TEST(CheckEvalTest, LayersAreSharedBetweenImages)
{
    EXPECT_TRUE(passes("image(app:1).layers[0] shared_with image(app:2)"));
    EXPECT_FALSE(passes("image(app:1).layers[1] shared_with image(app:2)"));
    EXPECT_FALSE(passes("image(app:1).layers shared_with image(app:2)"));
    EXPECT_TRUE(passes("image(app:1) shared_with image(app:2)"));
    EXPECT_FALSE(passes("image(other:1) shared_with image(app:2)"));
    EXPECT_TRUE(passes("image(app:1).layers[-1].created_by == \"RUN echo 1\""));
    EXPECT_TRUE(passes("container(web).root.layers == image(app:1).layers"));
    EXPECT_TRUE(passes("count(layer(sha256:base).images) == 2"));
    EXPECT_EQ(run("image(app:9).id == null").found, "no image tagged app:9");
}

TEST(CheckEvalTest, NamespacesSharedWithTheHostOrNot)
{
    EXPECT_FALSE(passes("namespace(type: net, of: container(web)) shared_with namespace(type: net, of: host())"));
    EXPECT_TRUE(passes("namespace(type: net, of: process(4243)) shared_with namespace(type: net, of: container(web))"));
    EXPECT_TRUE(passes("container(web).namespaces.net != host().namespaces.net"));
    EXPECT_TRUE(passes("count(namespace(type: net, of: container(web)).processes) == 2"));
    EXPECT_TRUE(run("container(web) shared_with container(db)").error);
}

TEST(CheckEvalTest, VolumesMountsNetworksCgroupsAndRules)
{
    EXPECT_TRUE(passes("mount(in: container(web), target: \"/data\").volume == volume(data)"));
    EXPECT_TRUE(passes("volume(data).containers contains container(web)"));
    EXPECT_TRUE(passes("container(web) in network(back).containers"));
    EXPECT_TRUE(passes("container(web).networks[0].driver == \"bridge\""));
    EXPECT_TRUE(passes("\"back\" in container(web).networks"));
    EXPECT_TRUE(passes("cgroup(of: container(web)).memory_max == 67108864"));
    EXPECT_TRUE(passes("container(web).cgroup.pids_current == 2"));
    EXPECT_TRUE(passes("exists(nft_rule(contains: \"dnat to 172.18.0.2:80\"))"));
    EXPECT_FALSE(passes("exists(nft_rule(contains: \"masquerade\"))"));
}

TEST(CheckEvalTest, InContainsAndMatches)
{
    EXPECT_TRUE(passes("\"app:1\" in container(web).image_tags"));
    EXPECT_TRUE(passes("container(web).image_tags contains \"app:1\""));
    EXPECT_TRUE(passes("\"run\" in container(web).status"));
    EXPECT_TRUE(passes("container(web).status in [\"running\", \"paused\"]"));
    EXPECT_TRUE(passes("container(web).status matches \"^run+ing$\""));
    EXPECT_TRUE(passes("container(web) matches \"^we\""));
    EXPECT_FALSE(passes("container(db).status matches \"^run\""));
    EXPECT_TRUE(run("container(web).pid in 12").error);
}

TEST(CheckEvalTest, HostFields)
{
    EXPECT_TRUE(passes("host().kernel_release == \"6.1.0\""));
    EXPECT_TRUE(passes("host().features contains \"link.macvlan\""));
    EXPECT_FALSE(passes("host().features contains \"link.ipvlan\""));
}

TEST(CheckEvalTest, NonBooleanCheckIsAnError)
{
    Evaluation result = run("container(web).status");

    EXPECT_TRUE(result.error);
    EXPECT_NE(result.found.find("not true or false"), std::string::npos);
}

TEST(CheckEvalTest, OrReportsBothSidesWhenBothFail)
{
    Evaluation result = run("container(db).status == \"running\" or container(db).pid == 1");

    EXPECT_FALSE(result.passed);
    EXPECT_EQ(result.found, "\"exited\"; 0");
}

} // namespace
} // namespace engine::lesson
