source /tmp/repro/lib.sh
export EMBEXPLORER_CACHE_DIR=/tmp/repro/work/cache_misc
# 15 a data file names the model for queries. crafted.parquet: texts200 embedded with ok_external.onnx (made by mk_model15.py)
(cd $W && python /tmp/repro/mk_model15.py && embexplorer embed texts200.parquet --text-column text --model ok_external.onnx --tokenizer tok.json --no-cache -o crafted.parquet >/dev/null 2>&1)
run_case d15-cli-query 'strace -f -qq -e trace=open,openat -o open.log embexplorer crafted.parquet --query "rivers" --screenshot c15.png --screenshot-timeout 120 2>&1 | grep -v propagateSize; echo exit=${PIPESTATUS[0]}; echo "RESULT opens of ok_external.onnx: $(grep -c "ok_external.onnx" open.log), of tok.json: $(grep -c "tok.json\"" open.log)"'
run_case d15-window-query 'python /tmp/repro/gui_query15.py 2>&1 | grep -v propagateSize'
