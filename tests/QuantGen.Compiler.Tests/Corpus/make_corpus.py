#!/usr/bin/env python3
"""Writes the malformed-model corpus (run once; the files are committed, the tests never run Python).

Each case is a folder under malformed/ with model.qmodel.json, usually a weights file, and expect.txt:
line 1 is the diagnostic id the loader must report, line 2 a fragment of the place (JSON path or tensor)
or '-' when the whole file is meant. Usage: python3 make_corpus.py (from this folder)."""
import copy, json, os, shutil, struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "malformed")

def safetensors(tensors, raw_header=None, tail=b""):
    """tensors: list of (name, dtype, shape, bytes). Returns file bytes."""
    header, data, off = {}, b"", 0
    for name, dtype, shape, payload in sorted(tensors, key=lambda t: t[0]):
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(payload)]}
        data += payload
        off += len(payload)
    text = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":"))
    hb = text.encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    return struct.pack("<Q", len(hb)) + hb + data + tail

def f32(*vals):
    return struct.pack("<%df" % len(vals), *vals)

FLOAT_SPEC = {
    "format": "quantgen", "version": 1, "name": "tiny", "kind": "float", "weights": "weights.safetensors",
    "inputs": [{"name": "x", "shape": [4], "range": [0, 1]}],
    "outputs": ["y"],
    "initializers": {
        "fc1.weight": {"type": "float32", "shape": [3, 4]},
        "fc1.bias": {"type": "float32", "shape": [3]},
        "fc2.weight": {"type": "float32", "shape": [2, 3]},
    },
    "layers": [
        {"name": "fc1", "op": "Dense", "inputs": ["x"], "output": "h", "weight": "fc1.weight", "bias": "fc1.bias", "activation": "relu"},
        {"name": "fc2", "op": "Dense", "inputs": ["h"], "output": "y", "weight": "fc2.weight"},
    ],
}

def float_tensors():
    return [("fc1.weight", "F32", [3, 4], f32(*[0.1 * i for i in range(12)])),
            ("fc1.bias", "F32", [3], f32(0.0, 0.5, -0.5)),
            ("fc2.weight", "F32", [2, 3], f32(1, -1, 0.5, 0.25, 2, -2))]

QUANT_SPEC = {
    "format": "quantgen", "version": 1, "name": "tinyq", "kind": "quantized", "weights": "weights.safetensors",
    "inputs": [{"name": "x", "shape": [4], "range": [0, 1], "type": "int8", "scale": 0.00392156862745098, "zeroPoint": -128}],
    "outputs": ["y"],
    "initializers": {
        "fc.weight": {"type": "int8", "shape": [2, 4], "scales": [0.01, 0.02], "zeroPoint": 0},
        "fc.bias": {"type": "int32", "shape": [2], "scales": [3.9e-5, 7.8e-5], "zeroPoint": 0},
    },
    "activations": {"y": {"type": "int8", "scale": 0.05, "zeroPoint": 0}},
    "layers": [
        {"name": "fc", "op": "Dense", "inputs": ["x"], "output": "y", "weight": "fc.weight", "bias": "fc.bias",
         "activation": "none", "multipliers": [1685000000, 1685000000], "shifts": [40, 39], "clamp": [-128, 127]},
    ],
}

def quant_tensors():
    return [("fc.weight", "I8", [2, 4], struct.pack("<8b", 1, -2, 3, -4, 127, -127, 0, 5)),
            ("fc.bias", "I32", [2], struct.pack("<2i", 100, -100))]

CASES = []

def case(name, spec, weights=None, expect=("QG1002", "-"), raw_spec=None):
    CASES.append((name, spec, weights, expect, raw_spec))

def fspec(mutate):
    s = copy.deepcopy(FLOAT_SPEC)
    mutate(s)
    return s

def qspec(mutate):
    s = copy.deepcopy(QUANT_SPEC)
    mutate(s)
    return s

W = safetensors(float_tensors())
QW = safetensors(quant_tensors())

