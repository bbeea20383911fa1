#!/usr/bin/env python3
"""Produces the DeiT-Tiny-sized encoder block used by the benchmarks (samples/Benchmarks).

Run from the repository root, in two steps (Python is used once; builds, tests and benchmarks never run it):

    /usr/bin/python3 samples/models/make_encoder_block.py float
        -> samples/models/encoder_block.float.qmodel.json + encoder_block.float.safetensors  (QuantGen float model)
        -> samples/models/encoder_block.float.onnx                                           (same weights, ONNX)
    dotnet run -c Release --project samples/Benchmarks -- quantize
        -> samples/models/encoder_block.qmodel.json + encoder_block.safetensors              (C# PostTrainingQuantizer)
    /usr/bin/python3 samples/models/make_encoder_block.py qdq
        -> samples/models/encoder_block.qdq.onnx        QDQ int8 variant with the scales the C# PTQ chose
                                                         (u8 activations, zero point + 128: ONNX Runtime's x86 format)
    /usr/bin/python3 samples/models/make_encoder_block.py mlp
        -> samples/models/digits_mlp.float.onnx and digits_mlp.qdq.onnx from the committed digits_mlp files

The block is DeiT-Tiny's: 197 tokens, width 192, 3 heads of 64, MLP 768, pre-norm:
LayerNorm, q/k/v Dense, per-head scores MatMul (alpha = 1/8), Softmax, ctx MatMul, proj Dense, residual Add,
LayerNorm, fc1 Dense 192->768, GELU, fc2 768->192, residual Add. Weights are random but realistic (fixed seed):
N(0, 1/K) with a larger gain on q and k so that attention is not uniform, LayerNorm gamma ~ 1 + N(0, 0.1^2),
small biases. Only numpy and onnx (Debian's python3-onnx 1.12, opset 17) are needed.
"""

import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL_DIR = os.path.join(ROOT, "samples", "models")
SCRIPT_REL = "samples/models/make_encoder_block.py"
T, D, H, M = 197, 192, 3, 768
DH = D // H
NAME = "encoder_block"


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": dict(metadata)}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].astype("<f4"))
        raw = a.tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    dtypes = {"F32": "<f4", "I8": "i1", "I16": "<i2", "I32": "<i4"}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(body[b:e], dtype=dtypes[info["dtype"]]).copy().reshape(info["shape"])
    return out


# --------------------------------------------------------------------------------------------
# QuantGen float spec
# --------------------------------------------------------------------------------------------

def dense(name, x, out=None):
    return {"name": name, "op": "Dense", "inputs": [x], "output": out or name, "weight": f"{name}.weight",
            "bias": f"{name}.bias", "activation": "none",
            "precision": {"weightBits": 8, "activationBits": 8, "perChannel": True}}


def layers():
    L = []
    L.append({"name": "ln1", "op": "LayerNorm", "inputs": ["tokens"], "output": "ln1", "gamma": "ln1.gamma", "beta": "ln1.beta", "epsilon": 1e-6})
    for p in "qkv":
        L.append(dense(p, "ln1"))
    for p, perm in (("q", [1, 0, 2]), ("k", [1, 2, 0]), ("v", [1, 0, 2])):
        L.append({"name": f"{p}_reshape", "op": "Reshape", "inputs": [p], "output": f"{p}_reshape", "shape": [T, H, DH]})
        L.append({"name": f"{p}_heads", "op": "Transpose", "inputs": [f"{p}_reshape"], "output": f"{p}_heads", "perm": perm})
    L.append({"name": "scores", "op": "MatMul", "inputs": ["q_heads", "k_heads"], "output": "scores", "alpha": 0.125})
    L.append({"name": "attn", "op": "Softmax", "inputs": ["scores"], "output": "attn", "method": "shiftmax"})
    L.append({"name": "ctx", "op": "MatMul", "inputs": ["attn", "v_heads"], "output": "ctx"})
    L.append({"name": "ctx_transpose", "op": "Transpose", "inputs": ["ctx"], "output": "ctx_transpose", "perm": [1, 0, 2]})
    L.append({"name": "ctx_merge", "op": "Reshape", "inputs": ["ctx_transpose"], "output": "ctx_merge", "shape": [T, D]})
    L.append(dense("proj", "ctx_merge"))
    L.append({"name": "res1", "op": "Add", "inputs": ["tokens", "proj"], "output": "res1"})
    L.append({"name": "ln2", "op": "LayerNorm", "inputs": ["res1"], "output": "ln2", "gamma": "ln2.gamma", "beta": "ln2.beta", "epsilon": 1e-6})
    L.append(dense("fc1", "ln2"))
    L.append({"name": "gelu", "op": "Gelu", "inputs": ["fc1"], "output": "gelu", "method": "shiftgelu"})
    L.append(dense("fc2", "gelu"))
    L.append({"name": "res2", "op": "Add", "inputs": ["res1", "fc2"], "output": "out"})
    return L


