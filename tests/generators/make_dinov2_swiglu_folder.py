#!/usr/bin/env python3
"""Writes tests/engine/data/dinov2_swiglu/: a tiny transformers Dinov2Model folder with
use_swiglu_ffn true, random weights, and its outputs computed in float64 with NumPy.

The maths follows transformers' modeling_dinov2.py (Dinov2Model, eval mode):
  embeddings: patch conv (bias) -> [cls_token; patches] + position_embeddings (native size)
  each layer: h = x + lambda1 * attn_out(attn(norm1(x)))
              x = h + lambda2 * weights_out(silu(a) * b), [a, b] = weights_in(norm2(h)).chunk(2)
  last_hidden_state = layernorm(x); pooler_output = last_hidden_state[:, 0]
with Dinov2SwiGLUFFN's width (int(int(hidden * mlp_ratio) * 2 / 3) + 7) // 8 * 8.

Needs only python3-numpy. Run from the repository root.
"""
import json
import os
import struct

import numpy as np

OUT = "tests/engine/data/dinov2_swiglu"
HIDDEN, LAYERS, HEADS, MLP_RATIO, PATCH, IMAGE, EPS = 32, 2, 2, 4, 4, 8, 1e-6
SWIGLU = (int(int(HIDDEN * MLP_RATIO) * 2 / 3) + 7) // 8 * 8
rng = np.random.default_rng(20261205)


def normal(shape, std):
    return (rng.standard_normal(shape) * std).astype(np.float32)


def weights():
    d, grid = HIDDEN, (IMAGE // PATCH) ** 2
    w = {
        "embeddings.cls_token": normal((1, 1, d), 0.5),
        "embeddings.mask_token": normal((1, d), 0.5),
        "embeddings.position_embeddings": normal((1, 1 + grid, d), 0.5),
        "embeddings.patch_embeddings.projection.weight": normal((d, 3, PATCH, PATCH), 2 / np.sqrt(3 * PATCH * PATCH)),
        "embeddings.patch_embeddings.projection.bias": normal((d,), 0.1),
        "layernorm.weight": 1 + normal((d,), 0.2),
        "layernorm.bias": normal((d,), 0.1),
    }
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        for norm in ("norm1", "norm2"):
            w[p + norm + ".weight"] = 1 + normal((d,), 0.2)
            w[p + norm + ".bias"] = normal((d,), 0.1)
        for name, gain in (("query", 1.5), ("key", 1.5), ("value", 1.0)):
            w[p + f"attention.attention.{name}.weight"] = normal((d, d), gain / np.sqrt(d))
            w[p + f"attention.attention.{name}.bias"] = normal((d,), 0.1)
        w[p + "attention.output.dense.weight"] = normal((d, d), 1 / np.sqrt(d))
        w[p + "attention.output.dense.bias"] = normal((d,), 0.1)
        w[p + "layer_scale1.lambda1"] = rng.uniform(0.1, 1, d).astype(np.float32)
        w[p + "layer_scale2.lambda1"] = rng.uniform(0.1, 1, d).astype(np.float32)
        w[p + "mlp.weights_in.weight"] = normal((2 * SWIGLU, d), 1 / np.sqrt(d))
        w[p + "mlp.weights_in.bias"] = normal((2 * SWIGLU,), 0.1)
        w[p + "mlp.weights_out.weight"] = normal((d, SWIGLU), 1 / np.sqrt(SWIGLU))
        w[p + "mlp.weights_out.bias"] = normal((d,), 0.1)
    return w


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * w + b


def linear(x, w, b):
    return x @ w.T + b


def attention(x, w, p):
    batch, tokens, d = x.shape
    hd = d // HEADS

    def heads(name):
        y = linear(x, w[p + f"attention.attention.{name}.weight"], w[p + f"attention.attention.{name}.bias"])
        return y.reshape(batch, tokens, HEADS, hd).transpose(0, 2, 1, 3)

    q, k, v = heads("query"), heads("key"), heads("value")
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    probs = scores / scores.sum(-1, keepdims=True)
    out = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, d)
    return linear(out, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])


def swiglu(x, w, p):
    a, b = np.split(linear(x, w[p + "mlp.weights_in.weight"], w[p + "mlp.weights_in.bias"]), 2, axis=-1)
    return linear(a / (1 + np.exp(-a)) * b, w[p + "mlp.weights_out.weight"], w[p + "mlp.weights_out.bias"])


def forward(pixels, w):
    batch, grid = pixels.shape[0], IMAGE // PATCH
    patches = pixels.reshape(batch, 3, grid, PATCH, grid, PATCH).transpose(0, 2, 4, 1, 3, 5).reshape(batch, grid * grid, -1)
    proj = w["embeddings.patch_embeddings.projection.weight"].reshape(HIDDEN, -1)
    x = linear(patches, proj, w["embeddings.patch_embeddings.projection.bias"])
    cls = np.broadcast_to(w["embeddings.cls_token"], (batch, 1, HIDDEN))
    x = np.concatenate([cls, x], axis=1) + w["embeddings.position_embeddings"]
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        x = x + w[p + "layer_scale1.lambda1"] * attention(layer_norm(x, w[p + "norm1.weight"], w[p + "norm1.bias"]), w, p)
        x = x + w[p + "layer_scale2.lambda1"] * swiglu(layer_norm(x, w[p + "norm2.weight"], w[p + "norm2.bias"]), w, p)
    return layer_norm(x, w["layernorm.weight"], w["layernorm.bias"])


def write_safetensors(path, tensors):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name in sorted(tensors):
        size = tensors[name].nbytes
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name in sorted(tensors):
            f.write(np.ascontiguousarray(tensors[name], dtype="<f4").tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    w = weights()
    config = {"architectures": ["Dinov2Model"], "model_type": "dinov2", "hidden_size": HIDDEN,
              "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "mlp_ratio": MLP_RATIO,
              "patch_size": PATCH, "image_size": IMAGE, "layer_norm_eps": EPS, "hidden_act": "gelu",
              "use_swiglu_ffn": True, "qkv_bias": True, "layerscale_value": 1.0, "use_mask_token": True}
    with open(f"{OUT}/config.json", "w") as f:
        json.dump(config, f, indent=2)
    write_safetensors(f"{OUT}/model.safetensors", w)
    pixels = rng.standard_normal((2, 3, IMAGE, IMAGE)).astype(np.float32)
    np.save(f"{OUT}/input.npy", pixels)
    features = forward(pixels.astype(np.float64), {k: v.astype(np.float64) for k, v in w.items()})
    np.save(f"{OUT}/features.npy", features.astype(np.float32))
    np.save(f"{OUT}/pooler_output.npy", features[:, 0].astype(np.float32))


if __name__ == "__main__":
    main()
