#!/usr/bin/env bash
# The issue-2 benchmark: on a 60 s 1920x1080 30 fps H.264 testsrc2 clip, time vtok's
# reading+resizing at --fps 2 --size 512 against the ffmpeg tool doing the same, in the same
# run; then EVS's overhead; then --keyframes against full sampling.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-out
clip=bench-out/testsrc2-1080p-60s.mp4
[ -s "$clip" ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 -t 60 \
    -c:v libx264 -pix_fmt yuv420p "$clip"
swift build -c release --product vtok >/dev/null
vtok=.build/release/vtok
repeats=${REPEATS:-3}

ffmpeg_s=$(python3 - "$clip" "$repeats" <<'PY'
import subprocess, sys, time
clip, n = sys.argv[1], int(sys.argv[2])
runs = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-threads", "2", "-i", clip, "-vf",
                    "fps=2,scale=512:512", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", "/dev/null"], check=True)
    runs.append(time.perf_counter() - t)
print(sorted(runs)[len(runs) // 2])
PY
)
$vtok bench read "$clip" --fps 2 --size 512 --reduce evs:rate=0.7 --repeat "$repeats" --json > bench-out/fps2.json
$vtok bench read "$clip" --fps 2 --size 512 --reduce evs:threshold=0.04 --repeat "$repeats" --json > bench-out/fps2-threshold.json
$vtok bench read "$clip" --keyframes --size 512 --repeat "$repeats" --json > bench-out/keyframes.json
python3 - "$ffmpeg_s" <<'PY'
import json, sys
ff = float(sys.argv[1])
a = json.load(open("bench-out/fps2.json"))
k = json.load(open("bench-out/keyframes.json"))
t = json.load(open("bench-out/fps2-threshold.json"))
print(f"ffmpeg -threads 2 fps=2,scale=512:512   {ff:.3f} s")
print(f"vtok read+resize --fps 2 --size 512    {a['read_seconds']:.3f} s  ({a['frames']} frames, {a['frames_decoded']} decoded)  -> {ff / a['read_seconds']:.2f}x faster than ffmpeg")
print(f"vtok with evs:rate=0.7                 {a['reduce_seconds']:.3f} s  (+{100 * (a['reduce_seconds'] / a['read_seconds'] - 1):.1f}% over reading)")
print(f"vtok with evs:threshold=0.04           {t['reduce_seconds']:.3f} s  (+{100 * (t['reduce_seconds'] / t['read_seconds'] - 1):.1f}% over reading {t['read_seconds']:.3f} s)")
print(f"vtok --keyframes                       {k['read_seconds']:.3f} s  ({k['frames']} frames)  -> {a['read_seconds'] / k['read_seconds']:.1f}x faster than --fps 2")
PY
