# Adapted from the report's mk_sessions.py to the current session API (embeddings list).
import json, sys, zipfile, numpy as np
from embexplorer.core.io import read_corpus
from embexplorer.core.analysis.params import AnalysisParams
from embexplorer.core.analysis.pipeline import analysis_task
from embexplorer.core.tasks import run_task
from embexplorer.core.state.session_file import EmbeddingState, SessionState, save_session
c = read_corpus("v300.npy")
res = run_task(analysis_task(c.vectors, AnalysisParams(k=5), None))
save_session("good.embx", SessionState(source=c.provenance["source"], source_sha256=c.provenance["source_sha256"],
    embeddings=[EmbeddingState("vectors", {"kind": "source"}, analysis=res)], active="vectors"))
src = zipfile.ZipFile("good.embx"); members = {n: src.read(n) for n in src.namelist()}
m = json.loads(members["manifest.json"])
def write(name, manifest=None, big=None, raw_manifest=None):
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in members.items():
            if big and n == big: continue
            if n == "manifest.json" and raw_manifest is not None:
                if isinstance(raw_manifest, bytes):
                    zf.writestr(n, raw_manifest)
                else:  # a generator of chunks: streamed, zip64
                    with zf.open(n, "w", force_zip64=True) as fh:
                        for chunk in raw_manifest: fh.write(chunk)
                continue
            zf.writestr(n, json.dumps(manifest).encode() if (manifest is not None and n == "manifest.json") else b)
        if big:   # one member that inflates to 6 GB of zeros
            with zf.open(big, "w", force_zip64=True) as fh:
                for _ in range(96): fh.write(b"\0" * (64 << 20))
which = sys.argv[1:] or ["small", "bomb"]
if "small" in which:
    write("tags.embx", dict(m, tags=["a"]))                 # 1 tag for 300 rows
    write("nostages.embx", {k: v for k, v in m.items() if k != "stages"})   # old top-level key
    e0 = m["embeddings"][0]
    write("nostages_e.embx", dict(m, embeddings=[{k: v for k, v in e0.items() if k != "stages"}]))
    write("badstage.embx", dict(m, embeddings=[dict(e0, stages=dict(e0.get("stages", {}), bogus=1))]))
    write("unk_param.embx", dict(m, embeddings=[dict(e0, analysis_params=dict(e0["analysis_params"], bogus=1))]))
    write("neg_fmt.embx", dict(m, format_version=-1))
    write("focus_oob.embx", dict(m, focus_row=5000))
    write("focus_str.embx", dict(m, focus_row="abc"))
    write("view_str.embx", dict(m, view_range=[["a", "b"], [0, 1]]))
    write("fmt0.embx", dict(m, format_version=0))
    write("fmt_true.embx", dict(m, format_version=True))
    write("fmt_1_0.embx", dict(m, format_version=1.0))
    write("nosha.embx", dict(m, source_sha256=None))
    write("unk_readopt.embx", dict(m, read_options={"bogus": 1}))
    write("deep.embx", raw_manifest=b'{"a":' * 100000 + b'1' + b'}' * 100000)
    import io
    sel = io.BytesIO(); np.save(sel, np.array([1, 2, 999], dtype=np.int64))
    members_sel = dict(members); members_sel["arrays/selection.npy"] = sel.getvalue()
    with zipfile.ZipFile("sel_oob.embx", "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in members_sel.items(): zf.writestr(n, b)
    # NaN coordinates in the layout array of embedding 0
    xyname = [n for n in members if n.startswith("arrays/e0/") and ("xy" in n or "layout" in n or "coords" in n)]
    if xyname:
        a = np.load(io.BytesIO(members[xyname[0]])).copy(); a[3] = np.nan
        b = io.BytesIO(); np.save(b, a)
        mm = dict(members); mm[xyname[0]] = b.getvalue()
        with zipfile.ZipFile("nan_xy.embx", "w", zipfile.ZIP_DEFLATED) as zf:
            for n, bb in mm.items(): zf.writestr(n, bb)
    print("arrays:", [n for n in members if n.startswith("arrays/")], "xy member:", xyname)
    print("manifest keys:", list(m), "embedding keys:", list(e0))
if "bomb" in which:
    write("bomb.embx", big="arrays/selection.npy")
if "manifestbomb" in which:   # a 3 GB manifest.json
    write("manifest_bomb.embx", raw_manifest=(b" " * (64 << 20) for _ in range(48)))
