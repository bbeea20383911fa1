#!/usr/bin/python3
"""Export variants of the zoo architectures, as users export them (issue #13): one-off, never needed by the build or
the tests. Debian's python3-torch 1.13 and python3-onnx; the model classes and the ONNX helpers come from make_zoo.py.

    /usr/bin/python3 samples/zoo/make_variants.py [OUT_DIR] [model ...]    # default OUT_DIR /tmp/qg-variants

Writes OUT_DIR/<model>_<variant>.onnx and OUT_DIR/variants.json (what was written, what torch could not export).
The weights are the constructors' random initialisation (BatchNorm statistics randomised so that the folds matter):
the point is the graph's shape, and agreement is measured against ONNX Runtime on the same file, not accuracy.

Float exports (torch.onnx.export of the eval-mode model):
  f13_dynbatch / f17_dynbatch   dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}} (the usual user export)
  f13_nofold                    do_constant_folding=False
  opset11 ... opset18           opset_version N, everything else default (torch 1.13 stops at 17)
  f13_initinputs                keep_initializers_as_inputs=True
  f13_named                     export_params=True with user names for the inputs and the output
  f13_dynseq                    BERT with dynamic batch and sequence axes (Hugging Face / optimum's export)
  f13_unnamed                   no input_names / output_names (torch's own tensor names)
  f13_trainbn                   the model left in train() mode, exported with training=TrainingMode.EVAL
  f15_preserve                  the model in train() mode exported with training=TrainingMode.PRESERVE (a user mistake:
                                BatchNormalization with training_mode=1, Dropout with a ratio): must fail with a message
Architecture variants (exported at opset 13 with a dynamic batch): mobilenet_a050_128 (alpha 0.5 at 128x128),
resnet8_c100 (100 classes), ds_cnn_w32 / ds_cnn_w128 (other widths), deit_d2 / deit_d4 (depth 2 / 4, 224x224),
mobilenet_relu6 (ReLU6 as Keras' MobileNet, also as q_u8s8 / q_s8s8sym QDQ).

QDQ variants in the style of onnxruntime.quantization.quantize_static(QuantFormat.QDQ) (written here with onnx.helper,
onnxruntime's Python package is not installable here), from the opset-17 export pre-processed as quant_pre_process
does (make_zoo.preprocess), min/max calibration on 8 inputs. Field layout as ORT writes it: scalar scale and zero point
initializers '<t>_scale' / '<t>_zero_point', nodes '<t>_QuantizeLinear' / '<t>_DequantizeLinear', weights
'<w>_quantized' + DequantizeLinear (axis for per channel), biases '<b>_quantized' int32 at input x weight scale, the
graph output keeps its name (the producer's output is renamed '<t>_QuantizeLinear_Input'), and an opset import of the
'com.microsoft' domain (version 1) as ORT's quantizer adds:
  q_u8s8          the default: uint8 asymmetric activations, int8 symmetric per-channel weights
  q_pertensor     per_channel=False
  q_s8s8sym       activation_type=QInt8 with extra_options ActivationSymmetric=True
  q_s8s8          activation_type=QInt8, asymmetric
  q_reducerange   reduce_range=True (7-bit weights: [-64, 64])
  q_floatbias     extra_options QuantizeBias=False
  q_weightqdq     extra_options AddQDQPairToWeight=True (float weights behind QuantizeLinear -> DequantizeLinear)
  q_dedicated     extra_options DedicatedQDQPair=True (one Q/DQ pair per consumer)
  q_nosoftmaxadd  op_types_to_quantize without Softmax and Add (those stay float between DequantizeLinear and QuantizeLinear)
  q_u8u8          weight_type=QuantType.QUInt8 (asymmetric uint8 weights, a zero point per channel)
  q_opset11       per-tensor QDQ of the opset-11 export (QuantizeLinear-10: no axis)
  q_opset13       the default QDQ of the opset-13 export (per channel; LayerNorm written out below opset 17)
  q_dynbatch      the dynamic-batch opset-17 export quantized as it is (no quant_pre_process: shape subgraphs kept)
  q_layernorm     LayerNormalization quantized too (ORT 1.16+'s QDQNormalization: input, int8 scale, int32 bias, output)
"""

import json
import os
import sys
import traceback

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_zoo as zoo  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].isidentifier() else "/tmp/qg-variants"
ONLY = {a for a in sys.argv[1:] if a.isidentifier()}
# QGV_KINDS=q_dedicated,q_layernorm re-makes only those variants (variants.json is merged)
KINDS = set(filter(None, os.environ.get("QGV_KINDS", "").split(",")))

