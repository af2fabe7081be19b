source /tmp/repro/lib.sh
# 3 zip bombs (inputs made by mk_sessions.py bomb manifestbomb and mk_bombs.py)
[ -f $W/bomb.embx ] || (cd $W && python mk_sessions.py bomb manifestbomb)
[ -f $W/bomb.npz ] || (cd $W && python mk_bombs.py)
run_case d3a '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=8589934592 -- python -c "from embexplorer.core.state.session_file import load_session; load_session(\"bomb.embx\")"'
run_case d3b '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=8589934592 -- python -c "from embexplorer.core.state.session_file import load_session; load_session(\"manifest_bomb.embx\")"'
run_case d3c '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=8589934592 -- embexplorer analyze bomb.npz -o bz.parquet'
run_case d3d '/usr/bin/time -f "%e s maxrss %M KB" embexplorer bomb.embx --screenshot bomb.png --screenshot-timeout 120'
run_case d3e '/usr/bin/time -f "%e s maxrss %M KB" embexplorer manifest_bomb.embx --screenshot mbomb.png --screenshot-timeout 120'
[ -f $W/bomb_rows.npz ] || (cd $W && cp /tmp/repro/mk_bombs2.py . && python mk_bombs2.py)
run_case d3f '/usr/bin/time -f "%e s maxrss %M KB" prlimit --as=8589934592 -- embexplorer analyze bomb_rows.npz -o bz.parquet'
run_case d3g '/usr/bin/time -f "%e s maxrss %M KB" embexplorer bomb_rows.npz --screenshot bombnpz.png --screenshot-timeout 120'
