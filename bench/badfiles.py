"""Hostile and broken inputs, built on the spot, for the fault tests and the soak.

Each is small on disk however large it claims to be: the point is to prove the archiver refuses
them from their headers instead of finding out by running out of memory."""
from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from pathlib import Path


def skeleton_pdf(path: Path, pages: int, width_pt: float = 595, height_pt: float = 842) -> Path:
    """A valid PDF of blank pages of the given size, written by hand: 20,000 pages take a second."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{' '.join(f'{3 + i} 0 R' for i in range(pages))}] /Count {pages} >>".encode()]
    page = f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:g} {height_pt:g}] >>".encode()
    objects += [page] * pages
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (n, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


def huge_png(path: Path, width: int, height: int) -> Path:
    """A white 1-bit PNG of width × height pixels, streamed row by row (30,000² is ~100 KB on disk)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter byte "none", then all-white bits
    z = zlib.compressobj(9)
    data = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def truncated(source: Path, dest: Path, keep: float = 0.5) -> Path:
    """The first `keep` of a file, as a copy that died half-way leaves it."""
    data = source.read_bytes()
    dest.write_bytes(data[: max(1, int(len(data) * keep))])
    return dest


def encrypted_pdf(path: Path, password: str = "secret") -> Path:
    """A PDF that cannot be opened without its user password."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), encrypt=password)
    c.drawString(72, 720, "confidential")
    c.showPage()
    c.save()
    return path


def zip_file(path: Path) -> Path:
    """A zip archive (whatever its name says)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("通知.txt", "关于放假的通知")
    return path


def random_bytes(path: Path, size: int = 4096, seed: int = 0) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path
