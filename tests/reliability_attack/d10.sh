source /tmp/repro/lib.sh
# 10 max length beyond the model's 512 positions
for ml in 1000 -5 0 512; do
run_case d10-maxlen$ml "embexplorer embed late_long.parquet --text-column text --max-length $ml --no-cache -o x10.npy; echo exit=\$?"
done
run_case d10-window-maxlen1000 'python /tmp/repro/gui_maxlen.py 2>&1 | grep -v propagateSize'
run_case d10-tests 'cd /work/main && timeout 300 .venv/bin/python -m pytest -q -p no:cacheprovider tests/core/test_encoder.py -k "max_length" 2>&1 | tail -3'
