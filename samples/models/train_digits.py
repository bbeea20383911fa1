#!/usr/bin/env python3
"""Produces the digits data set and the two float sample models of QuantGen.

Run from the repository root:

    /usr/bin/python3 samples/models/train_digits.py

Needs Debian's python3-torch and python3-sklearn (no other dependency). Writes

    samples/data/digits/digits.csv
    samples/models/digits_mlp.float.qmodel.json   + digits_mlp.float.safetensors
    samples/models/digits_vit.float.qmodel.json   + digits_vit.float.safetensors
    samples/models/training_report.json

The quantized models are NOT produced here: they come from the C# post-training quantizer.
Python is only used once to produce these committed files; the build and the tests never run it.
"""

import csv
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA_DIR = os.path.join(ROOT, "samples", "data", "digits")
MODEL_DIR = os.path.join(ROOT, "samples", "models")
CSV_PATH = os.path.join(DATA_DIR, "digits.csv")
SCRIPT_REL = "samples/models/train_digits.py"
DATASET_DESC = "sklearn digits, split in samples/data/digits/digits.csv"
LABELS = [str(i) for i in range(10)]

# ViT hyper-parameters (fixed by the sample's design).
D, H, M, T = 32, 2, 64, 16  # model width, heads, MLP width, tokens (16 patches of 2x2 pixels)
DH = D // H


def setup_determinism():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(0)
    np.random.seed(0)


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def write_csv():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    ds = load_digits()
    x = ds.data.astype(np.int64)  # (1797, 64), values 0..16
    y = ds.target.astype(np.int64)
    assert x.shape == (1797, 64) and x.min() == 0 and x.max() == 16
    assert np.array_equal(ds.data, x)  # pixel values are integral
    idx = np.arange(len(y))
    _, test_idx = train_test_split(idx, test_size=0.25, random_state=0, stratify=y)
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test_idx] = True
    os.makedirs(DATA_DIR, exist_ok=True)
    with open(CSV_PATH, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["split", "label"] + [f"p{i}" for i in range(64)])
        for i in range(len(y)):
            w.writerow(["test" if is_test[i] else "train", int(y[i])] + [int(v) for v in x[i]])


def read_csv():
    xs = {"train": [], "test": []}
    ys = {"train": [], "test": []}
    with open(CSV_PATH, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        assert header[:2] == ["split", "label"] and len(header) == 66
        for row in r:
            xs[row[0]].append([float(v) for v in row[2:]])
            ys[row[0]].append(int(row[1]))
    out = {}
    for s in ("train", "test"):
        out[s] = (torch.tensor(xs[s], dtype=torch.float32), torch.tensor(ys[s], dtype=torch.int64))
    return out


def augment(x, gen):
    """Light augmentation on raw pixel images [B, 64]: random shift by up to one pixel (zero fill)."""
    b = x.shape[0]
    img = x.view(b, 8, 8)
    padded = F.pad(img, (1, 1, 1, 1))
    dy = torch.randint(0, 3, (b,), generator=gen)
    dx = torch.randint(0, 3, (b,), generator=gen)
    out = torch.empty_like(img)
    for i in range(b):
        out[i] = padded[i, dy[i]:dy[i] + 8, dx[i]:dx[i] + 8]
    return out.reshape(b, 64)


# --------------------------------------------------------------------------------------------
# Models (the torch code follows the JSON graph operation by operation)
# --------------------------------------------------------------------------------------------

class DigitsMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, pixels):  # [B, 64]
        h1 = F.relu(self.fc1(pixels))
        h2 = F.relu(self.fc2(h1))
        return self.fc3(h2)

    def named_tensors(self):
        return {f"{n}.{p}": getattr(getattr(self, n), p) for n in ("fc1", "fc2", "fc3") for p in ("weight", "bias")}


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(D, eps=1e-5)
        self.q = nn.Linear(D, D)
        self.k = nn.Linear(D, D)
        self.v = nn.Linear(D, D)
        self.proj = nn.Linear(D, D)
        self.ln2 = nn.LayerNorm(D, eps=1e-5)
        self.fc1 = nn.Linear(D, M)
        self.gelu = nn.GELU()  # exact erf form
        self.fc2 = nn.Linear(M, D)

    def forward(self, x):  # [B, 16, D]
        b = x.shape[0]
        ln1 = self.ln1(x)
        q = self.q(ln1)
        k = self.k(ln1)
        v = self.v(ln1)
        q_heads = q.reshape(b, T, H, DH).permute(0, 2, 1, 3)  # [H,16,dh]   (perm [1,0,2])
        k_heads = k.reshape(b, T, H, DH).permute(0, 2, 3, 1)  # [H,dh,16]   (perm [1,2,0])
        v_heads = v.reshape(b, T, H, DH).permute(0, 2, 1, 3)  # [H,16,dh]
        scores = torch.matmul(q_heads, k_heads) * (1.0 / math.sqrt(DH))
        attn = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(attn, v_heads)  # [H,16,dh]
        ctx_merge = ctx.permute(0, 2, 1, 3).reshape(b, T, D)
        proj = self.proj(ctx_merge)
        res1 = x + proj
        ln2 = self.ln2(res1)
        fc1 = self.fc1(ln2)
        g = self.gelu(fc1)
        fc2 = self.fc2(g)
        return res1 + fc2


