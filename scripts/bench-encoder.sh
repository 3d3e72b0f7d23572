#!/usr/bin/env bash
# The issue-3 benchmark: random C-RADIO checkpoints of the real ViT-B and ViT-H shapes (F16,
# made by the NumPy reference script), timed dense and sparse (25% kept) at 512×512 beside
# cblas_sgemm's peak measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-out
py=python3; [ -x .venv/bin/python3 ] && py=.venv/bin/python3
[ -s bench-out/vitb/model.safetensors ] || "$py" tools/reference/radio_reference.py make-checkpoint bench-out/vitb \
    --embed 768 --depth 12 --heads 12 --mlp 3072 --prefix 4 --num-cls 2 --dtype f16
swift build -c release --product vtok >/dev/null
.build/release/vtok bench encoder --weights bench-out/vitb --size 512 --frames "${FRAMES:-8}" --keep 0.25
if [ "${VITH:-0}" = 1 ]; then
    [ -s bench-out/vith/model.safetensors ] || "$py" tools/reference/radio_reference.py make-checkpoint bench-out/vith \
        --embed 1280 --depth 32 --heads 16 --mlp 5120 --prefix 10 --num-cls 3 --dtype f16
    .build/release/vtok bench encoder --weights bench-out/vith --size 512 --frames "${FRAMES_H:-2}" --keep 0.25
fi
