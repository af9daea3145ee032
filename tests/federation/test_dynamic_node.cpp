// The files and arguments `basin pool join` derives for a dynamic node.
#include <gtest/gtest.h>

#include "basin/federation/dynamic_node.hpp"

using namespace basin::federation;

namespace {

const char* kPoolConf =
    "ClusterName=basin-local\n"
    "SlurmctldHost=vm(10.65.210.254)\n"
    "SlurmctldPort=16850\n"
    "AuthInfo=socket=/pool/munge/munge.socket\n"
    "PlugStackConfig=/pool/etc/plugstack.conf\n"
    "slurmdspooldir=/pool/spool/%n\n"
    "SlurmdPidFile=/pool/run/slurmd.%n.pid\n"
    "CliFilterPlugins=lua\n"
    "NodeSet=dynamic Feature=dynamic\n"
    "PartitionName=pool Nodes=inst1,dynamic Default=YES\n";

EnrolmentTerms terms() {
  EnrolmentTerms t;
  t.node = "vol7";
  t.site = "home";
  t.tier = Tier::volunteer;
  t.cpus = 4;
  t.memory_mb = 8000;
  return t;
}

}  // namespace

TEST(DynamicNode, ItsSlurmConfIsThePoolsWithItsOwnFiles) {
  const std::string conf = joined_node_slurm_conf(
      kPoolConf, {"/var/lib/basin", "/usr/lib/basin/basin_spank.so", "/run/munge/munge.socket.2"});
  EXPECT_NE(conf.find("\nPlugStackConfig=/var/lib/basin/plugstack.conf\n"), std::string::npos);
  // Slurm's keys are case-insensitive: the lower-case line is replaced too.
  EXPECT_NE(conf.find("\nSlurmdSpoolDir=/var/lib/basin/slurmd\n"), std::string::npos) << conf;
  EXPECT_EQ(conf.find("slurmdspooldir"), std::string::npos) << conf;
  EXPECT_NE(conf.find("\nSlurmdPidFile=/var/lib/basin/slurmd.pid\n"), std::string::npos);
  EXPECT_NE(conf.find("\nAuthInfo=socket=/run/munge/munge.socket.2\n"), std::string::npos);
  // Not in the pool's conf: appended.
  EXPECT_NE(conf.find("\nSlurmdLogFile=/var/lib/basin/slurmd.log\n"), std::string::npos);
  EXPECT_NE(conf.find("\nTmpFS=/var/lib/basin/tmp\n"), std::string::npos);
  EXPECT_EQ(conf.find("CliFilterPlugins"), std::string::npos);
  // Everything else as the pool has it.
  EXPECT_NE(conf.find("\nSlurmctldHost=vm(10.65.210.254)\n"), std::string::npos);
  EXPECT_NE(conf.find("\nPartitionName=pool Nodes=inst1,dynamic Default=YES\n"), std::string::npos);
  EXPECT_EQ(conf.find("/pool/etc/plugstack.conf"), std::string::npos);
}

TEST(DynamicNode, WithoutAMungeSocketThePoolsAuthInfoStays) {
  const std::string conf = joined_node_slurm_conf(kPoolConf, {"/s", "/p.so", ""});
  EXPECT_NE(conf.find("\nAuthInfo=socket=/pool/munge/munge.socket\n"), std::string::npos);
}

TEST(DynamicNode, APoolThatTakesNoDynamicNodesIsRefusedWithTheFix) {
  try {
    joined_node_slurm_conf("SlurmctldHost=ctl\nPartitionName=pool Nodes=a\n", {"/s", "/p", ""});
    FAIL() << "accepted";
  } catch (const PoolError& e) {
    EXPECT_NE(std::string(e.what()).find("Feature=dynamic"), std::string::npos) << e.what();
  }
  EXPECT_THROW(joined_node_slurm_conf("NodeSet=dynamic Feature=dynamic\n", {"/s", "/p", ""}),
               PoolError);  // no controller
}

TEST(DynamicNode, SlurmdConfCarriesTheCertifiedSizeAndFeatures) {
  EXPECT_EQ(dynamic_node_conf(terms(), "10.1.2.3"),
            "NodeAddr=10.1.2.3 CPUs=4 RealMemory=8000 "
            "Features=dynamic,tier_volunteer,site_home");
  EXPECT_THROW(dynamic_node_conf(terms(), "10.1.2.3 Weight=0"), PoolError);
  EXPECT_THROW(dynamic_node_conf(terms(), ""), PoolError);
  auto gpus = terms();
  gpus.gpus = 1;
  EXPECT_THROW(dynamic_node_conf(gpus, "10.1.2.3"), PoolError);
}

TEST(DynamicNode, ControllerAddressFromSlurmConf) {
  const auto a = controller_address(kPoolConf);
  EXPECT_EQ(a.host, "10.65.210.254");
  EXPECT_EQ(a.port, 16850);
  const auto b = controller_address("SlurmctldHost=ctl.example.org\n");
  EXPECT_EQ(b.host, "ctl.example.org");
  EXPECT_EQ(b.port, 6817);
  EXPECT_THROW(controller_address("SlurmctldHost=c\nSlurmctldPort=99999\n"), PoolError);
  EXPECT_THROW(controller_address("ClusterName=x\n"), PoolError);
}
