"""Tiny ONNX graphs for encoder tests (built with the onnx package, no weights downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _save(graph, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _inputs(names=("input_ids", "attention_mask")):
    return [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"]) for n in names]


def embedding_model(
    path: Path,
    vocab: int,
    dim: int = 4,
    pooled: bool = False,
    inputs=("input_ids", "attention_mask"),
    seed: int = 0,
) -> Path:
    """A lookup table: token-level output [batch, seq, dim], or pooled (mean over seq)."""
    table = np.random.default_rng(seed).normal(size=(vocab, dim)).astype(np.float32)
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["tokens"], axis=0)]
    if pooled:
        nodes.append(helper.make_node("ReduceMean", ["tokens"], ["pooled"], axes=[1], keepdims=0))
        out = helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", dim])
        inits = [numpy_helper.from_array(table, "table")]
    else:
        nodes.append(helper.make_node("Identity", ["tokens"], ["last_hidden_state"]))
        out = helper.make_tensor_value_info(
            "last_hidden_state", TensorProto.FLOAT, ["batch", "seq", dim]
        )
        inits = [numpy_helper.from_array(table, "table")]
    if "attention_mask" in inputs:  # consumed, so the graph keeps the input
        nodes.append(helper.make_node("Identity", ["attention_mask"], ["mask_out"]))
    outputs = [out]
    if "attention_mask" in inputs:
        outputs.append(
            helper.make_tensor_value_info("mask_out", TensorProto.INT64, ["batch", "seq"])
        )
    graph = helper.make_graph(nodes, "emb", _inputs(inputs), outputs, inits)
    return _save(graph, path)


def image_model(path: Path) -> Path:
    """Not a text encoder: its input is pixel_values."""
    x = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    graph = helper.make_graph(
        [helper.make_node("Identity", ["pixel_values"], ["y"])], "img", [x], [y]
    )
    return _save(graph, path)


def integer_output_model(path: Path) -> Path:
    """A text-shaped graph whose output is int64 (not an embedding)."""
    y = helper.make_tensor_value_info("ids_out", TensorProto.INT64, ["batch", "seq"])
    graph = helper.make_graph(
        [helper.make_node("Identity", ["input_ids"], ["ids_out"])],
        "int",
        _inputs(("input_ids",)),
        [y],
    )
    return _save(graph, path)
