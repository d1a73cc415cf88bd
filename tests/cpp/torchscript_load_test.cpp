// A TorchScript module that calls mercury::conv2d, saved and loaded back with torch::jit::load, without Python.
#include "csrc/hitlog/hitlog.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/script.h>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace {

// Source defined from C++ has no Python `torch.ops`: resolve `mercury.<op>` to the registered ops directly.
struct MercuryResolver : public torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& fn,
                                                         const torch::jit::SourceRange& loc) override {
    if (name == "mercury") return std::make_shared<torch::jit::BuiltinModule>("mercury");
    return torch::jit::nativeResolver()->resolveValue(name, fn, loc);
  }
  c10::TypePtr resolveType(const std::string& name, const torch::jit::SourceRange& loc) override {
    return torch::jit::nativeResolver()->resolveType(name, loc);
  }
};

void define(torch::jit::Module& m, const std::string& source) {
  m.define(source, std::make_shared<MercuryResolver>());
}

torch::jit::Module make_module() {
  torch::jit::Module m("Net");
  m.register_parameter("weight", torch::randn({4, 3, 3, 3}), false);
  define(m, R"(
    def forward(self, x):
        return mercury.conv2d(x, self.weight, None, [1, 1], [1, 1], [1, 1], 1, 3, "reuse", 24, 256, 4,
                                        "patch", 0, "sign", 1.0, True)
  )");
  return m;
}

TEST(TorchScriptLoad, SavedModuleRunsFromCxx) {
  torch::manual_seed(0);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("mercury_load_test_" + std::to_string(getpid()) + ".pt")).string();
  torch::jit::Module original = make_module();
  original.save(path);
  torch::jit::Module loaded = torch::jit::load(path);
  std::remove(path.c_str());

  mercury::hitlog::HitLog::instance().reset();
  // A periodic input: every interior patch repeats, so reuse gives the exact convolution.
  torch::Tensor x = torch::arange(4.0).view({1, 1, 2, 2}).repeat({2, 3, 4, 4});
  torch::Tensor out = loaded.forward({x}).toTensor();
  torch::Tensor weight = loaded.attr("weight").toTensor();
  torch::Tensor want = torch::conv2d(x, weight, {}, 1, 1);
  EXPECT_TRUE(torch::allclose(out, want, 1e-5, 1e-5));

  const auto records = mercury::hitlog::HitLog::instance().snapshot();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].layer_id, 3);
  EXPECT_EQ(records[0].vectors, 2 * 8 * 8);
  EXPECT_EQ(records[0].hits + records[0].misses, records[0].vectors);
  EXPECT_GT(records[0].hits, records[0].misses);
  EXPECT_EQ(records[0].hitmap.size(), static_cast<size_t>(records[0].vectors));
}

TEST(TorchScriptLoad, BadSettingsRaiseClearErrors) {
  torch::jit::Module m("Bad");
  m.register_parameter("weight", torch::randn({4, 3, 3, 3}), false);
  define(m, R"(
    def forward(self, x):
        return mercury.conv2d(x, self.weight, None, [1, 1], [1, 1], [1, 1], 1, 0, "fast", 24, 256, 0,
                                        "patch", 0, "sign", 1.0, False)
  )");
  try {
    m.forward({torch::randn({1, 3, 8, 8})});
    FAIL() << "expected an error";
  } catch (const std::exception& e) {  // the interpreter rethrows kernel errors as its own type
    EXPECT_NE(std::string(e.what()).find("unknown mode 'fast'"), std::string::npos) << e.what();
  }
}

}  // namespace
