// The rewrite pass from C++ only: rewrite -> save -> torch::jit::load -> run, no Python anywhere.
#include "csrc/hitlog/hitlog.h"
#include "csrc/rewrite/rewrite.h"

#include <gtest/gtest.h>

#include <ATen/core/dispatch/Dispatcher.h>

#include <filesystem>
#include <unistd.h>

namespace {

torch::jit::Module two_conv_net() {
  torch::jit::Module block("Block");
  block.register_parameter("weight", torch::randn({8, 4, 3, 3}), false);
  block.define(R"(
    def forward(self, x):
        return torch.conv2d(x, self.weight, None, [1, 1], [1, 1], [1, 1], 1)
  )");
  torch::jit::Module net("Net");
  net.register_parameter("stem", torch::randn({4, 3, 3, 3}), false);
  net.register_module("block", block);
  net.define(R"(
    def forward(self, x):
        y = torch.relu(torch.conv2d(x, self.stem, None, [2, 2], [1, 1], [1, 1], 1))
        return self.block.forward(y)
  )");
  return net;
}

TEST(Rewrite, SaveLoadRunFromCxx) {
  torch::manual_seed(0);
  torch::jit::Module net = two_conv_net();
  torch::Tensor x = torch::rand({2, 3, 16, 16});
  torch::Tensor want = net.forward({x}).toTensor();

  mercury::rewrite::RewriteConfig config;
  config.defaults.set("sig_bits", "24");
  config.by_name["block"]["mode"] = "reuse";
  const auto result = mercury::rewrite::rewrite_module(net, config);
  ASSERT_EQ(result.layers.size(), 2u);
  EXPECT_TRUE(result.warnings.empty());
  EXPECT_EQ(result.layers[0].name, "stem");  // a bare parameter of the root module: named by itself
  EXPECT_EQ(result.layers[1].name, "block");
  EXPECT_EQ(result.layers[0].stride, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(result.layers[1].settings.get("mode"), "reuse");

  const std::string path =
      (std::filesystem::temp_directory_path() / ("mercury_rewrite_test_" + std::to_string(getpid()) + ".pt")).string();
  result.module.save(path);
  torch::jit::Module loaded = torch::jit::load(path);
  std::filesystem::remove(path);

  auto& log = mercury::hitlog::HitLog::instance();
  log.reset();
  for (int call = 0; call < 2; ++call) {
    torch::Tensor got = loaded.forward({x}).toTensor();
    EXPECT_EQ(got.sizes(), want.sizes());
  }
  const auto records = log.snapshot();
  ASSERT_EQ(records.size(), 4u);  // one record per conv per call
  EXPECT_EQ(records[0].layer_id, 0);
  EXPECT_EQ(records[1].layer_id, 1);
  EXPECT_EQ(records[1].mode, "reuse");
  EXPECT_EQ(records[3].call, 1);
  EXPECT_EQ(records[0].sig_bits, 24);
}

TEST(Rewrite, ObserveKeepsTheOutput) {
  torch::manual_seed(1);
  torch::jit::Module net = two_conv_net();
  torch::Tensor x = torch::rand({1, 3, 12, 12});
  torch::Tensor want = net.forward({x}).toTensor();
  const auto result = mercury::rewrite::rewrite_module(net, {});
  torch::jit::Module rewritten = result.module;
  EXPECT_TRUE(torch::allclose(rewritten.forward({x}).toTensor(), want, 1e-5, 1e-5));
}

TEST(Rewrite, BadSettingNamesTheKeyAndValue) {
  mercury::Settings s;
  EXPECT_THROW(s.set("colour", "red"), std::invalid_argument);
  try {
    s.set("sig_bits", "many");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sig_bits"), std::string::npos);
  }
  try {
    s.set("sig_bits", "99");  // out of the table's range: refused when given, not when the model runs
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[1, 64], got 99"), std::string::npos) << e.what();
  }
}

TEST(Rewrite, OverrideForAMissingLayerIsAnError) {
  torch::jit::Module net = two_conv_net();
  mercury::rewrite::RewriteConfig by_id;
  by_id.by_id[5]["mode"] = "off";
  try {
    mercury::rewrite::rewrite_module(net, by_id);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("id 5, but the model has 2"), std::string::npos) << e.what();
  }
  mercury::rewrite::RewriteConfig by_name;
  by_name.by_name["nosuch.conv"]["mode"] = "off";
  EXPECT_THROW(mercury::rewrite::rewrite_module(net, by_name), std::invalid_argument);
}

TEST(Rewrite, SchemaComesFromTheSettingsTable) {
  const auto& schema = c10::Dispatcher::singleton().findSchemaOrThrow("mercury::conv2d", "").schema();
  for (const mercury::SettingSpec& spec : mercury::settings_table()) {
    const auto index = schema.argumentIndexWithName(spec.name);
    ASSERT_TRUE(index.has_value()) << spec.name;
    ASSERT_TRUE(schema.arguments()[*index].default_value().has_value()) << spec.name;
  }
  EXPECT_EQ(schema.arguments()[*schema.argumentIndexWithName("sig_bits")].default_value()->toInt(),
            mercury::Settings().get_int("sig_bits"));
}

}  // namespace
