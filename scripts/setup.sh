#!/usr/bin/env bash
# Installs what vtok needs on Debian 12 (run as root): FFmpeg and OpenBLAS development
# packages, pkg-config, the ffmpeg tool (test clips), Python with NumPy and safetensors (the
# reference scripts and the token-pack reader tests), and the real sample clips.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libavcodec-dev libavformat-dev libswscale-dev libavutil-dev libopenblas-dev pkg-config
          ffmpeg python3 python3-numpy python3-venv python3-pip unzip ca-certificates)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    echo "setup: swift is not on the PATH — install Swift 6.3 (https://swift.org/install) and run this again" >&2
    exit 1
fi

# Python for the reference scripts and the safetensors interop tests.
if [ ! -x .venv/bin/python3 ] || ! .venv/bin/python3 -c 'import numpy, safetensors' 2>/dev/null; then
    echo "setup: creating .venv with numpy and safetensors" >&2
    python3 -m venv --system-site-packages .venv
    .venv/bin/python3 -c 'import numpy' 2>/dev/null || .venv/bin/pip install -q numpy
    .venv/bin/pip install -q safetensors
fi

bash scripts/fetch-samples.sh
