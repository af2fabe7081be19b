source /tmp/repro/lib.sh
# 11 wide vectors
run_case d11-wide16k '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=8589934592 -- embexplorer analyze wide.npy --no-quality -o w.parquet; echo exit=$?'
run_case d11-wide16k-quality '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=8589934592 -- embexplorer analyze wide.npy -o wq.parquet; echo exit=$?'
run_case d11-csv100k '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=8589934592 -- embexplorer analyze wide100k.csv -k 2 -o wc.parquet; echo exit=$?'
