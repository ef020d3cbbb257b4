"""The fuzzer convention shared by //stack/wire/fuzz and //stack/fuzz."""

def fuzz_targets(deps):
    """Two targets for each <name>_fuzzer.cc (defining LLVMFuzzerTestOneInput) in the package.

    <name>_fuzzer: the libFuzzer binary (clang, bazel build --config=fuzz; tagged manual so a
    plain g++ `bazel test //...` skips it).
    <name>_fuzzer_regression: a cc_test built with the normal toolchain that replays the seed
    corpus (corpus/<name>_fuzzer/) and every input that once crashed it
    (regressions/<name>_fuzzer/).

    Args:
      deps: the libraries the fuzzers exercise.
    """
    for f in native.glob(["*_fuzzer.cc"]):
        name = f[:-3]
        native.cc_binary(
            name = name,
            srcs = [f],
            copts = ["-fsanitize=fuzzer"],
            linkopts = ["-fsanitize=fuzzer"],
            tags = [
                "fuzzer",
                "manual",
            ],
            deps = deps,
        )
        native.cc_test(
            name = name + "_regression",
            size = "small",
            srcs = [f],
            args = [
                "$(location corpus)/" + name,
                "$(location regressions)/" + name,
            ],
            data = [
                "corpus",
                "regressions",
            ],
            deps = deps + ["//stack/wire/fuzz:replay_main"],
        )
