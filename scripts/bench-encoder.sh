#!/usr/bin/env bash
# Encoder benchmarks on random checkpoints of the real shapes (made by the NumPy reference
# scripts): C-RADIO ViT-B (and ViT-H with VITH=1) dense vs 25% kept at 512×512 beside
# cblas_sgemm's peak in the same run; with GSPN=1, GSPN-T and ViT-B at 512, 1024 and 2048 pixels
# (1 frame) to see how each grows with the number of patches.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-out
py=python3; [ -x .venv/bin/python3 ] && py=.venv/bin/python3
[ -s bench-out/vitb/model.safetensors ] || "$py" tools/reference/radio_reference.py make-checkpoint bench-out/vitb \
    --embed 768 --depth 12 --heads 12 --mlp 3072 --prefix 4 --num-cls 2 --dtype f16
swift build -c release --product vtok >/dev/null
vtok=.build/release/vtok
$vtok bench encoder --weights bench-out/vitb --size 512 --frames "${FRAMES:-8}" --keep 0.25
if [ "${VITH:-0}" = 1 ]; then
    [ -s bench-out/vith/model.safetensors ] || "$py" tools/reference/radio_reference.py make-checkpoint bench-out/vith \
        --embed 1280 --depth 32 --heads 16 --mlp 5120 --prefix 10 --num-cls 3 --dtype f16
    $vtok bench encoder --weights bench-out/vith --size 512 --frames "${FRAMES_H:-2}" --keep 0.25
fi
if [ "${GSPN:-0}" = 1 ]; then
    [ -s bench-out/gspn-t/model.safetensors ] || "$py" tools/reference/gspn_model_reference.py make-weights bench-out/gspn-t --arch gspn-t
    $vtok bench encoder --encoder gspn --weights bench-out/gspn-t --size "${SIZES:-512,1024,2048}" --frames 1 --keep 0.25
    $vtok bench encoder --weights bench-out/vitb --size "${SIZES:-512,1024,2048}" --frames 1 --keep 0.25
fi
