#!/usr/bin/env bash
# The main job on the bundled default: import the bundled timm checkpoint (a small ViT
# trained on handwritten digits) with verification against timm's logits, then classify
# bundled images with the converted model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
model=models/bundled/digits
out=out/digits-vit
build/tools/vitimport --checkpoint "$model" --out "$out" --overwrite \
  --reference-input "$model/input.npy" --reference-output "$model/logits.npy"
echo "== classifying the bundled test digits (the true digit is the last character of each name)"
build/tools/vitrun --model "$out" --topk 2 "$model/images"
