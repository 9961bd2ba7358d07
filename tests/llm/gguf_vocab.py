"""The metadata of a GGUF file (its key/value section), read in a second: the
gguf package's GGUFReader takes tens of seconds on the 262,144-token Gemma
vocabulary because it maps every string separately. Used to build the HF
reference tokenizers and to read chat templates; test_tokenizer_models.py
checks what it reads against llama.cpp's own view of the vocabulary."""
import mmap
import struct

import numpy as np

# GGUF value types: 0..7, 10..12 scalars, 8 string, 9 array.
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
STRING, ARRAY = 8, 9


class _Cursor:
    def __init__(self, buf):
        self.buf, self.at = buf, 0

    def unpack(self, fmt):
        (value,) = struct.unpack_from(fmt, self.buf, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.unpack("<Q")
        s = bytes(self.buf[self.at:self.at + n]).decode("utf-8", errors="surrogateescape")
        self.at += n
        return s

    def value(self, vtype):
        if vtype in SCALARS:
            return self.unpack(SCALARS[vtype])
        if vtype == STRING:
            return self.string()
        if vtype != ARRAY:
            raise ValueError(f"GGUF value type {vtype}")
        etype, count = self.unpack("<I"), self.unpack("<Q")
        if etype in SCALARS and etype != 7:
            dtype = np.dtype(SCALARS[etype])
            arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.at)
            self.at += count * dtype.itemsize
            return arr.tolist()
        return [self.value(etype) for _ in range(count)]


def read_metadata(path) -> dict:
    """key -> value (arrays as lists) of a GGUF v2/v3 file."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        c = _Cursor(memoryview(mm))
        try:
            if bytes(c.buf[:4]) != b"GGUF":
                raise ValueError(f"{path}: not a GGUF file")
            c.at = 4
            c.unpack("<I")  # version
            c.unpack("<Q")  # tensor count
            out = {}
            for _ in range(c.unpack("<Q")):
                key = c.string()
                out[key] = c.value(c.unpack("<I"))
            return out
        finally:
            c.buf.release()
