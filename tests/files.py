"""Write the small test corpus in every supported format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Every file write_all() makes, by kind (each holds the same 30 rows and vectors).
FORMATS = [
    "npy",
    "npz",
    "csv",
    "csv-list",
    "tsv",
    "projector-vectors",
    "projector-metadata",
    "parquet",
    "parquet-list",
    "jsonl",
]


def write_csv(path: Path, data: dict, sep: str = ",", vectors_as_list: bool = False) -> Path:
    import csv

    v = data["vectors"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=sep)
        if vectors_as_list:
            writer.writerow(["text", "label", "score", "embedding"])
            for i in range(len(v)):
                writer.writerow(
                    [
                        data["texts"][i],
                        data["labels"][i],
                        data["score"][i],
                        json.dumps([float(x) for x in v[i]]),
                    ]
                )
        else:
            writer.writerow(["text", "label", "score", *[f"dim_{j}" for j in range(v.shape[1])]])
            for i in range(len(v)):
                writer.writerow(
                    [
                        data["texts"][i],
                        data["labels"][i],
                        data["score"][i],
                        *[repr(float(x)) for x in v[i]],
                    ]
                )
    return path


def write_projector_pair(folder: Path, data: dict, multi_column: bool = True) -> tuple[Path, Path]:
    vec, meta = folder / "vectors.tsv", folder / "metadata.tsv"
    vec.write_text(
        "".join("\t".join(repr(float(x)) for x in row) + "\n" for row in data["vectors"]),
        encoding="utf-8",
    )
    if multi_column:
        lines = ["label\ttext"] + [
            f"{lab}\t{t}" for lab, t in zip(data["labels"], data["texts"], strict=True)
        ]
    else:
        lines = list(data["labels"])
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return vec, meta


def write_parquet(path: Path, data: dict, fixed_size: bool = True) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    v = data["vectors"]
    flat = pa.array(v.reshape(-1), type=pa.float32())
    vectors = (
        pa.FixedSizeListArray.from_arrays(flat, v.shape[1])
        if fixed_size
        else pa.array([list(map(float, row)) for row in v], type=pa.list_(pa.float32()))
    )
    table = pa.table(
        {
            "text": data["texts"],
            "label": list(data["labels"]),
            "score": data["score"],
            "embedding": vectors,
        }
    )
    pq.write_table(table, path)
    return path


def write_jsonl(path: Path, data: dict) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(len(data["vectors"])):
            fh.write(
                json.dumps(
                    {
                        "text": data["texts"][i],
                        "label": str(data["labels"][i]),
                        "score": float(data["score"][i]),
                        "embedding": [float(x) for x in data["vectors"][i]],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path


def write_npz(path: Path, data: dict) -> Path:
    np.savez(path, vectors=data["vectors"], label=np.array(data["labels"]), score=data["score"])
    return path


def write_all(folder: Path, data: dict) -> dict[str, Path]:
    """One file per format (and variant); every one holds the same rows and vectors."""
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "vectors.npy", data["vectors"])
    pair = folder / "pair"
    pair.mkdir(exist_ok=True)
    vec, meta = write_projector_pair(pair, data)
    return {
        "npy": folder / "vectors.npy",
        "npz": write_npz(folder / "corpus.npz", data),
        "csv": write_csv(folder / "corpus.csv", data),
        "csv-list": write_csv(folder / "corpus_list.csv", data, vectors_as_list=True),
        "tsv": write_csv(folder / "corpus.tsv", data, sep="\t"),
        "projector-vectors": vec,
        "projector-metadata": meta,
        "parquet": write_parquet(folder / "corpus.parquet", data),
        "parquet-list": write_parquet(folder / "corpus_list.parquet", data, fixed_size=False),
        "jsonl": write_jsonl(folder / "corpus.jsonl", data),
    }


def bad_inputs(folder: Path) -> dict[Path, str]:
    """One file per kind of bad input, with a phrase its error message must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    cases = {
        "empty.tsv": (b"", "is empty"),
        "header_only.csv": (b"a,b\n", "no data rows"),
        "ragged.csv": (b"a,b\n1,2\n3\n", "line 3: expected 2 fields"),
        "not_a_number.csv": (
            b"t,d0,d1\na,1,2\nb,3,oops\n",
            "'oops' in column 'd1' is not a number",
        ),
        "latin1.csv": ("n,d0\ncaf\u00e9,1\n".encode("latin-1"), "not valid UTF-8"),
        "ragged.jsonl": (
            b'{"v": [1.5, 2]}\n{"v": [3]}\n',
            "line 2: the vector in 'v' has 1 values",
        ),
    }
    out = {}
    for name, (content, phrase) in cases.items():
        (folder / name).write_bytes(content)
        out[folder / name] = phrase
    obj = folder / "objects.npy"
    np.save(obj, np.array([object()], dtype=object), allow_pickle=True)
    out[obj] = "holds Python objects"
    nan = folder / "nan.npy"
    np.save(nan, np.array([[1, np.nan], [1, 2]], dtype=np.float32))
    out[nan] = "1 of 2 rows hold NaN or infinite values"
    pair = folder / "pair"
    pair.mkdir(exist_ok=True)
    (pair / "vectors.tsv").write_text("1\t2\n3\t4\n5\t6\n")
    (pair / "metadata.tsv").write_text("label\ttext\na\tx\nb\ty\n")
    out[pair / "vectors.tsv"] = "metadata.tsv has 2 rows plus a header row but vectors.tsv has 3"
    return out
