source /tmp/repro/lib.sh
export EMBEXPLORER_CACHE_DIR=/tmp/repro/work/cache_misc
# 7 vectors stored as list<string>, list<list<double>>, struct
for f in vec_as_strings vec_as_nested vec_as_struct; do
run_case d7-$f "rm -f s.json; embexplorer analyze $f.parquet -o s.parquet; echo exit=\$?; test -f s.json && python -c \"import json; d=json.load(open('s.json')); print('RESULT', d['text_column'], d['dims'])\""
done
# 8 an export selecting 0 rows
run_case d8-parquet 'rm -f keep.parquet*; embexplorer export base.csv --select "topic == A" -o keep.parquet --force; ls -l keep.parquet | awk "{print \$5}" > before; sha256sum keep.parquet > sum; embexplorer export base.csv --select "topic == a" -o keep.parquet --force; echo exit=$?; echo "RESULT size before $(cat before) after $(stat -c %s keep.parquet), unchanged: $(sha256sum -c --quiet sum && echo yes)"'
for fmt in csv tsv jsonl npy projector; do
run_case d8-$fmt "rm -rf k8; mkdir k8; embexplorer export base.csv --select 'topic == a' --format $fmt -o k8/keep.$fmt; echo exit=\$?; echo RESULT files: \$(ls -A k8)"
done
