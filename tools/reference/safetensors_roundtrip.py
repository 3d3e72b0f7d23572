#!/usr/bin/env python3
"""Independent reference for vtok's safetensors reader and writer (NumPy + safetensors only).

Two modes, used by Tests/TensorCoreTests/PythonInteropTests.swift:

  safetensors_roundtrip.py write OUTDIR
      Writes OUTDIR/numpy.safetensors with safetensors.numpy.save_file (F32, F16, I32, I64, F64,
      U8, a scalar and an empty tensor, plus metadata), and OUTDIR/handmade.safetensors built
      byte by byte here (BF16, which safetensors.numpy cannot write, plus deliberately unaligned
      F32/F64/I32 tensors and an unpadded header). OUTDIR/expected.json describes both files in the
      format below, so the Swift reader can be checked against it.

  safetensors_roundtrip.py check FILE EXPECTED.json
      Opens a file written by vtok with safetensors' own (Rust) validator via
      safe_open(framework="np"), reads every tensor with it (BF16 ones, which NumPy has no type
      for, are read by an independent byte-level parser here) and compares with EXPECTED.json.
      Prints OK, or one line per difference, and exits 1 on any difference.

Expected-values format (JSON):
  {"metadata": {str: str},
   "tensors": {name: {"dtype": "F16", "shape": [...],
                      "bits": [...],             # float dtypes: stored bit patterns (unsigned)
                      "f32_bits": [...],         # float dtypes: the values widened to float32
                      "values": [...],           # integer/bool dtypes: the values
                      "source_f32_bits": [...]   # F16/BF16 only: float32 values they were rounded
                     }}}                         #   from; the checker rounds them itself
  In write mode the file holds {"files": {filename: <that object>}}.

Rounding rules implemented here, independently of the Swift code:
  F16:  NumPy's float32 -> float16 cast (IEEE round to nearest, ties to even).
  BF16: round to nearest even on the float32 bit pattern,
        (u + 0x7FFF + ((u >> 16) & 1)) >> 16, with NaN kept as a quiet NaN ((u >> 16) | 0x40).
"""

import json
import struct
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file

FLOAT_BITS = {"F16": np.uint16, "BF16": np.uint16, "F32": np.uint32, "F64": np.uint64}
NUMPY_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "I32": np.int32, "U32": np.uint32, "F32": np.float32, "F64": np.float64,
    "I64": np.int64, "U64": np.uint64, "BF16": np.uint16,
}
ITEM_SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
              "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


# ---------------------------------------------------------------------------------------------
# Independent conversions


