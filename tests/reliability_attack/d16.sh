source /tmp/repro/lib.sh
export EMBEXPLORER_CACHE_DIR=/tmp/repro/work/cache_misc
# 16 smaller problems
run_case d16-embed-missing-folder 'rm -rf missing; /usr/bin/time -f "%e s" embexplorer embed texts15k.parquet --text-column text --no-cache -o missing/x.npy; echo exit=$?'
run_case d16-analyze-missing-folder '/usr/bin/time -f "%e s" embexplorer analyze texts3k.parquet --projection tsne -o missing/x.parquet; echo exit=$?'
run_case d16-fifo 'rm -f f.csv; mkfifo f.csv; (timeout 20 embexplorer analyze f.csv -o o.parquet; echo exit=$?) & sleep 1; (timeout 5 sh -c "cat base.csv > f.csv"; echo writer-exit=$?); wait'
run_case d16-devzero 'timeout 60 embexplorer analyze /dev/zero --format csv -o o.parquet; echo exit=$?'
run_case d16-symlink-loop 'rm -f loop1.csv loop2.csv; ln -s loop2.csv loop1.csv; ln -s loop1.csv loop2.csv; embexplorer analyze loop1.csv -o o.parquet; echo exit=$?'
run_case d16-model-folder 'mkdir -p modeldir; embexplorer embed texts200.parquet --text-column text --model modeldir --no-cache -o o.npy; echo exit=$?'
run_case d16-model-device 'embexplorer embed texts200.parquet --text-column text --model /dev/null --no-cache -o o.npy; echo exit=$?'
run_case d16-utf32 'python -c "open(\"u32.csv\",\"wb\").write(open(\"base.csv\").read().encode(\"utf-32\"))"; embexplorer analyze u32.csv -o o.parquet; echo exit=$?'
run_case d16-empty-headers 'printf ",,dim_0\na,b,1\nc,d,2\ne,f,3\n" > eh.csv; embexplorer analyze eh.csv -k 1 -o o.parquet; echo exit=$?'
run_case d16-headerless-200MB 'python -c "f=open(\"line200.csv\",\"w\"); f.write(\"x\"*200_000_000)"; /usr/bin/time -f "%e s maxrss %M KB" embexplorer analyze line200.csv -o o.parquet; echo exit=$?'
run_case d16-jsonl-bool-vector 'printf "{\"text\":\"a\",\"vector\":[true,0.5,1]}\n{\"text\":\"b\",\"vector\":[0.1,0.2,0.3]}\n{\"text\":\"c\",\"vector\":[0.3,0.2,0.1]}\n" > bool.jsonl; embexplorer analyze bool.jsonl -k 1 -o o.parquet; echo exit=$?'
run_case d16-tworows-k10 'python -c "import numpy as np; np.save(\"two.npy\", np.array([[1,0,0],[0,1,0]],np.float32))"; embexplorer analyze two.npy -k 10 -o two.parquet; echo exit=$?; test -f two.json && python -c "import json,pyarrow.parquet as pq; print(\"RESULT json k\", json.load(open(\"two.json\"))[\"k\"], \"list width\", len(pq.read_table(\"two.parquet\").column(\"neighbors\")[0]))"'
run_case d16-allzero-cosine 'python -c "import numpy as np; np.save(\"zeros.npy\", np.zeros((100,8),np.float32))"; embexplorer analyze zeros.npy --metric cosine -o z.parquet; echo exit=$?; test -f z.json && python -c "import json; d=json.load(open(\"z.json\")); print(\"RESULT\", {k: v for k, v in d.items() if \"hub\" in k.lower() or \"warn\" in k.lower()})"'
run_case d16-export-overwrite-input 'cp base.csv inp.csv; sha256sum inp.csv > inp.sum; embexplorer export inp.csv --select "topic == A" -o inp.csv --force; echo exit=$?; echo "RESULT input unchanged: $(sha256sum -c --quiet inp.sum && echo yes)"'
for n in 20000 60000; do
run_case d16-select-ws$n "/usr/bin/time -f '%e s' embexplorer export base.csv --select \"topic == \$(python -c 'print(\" \"*$n + \"x\")')\" -o ws.csv --force 2>&1 | cut -c1-200; echo exit=\${PIPESTATUS[0]}"
done
run_case d16-model-folder-tok 'mkdir -p modeldir; embexplorer embed texts200.parquet --text-column text --model modeldir --tokenizer tok.json --no-cache -o o.npy; echo exit=$?'
run_case d16-model-device-tok 'embexplorer embed texts200.parquet --text-column text --model /dev/null --tokenizer tok.json --no-cache -o o.npy; echo exit=$?'
# other placements of a 60 kB whitespace run in --select (the report does not say where the run was)
for form in '"topic" + " "*60000 + "x"' '" "*60000 + "topic == A"' '"topic ==" + " "*60000' '"topic" + " "*60000 + "== A"' '"text contains" + " "*60000 + "river"' '"score >" + " "*60000 + "0.5x"'; do
run_case "d16-select-ws-$(echo "$form" | tr -dc 'a-z0-9=<>' | head -c 20)" "/usr/bin/time -f '%e s' embexplorer export base.csv --select \"\$(python -c 'print($form)')\" -o ws.csv --force 2>&1 | cut -c1-160; echo exit=\${PIPESTATUS[0]}"
done
