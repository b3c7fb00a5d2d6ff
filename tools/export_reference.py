#!/usr/bin/env python3
"""Writes a timm checkpoint folder plus reference inputs and outputs for `vitimport`.

Needs timm and torch (not needed by vitcpp itself). For any timm model name:

    python3 tools/export_reference.py vit_base_patch16_224 out/vit_base --pretrained

writes out/vit_base/{config.json, pytorch_model.bin} (timm's own hub layout), input.npy
(float32 [N,3,H,W], seeded normal noise), and logits.npy / pre_logits.npy / features.npy from the
model in eval mode. Then:

    vitimport --checkpoint out/vit_base --out converted \
        --reference-input out/vit_base/input.npy --reference-output out/vit_base/logits.npy \
        --reference-output out/vit_base/pre_logits.npy --reference-output out/vit_base/features.npy
"""
import argparse
import os

import numpy as np
import timm
import torch
from timm.models._hub import save_for_hf


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="timm model name, e.g. vit_base_patch16_224")
    parser.add_argument("out", help="folder to write")
    parser.add_argument("--pretrained", action="store_true", help="load timm's pretrained weights")
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = timm.create_model(args.model, pretrained=args.pretrained).eval()
    os.makedirs(args.out, exist_ok=True)
    save_for_hf(model, args.out, safe_serialization=False)

    _, height, width = model.pretrained_cfg["input_size"]
    generator = torch.Generator().manual_seed(args.seed)
    pixels = torch.randn((args.batch, 3, height, width), generator=generator)
    with torch.no_grad():
        features = model.forward_features(pixels)
        pre_logits = model.forward_head(features, pre_logits=True)
        outputs = {"features": features, "pre_logits": pre_logits}
        if model.num_classes:
            outputs["logits"] = model(pixels)
    np.save(os.path.join(args.out, "input.npy"), pixels.numpy().astype(np.float32))
    for name, value in outputs.items():
        np.save(os.path.join(args.out, name + ".npy"), value.numpy().astype(np.float32))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
