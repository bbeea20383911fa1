#!/usr/bin/python3
"""DeiT-Tiny's float exports as committed skeletons (issue 13): the graphs exactly as torch exported them, the weights
recorded as the dequantization of the committed ortqdq file (which make_zoo.py's ort_qdq quantized from float17).

Run once with Debian's python3-onnx after make_zoo.py has written /tmp/deit_tiny_float13.onnx and
/tmp/deit_tiny_float17.onnx (22.9 MB each, not committed):

    /usr/bin/python3 samples/zoo/make_deit_skeleton.py

Writes, for X in float13 / float17, into samples/zoo/models:

  deit_tiny_X.skeleton.bin   the torch export byte for byte, except that every initializer with a source in the ortqdq
                             file has its raw_data removed (name, dims and data type stay; nodes, attributes, Constant
                             nodes and the initializers without a source, e.g. cls_token, are untouched)
  deit_tiny_X.skeleton.json  per removed initializer, in graph order: where its data comes from in
                             deit_tiny_ortqdq.onnx ("float": a float initializer copied; "dequantize": an int8/int32
                             initializer times its float32 scale, per channel along "axis"), the SHA-256 of the float32
                             bytes that gives, and how far that is from the torch original (max abs diff)

runtime/QuantGen.Onnx/OnnxSkeleton.cs writes the full float file from these two (no Python at build or test time).
Matching float13 to ortqdq goes through float17: the two exports hold the same tensors (byte-equal data) under
different auto-generated names (onnx::MatMul_NNNN).
"""

import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "models")
QDQ = os.path.join(MODELS, "deit_tiny_ortqdq.onnx")


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def key(t):
    a = numpy_helper.to_array(t)
    return (tuple(t.dims), t.data_type, a.tobytes())


def main():
    q = onnx.load(QDQ)
    qinit = {t.name: t for t in q.graph.initializer}
    axis_of = {}
    for n in q.graph.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in qinit:
            axis = 1
            for a in n.attribute:
                if a.name == "axis":
                    axis = a.i
            axis_of[n.input[0]] = axis
    f17 = onnx.load("/tmp/deit_tiny_float17.onnx")
    by_content = {}
    for t in f17.graph.initializer:
        by_content.setdefault(key(t), t.name)

    def source(name, original):
        """(record, float32 array) for one float17 initializer name, or None when ortqdq has no source for it."""
        if name in qinit and qinit[name].data_type == onnx.TensorProto.FLOAT:
            a = numpy_helper.to_array(qinit[name]).astype(np.float32)
            return {"from": "float", "data": name}, a
        scale = name + "_quantized_scale" if name + "_quantized_scale" in qinit else name + "_scale"
        if name + "_quantized" in qinit and scale in qinit:
            qn = name + "_quantized"
            qa = numpy_helper.to_array(qinit[qn])
            s = numpy_helper.to_array(qinit[scale]).astype(np.float32)
            axis = axis_of.get(qn, 1)
            shape = [1] * qa.ndim
            shape[axis] = -1
            a = (qa.astype(np.float32) * s.reshape(shape)).astype(np.float32)
            return {"from": "dequantize", "data": qn, "scale": scale, "axis": axis}, a
        return None

    for export in ("float13", "float17"):
        path = f"/tmp/deit_tiny_{export}.onnx"
        raw = open(path, "rb").read()
        m = onnx.load_from_string(raw)
        tensors = []
        for t in m.graph.initializer:
            name17 = by_content.get(key(t))
            if name17 is None:
                sys.exit(f"{export}: initializer {t.name} has no byte-equal tensor in float17")
            original = numpy_helper.to_array(t).astype(np.float32)
            src = source(name17, original)
            if src is None:
                continue
            rec, a = src
            if a.shape != original.shape:
                sys.exit(f"{export}: {t.name} shape {a.shape} vs {original.shape}")
            diff = float(np.abs(a.astype(np.float64) - original.astype(np.float64)).max()) if a.size else 0.0
            rel = diff / max(float(np.abs(original).max()), 1e-30)
            entry = {"name": t.name, "dims": list(t.dims)}
            entry.update(rec)
            entry["sha256"] = sha256(a.astype("<f4").tobytes())
            entry["max_abs_diff"] = float(f"{diff:.6g}")
            entry["max_abs_diff_of_max_abs"] = float(f"{rel:.6g}")
            tensors.append(entry)
            if t.data_type != onnx.TensorProto.FLOAT or t.HasField("segment") or t.external_data:
                sys.exit(f"{export}: {t.name} is not a plain float tensor")
            t.ClearField("raw_data")
            del t.float_data[:]
        skeleton = m.SerializeToString()
        base = os.path.join(MODELS, f"deit_tiny_{export}.skeleton")
        with open(base + ".bin", "wb") as fh:
            fh.write(skeleton)
        side = {
            "about": "DeiT-Tiny " + export + " export (make_zoo.py) with its weights taken from deit_tiny_ortqdq.onnx; written by make_deit_skeleton.py, read by QuantGen.Onnx.OnnxSkeleton",
            "source": os.path.basename(QDQ),
            "source_sha256": sha256(open(QDQ, "rb").read()),
            "skeleton_sha256": sha256(skeleton),
            "original_sha256": sha256(raw),
            "original_bytes": len(raw),
            "tensors": tensors,
        }
        with open(base + ".json", "w", newline="\n") as fh:
            json.dump(side, fh, indent=1)
            fh.write("\n")
        dq = [e for e in tensors if e["from"] == "dequantize"]
        print(f"{export}: {len(m.graph.node)} nodes, {len(m.graph.initializer)} initializers, {len(tensors)} from ortqdq "
              f"({len(dq)} dequantized, {len(tensors) - len(dq)} float), skeleton {len(skeleton)} bytes; "
              f"dequantized max abs diff {max(e['max_abs_diff'] for e in dq):.3g}, "
              f"relative to the tensor's max abs {max(e['max_abs_diff_of_max_abs'] for e in dq):.3g}")


if __name__ == "__main__":
    main()
