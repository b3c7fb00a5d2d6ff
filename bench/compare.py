#!/usr/bin/python3
"""vitcpp against onnxruntime and PyTorch on the same ViT weights, runs interleaved.

Normally started by bench/compare.sh (which builds vitbench first). For each
model and batch size:
  1. builds the model once per architecture with peers/vit_torch.py (ONNX file, vitcpp
     folder, inputs and PyTorch logits, all from one set of seeded weights);
  2. checks once that vitcpp (vitbench --input --logits), onnxruntime and PyTorch logits agree (max abs diff);
  3. runs vitcpp (float32, and bf16/int8 unless --dtypes says otherwise), onnxruntime and
     PyTorch as separate short processes, round after round (the order rotates each round),
     and reports per round the latency ratio vitcpp/peer (below 1: vitcpp faster) and its
     median over rounds; bf16 and int8 are compared with the peers' float32 and their logits
     with PyTorch's (cosine, top-1).
Each run's figure is the median (or with --statistic min, the fastest) latency of its timed
iterations, sized to about --target-s.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
SHORT = {"vit_tiny_patch16_224": "ViT-Ti/16", "vit_small_patch16_224": "ViT-S/16",
         "vit_base_patch16_224": "ViT-B/16", "vit_large_patch16_224": "ViT-L/16",
         "vit_base_patch16_384": "ViT-B/16@384", "vit_small_patch14_dinov2": "DINOv2-S/14@518"}


def vitcpp_engine(dtype):
    return "vitcpp" if dtype == "f32" else f"vitcpp-{dtype}"


def run_json(cmd):
    """Runs a tool that prints one JSON object as its last stdout line."""
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"compare: {' '.join(cmd)} failed ({done.returncode}):\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def log(text):
    print(text, flush=True)


class Runner:
    def __init__(self, args):
        self.args = args
        self.vitbench = os.path.join(args.build, "bench", "vitbench")

    def model_dir(self, arch):
        return os.path.join(self.args.out, f"{arch}-seed{self.args.seed}")

    def build(self, arch, batches):
        folder = self.model_dir(arch)
        stamp_path = os.path.join(folder, "build.json")
        if os.path.exists(stamp_path):
            with open(stamp_path) as f:
                if set(batches) <= set(json.load(f)["batches"]):
                    log(f"  {arch}: using {folder}")
                    return
        log(f"  {arch}: building {folder} (ONNX, vitcpp folder, inputs, PyTorch logits)")
        report = run_json(["/usr/bin/python3", os.path.join(PEERS, "vit_torch.py"), "build", "--arch", arch,
                           "--batch", ",".join(map(str, batches)), "--out", folder, "--seed", str(self.args.seed)])
        with open(stamp_path, "w") as f:
            json.dump(report, f)

    def check(self, arch, batch):
        folder, t = self.model_dir(arch), str(self.args.threads)
        reduced = {}
        torch_logits = np.load(os.path.join(folder, f"logits_torch_b{batch}.npy")).astype(np.float64)
        for dtype in self.args.dtypes:
            if dtype == "f32":
                continue
            path = os.path.join(folder, f"logits_vitcpp_{dtype}_b{batch}.npy")
            run_json([self.vitbench, "--model", os.path.join(folder, "vitcpp"), "--dtype", dtype, "--input",
                      os.path.join(folder, f"input_b{batch}.npy"), "--logits", path, "--threads", t,
                      "--warmup", "0", "--iters", "1", "--no-peak", "--json"])
            got = np.load(path).astype(np.float64)
            cosine = np.sum(got * torch_logits, 1) / np.sqrt(np.sum(got * got, 1) * np.sum(torch_logits ** 2, 1))
            reduced[dtype] = {"min_cosine_vs_torch": float(cosine.min()),
                              "same_top1": bool(np.array_equal(got.argmax(1), torch_logits.argmax(1)))}
        pixels = os.path.join(folder, f"input_b{batch}.npy")
        ours, ort = (os.path.join(folder, f"logits_{e}_b{batch}.npy") for e in ("vitcpp", "ort"))
        run_json([self.vitbench, "--model", os.path.join(folder, "vitcpp"), "--input", pixels, "--logits", ours,
                  "--threads", t, "--warmup", "0", "--iters", "1", "--no-peak", "--json"])
        run_json(["node", os.path.join(PEERS, "ort_bench.js"), "--model", os.path.join(folder, "model.onnx"),
                  "--input", pixels, "--logits", ort, "--threads", t, "--warmup", "1", "--iters", "0"])
        logits = {"vitcpp": np.load(ours), "ort": np.load(ort),
                  "torch": np.load(os.path.join(folder, f"logits_torch_b{batch}.npy"))}
        diff = lambda a, b: float(np.max(np.abs(logits[a].astype(np.float64) - logits[b])))
        return {"max_abs_logit": float(np.max(np.abs(logits["torch"]))), "vitcpp_vs_torch": diff("vitcpp", "torch"),
                "ort_vs_torch": diff("ort", "torch"), "vitcpp_vs_ort": diff("vitcpp", "ort"),
                "same_top1": bool(np.array_equal(logits["vitcpp"].argmax(1), logits["torch"].argmax(1)) and
                                  np.array_equal(logits["ort"].argmax(1), logits["torch"].argmax(1))),
                "reduced": reduced}

    def command(self, engine, arch, batch, warmup, iters, torch_mode="best"):
        if engine == "fma":  # the cores' float32 FMA rate, the ceiling of every float32 engine
            return [self.vitbench, "--fma", "--threads", str(self.args.threads), "--json"]
        folder, common = self.model_dir(arch), ["--batch", str(batch), "--threads", str(self.args.threads),
                                                "--warmup", str(warmup), "--iters", str(iters)]
        if engine.startswith("vitcpp"):
            dtype = engine.partition("-")[2] or "f32"
            return [self.vitbench, "--model", os.path.join(folder, "vitcpp"), "--dtype", dtype, "--no-peak",
                    "--json"] + common
        if engine == "ort":  # the built input, which has the model's size
            return ["node", os.path.join(PEERS, "ort_bench.js"), "--model", os.path.join(folder, "model.onnx"),
                    "--input", os.path.join(folder, f"input_b{batch}.npy")] + common
        return ["/usr/bin/python3", os.path.join(PEERS, "vit_torch.py"), "time", "--arch", arch,
                "--seed", str(self.args.seed), "--mode", torch_mode] + common


def parse_configs(text):
    configs = []
    for item in text.split(","):
        arch, _, batch = item.strip().partition(":")
        arch = arch if arch.startswith("vit_") else {v: k for k, v in SHORT.items()}.get(arch, arch)
        configs.append((arch, int(batch or 1)))
    return configs


def fmt_ratios(ratios):
    return " ".join(f"{r:.2f}" for r in ratios)


def median_ratio_cells(ratios):
    return f"{fmt_ratios(ratios)} | **{statistics.median(ratios):.2f}**"


def latency_table(results, args):
    with_torch = "torch" in args.peers
    lines = ["| model | batch | vitcpp ms | ORT ms | " + ("PyTorch ms | " if with_torch else "") +
             "vitcpp/ORT by round | median |" + (" vitcpp/PyTorch by round | median |" if with_torch else "") +
             " vitcpp, ORT: % of FMA rate |",
             "|---|---|---|---|" + ("---|" if with_torch else "") + "---|---|" + ("---|---|" if with_torch else "") +
             "---|"]
    for r in results:
        ms = {e: statistics.median(v) for e, v in r["ms"].items()}
        ratios = r["ratios"]["vitcpp"]
        row = f"| {SHORT.get(r['arch'], r['arch'])} | {r['batch']} | {ms['vitcpp']:.1f} | {ms['ort']:.1f} | "
        if with_torch:
            row += f"{ms['torch']:.1f} ({r['torch_mode']}) | "
        row += median_ratio_cells(ratios["ort"]) + " |"
        if with_torch:
            row += " " + median_ratio_cells(ratios["torch"]) + " |"
        share = {e: 100 * statistics.median(r["fraction_of_fma"][e]) for e in ("vitcpp", "ort")}
        lines.append(row + f" {share['vitcpp']:.0f}, {share['ort']:.0f} |")
    return lines


def reduced_table(results, reduced):
    lines = ["| model | batch | dtype | vitcpp ms | ORT fp32 ms | vitcpp/ORT by round | median | "
             "ORT/vitcpp | output cosine vs PyTorch (min) | same top-1 |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for d in reduced:
            e, agree = vitcpp_engine(d), r["check"]["reduced"][d]
            ratio = statistics.median(r["ratios"][e]["ort"])
            lines.append(f"| {SHORT.get(r['arch'], r['arch'])} | {r['batch']} | {d} | "
                         f"{statistics.median(r['ms'][e]):.1f} | {statistics.median(r['ms']['ort']):.1f} | "
                         f"{median_ratio_cells(r['ratios'][e]['ort'])} | {1 / ratio:.2f}x | "
                         f"{agree['min_cosine_vs_torch']:.6f} | {'yes' if agree['same_top1'] else 'NO'} |")
    return lines


def contention_table(results):
    lines = ["| model | batch | engine | quiet ms | one core busy ms | slowdown by round | median | "
             "foreign process speed beside it |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        for e, busy in r["busy_ms"].items():
            slowdowns = [b / q for b, q in zip(busy, r["ms"][e])]
            lines.append(f"| {SHORT.get(r['arch'], r['arch'])} | {r['batch']} | {e} | "
                         f"{statistics.median(r['ms'][e]):.1f} | {statistics.median(busy):.1f} | "
                         f"{median_ratio_cells(slowdowns)} | {statistics.median(r['foreign_speed'][e]):.2f} |")
    return lines


def agreement_table(results):
    lines = ["| model | batch | max abs output | vitcpp vs PyTorch | ORT vs PyTorch | vitcpp vs ORT | same top-1 |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        c = r["check"]
        lines.append(f"| {SHORT.get(r['arch'], r['arch'])} | {r['batch']} | {c['max_abs_logit']:.3f} | "
                     f"{c['vitcpp_vs_torch']:.2e} | {c['ort_vs_torch']:.2e} | {c['vitcpp_vs_ort']:.2e} | "
                     f"{'yes' if c['same_top1'] else 'NO'} |")
    return lines


def markdown(results, machine, args):
    lines = [f"{machine['date']}, {machine['cpu']}, {args.threads} threads, {args.rounds} rounds, "
             f"vitcpp {machine['commit']}; "
             f"torch {machine['torch']}, onnxruntime-node {machine['ort']}; "
             f"MatmulRunner fp32 GEMM peak {machine['peak_gflops']:.0f} GFLOP/s", "",
             "Latency ratio vitcpp/peer per round (below 1: vitcpp faster), median over rounds in bold; "
             f"ms are medians over rounds of each run's {args.statistic} (of its timed iterations). "
             "% of FMA rate: each float32 engine's GFLOP/s (vitbench's count for the model) as a share of the "
             "cores' float32 vector FMA rate (`vitbench --fma`, the faster of a run before and one after the "
             "round), median over rounds; no float32 engine passes 100.", ""] + latency_table(results, args)
    reduced = [d for d in args.dtypes if d != "f32"]
    if reduced:
        lines += ["", "Reduced precision (vitcpp only; the peers stay float32): latency ratio against ONNX Runtime "
                  "float32 in the same rounds, median in bold, and agreement with PyTorch's float32 output.", ""]
        lines += reduced_table(results, reduced)
    if args.contention:
        lines += ["", "Contention: each round also times every engine while a foreign process spins on one core; "
                  "slowdown = busy ms / quiet ms of the same round; the foreign process's speed beside each "
                  "engine is a fraction of its speed alone, measured in the same round (median over rounds).",
                  ""] + contention_table(results)
    lines += ["", "Agreement on the same weights and input (max abs difference of the output: logits, or the "
              "normed class token for DINOv2):", ""] + agreement_table(results)
    return "\n".join(lines)


# Counts its loop iterations and prints their rate when terminated.
HOG = """
import signal, sys, time
n, start = 0, time.perf_counter()
def report(*_):
    print(n / (time.perf_counter() - start), flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
while True:
    n += 1
"""


class BusyCore:
    """A foreign single-threaded process spinning on one core while a run is timed; its speed
    (iterations/s) tells how much CPU the engine left it."""

    def __enter__(self):
        self.process = subprocess.Popen(["/usr/bin/python3", "-c", HOG], stdout=subprocess.PIPE, text=True)
        time.sleep(0.3)  # let it start spinning
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.speed = float(self.process.communicate()[0] or "nan")


def foreign_speed_alone(seconds=1.0):
    with BusyCore() as busy:
        time.sleep(seconds)
    return busy.speed


def time_round(runner, engines, shift, arch, batch, warmup, iters, torch_mode, busy=False):
    """One run of each engine, the order rotated by shift: ms per engine (the run's median or
    min) and, when busy, the foreign process's speed during each run."""
    order = engines[shift:] + engines[:shift]
    times, speeds = {}, {}
    for e in order:
        command = runner.command(e, arch, batch, warmup, iters, torch_mode)
        if busy:
            with BusyCore() as hog:
                times[e] = run_json(command)[runner.args.statistic + "_ms"]
            speeds[e] = hog.speed
        else:
            times[e] = run_json(command)[runner.args.statistic + "_ms"]
    return times, speeds


def probe_peers(runner, arch, batch, iters):
    """PyTorch's faster mode (eager or jit) for this model, when PyTorch is timed."""
    if "torch" not in runner.args.peers:
        return None, None
    probe = run_json(runner.command("torch", arch, batch, 1, min(iters, 3), "best"))
    log(f"  PyTorch: {probe['mode']} is faster (eager {probe['eager']['median_ms']:.1f} ms, "
        f"jit {probe['jit']['median_ms']:.1f} ms)")
    return probe["mode"], probe


def measure(runner, arch, batch):
    args = runner.args
    check = runner.check(arch, batch)
    log(f"{SHORT.get(arch, arch)} batch {batch}: output max|x| {check['max_abs_logit']:.3f}; max abs diff "
        f"vitcpp-torch {check['vitcpp_vs_torch']:.2e}, ort-torch {check['ort_vs_torch']:.2e}, "
        f"vitcpp-ort {check['vitcpp_vs_ort']:.2e}")
    probe = run_json(runner.command("vitcpp", arch, batch, 1, 2))
    # At least 3 timed runs, so the median is one; 2 warmups, the second for PyTorch jit's
    # profiling executor (it optimizes on its second call).
    iters, warmup = max(3, min(30, round(args.target_s * 1000 / probe["median_ms"]))), 2
    log(f"  {warmup} warmup + {iters} iterations per run")
    torch_mode, torch_probe = probe_peers(runner, arch, batch, iters)
    ours = [vitcpp_engine(d) for d in args.dtypes]
    engines = ours + args.peers
    ms, busy_ms, foreign = {e: [] for e in engines}, {e: [] for e in engines}, {e: [] for e in engines}
    fma = []
    for r in range(args.rounds):
        fma_before = run_json(runner.command("fma", arch, batch, 0, 0))["gflops"]
        round_ms, _ = time_round(runner, engines, r % len(engines), arch, batch, warmup, iters, torch_mode)
        # The faster of before and after: a slow moment of the host must not flatter the engines.
        fma.append(max(fma_before, run_json(runner.command("fma", arch, batch, 0, 0))["gflops"]))
        for e in engines:
            ms[e].append(round_ms[e])
        text = ", ".join(f"{e} {round_ms[e]:.1f} ms" for e in engines) + f"; FMA rate {fma[-1]:.0f} GFLOP/s"
        if args.contention:
            alone = foreign_speed_alone()
            round_busy, speeds = time_round(runner, engines, r % len(engines), arch, batch, warmup, iters,
                                            torch_mode, True)
            for e in engines:
                busy_ms[e].append(round_busy[e])
                foreign[e].append(speeds[e] / alone)
            text += "; one core busy: " + ", ".join(
                f"{e} {round_busy[e]:.1f} ms (foreign process at {speeds[e] / alone:.2f})" for e in engines)
        log(f"  round {r + 1}: {text}")
    ratios = {e: {peer: [a / b for a, b in zip(ms[e], ms[peer])] for peer in args.peers} for e in ours}
    # Each float32 engine's rate as a fraction of the FMA rate measured around its round.
    gflop = probe["gflop_per_forward"]
    fraction_of_fma = {e: [gflop / t * 1e3 / f for t, f in zip(ms[e], fma)] for e in ["vitcpp"] + args.peers}
    return {"arch": arch, "batch": batch, "warmup": warmup, "iters": iters, "torch_mode": torch_mode,
            "torch_probe": torch_probe, "check": check, "ms": ms, "ratios": ratios, "gflop": gflop,
            "fma_gflops": fma, "fraction_of_fma": fraction_of_fma,
            "busy_ms": busy_ms if args.contention else None, "foreign_speed": foreign if args.contention else None}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True, help="CMake build folder with bench/vitbench")
    p.add_argument("--out", default=os.path.join(HERE, "out"), help="models and results (default bench/out)")
    p.add_argument("--configs", default="ViT-Ti/16:1,ViT-S/16:1,ViT-B/16:1,ViT-B/16:8",
                   help="comma-separated model:batch (timm names or ViT-Ti/16 ... ViT-L/16)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--target-s", type=float, default=1.0,
                   help="timed seconds of vitcpp per run, which sets the iterations (2..30) for all engines")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtypes", default="f32,bf16,int8",
                   help="vitcpp precisions to time each round (f32 is always included; the peers run float32)")
    p.add_argument("--statistic", choices=("median", "min"), default="median",
                   help="each run's figure: the median of its timed iterations, or the fastest (on a host "
                        "whose speed swings, the fastest iteration is the one least disturbed)")
    p.add_argument("--peers", default="ort,torch", help="peers to time: ort, torch or both (both are checked)")
    p.add_argument("--contention", action="store_true",
                   help="also time every engine each round with a foreign process spinning on one core")
    args = p.parse_args()
    args.peers = [e for e in args.peers.split(",") if e]
    if not set(args.peers) <= {"ort", "torch"} or "ort" not in args.peers:
        p.error("--peers: ort, or ort,torch")
    args.dtypes = ["f32"] + [d for d in args.dtypes.split(",") if d and d != "f32"]
    os.makedirs(args.out, exist_ok=True)
    runner, configs, start = Runner(args), parse_configs(args.configs), time.time()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True)
                .stdout.splitlines() if l.startswith("Model name")), "unknown")
    peak = run_json([runner.vitbench, "--peak", "--threads", str(args.threads), "--json"])
    machine = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "cpu": cpu,
               "torch": run_json(["/usr/bin/python3", "-c", "import json, torch; print(json.dumps(torch.__version__))"]),
               "ort": json.load(open(os.path.join(PEERS, "node_modules", "onnxruntime-node", "package.json")))["version"],
               "peak_gflops": peak["peak_gflops"], "loadavg_start": os.getloadavg(),
               "commit": subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"], stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True).stdout.strip() or "unknown"}
    log(f"{cpu}, {args.threads} threads; GEMM peak {peak['peak_gflops']:.0f} GFLOP/s")

    log("models:")
    for arch in dict.fromkeys(a for a, _ in configs):
        runner.build(arch, sorted({b for a, b in configs if a == arch}))

    results = [measure(runner, arch, batch) for arch, batch in configs]

    machine["loadavg_end"] = os.getloadavg()
    machine["minutes"] = (time.time() - start) / 60
    table = markdown(results, machine, args)
    log("\n" + table + f"\n\n({machine['minutes']:.1f} minutes; load average at start "
        f"{machine['loadavg_start'][0]:.1f}, at end {machine['loadavg_end'][0]:.1f})")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"machine": machine, "peak": peak, "args": vars(args), "results": results}, f, indent=1)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
