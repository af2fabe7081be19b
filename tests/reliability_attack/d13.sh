source /tmp/repro/lib.sh
export EMBEXPLORER_CACHE_DIR=/tmp/repro/work/cache_misc
# 13 tracebacks -> messages
run_case d13-onerow 'python -c "import numpy as np; np.save(\"one.npy\", np.ones((1,8),np.float32))"; embexplorer analyze one.npy -o o.parquet; echo exit=$?'
run_case d13-onerow-window 'embexplorer one.npy --screenshot one.png --screenshot-timeout 60 2>&1 | grep -v propagateSize; echo exit=${PIPESTATUS[0]}'
run_case d13-npz-readme 'python -c "import zipfile,io,numpy as np; b=io.BytesIO(); np.save(b,np.ones((5,3),np.float32)); z=zipfile.ZipFile(\"x.npz\",\"w\"); z.writestr(\"vectors.npy\",b.getvalue()); z.writestr(\"README.txt\",\"hi\"); z.close()"; embexplorer analyze x.npz -o o.parquet; echo exit=$?'
run_case d13-embx-to-analyze 'embexplorer analyze good.embx -o o.parquet; echo exit=$?'
run_case d13-embx-to-export 'embexplorer export good.embx -o o.csv; echo exit=$?'
run_case d13-jsonl-deep 'python -c "
import json; f=open(\"deep.jsonl\",\"w\")
for i in range(5): f.write(json.dumps({\"text\": f\"t{i}\", \"vector\": [1.0*i, 2.0, 3.0]}) + \"\n\")
f.write(\"{\\\"text\\\": \\\"x\\\", \\\"vector\\\": [1,2,3], \\\"meta\\\": \" + \"[\"*100000 + \"]\"*100000 + \"}\n\")"; embexplorer analyze deep.jsonl -k 2 -o o.parquet; echo exit=$?'
run_case d13-jsonl-bigint 'python -c "
import json; f=open(\"bigint.jsonl\",\"w\")
for i in range(5): f.write(json.dumps({\"text\": f\"t{i}\", \"vector\": [1.0*i, 2.0, 3.0], \"n\": i}) + \"\n\")
f.write(\"{\\\"text\\\": \\\"x\\\", \\\"vector\\\": [1,2,3], \\\"n\\\": \" + \"7\"*5000 + \"}\n\")"; embexplorer analyze bigint.jsonl -k 2 -o o.parquet; echo exit=$?'
run_case d13-jsonl-bigint-in-vector 'python -c "
import json; f=open(\"bigintv.jsonl\",\"w\")
for i in range(5): f.write(json.dumps({\"text\": f\"t{i}\", \"vector\": [1.0*i, 2.0, 3.0]}) + \"\n\")
f.write(\"{\\\"text\\\": \\\"x\\\", \\\"vector\\\": [\" + \"7\"*5000 + \",2,3]}\n\")"; embexplorer analyze bigintv.jsonl -k 2 -o o.parquet; echo exit=$?'
run_case d13-csv-bigint 'python -c "
f=open(\"bigint.csv\",\"w\"); f.write(\"id,n,dim_0,dim_1\n\")
for i in range(5): f.write(f\"{i},{i},{i*0.5},{i*0.25}\n\")
f.write(\"5,\" + \"7\"*5000 + \",1,2\n\")"; embexplorer analyze bigint.csv -k 2 -o o.parquet; echo exit=$?'
run_case d13-batch100k-memlimit '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=3221225472 -- embexplorer embed texts15k.parquet --text-column text --batch-size 100000 --no-cache -o xb.npy; echo exit=$?'
run_case d13-npz-readme-k2 'embexplorer analyze x.npz -k 2 -o o.parquet; echo exit=$?'
run_case d13-batch100k-nolimit '/usr/bin/time -f "%e s maxrss %M KB" embexplorer embed texts15k.parquet --text-column text --batch-size 100000 --no-cache -o xb.npy; echo exit=$?'
run_case d13-memoryerror-analyze '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=1610612736 -- embexplorer analyze big.parquet -k 50 -o mem.parquet; echo exit=$?'
run_case d13-csv-bigint-metadata-type 'embexplorer analyze bigint.csv -k 2 -o bi.parquet 2>&1 | tail -1; python -c "import pyarrow.parquet as pq; t=pq.read_table(\"bi.parquet\"); print(\"RESULT\", t.schema.field(\"n\"), \"row 5 =\", t.column(\"n\")[5])"'
run_case d13-csv-bigint-in-vector 'python -c "
f=open(\"bigintd.csv\",\"w\"); f.write(\"id,dim_0,dim_1\n\")
[f.write(f\"{i},{i*0.5},{i*0.25}\n\") for i in range(5)]
f.write(\"5,\" + \"7\"*5000 + \",2\n\")"; embexplorer analyze bigintd.csv -k 2 -o bid.parquet; echo exit=$?'
