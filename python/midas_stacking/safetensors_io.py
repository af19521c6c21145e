"""Minimal safetensors reader and writer (used when the ``safetensors`` package is not installed).

Format: 8-byte little-endian header length N, N bytes of JSON header {name: {"dtype", "shape",
"data_offsets": [begin, end]}, "__metadata__": {str: str}}, then the raw little-endian tensor data,
offsets relative to the end of the header, covering it without gaps. The header is padded with spaces
to a multiple of 8 bytes, as the reference writer does.
"""
import ctypes
import json
import struct
import sys

import torch

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}

try:  # the real package when it is there
    import safetensors.torch as _st
except ImportError:
    _st = None


class SafetensorsError(ValueError):
    pass


def _check_host():
    if sys.byteorder != "little":
        raise SafetensorsError("midas_stacking: safetensors I/O needs a little-endian host")


def read_header(path):
    """(header dict without __metadata__, metadata dict, data start offset) of the file at path."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise SafetensorsError(f"midas_stacking: {path}: not a safetensors file (shorter than 8 bytes)")
        n = struct.unpack("<Q", raw)[0]
        f.seek(0, 2)
        size = f.tell()
        if n > size - 8:
            raise SafetensorsError(f"midas_stacking: {path}: header of {n} bytes is longer than the file")
        f.seek(8)
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            raise SafetensorsError(f"midas_stacking: {path}: header is not JSON: {e}") from None
    meta = header.pop("__metadata__", None) or {}
    return header, meta, 8 + n


def load_file(path, device="cpu"):
    """{name: tensor} of the safetensors file at path (dtypes kept), on device."""
    if _st is not None:
        return _st.load_file(path, device=str(device))
    return load_file_with_metadata(path, device)[0]


def load_file_with_metadata(path, device="cpu"):
    """({name: tensor}, metadata) of the safetensors file at path."""
    _check_host()
    header, meta, start = read_header(path)
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read()
    out = {}
    for name, info in header.items():
        dt = DTYPES.get(info.get("dtype"))
        if dt is None:
            raise SafetensorsError(f"midas_stacking: {path}: tensor {name!r}: unsupported dtype {info.get('dtype')!r}")
        a, b = info["data_offsets"]
        shape = list(info["shape"])
        n = 1
        for s in shape:
            n *= s
        esize = torch.empty((), dtype=dt).element_size()
        if not 0 <= a <= b <= len(data) or b - a != n * esize:
            raise SafetensorsError(f"midas_stacking: {path}: tensor {name!r}: data_offsets [{a}, {b}] do not fit shape {shape}")
        t = torch.frombuffer(bytearray(data[a:b]), dtype=dt) if b > a else torch.empty(0, dtype=dt)
        out[name] = t.reshape(shape).to(device)
    return out, meta


def _bytes(t):
    t = t.detach().to("cpu").contiguous()
    return ctypes.string_at(t.data_ptr(), t.numel() * t.element_size()) if t.numel() else b""


def save_file(tensors, path, metadata=None):
    """Write {name: tensor} to path (tensors in name order, as the reference writer orders them)."""
    _check_host()
    if _st is not None:
        _st.save_file({k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}, path, metadata=metadata)
        return
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name]
        if t.dtype not in NAMES:
            raise SafetensorsError(f"midas_stacking: tensor {name!r}: dtype {t.dtype} has no safetensors name")
        b = _bytes(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
