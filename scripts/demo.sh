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
build/tools/vitrun --model "$out" --input "$model/input.npy" --output out/digits-logits.npy --print-top 1
