source /tmp/repro/lib.sh
# 4 invalid session fields (inputs: mk_sessions.py small)
(cd $W && python mk_sessions.py small >/dev/null)
run_case d4a-tags 'embexplorer tags.embx --screenshot t.png --screenshot-timeout 120; echo "exit=$?"'
run_case d4a-tags-x3 'for i in 1 2 3; do embexplorer tags.embx --screenshot t.png --screenshot-timeout 120 2>&1 | grep -v propagateSize | tail -1; echo "exit=${PIPESTATUS[0]}"; done'
for s in good nostages nostages_e badstage sel_oob focus_oob focus_str view_str nan_xy fmt0 neg_fmt fmt_true fmt_1_0 nosha unk_readopt unk_param deep; do
  run_case d4-$s "embexplorer $s.embx --screenshot $s.png --screenshot-timeout 120 2>&1 | grep -v propagateSize; echo \"exit=\${PIPESTATUS[0]}\""
done
