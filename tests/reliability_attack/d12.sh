source /tmp/repro/lib.sh
# 12 a 2.4 MB quoted text cell
run_case d12-longcell 'embexplorer analyze long.csv -o l.parquet; echo exit=$?; python -c "import pyarrow.parquet as pq; t=pq.read_table(\"l.parquet\"); print(\"RESULT rows\", t.num_rows, \"len(text[10])\", len(t.column(\"text\")[10].as_py()))"'
# the same with a 200 MB line (a text cell of 200 MB)
run_case d12-200MB 'python -c "
import csv; w=csv.writer(open(\"long200.csv\",\"w\",newline=\"\")); w.writerow([\"id\",\"text\",\"dim_0\",\"dim_1\"])
[w.writerow([i, \"lorem ipsum \"*17_500_000 if i==10 else f\"t{i}\", i, i+1]) for i in range(50)]"; ls -la long200.csv; /usr/bin/time -f "%e s maxrss %M KB" embexplorer analyze long200.csv -o l200.parquet; echo exit=$?'
