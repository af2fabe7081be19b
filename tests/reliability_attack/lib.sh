# helpers for run_all.sh
export PATH=/work/main/.venv/bin:$PATH
export QT_QPA_PLATFORM=offscreen
export XDG_CONFIG_HOME=/tmp/repro/xdg/config XDG_CACHE_HOME=/tmp/repro/xdg/cache XDG_DATA_HOME=/tmp/repro/xdg/data
mkdir -p /tmp/repro/logs /tmp/repro/work $XDG_CONFIG_HOME $XDG_CACHE_HOME $XDG_DATA_HOME
W=/tmp/repro/work
# run_case ID 'command' : runs in $W, logs to logs/ID.out, appends ID<TAB>rc<TAB>first message line to results.tsv
run_case() {
  local id="$1" cmd="$2" t0 t1 rc first
  t0=$(date +%s)
  ( cd $W && timeout "${TMO:-900}" bash -c "$cmd" ) > /tmp/repro/logs/$id.out 2>&1
  rc=$?; t1=$(date +%s)
  first=$(grep -m1 -E '^embexplorer|Traceback|Error|error|wrote|exported|Segmentation|^RESULT|refus|^[A-Za-z_]+: ' /tmp/repro/logs/$id.out)
  [ -z "$first" ] && first=$(grep -m1 -v '^\s*$' /tmp/repro/logs/$id.out)
  printf '%s\t%s\t%ss\t%s\t%s\n' "$id" "$rc" "$((t1-t0))" "$cmd" "$first" >> /tmp/repro/results.tsv
  printf '== %s rc=%s (%ss)\n$ %s\n' "$id" "$rc" "$((t1-t0))" "$cmd"; tail -n 8 /tmp/repro/logs/$id.out; echo
}