def f32_to_bf16_bits(values_f32):
    u = np.asarray(values_f32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF
    quiet_nan = ((u >> 16) | 0x40) & 0xFFFF
    is_nan = (u & 0x7FFFFFFF) > 0x7F800000
    return np.where(is_nan, quiet_nan, rounded).astype(np.uint16)


def bf16_bits_to_f32(bits):
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def f32_to_f16_bits(values_f32):
    with np.errstate(over="ignore"):
        return np.asarray(values_f32, dtype=np.float32).astype(np.float16).view(np.uint16)


def special_f32_values():
    """Edge cases for rounding to F16 and BF16, as float32."""
    bit_patterns = [
        0x00000000, 0x80000000,              # +0, -0
        0x3F800000, 0xBF800000,              # 1, -1
        0x3F808000, 0x3F818000, 0x3F808001,  # BF16 ties to even (down, up) and just above a tie
        0x3F7FFFFF, 0x7F7FFFFF, 0xFF7FFFFF,  # just below 1; largest finite (BF16: overflows to inf)
        0x7F7F7FFF, 0x7F7F8000,              # BF16: just below / exactly the last tie before inf
        0x00000001, 0x807FFFFF,              # float32 subnormals
        0x7F800000, 0xFF800000,              # +inf, -inf
        0x7FC00000, 0xFFC00000, 0x7F800001,  # quiet NaN, negative NaN, signalling NaN
        0x3F801000, 0x3F803000,              # F16 ties: 1 + 2^-11 (to 1), 1 + 3*2^-11 (to 1 + 2^-9)
        0x477FE000, 0x477FF000,              # 65504 (largest F16), 65520 (F16 overflow tie -> inf)
        0x33800000, 0x33000000, 0x387FC000,  # 2^-24 (smallest F16 subnormal), 2^-25 (tie -> 0), F16 subnormal
        0x501502F9,                          # 1e10
    ]
    return np.array(bit_patterns, dtype=np.uint32).view(np.float32)


def sample_f32(rng, count):
    return np.concatenate([special_f32_values(), rng.standard_normal(count).astype(np.float32) * 3])


# ---------------------------------------------------------------------------------------------
# Describing tensors in the expected-values format


def describe(dtype, array, source_f32=None):
    array = np.asarray(array)
    entry = {"dtype": dtype, "shape": list(array.shape)}
    flat = array.reshape(-1)
    if dtype in FLOAT_BITS:
        if dtype == "BF16":
            bits = flat.astype(np.uint16)
            widened = bf16_bits_to_f32(bits)
        else:
            bits = flat.view(FLOAT_BITS[dtype])
            widened = flat.astype(np.float32)
        entry["bits"] = [int(b) for b in bits]
        entry["f32_bits"] = [int(b) for b in widened.view(np.uint32)]
        if source_f32 is not None:
            entry["source_f32_bits"] = [int(b) for b in np.asarray(source_f32, np.float32).view(np.uint32)]
    else:
        entry["values"] = [int(v) for v in flat.astype(np.int64)]
    return entry


# ---------------------------------------------------------------------------------------------
# write mode


def build_file(tensors, metadata, data_start_mod8):
    """Builds safetensors bytes by hand; `tensors` is a list of (name, dtype, shape, raw bytes).

    The header is padded with spaces so that the data section starts at a file offset that is
    `data_start_mod8` modulo 8 (0 gives the usual alignment; anything else misaligns tensors)."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((data_start_mod8 - 8 - len(header_bytes)) % 8)
    return struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(t[3] for t in tensors)


def write(outdir):
    rng = np.random.default_rng(20240601)
    expected = {"files": {}}

    # 1. Written by the real safetensors package.
    source16 = sample_f32(rng, 40)
    with np.errstate(over="ignore"):
        f16 = source16.astype(np.float16)
    tensors = {
        "weights.f32": rng.standard_normal((3, 4)).astype(np.float32),
        "weights.f16": f16,
        "index.i32": np.array([[1, -2, 3], [2147483647, -2147483648, 0]], dtype=np.int32),
        "index.i64": np.array([9007199254740993, -9007199254740993, 0, 1 << 40], dtype=np.int64),
        "pts.f64": np.array([0.0, 1.0 / 3.0, -2.5e300, 5e-324], dtype=np.float64),
        "mask.u8": np.array([0, 1, 127, 128, 255], dtype=np.uint8),
        "scalar.f32": np.array(2.5, dtype=np.float32),
        "empty.f32": np.zeros((0, 3), dtype=np.float32),
    }
    metadata = {"producer": "numpy", "note": "ünïcödé \"quoted\" \\ back\nslash"}
    save_file(tensors, f"{outdir}/numpy.safetensors", metadata=metadata)
    kinds = {"weights.f32": "F32", "weights.f16": "F16", "index.i32": "I32", "index.i64": "I64",
             "pts.f64": "F64", "mask.u8": "U8", "scalar.f32": "F32", "empty.f32": "F32"}
    expected["files"]["numpy.safetensors"] = {
        "metadata": metadata,
        "tensors": {name: describe(kinds[name], array, source16 if name == "weights.f16" else None)
                    for name, array in tensors.items()},
    }

    # 2. Built by hand: BF16, misaligned tensors (data section at offset 2 mod 8, a 3-byte tensor first).
    source_bf16 = sample_f32(rng, 37)
    bf16 = f32_to_bf16_bits(source_bf16)
    f32_unaligned = rng.standard_normal((2, 5)).astype(np.float32)
    f64_unaligned = rng.standard_normal(3).astype(np.float64)
    i32_unaligned = np.array([7, -7, 123456789], dtype=np.int32)
    u8_three = np.array([9, 8, 7], dtype=np.uint8)
    hand = [  # the order here is the data order: a 3-byte tensor first misaligns everything after it
        ("odd.u8", "U8", u8_three.shape, u8_three.tobytes()),
        ("tokens.bf16", "BF16", (len(bf16),), bf16.astype("<u2").tobytes()),
        ("weights.f32", "F32", f32_unaligned.shape, f32_unaligned.astype("<f4").tobytes()),
        ("pts.f64", "F64", f64_unaligned.shape, f64_unaligned.astype("<f8").tobytes()),
        ("index.i32", "I32", i32_unaligned.shape, i32_unaligned.astype("<i4").tobytes()),
    ]
    hand_metadata = {"producer": "handmade"}
    data = build_file(hand, hand_metadata, data_start_mod8=2)
    with open(f"{outdir}/handmade.safetensors", "wb") as handle:
        handle.write(data)
    expected["files"]["handmade.safetensors"] = {
        "metadata": hand_metadata,
        "tensors": {
            "odd.u8": describe("U8", u8_three),
            "tokens.bf16": describe("BF16", bf16, source_bf16),
            "weights.f32": describe("F32", f32_unaligned),
            "pts.f64": describe("F64", f64_unaligned),
            "index.i32": describe("I32", i32_unaligned),
        },
    }
    with open(f"{outdir}/expected.json", "w", encoding="utf-8") as handle:
        json.dump(expected, handle)
    print("OK")
    return 0


# ---------------------------------------------------------------------------------------------
# check mode


def parse_independently(path):
    """Minimal byte-level safetensors parser: returns (metadata, {name: (dtype, shape, raw bytes, file offset)})."""
    with open(path, "rb") as handle:
        data = handle.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    start = 8 + length
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[name] = (info["dtype"], info["shape"], data[start + begin:start + end], start + begin)
    return metadata, tensors, length


def compare_bits(name, label, actual, expected, nan_mask, problems):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    if actual.shape != expected.shape:
        problems.append(f"{name}: {label} has {actual.size} elements, expected {expected.size}")
        return
    differs = (actual != expected) & ~nan_mask
    for index in np.flatnonzero(differs)[:5]:
        problems.append(f"{name}: {label}[{index}] is 0x{int(actual[index]):x}, expected 0x{int(expected[index]):x}")


def check(path, expected_path):
    with open(expected_path, encoding="utf-8") as handle:
        expected = json.load(handle)
    problems = []

    raw_metadata, raw_tensors, header_length = parse_independently(path)
    if header_length % 8 != 0:
        problems.append(f"header length {header_length} is not a multiple of 8")

    # safe_open runs the reference Rust validation of the whole header and layout.
    with safe_open(path, framework="np") as handle:
        metadata = handle.metadata() or {}
        keys = sorted(handle.keys())
        if metadata != expected["metadata"]:
            problems.append(f"metadata is {metadata!r}, expected {expected['metadata']!r}")
        if keys != sorted(expected["tensors"]):
            problems.append(f"tensor names are {keys}, expected {sorted(expected['tensors'])}")
        for name, want in expected["tensors"].items():
            if name not in raw_tensors:
                continue
            dtype, shape, raw, file_offset = raw_tensors[name]
            if dtype != want["dtype"] or list(shape) != want["shape"]:
                problems.append(f"{name}: is {dtype} {shape}, expected {want['dtype']} {want['shape']}")
                continue
            if file_offset % ITEM_SIZES[dtype] != 0:
                problems.append(f"{name}: starts at file offset {file_offset}, not aligned to {ITEM_SIZES[dtype]}")
            if dtype == "BF16":
                array = np.frombuffer(raw, dtype="<u2").reshape(shape)  # NumPy has no bfloat16
            else:
                array = handle.get_tensor(name)
                if array.dtype != np.dtype(NUMPY_DTYPES[dtype]):
                    problems.append(f"{name}: safetensors returned {array.dtype}, expected {NUMPY_DTYPES[dtype]}")
                    continue
                if list(array.shape) != want["shape"]:
                    problems.append(f"{name}: safetensors returned shape {list(array.shape)}, expected {want['shape']}")
                    continue
            flat = array.reshape(-1)
            if dtype in FLOAT_BITS:
                bits = flat.view(FLOAT_BITS[dtype]) if dtype != "BF16" else flat
                widened = bf16_bits_to_f32(bits) if dtype == "BF16" else flat.astype(np.float32)
                nan_mask = np.isnan(widened)
                if "bits" in want:
                    compare_bits(name, "bits", bits, np.array(want["bits"], dtype=np.uint64), nan_mask, problems)
                if "source_f32_bits" in want:
                    source = np.array(want["source_f32_bits"], dtype=np.uint32).view(np.float32)
                    reference = f32_to_bf16_bits(source) if dtype == "BF16" else f32_to_f16_bits(source)
                    reference_nan = np.isnan(bf16_bits_to_f32(reference) if dtype == "BF16"
                                             else reference.view(np.float16))
                    if not np.array_equal(nan_mask, reference_nan):
                        problems.append(f"{name}: NaN positions differ from NumPy's rounding of the source values")
                    compare_bits(name, "rounding of source", bits, reference, nan_mask, problems)
            else:
                actual = [int(v) for v in flat.astype(np.int64)]
                if actual != want["values"]:
                    problems.append(f"{name}: values {actual[:8]}..., expected {want['values'][:8]}...")

    if raw_metadata != expected["metadata"]:
        problems.append(f"independently parsed metadata is {raw_metadata!r}")
    if problems:
        for problem in problems:
            print(problem)
        return 1
    print(f"OK {len(expected['tensors'])} tensors")
    return 0


def main(argv):
    np.seterr(over="ignore", invalid="ignore")  # widening F64 extremes to float32 is intended
    if len(argv) == 3 and argv[1] == "write":
        return write(argv[2])
    if len(argv) == 4 and argv[1] == "check":
        return check(argv[2], argv[3])
    print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