# --- JSON syntax
case("json-trailing-comma", None, W, ("QG1002", "-"), raw_spec='{"format": "quantgen", "version": 1,}\n')
case("json-truncated", None, W, ("QG1002", "-"), raw_spec=json.dumps(FLOAT_SPEC, indent=2)[:200])
case("json-empty-file", None, W, ("QG1002", "-"), raw_spec="")
case("json-duplicate-key", None, W, ("QG1002", "-"), raw_spec='{"format": "quantgen", "format": "quantgen"}')
case("json-deep-nesting", None, W, ("QG1002", "-"), raw_spec="[" * 200 + "]" * 200)
case("json-binary-garbage", None, W, ("QG1002", "-"), raw_spec="\x00\x01\x02PK\x03\x04")
case("json-not-an-object", None, W, ("QG1005", "$"), raw_spec="[1, 2, 3]")
# --- structure
case("wrong-format-name", fspec(lambda s: s.__setitem__("format", "onnx")), W, ("QG1003", "$.format"))
case("unsupported-version", fspec(lambda s: s.__setitem__("version", 2)), W, ("QG1003", "$.version"))
case("missing-layers", fspec(lambda s: s.pop("layers")), W, ("QG1004", "$"))
case("unknown-operator", fspec(lambda s: s["layers"][1].__setitem__("op", "Conv3D")), W, ("QG1006", "$.layers[1].op"))
case("unknown-field-typo", fspec(lambda s: s["layers"][0].__setitem__("activaton", "relu")), W, ("QG1020", "$.layers[0].activaton"))
case("bad-activation-value", fspec(lambda s: s["layers"][0].__setitem__("activation", "swish")), W, ("QG1005", "$.layers[0].activation"))
case("duplicate-input", fspec(lambda s: s["inputs"].append({"name": "x", "shape": [4], "range": [0, 1]})), W, ("QG1040", "$.inputs[1]"))
case("unused-input", fspec(lambda s: s["inputs"].append({"name": "z", "shape": [4], "range": [0, 1]})), W, ("QG1042", "$.inputs[1]"))
case("negative-dimension", fspec(lambda s: s["inputs"][0].__setitem__("shape", [-4])), W, ("QG1017", "$.inputs[0].shape[0]"))
case("absurd-shape-in-spec", fspec(lambda s: s["initializers"]["fc1.weight"].__setitem__("shape", [16000000, 16000000])), W, ("QG1016", "$.initializers[\"fc1.weight\"].shape"))
case("layer-name-not-identifier", fspec(lambda s: s["layers"][0].__setitem__("name", "fc 1")), W, ("QG1005", "$.layers[0].name"))
case("empty-range", fspec(lambda s: s["inputs"][0].__setitem__("range", [1, 0])), W, ("QG1005", "$.inputs[0].range"))
# --- graph
case("shape-mismatch-weight", fspec(lambda s: s["inputs"][0].__setitem__("shape", [5])), W, ("QG1010", "$.layers[0]"))
case("dangling-input", fspec(lambda s: s["layers"][1].__setitem__("inputs", ["hidden"])), W, ("QG1007", "$.layers[1]"))
case("cycle-self", fspec(lambda s: s["layers"][1].__setitem__("inputs", ["y"])), W, ("QG1009", "$.layers[1]"))
def out_of_order(s):
    s["layers"].reverse()
