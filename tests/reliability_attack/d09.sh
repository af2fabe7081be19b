source /tmp/repro/lib.sh
cp /tmp/repro/check_proj.py $W/
# 9a kill -9 at the Nth rename of a Projector export over an older 'topic == A' export
for when in 1 2 3 4 5; do
run_case d9a-kill-rename$when "rm -f sel_* .sel_*; embexplorer export big.parquet --select 'topic == A' --format projector -o sel_vectors.tsv --force >/dev/null 2>&1; strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:signal=SIGKILL:when=$when embexplorer export big.parquet --select 'topic == B' --format projector -o sel_vectors.tsv --force >/dev/null 2>&1; echo killed-run-exit=\$?; ls -A | grep -E '^\.?sel_' | tr '\n' ' '; echo; python check_proj.py; embexplorer export sel_vectors.tsv -o chk.csv --force; echo reopen-exit=\$?"
done
# 9b analyze writes OUT.parquet + OUT.json; kill at each rename over an older k=5 result
for when in 1 2 3 4; do
run_case d9b-analyze-kill$when "rm -f an9.* .an9.*; embexplorer analyze v300.npy -k 5 -o an9.parquet >/dev/null 2>&1; strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:signal=SIGKILL:when=$when embexplorer analyze v300.npy -k 20 -o an9.parquet >/dev/null 2>&1; echo killed-run-exit=\$?; ls -A | grep -E '^\.?an9' | tr '\n' ' '; echo; python -c \"import pyarrow.parquet as pq, json; t=pq.read_table('an9.parquet'); print('RESULT parquet list width', len(t.column('neighbors')[0]), 'json k', json.load(open('an9.json'))['k'])\"; embexplorer export an9.parquet -o chk9.csv --force; echo reopen-exit=\$?"
done
# 9c a later rename fails (provenance path is a folder)
run_case d9c-later-rename-fails 'rm -rf nc.csv*; embexplorer export base.csv --select "topic == A" -o nc.csv --force >/dev/null; sha256sum nc.csv > nc.sum; rm nc.csv.provenance.json; mkdir -p nc.csv.provenance.json/x; embexplorer export base.csv --select "topic == B" -o nc.csv --force; echo exit=$?; echo "RESULT nc.csv unchanged: $(sha256sum -c --quiet nc.sum && echo yes || echo NO)"; ls -A | grep nc.csv'
# 9c2 the same, but the failure hits at rename time (strace injects EIO into the Nth rename)
for when in 2 3 4; do
run_case d9c2-rename-eio$when "rm -rf nc2.csv* .nc2.csv*; embexplorer export base.csv --select 'topic == A' -o nc2.csv --force >/dev/null; sha256sum nc2.csv nc2.csv.provenance.json > nc2.sum; strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:error=EIO:when=$when embexplorer export base.csv --select 'topic == B' -o nc2.csv --force; echo exit=\$?; echo \"RESULT old files unchanged: \$(sha256sum -c --quiet nc2.sum && echo yes || echo NO)\"; ls -A | grep nc2.csv | tr '\\n' ' '"
done
# 9d which file is blamed when the data file hits EFBIG (ulimit -f) / ENOSPC (1 MB tmpfs)
run_case d9d-efbig-blame '(ulimit -f 1000; embexplorer export big.parquet --format csv -o efbig.csv --force); echo exit=$?; ls -A | grep efbig'
run_case d9e-enospc-blame 'mkdir -p small; mountpoint -q small || mount -t tmpfs -o size=1m tmpfs small; embexplorer export big.parquet --format csv -o small/enospc.csv --force; echo exit=$?; ls -A small; umount small'
