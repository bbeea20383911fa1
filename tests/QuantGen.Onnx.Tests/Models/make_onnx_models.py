#!/usr/bin/python3
"""Produces the ONNX test models of tests/QuantGen.Onnx.Tests ONCE (the tests never run Python).

    /usr/bin/python3 tests/QuantGen.Onnx.Tests/Models/make_onnx_models.py

Needs Debian's python3-torch and python3-onnx. Writes, next to this script:
  mlp_float.onnx          torch.onnx.export of a 64-128-64-10 MLP trained on the digits train split
  mlp_qdq.onnx            the same weights as a QDQ graph (Gemm, MatMul+Add, Relu; per-channel and per-tensor
                          int8 weights, uint8 and int8 activations, int32 biases), scales computed here by
                          min/max calibration on the train split
  vit_float.onnx          torch.onnx.export (opset 17) of a one-block transformer classifier (patchify,
                          LayerNormalization, attention with Softmax, exact-erf GELU, residuals, mean pool)
  vit_qdq.onnx            the same transformer as a QDQ graph built with onnx.helper
  cnn_float.onnx          a small CNN trained on the digits ([1,1,8,8]): Conv + BatchNormalization + Relu, MaxPool,
                          depthwise Conv + BatchNormalization + Relu, 1x1 Conv + Relu, GlobalAveragePool, Flatten, Gemm
  cnn_qdq.onnx            the same CNN as a QDQ graph (batch norm folded here, per-channel int8 conv weights)
  gelu_tanh.onnx          torch export of Gemm -> GELU(approximate="tanh") -> Gemm (the tanh form written out)
  gelu_half_first.onnx    the erf GELU with Mul(x, 0.5) first (another operand order), built with onnx.helper
  block_qdq.onnx          the transformer block alone ([1,16,16] -> [1,16,16]): QDQ output for LSB tolerances
  manifest.json           accuracies measured here in float (torch) for the record
  malformed/*.onnx        the malformed / unsupported corpus, one expect.txt line per file (id and place)
Deterministic: fixed seeds, one thread.
"""
import csv
import json
import os
import struct

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CSV_PATH = os.path.join(ROOT, "samples", "data", "digits", "digits.csv")
D, M, T = 16, 32, 16

torch.set_num_threads(1)
torch.manual_seed(0)
np.random.seed(0)


