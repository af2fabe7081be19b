source /tmp/repro/lib.sh
# 5 k = 67..100 with exact kNN
for k in 67 80 100; do
run_case d5-k$k "embexplorer analyze v300.npy -k $k -o k$k.parquet; echo \"exit=\$?\"; python -c \"import pyarrow.parquet as pq, json; t=pq.read_table('k$k.parquet'); c=[n for n in t.column_names if 'neigh' in n][0]; print('RESULT', c, 'list width', len(t.column(c)[0]), 'summary k', json.load(open('k$k.json')).get('k'))\""
done
run_case d5-k101 'embexplorer analyze v300.npy -k 101 -o k101.parquet; echo "exit=$?"'
run_case d5-approx100 'embexplorer analyze v300.npy --knn approx -k 100 -o ka.parquet; echo "exit=$?"'
source /tmp/repro/lib.sh
run_case d5-window-k80 'python /tmp/repro/gui_k80.py 2>&1 | grep -v propagateSize'
