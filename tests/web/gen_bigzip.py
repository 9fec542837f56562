#!/usr/bin/env python3
"""gen_bigzip.py SRC DST PAD - a PyTorch zip checkpoint past 4 GiB, sparse.

Copies the zip checkpoint SRC to DST, stored (not deflated), with PAD zero
bytes after the first storage's data (data/0): its later members, the
central directory and the zip64 end records then lie past 2^32, where
Emscripten 3.1.6's own pread would read at the wrong offset. The zeros are
seeked over, not written, so DST takes a few KiB of disk.
"""
import io
import sys
import zipfile


class Sparse(io.RawIOBase):
    """A file whose all-zero writes become holes."""

    def __init__(self, f):
        super().__init__()
        self.f = f

    def writable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.f.tell()

    def seek(self, offset, whence=0):
        return self.f.seek(offset, whence)

    def write(self, b):
        b = bytes(b)
        if b and b.count(0) == len(b):
            self.f.seek(len(b), 1)
            return len(b)
        return self.f.write(b)


def main():
    src, dst, pad = sys.argv[1], sys.argv[2], int(sys.argv[3])
    chunk = bytes(1 << 24)
    with open(dst, "wb") as raw:
        with zipfile.ZipFile(src) as zin, \
                zipfile.ZipFile(Sparse(raw), "w", zipfile.ZIP_STORED, allowZip64=True) as zout:
            for name in zin.namelist():
                old = zin.getinfo(name)
                info = zipfile.ZipInfo(name, date_time=old.date_time)
                data = zin.read(name)
                if not name.endswith("/data/0"):
                    zout.writestr(info, data)
                    continue
                with zout.open(info, "w", force_zip64=True) as w:
                    w.write(data)
                    left = pad
                    while left > 0:
                        w.write(chunk[:min(left, len(chunk))])
                        left -= len(chunk)
        raw.truncate(raw.tell())


if __name__ == "__main__":
    main()