def read_csv():
    xs = {"train": [], "test": []}
    ys = {"train": [], "test": []}
    with open(CSV_PATH, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            xs[row[0]].append([float(v) for v in row[2:]])
            ys[row[0]].append(int(row[1]))
    return {s: (np.array(xs[s], dtype=np.float32), np.array(ys[s], dtype=np.int64)) for s in xs}


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(4, D)
        self.pos = nn.Parameter(torch.randn(T, D) * 0.02)
        self.ln1 = nn.LayerNorm(D)
        self.q = nn.Linear(D, D)
        self.k = nn.Linear(D, D)
        self.v = nn.Linear(D, D)
        self.proj = nn.Linear(D, D)
        self.ln2 = nn.LayerNorm(D)
        self.fc1 = nn.Linear(D, M)
        self.fc2 = nn.Linear(M, D)
        self.head = nn.Linear(D, 10)

    def patchify(self, x):  # [B, 64] -> [B, 16, 4]
        b = x.shape[0]
        return x.reshape(b, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(b, 16, 4)

    def block(self, h):
        a = self.ln1(h)
        q, k, v = self.q(a), self.k(a), self.v(a)
        att = torch.softmax(torch.matmul(q, k.transpose(1, 2)) / 4.0, dim=-1)
        h = h + self.proj(torch.matmul(att, v))
        return h + self.fc2(F.gelu(self.fc1(self.ln2(h))))

    def forward(self, x):
        h = self.embed(self.patchify(x)) + self.pos
        h = self.block(h)
        return self.head(h.mean(dim=1))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.bn2 = nn.BatchNorm2d(8)
        self.pw = nn.Conv2d(8, 16, 1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = x.reshape(-1, 1, 8, 8)
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.bn2(self.dw(x)))
        x = F.relu(self.pw(x))
        return self.fc(x.mean(dim=(2, 3)))


def train(model, data, epochs, lr):
    xtr, ytr = torch.tensor(data["train"][0]), torch.tensor(data["train"][1])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(1)
    for ep in range(epochs):
        perm = torch.randperm(len(ytr), generator=gen)
        for i in range(0, len(ytr), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(xtr[idx] / 16.0 * 16.0), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        xte, yte = torch.tensor(data["test"][0]), torch.tensor(data["test"][1])
        return float((model(xte).argmax(1) == yte).float().mean())


# ------------------------------------------------------------------------------------------------
# A tiny QDQ graph builder: numpy forward (for calibration) and ONNX emission in one pass.
# ------------------------------------------------------------------------------------------------

def act_quant(lo, hi, unsigned):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    qmin, qmax = (0, 255) if unsigned else (-128, 127)
    scale = np.float32((hi - lo) / (qmax - qmin)) if hi > lo else np.float32(1.0)
    zp = int(np.clip(np.round(qmin - lo / scale), qmin, qmax))
    return float(scale), zp


def q_np(x, scale, zp, unsigned):
    qmin, qmax = (0, 255) if unsigned else (-128, 127)
    q = np.clip(np.round(x.astype(np.float32) / np.float32(scale)) + zp, qmin, qmax)  # np.round: ties to even
    return (q - zp).astype(np.float32) * np.float32(scale)


class QdqBuilder:
    """Runs the network on the calibration batch in numpy (fake-quantized like ORT) and emits ONNX nodes."""

    def __init__(self, calib):
        self.nodes, self.inits, self.n, self.scales = [], [], 0, {}

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def qdq(self, t, x, unsigned=False, fixed=None):
        """Quantizes activation t (numpy value x over the calibration batch); returns (dq name, fake-quantized x)."""
        scale, zp = fixed if fixed else act_quant(float(x.min()), float(x.max()), unsigned)
        s = self.const(t + "_scale", np.array(scale, dtype=np.float32))
        z = self.const(t + "_zp", np.array(zp, dtype=np.uint8 if unsigned else np.int8))
        self.nodes.append(helper.make_node("QuantizeLinear", [t, s, z], [t + "_q"], name=t + "_Q"))
        self.nodes.append(helper.make_node("DequantizeLinear", [t + "_q", s, z], [t + "_dq"], name=t + "_DQ"))
        self.scales[t + "_dq"] = scale
        return t + "_dq", q_np(x, scale, zp, unsigned)

    def weight(self, wname, w, axis, per_channel=True):
        """Symmetric int8 weight (per channel along axis, or per tensor) -> DQ; returns (dq name, dequantized w)."""
        if per_channel:
            red = tuple(i for i in range(w.ndim) if i != axis)
            absmax = np.abs(w).max(axis=red)
            scale = np.where(absmax > 0, absmax / 127.0, 1.0).astype(np.float32)
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
            deq = q.astype(np.float32) * scale.reshape(shape)
            zp = np.zeros(scale.shape, dtype=np.int8)
        else:
            scale = np.array(np.abs(w).max() / 127.0, dtype=np.float32)
            q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
            deq = q.astype(np.float32) * scale
            zp = np.array(0, dtype=np.int8)
        self.const(wname + "_q", q)
        self.const(wname + "_scale", scale)
        self.const(wname + "_zp", zp)
        attrs = {"axis": axis} if per_channel else {}
        self.nodes.append(helper.make_node("DequantizeLinear", [wname + "_q", wname + "_scale", wname + "_zp"], [wname], name=wname + "_DQ", **attrs))
        return wname, deq, scale

    def bias(self, bname, b, in_scale, w_scale):
        s = (np.float32(in_scale) * w_scale).astype(np.float32)
        s = np.broadcast_to(s, b.shape).astype(np.float32)
        q = np.round(b / s).astype(np.int32)
        self.const(bname + "_q", q)
        self.const(bname + "_scale", s)
        self.const(bname + "_zp", np.zeros(b.shape, dtype=np.int32))
        self.nodes.append(helper.make_node("DequantizeLinear", [bname + "_q", bname + "_scale", bname + "_zp"], [bname], name=bname + "_DQ", axis=0))
        return bname, q.astype(np.float32) * s

    def model(self, inp_name, inp_shape, out_name, out_shape, opset=13):
        g = helper.make_graph(self.nodes, "qdq", [helper.make_tensor_value_info(inp_name, TensorProto.FLOAT, inp_shape)],
                              [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, out_shape)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_models.py")
        m.ir_version = 8
        return m


def scale_of(b, dq):
    return b.scales[dq]


def dense(b, x_dq, x, name, w, bias, relu, style, unsigned_out=False, per_channel=True, quant_out=True):
    """style: 'gemm' (Gemm transB=1, weight [N,K]) or 'matmul' (MatMul [K,N] + Add)."""
    in_scale = scale_of(b, x_dq)
    if style == "gemm":
        wn, wdeq, ws = b.weight(name + "_w", w, 0, per_channel)
        bn, bdeq = b.bias(name + "_b", bias, in_scale, ws)
        out = name + ("_pre" if relu else "_out")
        b.nodes.append(helper.make_node("Gemm", [x_dq, wn, bn], [out], name=name + "_Gemm", transB=1))
        y = x @ wdeq.T + bdeq
    else:
        wn, wdeq, ws = b.weight(name + "_w", np.ascontiguousarray(w.T), 1, per_channel)
        bn, bdeq = b.bias(name + "_b", bias, in_scale, ws)
        mm = name + "_mm"
        b.nodes.append(helper.make_node("MatMul", [x_dq, wn], [mm], name=name + "_MatMul"))
        out = name + ("_pre" if relu else "_out")
        b.nodes.append(helper.make_node("Add", [mm, bn], [out], name=name + "_Add"))
        y = x @ wdeq + bdeq
    if relu:
        b.nodes.append(helper.make_node("Relu", [out], [name + "_out"], name=name + "_Relu"))
        y = np.maximum(y, 0)
    if not quant_out:
        return name + "_out", y
    return b.qdq(name + "_out", y, unsigned_out)


def np_(t):
    return t.detach().numpy().astype(np.float32)


def build_mlp_qdq(mlp, calib):
    b = QdqBuilder(calib)
    x_dq, x = b.qdq("pixels", calib, unsigned=True, fixed=(float(np.float32(16.0 / 255.0)), 0))
    h, y = dense(b, x_dq, x, "fc1", np_(mlp.fc1.weight), np_(mlp.fc1.bias), True, "gemm", unsigned_out=True)
    h, y = dense(b, h, y, "fc2", np_(mlp.fc2.weight), np_(mlp.fc2.bias), True, "matmul")
    h, y = dense(b, h, y, "fc3", np_(mlp.fc3.weight), np_(mlp.fc3.bias), False, "gemm", per_channel=False)
    b.nodes.append(helper.make_node("Identity", [h], ["logits"], name="out_Identity"))
    return b.model("pixels", [1, 64], "logits", [1, 10])


def layernorm(b, x_dq, x, name, ln):
    g, be = np_(ln.weight), np_(ln.bias)
    b.const(name + "_gamma", g)
    b.const(name + "_beta", be)
    b.nodes.append(helper.make_node("LayerNormalization", [x_dq, name + "_gamma", name + "_beta"], [name + "_out"], name=name + "_LN", axis=-1, epsilon=1e-5))
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5) * g + be
    return b.qdq(name + "_out", y)


def gelu_erf(b, x_dq, x, name):
    """torch's exact GELU as exported: Div(sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5."""
    from math import erf, sqrt
    b.const(name + "_sqrt2", np.array(1.4142135381698608, dtype=np.float32))
    b.const(name + "_one", np.array(1.0, dtype=np.float32))
    b.const(name + "_half", np.array(0.5, dtype=np.float32))
    b.nodes += [
        helper.make_node("Div", [x_dq, name + "_sqrt2"], [name + "_div"], name=name + "_Div"),
        helper.make_node("Erf", [name + "_div"], [name + "_erf"], name=name + "_Erf"),
        helper.make_node("Add", [name + "_erf", name + "_one"], [name + "_add"], name=name + "_Add"),
        helper.make_node("Mul", [x_dq, name + "_add"], [name + "_mul"], name=name + "_Mul"),
        helper.make_node("Mul", [name + "_mul", name + "_half"], [name + "_out"], name=name + "_Mul2"),
    ]
    verf = np.vectorize(erf)
    y = (0.5 * x * (1.0 + verf(x / sqrt(2.0)))).astype(np.float32)
    return b.qdq(name + "_out", y)


def add(b, a_dq, a, c_dq, c, name):
    b.nodes.append(helper.make_node("Add", [a_dq, c_dq], [name + "_out"], name=name + "_Add"))
    return b.qdq(name + "_out", a + c)


def block_qdq(b, h_dq, h, vit):
    a_dq, a = layernorm(b, h_dq, h, "ln1", vit.ln1)
    q_dq, q = dense(b, a_dq, a, "q", np_(vit.q.weight), np_(vit.q.bias), False, "matmul")
    k_dq, k = dense(b, a_dq, a, "k", np_(vit.k.weight), np_(vit.k.bias), False, "matmul")
    v_dq, v = dense(b, a_dq, a, "v", np_(vit.v.weight), np_(vit.v.bias), False, "matmul")
    b.nodes.append(helper.make_node("Transpose", [k_dq], ["kT"], name="kT_Transpose", perm=[0, 2, 1]))
    b.nodes.append(helper.make_node("MatMul", [q_dq, "kT"], ["scores_raw"], name="scores_MatMul"))
    b.const("sdpa_div", np.array(4.0, dtype=np.float32))
    b.nodes.append(helper.make_node("Div", ["scores_raw", "sdpa_div"], ["scores"], name="scores_Div"))
    s = q @ k.transpose(0, 2, 1) / 4.0
    s_dq, s = b.qdq("scores", s)
    b.nodes.append(helper.make_node("Softmax", [s_dq], ["attn"], name="attn_Softmax", axis=-1))
    e = np.exp(s - s.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    p_dq, p = b.qdq("attn", p, unsigned=True, fixed=(1.0 / 256.0, 0))
    b.nodes.append(helper.make_node("MatMul", [p_dq, v_dq], ["ctx"], name="ctx_MatMul"))
    c_dq, c = b.qdq("ctx", p @ v)
    o_dq, o = dense(b, c_dq, c, "proj", np_(vit.proj.weight), np_(vit.proj.bias), False, "matmul")
    r1_dq, r1 = add(b, h_dq, h, o_dq, o, "res1")
    l2_dq, l2 = layernorm(b, r1_dq, r1, "ln2", vit.ln2)
    f1_dq, f1 = dense(b, l2_dq, l2, "fc1", np_(vit.fc1.weight), np_(vit.fc1.bias), False, "matmul")
    g_dq, g = gelu_erf(b, f1_dq, f1, "gelu")
    f2_dq, f2 = dense(b, g_dq, g, "fc2", np_(vit.fc2.weight), np_(vit.fc2.bias), False, "matmul")
    return add(b, r1_dq, r1, f2_dq, f2, "res2")


def patchify_np(x):
    n = x.shape[0]
    return x.reshape(n, 4, 2, 4, 2).transpose(0, 1, 3, 2, 4).reshape(n, 16, 4)


def build_vit_qdq(vit, calib):
    b = QdqBuilder(calib)
    x_dq, x = b.qdq("pixels", calib, unsigned=True, fixed=(float(np.float32(16.0 / 255.0)), 0))
    b.const("shape5", np.array([1, 4, 2, 4, 2], dtype=np.int64))
    b.const("shape3", np.array([1, 16, 4], dtype=np.int64))
    b.nodes += [
        helper.make_node("Reshape", [x_dq, "shape5"], ["img5"], name="patch_Reshape"),
        helper.make_node("Transpose", ["img5"], ["img5t"], name="patch_Transpose", perm=[0, 1, 3, 2, 4]),
        helper.make_node("Reshape", ["img5t", "shape3"], ["patches"], name="patch_Reshape2"),
    ]
    b.scales["patches"] = b.scales[x_dq]
    pt = patchify_np(x)
    e_dq, e = dense(b, "patches", pt, "embed", np_(vit.embed.weight), np_(vit.embed.bias), False, "matmul")
    pos = np_(vit.pos)
    pos_dq, pos_deq, _ = b.weight("pos", pos.reshape(1, T, D), 0, per_channel=False)
    h_dq, h = add(b, e_dq, e, pos_dq, pos_deq, "embed_pos")
    h_dq, h = block_qdq(b, h_dq, h, vit)
    b.nodes.append(helper.make_node("ReduceMean", [h_dq], ["pooled"], name="pool_ReduceMean", axes=[1], keepdims=0))
    pl_dq, pl = b.qdq("pooled", h.mean(1))
    lo_dq, lo = dense(b, pl_dq, pl, "head", np_(vit.head.weight), np_(vit.head.bias), False, "gemm")
    b.nodes.append(helper.make_node("Identity", [lo_dq], ["logits"], name="out_Identity"))
    return b.model("pixels", [1, 64], "logits", [1, 10], opset=17), lo


def build_block_qdq(vit, calib):
    """The block alone, input = the embedded tokens (float [1,16,16])."""
    with torch.no_grad():
        emb = np_(vit.embed(vit.patchify(torch.tensor(calib))) + vit.pos)
    b = QdqBuilder(emb)
    h_dq, h = b.qdq("tokens", emb)
    o_dq, _ = block_qdq(b, h_dq, h, vit)
    b.nodes.append(helper.make_node("Identity", [o_dq], ["out"], name="out_Identity"))
    return b.model("tokens", [1, T, D], "out", [1, T, D], opset=17), emb


def bn_params(bn):
    return np_(bn.weight), np_(bn.bias), bn.running_mean.numpy().astype(np.float32), bn.running_var.numpy().astype(np.float32), float(bn.eps)


def build_cnn_float(cnn):
    inits, nodes = [], []

    def c(name, arr):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def bn(name, x, mod):
        g, b, m, v, eps = bn_params(mod)
        nodes.append(helper.make_node("BatchNormalization", [x, c(name + ".scale", g), c(name + ".B", b), c(name + ".mean", m), c(name + ".var", v)], [name + "_out"], name=name, epsilon=eps))
        return name + "_out"

    nodes.append(helper.make_node("Conv", ["pixels", c("conv1.weight", np_(cnn.conv1.weight)), c("conv1.bias", np_(cnn.conv1.bias))], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", [bn("bn1", "c1", cnn.bn1)], ["r1"], name="relu1"))
    nodes.append(helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]))
    nodes.append(helper.make_node("Conv", ["p1", c("dw.weight", np_(cnn.dw.weight)), c("dw.bias", np_(cnn.dw.bias))], ["c2"], name="dw", kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8))
    nodes.append(helper.make_node("Relu", [bn("bn2", "c2", cnn.bn2)], ["r2"], name="relu2"))
    nodes.append(helper.make_node("Conv", ["r2", c("pw.weight", np_(cnn.pw.weight)), c("pw.bias", np_(cnn.pw.bias))], ["c3"], name="pw", kernel_shape=[1, 1]))
    nodes.append(helper.make_node("Relu", ["c3"], ["r3"], name="relu3"))
    nodes.append(helper.make_node("GlobalAveragePool", ["r3"], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
    nodes.append(helper.make_node("Gemm", ["flat", c("fc.weight", np_(cnn.fc.weight)), c("fc.bias", np_(cnn.fc.bias))], ["logits"], name="fc", transB=1))
    g = helper.make_graph(nodes, "cnn", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 1, 8, 8])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_onnx_models.py")
    m.ir_version = 8
    return m


def fold_bn(conv, bn):
    g, b, m, v, eps = bn_params(bn)
    f = g / np.sqrt(v + eps)
    return (np_(conv.weight) * f.reshape(-1, 1, 1, 1)).astype(np.float32), ((np_(conv.bias) - m) * f + b).astype(np.float32)


def build_cnn_qdq(cnn, calib):
    b = QdqBuilder(calib)
    x = torch.tensor(calib).reshape(-1, 1, 8, 8).numpy()
    x_dq, x = b.qdq("pixels", x, unsigned=True, fixed=(float(np.float32(16.0 / 255.0)), 0))

    def conv(name, inp_dq, inp, w, bias, relu, **attrs):
        wn, wdeq, ws = b.weight(name + "_w", w, 0)
        bn_, bdeq = b.bias(name + "_b", bias, b.scales[inp_dq], ws)
        pre = name + ("_pre" if relu else "_out")
        b.nodes.append(helper.make_node("Conv", [inp_dq, wn, bn_], [pre], name=name, **attrs))
        y = F.conv2d(torch.tensor(inp), torch.tensor(wdeq), torch.tensor(bdeq), padding=attrs.get("pads", [0])[0], groups=attrs.get("group", 1)).numpy()
        if relu:
            b.nodes.append(helper.make_node("Relu", [pre], [name + "_out"], name=name + "_relu"))
            y = np.maximum(y, 0)
        return b.qdq(name + "_out", y, unsigned=relu)

    w1, b1 = fold_bn(cnn.conv1, cnn.bn1)
    h_dq, h = conv("conv1", x_dq, x, w1, b1, True, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    b.nodes.append(helper.make_node("MaxPool", [h_dq], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]))
    b.scales["pool1"] = b.scales[h_dq]
    h = F.max_pool2d(torch.tensor(h), 2).numpy()
    w2, b2 = fold_bn(cnn.dw, cnn.bn2)
    h_dq, h = conv("dw", "pool1", h, w2, b2, True, kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8)
    h_dq, h = conv("pw", h_dq, h, np_(cnn.pw.weight), np_(cnn.pw.bias), True, kernel_shape=[1, 1])
    b.nodes.append(helper.make_node("GlobalAveragePool", [h_dq], ["gap"], name="gap"))
    g_dq, g = b.qdq("gap", h.mean(axis=(2, 3), keepdims=True))
    b.nodes.append(helper.make_node("Flatten", [g_dq], ["flat"], name="flatten", axis=1))
    b.scales["flat"] = b.scales[g_dq]
    lo_dq, _ = dense(b, "flat", g.reshape(-1, 16), "fc", np_(cnn.fc.weight), np_(cnn.fc.bias), False, "gemm")
    b.nodes.append(helper.make_node("Identity", [lo_dq], ["logits"], name="out_Identity"))
    return b.model("pixels", [1, 1, 8, 8], "logits", [1, 10])


class TanhGelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 16)
        self.b = nn.Linear(16, 4)

    def forward(self, x):
        return self.b(F.gelu(self.a(x), approximate="tanh"))


def build_gelu_half_first():
    rng = np.random.default_rng(5)
    w1 = numpy_helper.from_array(rng.normal(size=(8, 16)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(size=(16, 4)).astype(np.float32) * 0.3, "w2")
    cs = [numpy_helper.from_array(np.array(v, dtype=np.float32), n) for n, v in (("half", 0.5), ("rsqrt2", 0.7071067690849304), ("one", 1.0))]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="mm1"),
        helper.make_node("Mul", ["h", "half"], ["hh"], name="half_x"),
        helper.make_node("Mul", ["h", "rsqrt2"], ["hs"], name="scale"),
        helper.make_node("Erf", ["hs"], ["e"], name="erf"),
        helper.make_node("Add", ["one", "e"], ["e1"], name="plus_one"),
        helper.make_node("Mul", ["hh", "e1"], ["g"], name="gelu_out"),
        helper.make_node("MatMul", ["g", "w2"], ["y"], name="mm2"),
    ]
    g = helper.make_graph(nodes, "gelu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [w1, w2] + cs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_onnx_models.py")
    m.ir_version = 8
    return m


def export(model, path, shape, opset):
    torch.onnx.export(model, torch.zeros(*shape), path, input_names=["pixels"], output_names=["logits"], opset_version=opset, do_constant_folding=True)


# ------------------------------------------------------------------------------------------------
# Malformed corpus
# ------------------------------------------------------------------------------------------------

def tiny(nodes, inits, inp=("x", [1, 4]), out=("y", [1, 4]), opset=13, extra_inputs=()):
    g = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info(inp[0], TensorProto.FLOAT, inp[1])] +
                          [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in extra_inputs],
                          [helper.make_tensor_value_info(out[0], TensorProto.FLOAT, out[1])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_models.py")
    m.ir_version = 8
    return m


def w44(name="w"):
    return numpy_helper.from_array(np.eye(4, dtype=np.float32), name)


def write_corpus():
    d = os.path.join(HERE, "malformed")
    os.makedirs(d, exist_ok=True)
    good = tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [w44()])
    good_bytes = good.SerializeToString()
    cases = {}

    def case(name, data, expect):
        with open(os.path.join(d, name + ".onnx"), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.SerializeToString())
        cases[name] = expect

    case("truncated", good_bytes[: len(good_bytes) // 2], "QG4001 protobuf")
    case("garbage", bytes(range(7, 250, 3)) * 4, "QG4001 protobuf")
    case("empty-file", b"", "QG4001 graph")
    case("wrong-wire-type", bytes([0x3A, 0x05]) + b"\x08\x01\x10\x02\x18" , "QG4001 protobuf")  # graph (7) declared length 5, cut
    case("opset-10", tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [w44()], opset=10), "QG4002 opset")  # opsets 11 and 12 import
    case("unsupported-op", tiny([helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"), helper.make_node("Sin", ["h"], ["y"], name="sine")], [w44()]), "QG4003 node 'sine'")
    case("custom-domain", tiny([helper.make_node("FusedMatMul", ["x", "w"], ["y"], name="fused", domain="com.microsoft")], [w44()]), "QG4003 node 'fused'")
    m = tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [w44()], inp=("x", ["batch", "features"]))
    case("dynamic-shape", m, "QG4004 input 'x'")
    case("two-inputs", tiny([helper.make_node("Add", ["x", "x2"], ["y"], name="add")], [], extra_inputs=[("x2", [1, 4])]), "QG4011 calibration sample 0")  # two float inputs import now; 4-value calibration samples do not cover both
    case("undefined-input", tiny([helper.make_node("MatMul", ["x", "nowhere"], ["y"], name="mm")], []), "QG4008 node 'mm'")
    ext = w44()
    ext.ClearField("raw_data")
    ext.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "missing_weights.bin"), ("offset", "0"), ("length", "64")):
        e = ext.external_data.add()
        e.key, e.value = k, v
    case("external-missing", tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [ext]), "QG4005 initializer 'w'")
    ext2 = w44()
    ext2.ClearField("raw_data")
    ext2.data_location = TensorProto.EXTERNAL
    for k, v in (("location", "short_weights.bin"), ("offset", "16"), ("length", "64")):
        e = ext2.external_data.add()
        e.key, e.value = k, v
    with open(os.path.join(d, "short_weights.bin"), "wb") as f:
        f.write(bytes(40))
    case("external-short", tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [ext2]), "QG4005 initializer 'w'")
    bad = w44()
    bad.raw_data = bad.raw_data[:40]
    case("raw-data-length", tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [bad]), "QG4007 initializer 'w'")
    f16 = helper.make_tensor("w", TensorProto.FLOAT16, [4, 4], np.eye(4, dtype=np.float16).tobytes(), raw=True)
    case("float16-weight", tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [f16]), "QG4006 initializer 'w'")
    case("gemm-transA", tiny([helper.make_node("Gemm", ["x", "w"], ["y"], name="g", transA=1)], [w44()], inp=("x", [4, 1]), out=("y", [1, 4])), "QG4009 node 'g'")
    case("softmax-axis", tiny([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=0)], []), "QG4009 node 'sm'")
    s = numpy_helper.from_array(np.array(0.1, dtype=np.float32), "s")
    z = numpy_helper.from_array(np.array(0, dtype=np.int8), "z")
    case("q-scale-not-constant", tiny([helper.make_node("Relu", ["x"], ["r"], name="r"),
                                       helper.make_node("ReduceMax", ["r"], ["dyn"], name="rm", keepdims=0),
                                       helper.make_node("QuantizeLinear", ["x", "dyn", "z"], ["xq"], name="quant"),
                                       helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["y"], name="dequant")], [s, z]), "QG4010 node 'quant'")
    zs = numpy_helper.from_array(np.array(0.0, dtype=np.float32), "s")
    case("q-zero-scale", tiny([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="quant"),
                               helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["y"], name="dequant")], [zs, z]), "QG4010 node 'quant'")
    case("no-graph", helper.make_model(helper.make_graph([], "g", [], []), opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()[:0] + b"\x08\x08", "QG4001 graph")
    case("cycle", tiny([helper.make_node("Add", ["x", "b"], ["a"], name="n1"), helper.make_node("Relu", ["a"], ["b"], name="n2"),
                        helper.make_node("Relu", ["a"], ["y"], name="n3")], []), "QG4008 node 'n1'")
    case("conv3d", tiny([helper.make_node("Conv", ["x", "w5"], ["y"], name="conv3d")], [numpy_helper.from_array(np.ones((1, 1, 1, 1, 1), np.float32), "w5")],
                        inp=("x", [1, 1, 2, 2, 2]), out=("y", [1, 1, 2, 2, 2])), "QG4009 node 'conv3d'")
    case("string-tensor", tiny([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [helper.make_tensor("w", TensorProto.STRING, [1], [b"a"])]), "QG4006 initializer 'w'")
    case("two-outputs", helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r"), helper.make_node("Relu", ["x"], ["y2"], name="r2")], "g",
                                                            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                                                            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4]), helper.make_tensor_value_info("y2", TensorProto.FLOAT, [1, 4])]),
                                         opset_imports=[helper.make_opsetid("", 13)]), "QG4008 outputs")
    s1 = numpy_helper.from_array(np.array(0.1, dtype=np.float32), "s1")
    s2 = numpy_helper.from_array(np.array(0.2, dtype=np.float32), "s2")
    shp = numpy_helper.from_array(np.array([4, 1], dtype=np.int64), "shp")
    case("qdq-reshape-rescale", tiny([helper.make_node("QuantizeLinear", ["x", "s1", "z"], ["xq"], name="q1"),
                                      helper.make_node("DequantizeLinear", ["xq", "s1", "z"], ["xd"], name="dq1"),
                                      helper.make_node("Reshape", ["xd", "shp"], ["r"], name="resh"),
                                      helper.make_node("QuantizeLinear", ["r", "s2", "z"], ["rq"], name="q2"),
                                      helper.make_node("DequantizeLinear", ["rq", "s2", "z"], ["y"], name="dq2")], [s1, s2, z, shp], out=("y", [4, 1])),
         "QG4010 node 'resh'")
    with open(os.path.join(d, "expect.txt"), "w") as f:
        for k in sorted(cases):
            f.write(f"{k}.onnx {cases[k]}\n")


