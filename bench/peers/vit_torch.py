#!/usr/bin/python3
"""A timm-equivalent ViT in plain PyTorch, the peer vitbench is compared against.

  vit_torch.py build --arch vit_base_patch16_224 --batch 1,8 --out DIR [--seed S]
      writes, from one set of seeded random weights:
        DIR/model.onnx                     (torch.onnx.export, opset 14, dynamic batch)
        DIR/vitcpp/config.json, model.safetensors, preprocessor_config.json
                                           (a transformers folder: ViTForImageClassification,
                                            or Dinov2Model for the DINOv2 architecture)
        DIR/input_b{N}.npy, DIR/logits_torch_b{N}.npy   (seeded pixels, PyTorch's output: the
                                           logits, or the normed class token without a head)
      Architectures: the ARCHS table (patch 16 or 14, any input size, layer scale).
  vit_torch.py time --arch NAME --batch N --threads T [--warmup W] [--iters I] [--mode best]
      prints one JSON object: median/min/max ms of the faster of eager and
      torch.jit.trace + torch.jit.freeze (--mode eager|jit|best).

Run with Debian's /usr/bin/python3 (python3-torch 1.13). Threads: torch.set_num_threads(T),
with OMP_WAIT_POLICY=PASSIVE like vitcpp unless the environment sets it.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once when libgomp loads

import argparse
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

class Arch:
    """timm's constructor arguments that matter here: MLP 4x, exact GELU, eps 1e-6, class token."""

    def __init__(self, dim, layers, heads, patch=16, image=224, layer_scale=False, classes=1000):
        self.dim, self.layers, self.heads, self.patch, self.image = dim, layers, heads, patch, image
        self.layer_scale, self.classes = layer_scale, classes


ARCHS = {
    "vit_tiny_patch16_224": Arch(192, 12, 3),
    "vit_small_patch16_224": Arch(384, 12, 6),
    "vit_base_patch16_224": Arch(768, 12, 12),
    "vit_large_patch16_224": Arch(1024, 24, 16),
    "vit_base_patch16_384": Arch(768, 12, 12, image=384),
    # timm's DINOv2 ViT-S/14 at its native 518 px (37 x 37 patches + class token = 1370 tokens):
    # layer scale on both branches, no head (the class token after the final norm).
    "vit_small_patch14_dinov2": Arch(384, 12, 6, patch=14, image=518, layer_scale=True, classes=0),
}
EPS = 1e-6


