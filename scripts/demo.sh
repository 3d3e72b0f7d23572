#!/usr/bin/env bash
# README command 1: install what is needed, build vtok, and reduce a real sample video.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product vtok
mkdir -p out
.build/release/vtok inspect samples/bigbuckbunny.mp4
.build/release/vtok reduce samples/bigbuckbunny.mp4 --fps 2 --size 512 --reduce evs:rate=0.7 \
    -o out/bigbuckbunny.safetensors --report-json out/report.json --report-png out/report.png
.build/release/vtok report out/bigbuckbunny.safetensors