# name -> (constructor, input shapes, input names)
MODELS = {
    "jet_tagger": (zoo.JetTagger, [(1, 16)]),
    "ad_autoencoder": (zoo.AnomalyAutoencoder, [(1, 640)]),
    "resnet8": (zoo.ResNet8, [(1, 3, 32, 32)]),
    "ds_cnn": (zoo.DsCnn, [(1, 1, 49, 10)]),
    "mobilenet_v1": (zoo.MobileNetV1, [(1, 3, 96, 96)]),
    "deit_d2": (lambda: zoo.DeiTTiny(depth=2), [(1, 3, 224, 224)]),
    "bert_tiny": (zoo.BertTiny, [(1, 72), (1, 72)]),
}


class ResNet8C100(zoo.ResNet8):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 100)


class DsCnnWidth(zoo.DsCnn):
    """DS-CNN with another width (the MLPerf medium/large use 172/276; 32 and 128 here keep it fast)."""

    def __init__(self, width):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, (10, 4), 2, (5, 1))
        self.bn1 = nn.BatchNorm2d(width)
        blocks = []
        for _ in range(4):
            blocks += [nn.Conv2d(width, width, 3, 1, 1, groups=width), nn.BatchNorm2d(width), nn.ReLU(),
                       nn.Conv2d(width, width, 1), nn.BatchNorm2d(width), nn.ReLU()]
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(width, 12)


class MobileNet128(zoo.MobileNetV1):
    def __init__(self):
        super().__init__(alpha=0.5, classes=2)
        self.pool = nn.AvgPool2d(4)  # 128 / 32 = 4


class MobileNetRelu6(zoo.MobileNetV1):
    """MobileNetV1 with ReLU6 (Keras' MobileNet, as users port it): Clip(0, 6) after every convolution."""

    def __init__(self):
        super().__init__()
        for i, m in enumerate(self.features):
            if isinstance(m, nn.ReLU):
                self.features[i] = nn.ReLU6()


ARCH = {
    "mobilenet_a050_128": (MobileNet128, [(1, 3, 128, 128)]),
    "resnet8_c100": (ResNet8C100, [(1, 3, 32, 32)]),
    "ds_cnn_w32": (lambda: DsCnnWidth(32), [(1, 1, 49, 10)]),
    "ds_cnn_w128": (lambda: DsCnnWidth(128), [(1, 1, 49, 10)]),
    "deit_d4": (lambda: zoo.DeiTTiny(depth=4), [(1, 3, 224, 224)]),
    "mobilenet_relu6": (MobileNetRelu6, [(1, 3, 96, 96)]),
}
# architecture variants that also get these QDQ variants
ARCH_QDQ = {"mobilenet_relu6": ["q_u8s8", "q_s8s8sym"]}


def input_names(name):
    return ["input_ids", "attention_mask"] if name == "bert_tiny" else ["input"]


def example(name, shapes):
    if name == "bert_tiny":
        return zoo.example_inputs(name, shapes)
    g = torch.Generator().manual_seed(7)
    return tuple(torch.rand(*s, generator=g) for s in shapes)


def randomise_bn(model, s):
    g = torch.Generator().manual_seed(s)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=g) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=g) * 0.1)


def export(model, name, path, inputs, opset, dyn=False, fold=True, init_inputs=False, names=None, training=None, unnamed=False):
    ins = names[0] if names else input_names(name)
    outs = names[1] if names else ["output"]
    kw = {}
    if unnamed:
        # no input_names / output_names: torch's own names ('onnx::Gemm_0', 'input.1', '21', ...)
        torch.onnx.export(model, inputs, path, opset_version=opset)
        return
    if dyn == "sequence":
        # Hugging Face / optimum's BERT export: batch and sequence dynamic
        kw["dynamic_axes"] = {**{i: {0: "batch", 1: "sequence"} for i in ins}, **{o: {0: "batch"} for o in outs}}
    elif dyn:
        kw["dynamic_axes"] = {**{i: {0: "batch"} for i in ins}, **{o: {0: "batch"} for o in outs}}
    if training is not None:
        kw["training"] = training
    torch.onnx.export(model, inputs, path, opset_version=opset, do_constant_folding=fold, input_names=ins,
                      output_names=outs, export_params=True, keep_initializers_as_inputs=init_inputs, **kw)