class DigitsViT(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.patch_embed = nn.Linear(4, D)
        self.pos_embed = nn.Parameter(torch.randn(T, D) * 0.02)
        self.blocks = nn.ModuleList([Block() for _ in range(blocks)])
        self.ln_f = nn.LayerNorm(D, eps=1e-5)
        self.head = nn.Linear(D, 10)

    def forward(self, pixels):  # [B, 8, 8] (or [B, 64])
        b = pixels.shape[0]
        x = pixels.reshape(b, 4, 2, 4, 2)          # patchify_reshape   [4,2,4,2]
        x = x.permute(0, 1, 3, 2, 4)               # patchify_transpose perm [0,2,1,3]
        x = x.reshape(b, T, 4)                     # patchify_flatten   [16,4]
        x = self.patch_embed(x)
        x = x + self.pos_embed                     # pos_add
        for blk in self.blocks:
            x = blk(x)
        x = self.ln_f(x)
        x = x.mean(dim=1)                          # pool, axis 0 of the unbatched tensor
        return self.head(x)

    def named_tensors(self):
        t = {
            "patch_embed.weight": self.patch_embed.weight,
            "patch_embed.bias": self.patch_embed.bias,
            "pos_embed": self.pos_embed,
            "ln_f.gamma": self.ln_f.weight,
            "ln_f.beta": self.ln_f.bias,
            "head.weight": self.head.weight,
            "head.bias": self.head.bias,
        }
        for i, blk in enumerate(self.blocks):
            p = f"b{i}_"
            for ln in ("ln1", "ln2"):
                mod = getattr(blk, ln)
                t[f"{p}{ln}.gamma"] = mod.weight
                t[f"{p}{ln}.beta"] = mod.bias
            for lin in ("q", "k", "v", "proj", "fc1", "fc2"):
                mod = getattr(blk, lin)
                t[f"{p}{lin}.weight"] = mod.weight
                t[f"{p}{lin}.bias"] = mod.bias
        return t


def load_named_tensors(model, tensors):
    with torch.no_grad():
        params = model.named_tensors()
        assert set(params) == set(tensors), (set(params) ^ set(tensors))
        for name, p in params.items():
            assert tuple(p.shape) == tuple(tensors[name].shape), name
            p.copy_(tensors[name])


# --------------------------------------------------------------------------------------------
# Graph specs
# --------------------------------------------------------------------------------------------

PRECISION = {"weightBits": 8, "activationBits": 8, "perChannel": True}


def dense(name, x, out, activation="none"):
    return {"name": name, "op": "Dense", "inputs": [x], "output": out,
            "weight": f"{name}.weight", "bias": f"{name}.bias", "activation": activation,
            "precision": dict(PRECISION)}


def layer_norm(name, x, out):
    return {"name": name, "op": "LayerNorm", "inputs": [x], "output": out,
            "gamma": f"{name}.gamma", "beta": f"{name}.beta", "epsilon": 1e-5}


def reshape(name, x, out, shape):
    return {"name": name, "op": "Reshape", "inputs": [x], "output": out, "shape": list(shape)}


def transpose(name, x, out, perm):
    return {"name": name, "op": "Transpose", "inputs": [x], "output": out, "perm": list(perm)}


def add(name, a, b, out):
    return {"name": name, "op": "Add", "inputs": [a, b], "output": out}


def mlp_layers():
    return [
        dense("fc1", "pixels", "h1", "relu"),
        dense("fc2", "h1", "h2", "relu"),
        dense("fc3", "h2", "logits", "none"),
    ]


def vit_layers(blocks):
    L = [
        reshape("patchify_reshape", "pixels", "patchify_reshape", [4, 2, 4, 2]),
        transpose("patchify_transpose", "patchify_reshape", "patchify_transpose", [0, 2, 1, 3]),
        reshape("patchify_flatten", "patchify_transpose", "patches", [T, 4]),
        dense("patch_embed", "patches", "patch_embed"),
        add("pos_add", "patch_embed", "pos_embed", "tokens0"),
    ]
    x = "tokens0"
    for i in range(blocks):
        p = f"b{i}_"
        L += [
            layer_norm(p + "ln1", x, p + "ln1"),
            dense(p + "q", p + "ln1", p + "q"),
            dense(p + "k", p + "ln1", p + "k"),
            dense(p + "v", p + "ln1", p + "v"),
            reshape(p + "q_reshape", p + "q", p + "q_reshape", [T, H, DH]),
            transpose(p + "q_heads", p + "q_reshape", p + "q_heads", [1, 0, 2]),
            reshape(p + "k_reshape", p + "k", p + "k_reshape", [T, H, DH]),
            transpose(p + "k_heads", p + "k_reshape", p + "k_heads", [1, 2, 0]),
            reshape(p + "v_reshape", p + "v", p + "v_reshape", [T, H, DH]),
            transpose(p + "v_heads", p + "v_reshape", p + "v_heads", [1, 0, 2]),
            {"name": p + "scores", "op": "MatMul", "inputs": [p + "q_heads", p + "k_heads"],
             "output": p + "scores", "alpha": 1.0 / math.sqrt(DH)},
            {"name": p + "attn", "op": "Softmax", "inputs": [p + "scores"], "output": p + "attn",
             "method": "shiftmax"},
            {"name": p + "ctx", "op": "MatMul", "inputs": [p + "attn", p + "v_heads"], "output": p + "ctx"},
            transpose(p + "ctx_transpose", p + "ctx", p + "ctx_transpose", [1, 0, 2]),
            reshape(p + "ctx_merge", p + "ctx_transpose", p + "ctx_merge", [T, D]),
            dense(p + "proj", p + "ctx_merge", p + "proj"),
            add(p + "res1", x, p + "proj", p + "res1"),
            layer_norm(p + "ln2", p + "res1", p + "ln2"),
            dense(p + "fc1", p + "ln2", p + "fc1"),
            {"name": p + "gelu", "op": "Gelu", "inputs": [p + "fc1"], "output": p + "gelu",
             "method": "shiftgelu"},
            dense(p + "fc2", p + "gelu", p + "fc2"),
            add(p + "res2", p + "res1", p + "fc2", p + "res2"),
        ]
        x = p + "res2"
    L += [
        layer_norm("ln_f", x, "ln_f"),
        {"name": "pool", "op": "AvgPool", "inputs": ["ln_f"], "output": "pool", "axis": 0},
        dense("head", "pool", "logits"),
    ]
    return L


def check_graph(spec):
    """Every layer reads defined tensors; names unique; initializers referenced exactly."""
    defined = {spec["inputs"][0]["name"]} | set(spec["initializers"])
    used_inits = set()
    names = set()
    for layer in spec["layers"]:
        assert layer["name"] not in names
        names.add(layer["name"])
        for t in layer["inputs"]:
            assert t in defined, (layer["name"], t)
            if t in spec["initializers"]:
                used_inits.add(t)
        for attr in ("weight", "bias", "gamma", "beta"):
            if attr in layer:
                assert layer[attr] in spec["initializers"], layer[attr]
                used_inits.add(layer[attr])
        assert layer["output"] not in defined, layer["output"]
        defined.add(layer["output"])
    assert used_inits == set(spec["initializers"])
    assert spec["outputs"][0] in defined


# --------------------------------------------------------------------------------------------
# safetensors (written by hand)
# --------------------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": dict(metadata)}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().numpy().astype("<f4"))
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
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(body[b:e], dtype="<f4").copy().reshape(info["shape"]))
    return out


