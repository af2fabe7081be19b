#!/bin/bash
# Re-runs every reproduction of /work/shared/reviews/reliability-attack.md against /work/main.
# Inputs are built under /tmp/repro (mkinputs.py, mk_sessions.py, mk_bombs.py, mk_bombs2.py, mk_model15.py);
# every case runs in /tmp/repro/work; each case's full output is in /tmp/repro/logs/<id>.out and one line
# per case (id, rc of the case's shell, seconds, command, first message line) in /tmp/repro/results.tsv.
# Needs root for the tmpfs mounts (d1e, d9e) and setpriv (d1c). About 10 minutes on 2 cores
# (d13-batch100k-nolimit alone: ~95 s and 11 GB RSS; d14-kill9-then-wait65: ~90 s). SKIP_SLOW=1 skips those two.
set -u
cd /tmp/repro
rm -f results.tsv; mkdir -p logs work
PY=/work/main/.venv/bin/python
$PY mkinputs.py
cp texts200.parquet texts3k.parquet texts15k.parquet v300.npy base.csv vec_as_*.parquet big.parquet late_long.parquet wide.npy wide100k.csv long.csv \
   mk_sessions.py mk_bombs.py mk_bombs2.py check_proj.py work/
(cd work && $PY mk_sessions.py small >/dev/null)  # the bombs are built by d03.sh when missing
if [ "${SKIP_SLOW:-0}" = 1 ]; then
  sed -e '/d13-batch100k-nolimit/d' d13.sh > d13.run.sh; sed -e '/d14-kill9-then-wait65/d' d14.sh > d14.run.sh
else cp d13.sh d13.run.sh; cp d14.sh d14.run.sh; fi
for s in d01.sh d02.sh d03.sh d04.sh d05.sh d06.sh d07_08.sh d09.sh d10.sh d11.sh d12.sh d13.run.sh d14.run.sh d15.sh d16.sh d_tests.sh; do
  echo "######## $s"; bash $s
done 2>&1 | grep -vE '^\[#|propagateSizeHints' > run_all.log
echo "done: $(wc -l < results.tsv) cases; see results.tsv, logs/, run_all.log"
