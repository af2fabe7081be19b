source /tmp/repro/lib.sh
# 6 telemetry: count network syscalls of family AF_INET/AF_INET6 and DNS (port 53)
count='echo "RESULT socket(AF_INET*)=$(grep -cE "socket\(AF_INET6?" st.log) connect(AF_INET*)=$(grep -E "connect\(" st.log | grep -cE "AF_INET6?") dns(htons(53))=$(grep -c "htons(53)" st.log) all-network-lines=$(grep -cE "socket\(|connect\(|sendto\(|recvfrom\(" st.log) AF_UNIX-lines=$(grep -c AF_UNIX st.log)"'
run_case d6-control "strace -f -qq -e trace=network -tt -o st.log python -c 'import onnxruntime, time; time.sleep(15)'; echo exit=\$?; $count"
run_case d6-embed3k "strace -f -qq -e trace=network -tt -o st.log embexplorer embed texts3k.parquet --text-column text --no-cache --threads 1 -o x.npy; echo exit=\$?; $count"
run_case d6-analyze-tsne "strace -f -qq -e trace=network -tt -o st.log embexplorer analyze texts3k.parquet --projection tsne -o ts.parquet; echo exit=\$?; sleep 0; $count"
run_case d6-window-query "strace -f -qq -e trace=network -tt -o st.log embexplorer texts3k.parquet --text-column text --query 'rivers and lakes' --screenshot q.png --screenshot-timeout 300; echo exit=\$?; $count"
run_case d6-import-sleep "strace -f -qq -tt -e trace=network -o st.log python -c 'import embexplorer, onnxruntime, time; time.sleep(20)'; echo exit=\$?; $count"
run_case d6-embed15k "strace -f -qq -tt -e trace=network -o st.log embexplorer embed texts15k.parquet --text-column text --no-cache -o x15.npy; echo exit=\$?; $count"