def main():
    data = read_csv()
    calib = data["train"][0]
    manifest = {}

    mlp = MLP()
    manifest["mlp_float_test_accuracy"] = train(mlp, data, 40, 1e-3)
    export(mlp, os.path.join(HERE, "mlp_float.onnx"), (1, 64), 13)
    onnx.save(build_mlp_qdq(mlp, calib), os.path.join(HERE, "mlp_qdq.onnx"))

    torch.manual_seed(0)
    vit = ViT()
    manifest["vit_float_test_accuracy"] = train(vit, data, 200, 2e-3)
    export(vit, os.path.join(HERE, "vit_float.onnx"), (1, 64), 17)
    vq, lo = build_vit_qdq(vit, calib)
    onnx.save(vq, os.path.join(HERE, "vit_qdq.onnx"))
    torch.manual_seed(0)
    cnn = CNN()
    manifest["cnn_float_test_accuracy"] = train(cnn, data, 60, 3e-3)
    onnx.save(build_cnn_float(cnn), os.path.join(HERE, "cnn_float.onnx"))
    onnx.save(build_cnn_qdq(cnn, calib), os.path.join(HERE, "cnn_qdq.onnx"))
    bq, emb = build_block_qdq(vit, calib)
    onnx.save(bq, os.path.join(HERE, "block_qdq.onnx"))
    # block inputs for the agreement test: the embedded tokens of the first 64 test images, float32 little-endian
    with torch.no_grad():
        te = np_(vit.embed(vit.patchify(torch.tensor(data["test"][0][:64]))) + vit.pos)
    with open(os.path.join(HERE, "block_inputs.bin"), "wb") as f:
        f.write(te.astype("<f4").tobytes())
    for p in ("mlp_qdq.onnx", "vit_qdq.onnx", "block_qdq.onnx", "mlp_float.onnx", "vit_float.onnx", "cnn_float.onnx", "cnn_qdq.onnx"):
        onnx.checker.check_model(onnx.load(os.path.join(HERE, p)))
    torch.manual_seed(0)
    torch.onnx.export(TanhGelu(), torch.zeros(1, 8), os.path.join(HERE, "gelu_tanh.onnx"), input_names=["x"], output_names=["y"], opset_version=17)
    onnx.save(build_gelu_half_first(), os.path.join(HERE, "gelu_half_first.onnx"))
    write_corpus()
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
