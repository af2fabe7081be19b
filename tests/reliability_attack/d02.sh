source /tmp/repro/lib.sh
# 2 cache entries are checked
export EMBEXPLORER_CACHE_DIR=c2
run_case d2a 'rm -rf c2; embexplorer embed texts200.parquet --text-column text -o good.npy; python -c "import glob,numpy as np; p=glob.glob(\"c2/*.npy\")[0]; np.save(p, np.load(p)[:, :10].copy())"; embexplorer embed texts200.parquet --text-column text -o bad.npy; echo "exit=$?"; python -c "import numpy as np; a=np.load(\"bad.npy\"); print(\"RESULT bad.npy\", a.shape, \"equal to good:\", a.shape==np.load(\"good.npy\").shape and bool(np.allclose(a,np.load(\"good.npy\"))))"'
run_case d2b 'python -c "import glob,numpy as np; p=glob.glob(\"c2/*.npy\")[0]; g=np.load(\"good.npy\"); g[5]=np.nan; np.save(p,g)"; embexplorer analyze texts200.parquet -o an.parquet; echo "exit=$?"; python -c "import json; d=json.load(open(\"an.json\")); print(\"RESULT\", d.get(\"rows\"), d.get(\"dims\"))"'
run_case d2c 'python -c "import glob,numpy as np; p=glob.glob(\"c2/*.npy\")[0]; np.save(p, np.load(\"good.npy\")); b=bytearray(open(p,\"rb\").read()); [b.__setitem__(i, b[i]^0xFF) for i in range(2000, 2400)]; open(p,\"wb\").write(b)"; embexplorer embed texts200.parquet --text-column text -o flip.npy; echo "exit=$?"; python -c "import numpy as np; print(\"RESULT flip==good:\", bool(np.allclose(np.load(\"flip.npy\"), np.load(\"good.npy\"))))"'
run_case d2d 'python -c "import glob,numpy as np; p=glob.glob(\"c2/*.npy\")[0]; np.save(p, np.zeros((200,384),np.float32))"; embexplorer embed texts200.parquet --text-column text -o zeros.npy; echo "exit=$?"; python -c "import numpy as np; print(\"RESULT zeros==good:\", bool(np.allclose(np.load(\"zeros.npy\"), np.load(\"good.npy\"))))"'
run_case d2e 'python -c "import glob,numpy as np; p=glob.glob(\"c2/*.npy\")[0]; np.save(p, np.load(\"good.npy\")); j=glob.glob(\"c2/*.json\")[0]; open(j,\"w\").write(\"garbage{{{\")"; embexplorer embed texts200.parquet --text-column text -o gj.npy; echo "exit=$?"; python -c "import numpy as np; print(\"RESULT gj==good:\", bool(np.allclose(np.load(\"gj.npy\"), np.load(\"good.npy\"))))"'
run_case d2f 'rm -rf c2; embexplorer embed texts200.parquet --text-column text -o good2.npy >/dev/null 2>&1; python - <<PY
import glob
p = glob.glob("c2/*.npy")[0]
b = open(p, "rb").read()
hl = int.from_bytes(b[8:10], "little"); hdr = b[10:10+hl].decode()
new = hdr.replace("(200, 384)", "(200, 100000000)")
new = new.rstrip().ljust(hl - 1) + "\n"
assert len(new) == hl, (len(new), hl)
open(p, "wb").write(b[:10] + new.encode() + b[10+hl:])
print("header now:", new.strip())
PY
/usr/bin/time -f "maxrss %M KB" embexplorer embed texts200.parquet --text-column text -o hdr.npy; echo "exit=$?"; python -c "import numpy as np; print(\"RESULT hdr==good:\", bool(np.allclose(np.load(\"hdr.npy\"), np.load(\"good.npy\"))))"'