class LayerScale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, dim, heads, layer_scale):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=EPS)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ls1 = LayerScale(dim) if layer_scale else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=EPS)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.ls2 = LayerScale(dim) if layer_scale else nn.Identity()

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        qkv = self.qkv(self.norm1(x)).reshape(b, t, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        q = q * (hd ** -0.5)  # timm scales q before the product
        attn = (q @ k.transpose(-2, -1)).softmax(dim=-1)
        x = x + self.ls1(self.proj((attn @ v).transpose(1, 2).reshape(b, t, d)))
        return x + self.ls2(self.fc2(F.gelu(self.fc1(self.norm2(x)))))  # exact (erf) GELU


class VisionTransformer(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, a.dim, kernel_size=a.patch, stride=a.patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, a.dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + (a.image // a.patch) ** 2, a.dim))
        self.blocks = nn.ModuleList(Block(a.dim, a.heads, a.layer_scale) for _ in range(a.layers))
        self.norm = nn.LayerNorm(a.dim, eps=EPS)
        self.head = nn.Linear(a.dim, a.classes) if a.classes else nn.Identity()

    def forward(self, pixels):
        x = self.patch_embed(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])  # class-token pooling


def arch_of(name):
    if name not in ARCHS:
        sys.exit(f"vit_torch.py: unknown --arch {name} (known: {', '.join(ARCHS)})")
    return ARCHS[name]


def make_model(arch, seed):
    torch.manual_seed(seed)
    model = VisionTransformer(arch_of(arch))
    with torch.no_grad():  # timm-like scales; biases and norms random too so all are exercised
        for name, p in model.named_parameters():
            if name.endswith("gamma"):
                p.copy_(0.1 + 0.05 * torch.randn_like(p))  # trained DINOv2 layer scales are small
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.02 * torch.randn_like(p))
    return model.eval()


def make_pixels(arch, batch, seed):
    generator = torch.Generator().manual_seed(seed + 1000)
    size = arch_of(arch).image
    return torch.rand(batch, 3, size, size, generator=generator) * 2 - 1


# Block parts under transformers' names: ViTForImageClassification, and Dinov2Model (which has
# layer scale and no head).
VIT_NAMES = {"norm1": "layernorm_before", "proj": "attention.output.dense", "norm2": "layernorm_after",
             "fc1": "intermediate.dense", "fc2": "output.dense"}
DINOV2_NAMES = {"norm1": "norm1", "proj": "attention.output.dense", "norm2": "norm2", "fc1": "mlp.fc1",
                "fc2": "mlp.fc2", "ls1.gamma": "layer_scale1.lambda1", "ls2.gamma": "layer_scale2.lambda1"}


def hf_tensors(model, arch):
    """The model's weights under transformers' names (ViT with a head, DINOv2 without)."""
    sd = {k: v.detach().contiguous().float() for k, v in model.state_dict().items()}
    a = arch_of(arch)
    dinov2 = a.layer_scale
    top, names = ("", DINOV2_NAMES) if dinov2 else ("vit.", VIT_NAMES)
    out = {
        top + "embeddings.cls_token": sd["cls_token"],
        top + "embeddings.position_embeddings": sd["pos_embed"],
        top + "embeddings.patch_embeddings.projection.weight": sd["patch_embed.weight"],
        top + "embeddings.patch_embeddings.projection.bias": sd["patch_embed.bias"],
    }
    for i in range(a.layers):
        src, dst = f"blocks.{i}.", f"{top}encoder.layer.{i}."
        for part in ("weight", "bias"):
            for j, qkv in enumerate(("query", "key", "value")):
                out[dst + f"attention.attention.{qkv}.{part}"] = sd[src + "qkv." + part][j * a.dim:(j + 1) * a.dim]
        for ours, theirs in names.items():
            if ours.endswith("gamma"):
                out[dst + theirs] = sd[src + ours]
            else:
                for part in ("weight", "bias"):
                    out[f"{dst}{theirs}.{part}"] = sd[f"{src}{ours}.{part}"]
    for part in ("weight", "bias"):
        out[top + "layernorm." + part] = sd["norm." + part]
        if a.classes:
            out["classifier." + part] = sd["head." + part]
    return out


def write_safetensors(path, tensors):
    """8-byte little-endian header length, JSON header, then the tensors' bytes back to back."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # data starts 8-byte aligned
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)


def hf_config(arch):
    a = arch_of(arch)
    config = {"hidden_size": a.dim, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
              "hidden_act": "gelu", "layer_norm_eps": EPS, "image_size": a.image, "patch_size": a.patch,
              "num_channels": 3, "qkv_bias": True}
    if a.layer_scale:
        return {"model_type": "dinov2", "architectures": ["Dinov2Model"], "mlp_ratio": 4, "layerscale_value": 1.0,
                "use_swiglu_ffn": False, **config}
    return {"model_type": "vit", "architectures": ["ViTForImageClassification"], "intermediate_size": 4 * a.dim,
            **config, "id2label": {str(i): f"LABEL_{i}" for i in range(a.classes)},
            "label2id": {f"LABEL_{i}": i for i in range(a.classes)}}


def write_vitcpp_folder(model, arch, folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf_config(arch), f, indent=2)
    size = arch_of(arch).image
    preprocessor = {  # transformers' ViTImageProcessor defaults, so vitrun can run images too
        "image_processor_type": "ViTImageProcessor", "do_resize": True, "size": {"height": size, "width": size},
        "resample": 2, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
    }
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor, f, indent=2)
    write_safetensors(os.path.join(folder, "model.safetensors"), hf_tensors(model, arch))


def build(args):
    os.makedirs(args.out, exist_ok=True)
    model = make_model(args.arch, args.seed)
    batches = [int(b) for b in args.batch.split(",")]
    write_vitcpp_folder(model, args.arch, os.path.join(args.out, "vitcpp"))
    with torch.no_grad():
        for b in batches:
            pixels = make_pixels(args.arch, b, args.seed)
            np.save(os.path.join(args.out, f"input_b{b}.npy"), pixels.numpy())
            np.save(os.path.join(args.out, f"logits_torch_b{b}.npy"), model(pixels).numpy())
        onnx_path = os.path.join(args.out, "model.onnx")
        torch.onnx.export(model, make_pixels(args.arch, batches[0], args.seed), onnx_path + ".tmp",
                          opset_version=args.opset,
                          input_names=["pixel_values"], output_names=["logits"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}},
                          do_constant_folding=True)
        os.replace(onnx_path + ".tmp", onnx_path)
    print(json.dumps({"arch": args.arch, "out": args.out, "batches": batches, "torch": torch.__version__}))


def time_runs(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    n = len(samples)
    median = samples[n // 2] if n % 2 else (samples[n // 2 - 1] + samples[n // 2]) / 2
    return {"median_ms": median, "min_ms": samples[0], "max_ms": samples[-1]}


def time_model(args):
    torch.set_num_threads(args.threads)
    model = make_model(args.arch, args.seed)
    pixels = make_pixels(args.arch, args.batch, args.seed)
    report = {"engine": "pytorch", "torch": torch.__version__, "arch": args.arch, "batch": args.batch,
              "threads": torch.get_num_threads(), "warmup": args.warmup, "iters": args.iters}
    with torch.inference_mode():
        if args.mode in ("eager", "best"):
            report["eager"] = time_runs(lambda: model(pixels), args.warmup, args.iters)
    if args.mode in ("jit", "best"):
        with torch.no_grad():
            traced = torch.jit.freeze(torch.jit.trace(model, pixels))
            report["jit"] = time_runs(lambda: traced(pixels), args.warmup, args.iters)
    best = min((m for m in ("eager", "jit") if m in report), key=lambda m: report[m]["median_ms"])
    report.update(report[best])
    report["mode"] = best
    print(json.dumps(report))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write ONNX + vitcpp folder + inputs + PyTorch logits")
    b.add_argument("--arch", required=True)
    b.add_argument("--batch", default="1", help="comma-separated batch sizes for the inputs")
    b.add_argument("--out", required=True)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--opset", type=int, default=14)
    t = sub.add_parser("time", help="time eager and jit.trace+freeze, report the faster")
    t.add_argument("--arch", required=True)
    t.add_argument("--batch", type=int, default=1)
    t.add_argument("--threads", type=int, default=os.cpu_count())
    t.add_argument("--warmup", type=int, default=3)
    t.add_argument("--iters", type=int, default=20)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--mode", choices=("eager", "jit", "best"), default="best")
    args = parser.parse_args()
    build(args) if args.command == "build" else time_model(args)


if __name__ == "__main__":
    main()
