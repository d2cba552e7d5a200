"""Writes and reads the safetensors format by hand (F32, or F64 for exact Python floats): 8-byte header
length, JSON header, raw little-endian data."""
import json
import struct

_FORMATS = {"F32": ("f", 4), "F64": ("d", 8)}


def save(path, tensors, metadata=None, dtype="F32"):
    """tensors: {name: (shape, flat list of floats)}; dtype "F32" (the default) or "F64"."""
    code, _ = _FORMATS[dtype]
    header = {}
    blobs = []
    offset = 0
    for name, (shape, values) in tensors.items():
        blob = struct.pack("<%d%s" % (len(values), code), *values)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load(path):
    """{name: (shape, flat list of floats)} of an F32 / F64 file (the metadata is left out)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _FORMATS:
            raise ValueError("%s: tensor %s has dtype %s; this reader knows F32 and F64" % (path, name, info["dtype"]))
        code, size = _FORMATS[info["dtype"]]
        start, end = info["data_offsets"]
        out[name] = (info["shape"], list(struct.unpack("<%d%s" % ((end - start) // size, code), data[start:end])))
    return out