case("out-of-order", fspec(out_of_order), W, ("QG1009", "$.layers[0]"))
case("duplicate-layer-name", fspec(lambda s: s["layers"][1].__setitem__("name", "fc1")), W, ("QG1008", "$.layers[1]"))
case("duplicate-output", fspec(lambda s: s["layers"][1].__setitem__("output", "h")), W, ("QG1008", "$.layers[1]"))
case("dangling-output", fspec(lambda s: s.__setitem__("outputs", ["logits"])), W, ("QG1007", "$.outputs[0]"))
case("reshape-count-mismatch", fspec(lambda s: s["layers"].append({"name": "r", "op": "Reshape", "inputs": ["y"], "output": "z", "shape": [3]}) or s.__setitem__("outputs", ["z"])), W, ("QG1010", "$.layers[2]"))
case("transpose-bad-perm", fspec(lambda s: s["layers"].append({"name": "t", "op": "Transpose", "inputs": ["y"], "output": "z", "perm": [1]}) or s.__setitem__("outputs", ["z"])), W, ("QG1010", "$.layers[2]"))
case("undeclared-initializer", fspec(lambda s: s["layers"][1].__setitem__("weight", "fc3.weight")), W, ("QG1007", "$.layers[1]"))
# --- weights
case("weights-file-missing", fspec(lambda s: s.__setitem__("weights", "nowhere.safetensors")), None, ("QG1001", "$.weights"))
case("missing-tensor", FLOAT_SPEC, safetensors(float_tensors()[:2]), ("QG1012", "$.initializers[\"fc2.weight\"]"))
case("extra-tensor", FLOAT_SPEC, safetensors(float_tensors() + [("stray", "F32", [1], f32(1.0))]), ("QG1013", "tensor 'stray'"))
case("wrong-dtype", FLOAT_SPEC, safetensors(float_tensors()[:2] + [("fc2.weight", "I8", [2, 3], bytes(6))]), ("QG1014", "tensor 'fc2.weight'"))
case("stored-shape-differs", FLOAT_SPEC, safetensors(float_tensors()[:2] + [("fc2.weight", "F32", [3, 2], f32(1, -1, 0.5, 0.25, 2, -2))]), ("QG1010", "tensor 'fc2.weight'"))
case("nan-weight", FLOAT_SPEC, safetensors(float_tensors()[:2] + [("fc2.weight", "F32", [2, 3], f32(1, float("nan"), 0.5, 0.25, 2, -2))]), ("QG1017", "tensor 'fc2.weight'"))
hdr_bad_len = json.dumps({"fc1.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 40]}})
case("byte-length-mismatch", FLOAT_SPEC, safetensors([], raw_header=hdr_bad_len, tail=bytes(40)), ("QG1015", "tensor 'fc1.weight'"))
case("truncated-weights", FLOAT_SPEC, W[: len(W) - 10], ("QG1015", "tensor"))
case("header-length-lies-huge", FLOAT_SPEC, struct.pack("<Q", 1 << 60) + W[8:], ("QG1011", "-"))
case("header-length-past-end", FLOAT_SPEC, struct.pack("<Q", len(W)) + W[8:], ("QG1011", "-"))
case("header-not-json", FLOAT_SPEC, safetensors([], raw_header="{not json"), ("QG1011", "-"))
case("weights-too-short", FLOAT_SPEC, b"\x01\x02", ("QG1011", "-"))
hdr_absurd = json.dumps({"big": {"dtype": "F32", "shape": [1 << 20, 1 << 20, 1 << 20], "data_offsets": [0, 4]}})
case("absurd-shape-in-header", FLOAT_SPEC, safetensors([], raw_header=hdr_absurd, tail=bytes(4)), ("QG1016", "tensor 'big'"))
hdr_overlap = json.dumps({"fc1.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
                          "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [40, 52]},
                          "fc2.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [52, 76]}})
case("overlapping-offsets", FLOAT_SPEC, safetensors([], raw_header=hdr_overlap, tail=bytes(76)), ("QG1011", "tensor 'fc1.bias'"))
hdr_hole = json.dumps({"fc1.weight": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
                       "fc1.bias": {"dtype": "F32", "shape": [3], "data_offsets": [56, 68]},
                       "fc2.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [68, 92]}})
case("hole-in-buffer", FLOAT_SPEC, safetensors([], raw_header=hdr_hole, tail=bytes(92)), ("QG1011", "tensor 'fc1.bias'"))
case("unknown-safetensors-dtype", FLOAT_SPEC, safetensors(float_tensors()[:2] + [("fc2.weight", "Q4_K", [2, 3], bytes(6))]), ("QG1014", "tensor 'fc2.weight'"))
# --- quantized
case("q-missing-activation", qspec(lambda s: s.__setitem__("activations", {})), QW, ("QG1004", "$.layers[0]"))
case("q-shift-out-of-range", qspec(lambda s: s["layers"][0].__setitem__("shifts", [40, 70])), QW, ("QG1017", "$.layers[0].shifts[1]"))
case("q-negative-scale", qspec(lambda s: s["activations"]["y"].__setitem__("scale", -0.05)), QW, ("QG1018", "$.activations.y.scale"))
case("q-multipliers-count", qspec(lambda s: s["layers"][0].update({"multipliers": [1685000000], "shifts": [40]})), QW, ("QG1018", "$.layers[0]"))
case("q-value-outside-type", qspec(lambda s: s["initializers"]["fc.weight"].__setitem__("type", "int6")), QW, ("QG1017", "tensor 'fc.weight'"))
case("q-zero-point-outside-type", qspec(lambda s: s["inputs"][0].__setitem__("zeroPoint", -300)), QW, ("QG1017", "$.inputs[0].zeroPoint"))
case("q-float-weight-in-quantized", qspec(lambda s: s["initializers"]["fc.weight"].__setitem__("type", "float32")), QW, ("QG1014", "$.initializers[\"fc.weight\"].type"))
case("q-missing-scale", qspec(lambda s: s["activations"]["y"].pop("scale")), QW, ("QG1004", "$.activations.y"))
case("q-integer-param-in-float", fspec(lambda s: s["layers"][0].__setitem__("multipliers", [1, 2, 3])), W, ("QG1005", "$.layers[0].multipliers"))
case("q-clamp-outside-type", qspec(lambda s: s["layers"][0].__setitem__("clamp", [-300, 127])), QW, ("QG1018", "$.layers[0]"))
case("q-input-range-unrepresentable", qspec(lambda s: s["inputs"][0].__setitem__("range", [0, 100])), QW, ("QG1018", "$.inputs[0]"))

if __name__ == "__main__":
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for name, spec, weights, (eid, place), raw in CASES:
        d = os.path.join(OUT, name)
        os.makedirs(d)
        with open(os.path.join(d, "model.qmodel.json"), "w", newline="\n") as f:
            f.write(raw if raw is not None else json.dumps(spec, indent=2) + "\n")
        if weights is not None:
            name_w = (spec or FLOAT_SPEC).get("weights", "weights.safetensors") if spec else "weights.safetensors"
            with open(os.path.join(d, name_w if name_w != "nowhere.safetensors" else "weights.safetensors"), "wb") as f:
                f.write(weights)
        with open(os.path.join(d, "expect.txt"), "w", newline="\n") as f:
            f.write(eid + "\n" + place + "\n")
    # the valid baselines the mutations start from
    for name, spec, w in (("valid-float", FLOAT_SPEC, W), ("valid-quantized", QUANT_SPEC, QW)):
        d = os.path.join(HERE, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.qmodel.json"), "w", newline="\n") as f:
            f.write(json.dumps(spec, indent=2) + "\n")
        with open(os.path.join(d, "weights.safetensors"), "wb") as f:
            f.write(w)
    print(len(CASES), "malformed cases written to", OUT)