# ------------------------------------------------------------------------------------------------
# quantize_static-style QDQ with the options users pick
# ------------------------------------------------------------------------------------------------

QDQ_OPS = {"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool", "MaxPool", "Softmax",
           "Gather", "Split", "Slice", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Relu", "Clip"}
# Ops whose output ORT gives the input's quantization (QDQDirect8BitOp and friends).
PASS_THROUGH = {"MaxPool", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Gather", "Slice", "Split"}

VARIANTS = {
    "q_u8s8": {},
    "q_pertensor": {"per_channel": False},
    "q_s8s8sym": {"act": "int8", "act_symmetric": True},
    "q_s8s8": {"act": "int8"},
    "q_reducerange": {"reduce_range": True},
    "q_floatbias": {"quantize_bias": False},
    "q_weightqdq": {"weight_qdq": True},
    "q_dedicated": {"dedicated": True},
    "q_nosoftmaxadd": {"exclude": {"Softmax", "Add"}},
    "q_layernorm": {"include": {"LayerNormalization"}},
    "q_u8u8": {"weight_u8": True},
    "q_dynbatch": {"dyn": True},
    "q_opset11": {"per_channel": False, "opset11": True},
    "q_opset13": {"opset13": True},
}


def act_qparams(lo, hi, opt):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if opt.get("act") == "int8":
        if opt.get("act_symmetric"):
            a = max(abs(lo), abs(hi))
            return np.float32(a / 127.0 if a > 0 else 1.0), np.int8(0)
        s = (hi - lo) / 255.0 if hi > lo else 1.0
        return np.float32(s), np.int8(np.clip(round(-128 - lo / s), -128, 127))
    s = (hi - lo) / 255.0 if hi > lo else 1.0
    return np.float32(s), np.uint8(np.clip(round(-lo / s), 0, 255))


def drop_relus(g, ops):
    # QDQRemovableActivation with asymmetric activations: a Relu whose input only it reads, produced by a quantized op,
    # is removed and the producer writes the Relu's output (the output's quantization, zero point at the range's low
    # end, does the clamping).
    readers = {}
    for n in g.node:
        for i in n.input:
            readers[i] = readers.get(i, 0) + 1
    producer = {o: n for n in g.node for o in n.output}
    outs = {o.name for o in g.output}
    keep = []
    for n in g.node:
        p = producer.get(n.input[0]) if n.input else None
        if n.op_type == "Relu" and p is not None and p.op_type in ops and readers.get(n.input[0]) == 1 and n.input[0] not in outs:
            p.output[list(p.output).index(n.input[0])] = n.output[0]
            continue
        keep.append(n)
    del g.node[:]
    g.node.extend(keep)


def qdq_variant(float_model, feeds, opt):
    m = onnx.ModelProto()
    m.CopyFrom(opt["dyn_model"] if opt.get("dyn") else opt["opset11_model"] if opt.get("opset11") else opt["opset13_model"] if opt.get("opset13") else float_model)
    if not opt.get("dyn"):
        m = zoo.preprocess(m, feeds[0])
    g = m.graph
    if not opt.get("act_symmetric"):
        drop_relus(g, QDQ_OPS - opt.get("exclude", set()))
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    lo, hi = {}, {}
    for f in feeds:
        for k, v in zoo.evaluate(g, f).items():
            if k in inits or not v.is_floating_point():
                continue
            lo[k] = min(lo.get(k, 0.0), float(v.min()))
            hi[k] = max(hi.get(k, 0.0), float(v.max()))
    ops = (QDQ_OPS | opt.get("include", set())) - opt.get("exclude", set())
    producer = {o: n for n in g.node for o in n.output}
    readers = {}
    for n in g.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    outputs = {o.name for o in g.output}
    float_in = {i.name for i in g.input if i.type.tensor_type.elem_type == TensorProto.FLOAT}

    def quantized(t):
        # ORT quantizes an op's float inputs and outputs when the op is in op_types_to_quantize; a Relu/Clip right after a
        # quantized op shares its output quantization (QDQRemovableActivation).
        if t in inits or t not in lo:
            return False
        if t in float_in or any(c.op_type in ops for c in readers.get(t, [])):
            return True
        p = producer.get(t)
        return p is not None and p.op_type in ops

    qp = {}

    def params(t):
        if t not in qp:
            p = producer.get(t)
            if p is not None and p.op_type in PASS_THROUGH and p.input[0] in qp:
                qp[t] = qp[p.input[0]]
            else:
                qp[t] = act_qparams(lo[t], hi[t], opt)
        return qp[t]

    nodes, extra = [], []
    dq_of = {}  # tensor -> DequantizeLinear output (shared pair), or per reader with DedicatedQDQPair

    def scale_zp(t):
        s, zp = params(t)
        if t + "_scale" not in {e.name for e in extra}:
            extra.append(numpy_helper.from_array(np.array(s, dtype=np.float32), t + "_scale"))
            extra.append(numpy_helper.from_array(np.array(zp), t + "_zero_point"))

    def qdq(t, reader_index=None):
        key = (t, reader_index)
        if key in dq_of:
            return dq_of[key]
        scale_zp(t)
        suffix = "" if reader_index is None else f"_{reader_index + 1}"
        q_out = t + "_QuantizeLinear_Output" + suffix
        nodes.append(helper.make_node("QuantizeLinear", [t, t + "_scale", t + "_zero_point"], [q_out], name=t + "_QuantizeLinear" + suffix))
        dq_out = t + "_DequantizeLinear_Output" + suffix
        nodes.append(helper.make_node("DequantizeLinear", [q_out, t + "_scale", t + "_zero_point"], [dq_out], name=t + "_DequantizeLinear" + suffix))
        dq_of[key] = dq_out
        return dq_out

    wdone = {}

    def weight(name, axis):
        if name in wdone:
            return wdone[name]
        w = inits[name].astype(np.float64)
        qmax = 64 if opt.get("reduce_range") else 127
        if opt.get("weight_u8"):
            # weight_type=QuantType.QUInt8: asymmetric uint8 weights, a zero point per channel (per_channel) in [0, 255]
            red = tuple(i for i in range(w.ndim) if i != axis) if axis is not None else tuple(range(w.ndim))
            lo_w = np.minimum(w.min(axis=red), 0.0)
            hi_w = np.maximum(w.max(axis=red), 0.0)
            s = np.maximum((hi_w - lo_w) / 255.0, 1e-8).astype(np.float32)
            zp = np.clip(np.round(-lo_w / s), 0, 255).astype(np.uint8)
            shape = [1] * w.ndim
            if axis is not None:
                shape[axis] = -1
            q = np.clip(np.round(w / s.reshape(shape)) + zp.reshape(shape), 0, 255).astype(np.uint8)
            kw = {"axis": axis} if axis is not None else {}
            if axis is None:
                s, zp = np.float32(s), np.uint8(zp)
        elif opt.get("per_channel", True) and axis is not None:
            red = tuple(i for i in range(w.ndim) if i != axis)
            amax = np.maximum(np.abs(w).max(axis=red), 1e-8)
            s = (amax / qmax).astype(np.float32)
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.clip(np.round(w / s.reshape(shape)), -qmax, qmax).astype(np.int8)
            zp = np.zeros(len(s), dtype=np.int8)
            kw = {"axis": axis}
        else:
            s = np.float32(max(float(np.abs(w).max()), 1e-8) / qmax)
            q = np.clip(np.round(w / s), -qmax, qmax).astype(np.int8)
            zp = np.int8(0)
            kw = {}
        extra.append(numpy_helper.from_array(np.asarray(s, dtype=np.float32), name + "_scale"))
        extra.append(numpy_helper.from_array(np.asarray(zp), name + "_zero_point"))
        if opt.get("weight_qdq"):
            # AddQDQPairToWeight: the float weight stays, behind its own QuantizeLinear -> DequantizeLinear
            nodes.append(helper.make_node("QuantizeLinear", [name, name + "_scale", name + "_zero_point"], [name + "_QuantizeLinear_Output"], name=name + "_QuantizeLinear", **kw))
            src = name + "_QuantizeLinear_Output"
        else:
            extra.append(numpy_helper.from_array(q, name + "_quantized"))
            src = name + "_quantized"
        nodes.append(helper.make_node("DequantizeLinear", [src, name + "_scale", name + "_zero_point"], [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear", **kw))
        wdone[name] = (name + "_DequantizeLinear_Output", s)
        return wdone[name]

    def bias(name, in_scale, w_scale):
        if not opt.get("quantize_bias", True):
            return name
        b = inits[name].astype(np.float64)
        s = (np.float32(in_scale) * np.asarray(w_scale, dtype=np.float32)).astype(np.float32)
        q = np.round(b / s).astype(np.int32)
        extra.append(numpy_helper.from_array(q, name + "_quantized"))
        extra.append(numpy_helper.from_array(s, name + "_quantized_scale"))
        # per-tensor weights: a scalar bias scale, no axis (what ORT writes); per channel: axis 0
        extra.append(numpy_helper.from_array(np.zeros(s.shape, dtype=np.int32), name + "_quantized_zero_point"))
        kw = {"axis": 0} if s.ndim else {}
        nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_quantized_scale", name + "_quantized_zero_point"], [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear", **kw))
        return name + "_DequantizeLinear_Output"

    reader_count = {}
    out_renames = {}
    for n in g.node:
        ins = list(n.input)
        if n.op_type in ops:
            for k, t in enumerate(ins):
                if t and quantized(t) and not (k == 1 and t in inits):
                    if opt.get("dedicated"):
                        idx = reader_count.get(t, 0)
                        reader_count[t] = idx + 1
                        ins[k] = qdq(t, idx if len(readers.get(t, [])) > 1 else None)
                    else:
                        ins[k] = qdq(t)
        else:
            # readers outside op_types_to_quantize read the shared DequantizeLinear output of a quantized tensor
            ins = [qdq(t) if t and quantized(t) and producer.get(t) is not None and producer[t].op_type in ops else dq_of.get((t, None), t) for t in ins]
        if n.op_type in ("Conv", "Gemm") or (n.op_type == "MatMul" and n.input[1] in inits):
            axis = 1 if n.op_type == "MatMul" or (n.op_type == "Gemm" and not zoo.attrs(n).get("transB", 0)) else 0
            wq, ws = weight(n.input[1], axis)
            ins[1] = wq
            if len(ins) > 2 and ins[2] and ins[2] in inits and n.input[0] in qp:
                ins[2] = bias(ins[2], qp[n.input[0]][0], ws)
        if n.op_type == "LayerNormalization" and n.op_type in ops:
            # QDQNormalization (ORT 1.16+): the scale as an int8 weight (per tensor), the bias as int32 at input x scale
            wq, ws = weight(n.input[1], None)
            ins[1] = wq
            if len(ins) > 2 and ins[2] and ins[2] in inits and n.input[0] in qp:
                ins[2] = bias(ins[2], qp[n.input[0]][0], ws)
        n2 = onnx.NodeProto()
        n2.CopyFrom(n)
        del n2.input[:]
        n2.input.extend(ins)
        nodes.append(n2)
        for o in n.output:
            if o in outputs and quantized(o):
                # ORT keeps the graph output's name: the producer writes '<t>_QuantizeLinear_Input'.
                src = o + "_QuantizeLinear_Input"
                n2.output[list(n2.output).index(o)] = src
                s, zp = params(o)
                extra.append(numpy_helper.from_array(np.array(s, dtype=np.float32), o + "_scale"))
                extra.append(numpy_helper.from_array(np.array(zp), o + "_zero_point"))
                nodes.append(helper.make_node("QuantizeLinear", [src, o + "_scale", o + "_zero_point"], [o + "_QuantizeLinear_Output"], name=o + "_QuantizeLinear"))
                nodes.append(helper.make_node("DequantizeLinear", [o + "_QuantizeLinear_Output", o + "_scale", o + "_zero_point"], [o], name=o + "_DequantizeLinear"))
                out_renames[o] = src
            elif quantized(o) and producer.get(o) is n and n.op_type in ops and not opt.get("dedicated"):
                qdq(o)
    # readers that are not quantized ops read the shared DequantizeLinear output (already substituted above)
    used = {i for n in nodes for i in n.input}
    keep = [t for t in g.initializer if t.name in used]
    seen = set()
    uniq = []
    for t in extra:
        if t.name in used and t.name not in seen:
            seen.add(t.name)
            uniq.append(t)
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(keep + uniq)
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.extend([helper.make_opsetid("com.microsoft", 1)])
    m.producer_name = "onnx.quantize"
    m.producer_version = "0.1.0"
    onnx.checker.check_model(m)
    return m


def calib(name, shapes, count=8):
    g = torch.Generator().manual_seed(11)
    if name == "bert_tiny":
        (ids, mask), _ = zoo.text_data("train")
        return [{"input_ids": ids[i:i + 1], "attention_mask": mask[i:i + 1]} for i in range(count)]
    return [{"input": torch.rand(*shapes[0], generator=g)} for _ in range(count)]


def main():
    os.makedirs(OUT, exist_ok=True)
    rp = os.path.join(OUT, "variants.json")
    report = json.load(open(rp)) if os.path.exists(rp) else {}
    todo = [(k, v, True) for k, v in MODELS.items()] + [(k, v, False) for k, v in ARCH.items()]
    for idx, (name, (ctor, shapes), full) in enumerate(todo):
        if ONLY and name not in ONLY:
            continue
        zoo.seed(300 + idx)
        model = ctor()
        randomise_bn(model, 400 + idx)
        model.eval()
        inputs = example(name, shapes)
        r = report.setdefault(name, {})

        def attempt(kind, fn):
            if KINDS and kind not in KINDS:
                return
            path = os.path.join(OUT, f"{name}_{kind}.onnx")
            try:
                fn(path)
                r[kind] = os.path.getsize(path)
                print(f"{name}_{kind}: {r[kind]} bytes", flush=True)
            except Exception as e:  # what torch itself cannot export: recorded
                msg = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
                r[kind] = "FAILED " + msg[:300]
                print(f"{name}_{kind}: FAILED {msg[:200]}", flush=True)
                traceback.print_exc(limit=2, file=sys.stdout)
                if os.path.exists(path):
                    os.remove(path)

        attempt("f13_dynbatch", lambda p: export(model, name, p, inputs, 13, dyn=True))
        if not full:
            if name in ARCH_QDQ:
                base = os.path.join("/tmp", f"qgv_{name}_f17.onnx")
                export(model, name, base, inputs, 17)
                fm = onnx.load(base)
                feeds = calib(name, shapes)
                for kind in ARCH_QDQ[name]:
                    attempt(kind, lambda p, opt=VARIANTS[kind]: onnx.save(qdq_variant(fm, feeds, opt), p))
                os.remove(base)
            continue
        attempt("f17_dynbatch", lambda p: export(model, name, p, inputs, 17, dyn=True))
        attempt("f13_nofold", lambda p: export(model, name, p, inputs, 13, fold=False))
        for op in (11, 12, 14, 15, 16, 18):
            attempt(f"opset{op}", lambda p, op=op: export(model, name, p, inputs, op))
        if name == "bert_tiny":
            attempt("f13_dynseq", lambda p: export(model, name, p, inputs, 13, dyn="sequence"))
        attempt("f13_unnamed", lambda p: export(model, name, p, inputs, 13, unnamed=True))
        attempt("f13_initinputs", lambda p: export(model, name, p, inputs, 13, init_inputs=True))
        user_names = ([f"in_{i}" for i in input_names(name)], ["logits"]) if name == "bert_tiny" else (["images"], ["logits"])
        attempt("f13_named", lambda p: export(model, name, p, inputs, 13, names=user_names))

        def trainbn(p, mode, opset):
            model.train()
            try:
                export(model, name, p, inputs, opset, training=mode)
            finally:
                model.eval()

        attempt("f13_trainbn", lambda p: trainbn(p, torch.onnx.TrainingMode.EVAL, 13))
        if name in ("resnet8", "ds_cnn"):
            attempt("f15_preserve", lambda p: trainbn(p, torch.onnx.TrainingMode.PRESERVE, 15))
        # QDQ variants from the opset-17 export
        src = os.path.join(OUT, f"{name}_f17_dynbatch.onnx")
        base = os.path.join("/tmp", f"qgv_{name}_f17.onnx")
        export(model, name, base, inputs, 17)
        fm = onnx.load(base)
        feeds = calib(name, shapes)
        # q_dynbatch: quantize_static run on the dynamic-batch export as it is (no quant_pre_process): the Shape ->
        # Gather -> Concat -> Reshape subgraphs of the batch dimension stay in the QDQ file
        export(model, name, base, inputs, 17, dyn=True)
        VARIANTS["q_dynbatch"]["dyn_model"] = onnx.load(base)
        # q_opset11: per-tensor QDQ of the opset-11 export (per-axis QuantizeLinear needs opset 13)
        export(model, name, base, inputs, 11)
        VARIANTS["q_opset11"]["opset11_model"] = onnx.load(base)
        # q_opset13: the default QDQ of the opset-13 export (LayerNorm written out below opset 17)
        export(model, name, base, inputs, 13)
        VARIANTS["q_opset13"]["opset13_model"] = onnx.load(base)
        for kind, opt in VARIANTS.items():
            attempt(kind, lambda p, opt=opt: onnx.save(qdq_variant(fm, feeds, opt), p))
        os.remove(base)
        del src
    with open(rp, "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
