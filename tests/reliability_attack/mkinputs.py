import numpy as np, pyarrow as pa, pyarrow.parquet as pq
np.save("v300.npy", np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32))
pq.write_table(pa.table({"text": [f"sentence {i} about rivers and cities {i*7}" for i in range(3000)]}), "texts3k.parquet")
pq.write_table(pa.table({"text": [f"sentence {i} about rivers" for i in range(200)]}), "texts200.parquet")
v = np.random.default_rng(1).standard_normal((40, 8)).astype(np.float32)
pq.write_table(pa.table({"vector": pa.array([[str(x) for x in r] for r in v])}), "vec_as_strings.parquet")
# extra variants named in defect 7: list<list<double>> and struct
pq.write_table(pa.table({"vector": pa.array([[[float(x)] for x in r] for r in v])}), "vec_as_nested.parquet")
pq.write_table(pa.table({"vector": pa.array([{f"d{j}": float(x) for j, x in enumerate(r)} for r in v])}), "vec_as_struct.parquet")
# base.csv: 300 rows, topic A/B, 8 dims
rng = np.random.default_rng(2)
import csv
with open("base.csv", "w", newline="") as f:
    w = csv.writer(f); w.writerow(["id", "topic", "text"] + [f"dim_{j}" for j in range(8)])
    for i in range(300):
        w.writerow([i, "A" if i % 2 == 0 else "B", f"text {i}"] + [f"{x:.5f}" for x in rng.standard_normal(8)])
# defect 6: a corpus whose embedding lasts longer than the ~9 s before onnxruntime's telemetry lookups
pq.write_table(pa.table({"text": [f"sentence {i} about rivers and cities {i*7} and a longer tail of words {i%97}" for i in range(15000)]}), "texts15k.parquet")
# defect 9: 100,000 rows, topic A (even rows) / B (odd rows), 16 dims, so an A export and a B export have the same row count
rng = np.random.default_rng(3)
n = 100_000
pq.write_table(pa.table({"id": np.arange(n), "topic": np.where(np.arange(n) % 2 == 0, "A", "B"),
                         "text": [f"row {i}" for i in range(n)],
                         "vector": pa.array(list(rng.standard_normal((n, 16)).astype(np.float32)), type=pa.list_(pa.float32()))}), "big.parquet")
pq.write_table(pa.table({'text': ['short']*300 + ['word '*5000]}), 'late_long.parquet')
np.save('wide.npy', np.random.rand(200, 16384).astype(np.float32))
# a 5-row CSV with 100,000 numeric columns
with open("wide100k.csv", "w") as f:
    f.write(",".join(f"d{j}" for j in range(100_000)) + "\n")
    r = np.random.default_rng(4).random((5, 100_000))
    for row in r: f.write(",".join(f"{x:.4f}" for x in row) + "\n")
import csv as _csv
w = _csv.writer(open('long.csv', 'w', newline='')); w.writerow(['id', 'text', 'dim_0', 'dim_1'])
[w.writerow([i, 'lorem ipsum ' * 200000 if i == 10 else f't{i}', i, i + 1]) for i in range(50)]
