"""Do sel_vectors.tsv and sel_metadata.tsv belong together? Compare with big.parquet by id."""
import numpy as np, pyarrow.parquet as pq, csv, sys
big = pq.read_table("big.parquet")
vec = np.asarray(big.column("vector").to_pylist()[:8], dtype=np.float32)  # rows 0..7 enough
meta = list(csv.reader(open("sel_metadata.tsv"), delimiter="\t"))
v = np.loadtxt("sel_vectors.tsv", delimiter="\t", max_rows=1, dtype=np.float32)
mid = int(meta[1][1]); mtopic = meta[1][2]
vtopic = "A" if np.allclose(v, vec[0], atol=1e-5) else "B" if np.allclose(v, vec[1], atol=1e-5) else "?"
print(f"RESULT metadata says {mtopic} (id {mid}), vectors are {vtopic} rows ->", "consistent" if mtopic == vtopic else "MIXED")