def make_weights():
    rng = np.random.default_rng(20261124)
    t = {}
    for p, gain in (("q", 2.0), ("k", 2.0), ("v", 1.0), ("proj", 0.7)):
        t[f"{p}.weight"] = rng.normal(0, gain / np.sqrt(D), (D, D))
        t[f"{p}.bias"] = rng.normal(0, 0.02, D)
    t["fc1.weight"] = rng.normal(0, 1.0 / np.sqrt(D), (M, D))
    t["fc1.bias"] = rng.normal(0, 0.02, M)
    t["fc2.weight"] = rng.normal(0, 0.7 / np.sqrt(M), (D, M))
    t["fc2.bias"] = rng.normal(0, 0.02, D)
    for ln in ("ln1", "ln2"):
        t[f"{ln}.gamma"] = 1.0 + rng.normal(0, 0.1, D)
        t[f"{ln}.beta"] = rng.normal(0, 0.02, D)
    return {k: v.astype(np.float32) for k, v in t.items()}


def write_float():
    w = make_weights()
    spec = {
        "format": "quantgen",
        "version": 1,
        "name": NAME,
        "kind": "float",
        "weights": f"{NAME}.float.safetensors",
        "inputs": [{"name": "tokens", "shape": [T, D], "range": [-4, 4]}],
        "outputs": ["out"],
        "initializers": {k: {"type": "float32", "shape": list(w[k].shape)} for k in sorted(w)},
        "layers": layers(),
        "metadata": {"source": SCRIPT_REL, "weights": "random N(0, gain^2/K), seed 20261124; not trained",
                     "shape": "DeiT-Tiny encoder block: 197 tokens, 192 channels, 3 heads, MLP 768"},
    }
    write_safetensors(os.path.join(MODEL_DIR, f"{NAME}.float.safetensors"), w, {"format": "np", "model": NAME, "source": SCRIPT_REL})
    with open(os.path.join(MODEL_DIR, f"{NAME}.float.qmodel.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    onnx.save(encoder_onnx(w, None), os.path.join(MODEL_DIR, f"{NAME}.float.onnx"))


# --------------------------------------------------------------------------------------------
# ONNX (float and QDQ). Batch dimension first and dynamic: [batch, 197, 192].
# --------------------------------------------------------------------------------------------

class Graph:
    def __init__(self, quant):
        self.nodes, self.inits, self.quant, self.n = [], [], quant, 0

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, inputs, out=None, **attrs):
        self.n += 1
        out = out or f"t{self.n}_{op}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"n{self.n}_{op}", **attrs))
        return out

    def qdq(self, x, tensor):
        """Q then DQ with the activation quantization the C# PTQ chose (u8, zero point + 128)."""
        if self.quant is None or tensor not in self.quant["activations"]:
            return x
        a = self.quant["activations"][tensor]
        s = self.init(f"{tensor}.s", np.array(a["scale"], dtype=np.float32))
        z = self.init(f"{tensor}.z", np.array(a["zeroPoint"] + 128, dtype=np.uint8))
        q = self.node("QuantizeLinear", [x, s, z], f"{tensor}.q")
        return self.node("DequantizeLinear", [q, s, z], f"{tensor}.dq")

    def dense(self, x, name, fw, out_tensor, relu=False):
        if self.quant is None:
            wt = self.init(f"{name}.wT", np.ascontiguousarray(fw[f"{name}.weight"].T))
            b = self.init(f"{name}.b", fw[f"{name}.bias"])
        else:
            qw = self.quant["weights"][f"{name}.weight"].astype(np.int8)
            ws = np.array(self.quant["initializers"][f"{name}.weight"]["scales"], dtype=np.float32)
            wq = self.init(f"{name}.wT_q", np.ascontiguousarray(qw.T))
            wsn = self.init(f"{name}.w_s", ws)
            wz = self.init(f"{name}.w_z", np.zeros(len(ws), dtype=np.int8))
            wt = self.node("DequantizeLinear", [wq, wsn, wz], f"{name}.wT", axis=1)
            qb = self.quant["weights"][f"{name}.bias"].astype(np.int32)
            bs = np.array(self.quant["initializers"][f"{name}.bias"]["scales"], dtype=np.float32)
            bq = self.init(f"{name}.b_q", qb)
            bsn = self.init(f"{name}.b_s", bs)
            bz = self.init(f"{name}.b_z", np.zeros(len(bs), dtype=np.int32))
            b = self.node("DequantizeLinear", [bq, bsn, bz], f"{name}.b", axis=0)
        y = self.node("Add", [self.node("MatMul", [x, wt]), b])
        return self.qdq(self.node("Relu", [y]) if relu else y, out_tensor)

    def layer_norm(self, x, name, fw, out_tensor):
        y = self.node("LayerNormalization", [x, self.init(f"{name}.g", fw[f"{name}.gamma"]), self.init(f"{name}.bb", fw[f"{name}.beta"])], axis=-1, epsilon=1e-6)
        return self.qdq(y, out_tensor)


def encoder_onnx(fw, quant):
    g = Graph(quant)
    x = g.qdq("tokens", "tokens")
    h = g.layer_norm(x, "ln1", fw, "ln1")
    heads = {}
    for p, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        y = g.dense(h, p, fw, p)
        r = g.node("Reshape", [y, g.init(f"{p}.shape", np.array([-1, T, H, DH], dtype=np.int64))])
        heads[p] = g.node("Transpose", [r], perm=perm)
    s = g.node("MatMul", [heads["q"], heads["k"]])
    s = g.qdq(g.node("Mul", [s, g.init("alpha", np.array(0.125, dtype=np.float32))]), "scores")
    a = g.node("Softmax", [s], axis=-1)
    c = g.qdq(g.node("MatMul", [a, heads["v"]]), "ctx")
    c = g.node("Transpose", [c], perm=[0, 2, 1, 3])
    c = g.node("Reshape", [c, g.init("merge.shape", np.array([-1, T, D], dtype=np.int64))])
    pr = g.dense(c, "proj", fw, "proj")
    r1 = g.qdq(g.node("Add", [x, pr]), "res1")
    h2 = g.layer_norm(r1, "ln2", fw, "ln2")
    f1 = g.dense(h2, "fc1", fw, "fc1")
    # exact GELU: 0.5 x (1 + erf(x / sqrt 2))
    e = g.node("Erf", [g.node("Div", [f1, g.init("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))])])
    ge = g.node("Mul", [g.node("Mul", [f1, g.node("Add", [e, g.init("one", np.array(1.0, dtype=np.float32))])]), g.init("half", np.array(0.5, dtype=np.float32))])
    ge = g.qdq(ge, "gelu")
    f2 = g.dense(ge, "fc2", fw, "fc2")
    out = g.node("Add", [r1, f2])
    out = g.qdq(out, "out") if quant is not None else out
    g.nodes[-1].output[0] = "out" if quant is None else g.nodes[-1].output[0]
    if quant is not None:
        g.node("Identity", [out], "out")
    graph = helper.make_graph(g.nodes, NAME, [helper.make_tensor_value_info("tokens", TensorProto.FLOAT, ["batch", T, D])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", T, D])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="quantgen-make_encoder_block")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def load_quant(name):
    with open(os.path.join(MODEL_DIR, f"{name}.qmodel.json")) as f:
        spec = json.load(f)
    acts = dict(spec["activations"])
    acts[spec["inputs"][0]["name"]] = {"scale": spec["inputs"][0]["scale"], "zeroPoint": spec["inputs"][0]["zeroPoint"]}
    return {"activations": acts, "initializers": spec["initializers"],
            "weights": read_safetensors(os.path.join(MODEL_DIR, spec["weights"]))}


def write_qdq():
    fw = read_safetensors(os.path.join(MODEL_DIR, f"{NAME}.float.safetensors"))
    onnx.save(encoder_onnx(fw, load_quant(NAME)), os.path.join(MODEL_DIR, f"{NAME}.qdq.onnx"))


def mlp_onnx(fw, quant):
    g = Graph(quant)
    x = g.qdq("pixels", "pixels")
    h = x
    for name, nxt, relu in (("fc1", "h1", True), ("fc2", "h2", True), ("fc3", "logits", False)):
        if quant is None:
            y = g.node("Add", [g.node("MatMul", [h, g.init(f"{name}.wT", np.ascontiguousarray(fw[f"{name}.weight"].T))]), g.init(f"{name}.b", fw[f"{name}.bias"])])
            h = g.node("Relu", [y]) if relu else y
        else:
            h = g.dense(h, name, fw, nxt, relu)
    g.node("Identity", [h], "logits")
    graph = helper.make_graph(g.nodes, "digits_mlp", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 64])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="quantgen-make_encoder_block")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_mlp():
    fw = read_safetensors(os.path.join(MODEL_DIR, "digits_mlp.float.safetensors"))
    onnx.save(mlp_onnx(fw, None), os.path.join(MODEL_DIR, "digits_mlp.float.onnx"))
    onnx.save(mlp_onnx(fw, load_quant("digits_mlp")), os.path.join(MODEL_DIR, "digits_mlp.qdq.onnx"))


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else "float"
    {"float": write_float, "qdq": write_qdq, "mlp": write_mlp}[step]()