def save_model(name, model, input_shape, layers, test_acc, extra_meta):
    tensors = {k: v.detach().clone().float() for k, v in model.named_tensors().items()}
    weights_file = f"{name}.float.safetensors"
    spec = {
        "format": "quantgen",
        "version": 1,
        "name": name,
        "kind": "float",
        "weights": weights_file,
        "inputs": [{"name": "pixels", "shape": list(input_shape), "range": [0, 16]}],
        "outputs": ["logits"],
        "initializers": {k: {"type": "float32", "shape": list(tensors[k].shape)} for k in sorted(tensors)},
        "layers": layers,
        "labels": LABELS,
        "metadata": {
            "source": SCRIPT_REL,
            "dataset": DATASET_DESC,
            "test_accuracy": repr(float(test_acc)),
            **extra_meta,
        },
    }
    check_graph(spec)
    write_safetensors(os.path.join(MODEL_DIR, weights_file), tensors,
                      {"format": "pt", "model": name, "source": SCRIPT_REL})
    with open(os.path.join(MODEL_DIR, f"{name}.float.qmodel.json"), "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------

def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def exact_accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        correct = int((model(x).argmax(dim=1) == y).sum().item())
    return correct / len(y)


def train(model, data, epochs, lr, weight_decay, batch, reshape_input, label_smoothing, seed, shift_augment):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xtr, ytr = data["train"]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(ytr) / batch)
    total = epochs * steps_per_epoch
    warmup = 2 * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(ytr), generator=gen)
        for i in range(0, len(ytr), batch):
            idx = perm[i:i + batch]
            xb = augment(xtr[idx], gen) if shift_augment else xtr[idx]
            xb = reshape_input(xb)
            loss = F.cross_entropy(model(xb), ytr[idx], label_smoothing=label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        if (ep + 1) % 25 == 0 or ep + 1 == epochs:
            xte, yte = data["test"]
            print(f"  epoch {ep + 1:4d} loss {loss.item():.4f} "
                  f"train {accuracy(model, reshape_input(xtr), ytr):.4f} "
                  f"test {accuracy(model, reshape_input(xte), yte):.4f}", flush=True)


def finish(name, model_ctor, trained, data, reshape_input, input_shape, layers, epochs, report, extra_meta):
    xtr, ytr = data["train"]
    xte, yte = data["test"]
    test_acc = exact_accuracy(trained, reshape_input(xte), yte)
    save_model(name, trained, input_shape, layers, test_acc, extra_meta)
    # Reload exactly the saved weights and compute everything reported from them.
    reloaded = model_ctor()
    load_named_tensors(reloaded, read_safetensors(os.path.join(MODEL_DIR, f"{name}.float.safetensors")))
    reloaded.eval()
    test_acc2 = exact_accuracy(reloaded, reshape_input(xte), yte)
    assert test_acc2 == test_acc, (test_acc, test_acc2)
    train_acc = exact_accuracy(reloaded, reshape_input(xtr), ytr)
    with torch.no_grad():
        logits = reloaded(reshape_input(xte[:20])).float()
    report[name] = {
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "epochs": epochs,
        "parameters": int(sum(t.numel() for t in reloaded.named_tensors().values())),
        "first_test_logits": [[float(v) for v in row] for row in logits.tolist()],
    }
    print(f"{name}: test {test_acc:.4f} train {train_acc:.4f} params {report[name]['parameters']}", flush=True)
    return test_acc


def main():
    setup_determinism()
    write_csv()
    data = read_csv()
    print(f"train {len(data['train'][1])} test {len(data['test'][1])}", flush=True)
    report = {}

    # (a) MLP
    mlp_epochs = 60
    print("digits_mlp", flush=True)
    torch.manual_seed(1)
    mlp = DigitsMLP()
    flat = lambda x: x.reshape(x.shape[0], 64)
    train(mlp, data, epochs=mlp_epochs, lr=2e-3, weight_decay=1e-4, batch=32, reshape_input=flat,
          label_smoothing=0.0, seed=1, shift_augment=True)
    finish("digits_mlp", DigitsMLP, mlp, data, flat, [64], mlp_layers(), mlp_epochs, report, {})

    # (b) ViT: the smallest block count (1, then 2) that reaches 95 % test accuracy.
    # No shift augmentation here: a one-pixel shift moves the digit across the 2x2 patch grid and
    # hurts this small ViT (measured: ~94 % with shifts vs ~97 % without).
    vit_epochs = 200
    img = lambda x: x.reshape(x.shape[0], 8, 8)
    for blocks in (1, 2):
        print(f"digits_vit, {blocks} block(s)", flush=True)
        torch.manual_seed(2)
        vit = DigitsViT(blocks)
        with torch.no_grad():
            # Inputs are raw 0..16 pixels: scale the patch embedding down so that the position
            # embedding (std 1) is not drowned by the pixel term.
            vit.patch_embed.weight.mul_(1.0 / 16.0)
            vit.pos_embed.normal_(0.0, 1.0)
        train(vit, data, epochs=vit_epochs, lr=3e-3, weight_decay=0.0, batch=32, reshape_input=img,
              label_smoothing=0.0, seed=2, shift_augment=False)
        acc = exact_accuracy(vit, img(data["test"][0]), data["test"][1])
        if acc >= 0.95:
            break
    finish("digits_vit", lambda: DigitsViT(blocks), vit, data, img, [8, 8], vit_layers(blocks), vit_epochs,
           report, {})

    with open(os.path.join(MODEL_DIR, "training_report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
