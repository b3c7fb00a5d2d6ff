"""compare.py's rounds, ratios, statistics, contention figures and tables, with stand-in engines
(a tiny script that prints the JSON vitbench and ort_bench.js print), so no PyTorch or
onnxruntime is needed."""
import argparse
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import compare  # noqa: E402

# Each engine's timings: (median_ms, min_ms). Spinning a little lets the foreign process's speed
# be measured beside it.
FAKE_ENGINE = """
import json, os, sys, time
times = {"vitcpp": (10.0, 6.0), "vitcpp-bf16": (4.0, 3.0), "ort": (20.0, 16.0)}
if sys.argv[1] == "fma":  # 300 and 400 GFLOP/s in turn: the rate swings between runs
    calls = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fma_calls")
    count = len(open(calls).read()) if os.path.exists(calls) else 0
    open(calls, "a").write("x")
    print(json.dumps({"gflops": 400.0 if count % 2 else 300.0}))
    sys.exit(0)
median, fastest = times[sys.argv[1]]
end = time.perf_counter() + 0.2
while time.perf_counter() < end:
    pass
print("startup noise")
print(json.dumps({"median_ms": median, "min_ms": fastest, "gflop_per_forward": 2.0}))
"""

CHECK = {"max_abs_logit": 1.5, "vitcpp_vs_torch": 2e-6, "ort_vs_torch": 1e-6, "vitcpp_vs_ort": 2e-6,
         "same_top1": True, "reduced": {"bf16": {"min_cosine_vs_torch": 0.99998, "same_top1": True}}}


class FakeRunner(compare.Runner):
    def __init__(self, args, script):
        super().__init__(args)
        self.script = script

    def command(self, engine, arch, batch, warmup, iters, torch_mode="best"):
        return [sys.executable, self.script, engine]

    def check(self, arch, batch):
        return CHECK


def make_args(**overrides):
    args = argparse.Namespace(build="unused", out="unused", threads=2, rounds=3, target_s=0.1, seed=0,
                              dtypes=["f32", "bf16"], statistic="median", peers=["ort"], contention=False)
    for name, value in overrides.items():
        setattr(args, name, value)
    return args


@pytest.fixture
def engine_script(tmp_path):
    path = tmp_path / "engine.py"
    path.write_text(FAKE_ENGINE)
    return str(path)


def test_ratios_use_the_chosen_statistic(engine_script):
    for statistic, ratio in (("median", 0.5), ("min", 6.0 / 16.0)):
        args = make_args(statistic=statistic)
        result = compare.measure(FakeRunner(args, engine_script), "vit_small_patch16_224", 1)
        assert result["ratios"]["vitcpp"]["ort"] == pytest.approx([ratio] * 3)
        assert result["busy_ms"] is None and result["foreign_speed"] is None


def test_contention_reports_slowdown_and_the_foreign_process_speed(engine_script):
    args = make_args(rounds=1, contention=True)
    result = compare.measure(FakeRunner(args, engine_script), "vit_small_patch16_224", 1)
    assert result["busy_ms"]["ort"] == [20.0]
    for engine in ("vitcpp", "vitcpp-bf16", "ort"):
        (speed,) = result["foreign_speed"][engine]
        assert 0.2 < speed < 2.0  # a fraction of its speed alone, near 1 beside a one-thread engine
    table = compare.markdown([result], {"date": "d", "cpu": "c", "commit": "x", "torch": "t", "ort": "o",
                                        "peak_gflops": 100.0}, args)
    assert "foreign process speed beside it" in table
    assert "| ViT-S/16 | 1 | ort | 20.0 | 20.0 | 1.00 | **1.00** |" in table


def test_tables_show_reduced_precision_and_agreement(engine_script):
    args = make_args(rounds=1)
    result = compare.measure(FakeRunner(args, engine_script), "vit_base_patch16_224", 1)
    table = compare.markdown([result], {"date": "d", "cpu": "c", "commit": "x", "torch": "t", "ort": "o",
                                        "peak_gflops": 100.0}, args)
    assert "| ViT-B/16 | 1 | 10.0 | 20.0 | 0.50 | **0.50** | 50, 25 |" in table
    assert "| ViT-B/16 | 1 | bf16 | 4.0 | 20.0 | 0.20 | **0.20** | 5.00x | 0.999980 | yes |" in table
    assert "| ViT-B/16 | 1 | 1.500 | 2.00e-06 | 1.00e-06 | 2.00e-06 | yes |" in table
    assert "Contention" not in table


def test_float32_rates_are_shares_of_each_rounds_fma_rate(engine_script):
    # Each round takes the faster of its two FMA runs (300 and 400 GFLOP/s here): 2 GFLOP per
    # forward against 400 GFLOP/s, so 6 ms is 5/6 of the FMA rate and 16 ms 5/16.
    args = make_args(rounds=2, statistic="min")
    result = compare.measure(FakeRunner(args, engine_script), "vit_base_patch16_224", 1)
    assert result["fma_gflops"] == [400.0, 400.0]
    assert result["fraction_of_fma"]["vitcpp"] == pytest.approx([5 / 6] * 2)
    assert result["fraction_of_fma"]["ort"] == pytest.approx([5 / 16] * 2)
    assert "vitcpp-bf16" not in result["fraction_of_fma"]  # not a float32 engine


def test_configs_take_short_and_timm_names():
    assert compare.parse_configs("ViT-B/16:8, vit_small_patch14_dinov2") == [
        ("vit_base_patch16_224", 8), ("vit_small_patch14_dinov2", 1)]


def test_a_failing_engine_stops_the_comparison_with_its_error():
    with pytest.raises(SystemExit, match="failed"):
        compare.run_json([sys.executable, "-c", "import sys; sys.exit('bad model')"])
