#!/usr/bin/python3
"""QuantGen's model zoo: standard architectures exported to ONNX the way users export them.

Run once with Debian's packages (python3-torch 1.13, python3-onnx 1.12, python3-sklearn); never needed by the build
or the tests, which read the committed files in samples/zoo/models:

    /usr/bin/python3 samples/zoo/make_zoo.py            # writes samples/zoo/models/*.onnx and models/results.json

Models (see README.md): hls4ml's jet tagger, the MLPerf Tiny anomaly-detection autoencoder, ResNet-8 and DS-CNN,
MobileNetV1 0.25 at 96x96, a timm-style DeiT-Tiny and a BERT-tiny-like classifier. Export paths per model:

  float13 / float17   torch.onnx.export of the float model at opset 13 and 17 (eval mode)
  qat                 torch.ao.quantization.prepare_qat_fx (fake quant), a few training steps, exported at opset 13
                      (FakeQuantize -> QuantizeLinear/DequantizeLinear)
  convert             the QAT model through convert_fx (real quantized ops) exported at opset 13
  ortqdq              an ONNX Runtime quantize_static-style QDQ model written here with onnx.helper (onnxruntime's Python
                      package is not installable here): the float17 export pre-processed as quant_pre_process would
                      (constants and static shapes folded, BatchNormalization folded into the Conv/Gemm before it),
                      then QuantizeLinear/DequantizeLinear inserted with min/max calibration: uint8 asymmetric
                      activations, int8 symmetric per-channel weights, int32 biases at input x weight scale.

Deterministic: fixed seeds, one thread. Data: the 8x8 digits (samples/data/digits/digits.csv, the repository's split of
sklearn's load_digits) resized/padded to each model's input where the shape allows.
"""

import csv
import json
import math
import os
import sys
import time
import traceback

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "models")
CSV_PATH = os.path.join(HERE, "..", "data", "digits", "digits.csv")

torch.set_num_threads(int(os.environ.get("QUANTGEN_ZOO_THREADS", "2")))
# Debian's torch is built without FBGEMM: QNNPACK runs the converted (convert_fx) models.
torch.backends.quantized.engine = "qnnpack" if "qnnpack" in torch.backends.quantized.supported_engines else torch.backends.quantized.engine


def seed(s):
    torch.manual_seed(s)
    np.random.seed(s)


# ------------------------------------------------------------------------------------------------
# Data: the digits, shaped for each model
# ------------------------------------------------------------------------------------------------

def read_digits():
    xs = {"train": [], "test": []}
    ys = {"train": [], "test": []}
    with open(CSV_PATH, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            xs[row[0]].append([float(v) for v in row[2:]])
            ys[row[0]].append(int(row[1]))
    return {s: (torch.tensor(xs[s]).reshape(-1, 1, 8, 8) / 16.0, torch.tensor(ys[s])) for s in xs}


DIGITS = read_digits()


def jet_data(split):
    # 16 features: the 8x8 image averaged over 2x2 blocks; 5 classes: digits 0-4 only.
    x, y = DIGITS[split]
    keep = y < 5
    return F.avg_pool2d(x[keep], 2).reshape(-1, 16), y[keep]


def ad_data(split):
    # 640 features (5 frames x 128 mel bins in the MLPerf model): the 64 pixels tiled 10 times; trained to reconstruct.
    x, _ = DIGITS[split]
    x = x.reshape(-1, 64).repeat(1, 10)
    return x, x


def image_data(split, size, channels, classes=10, mapping=None):
    x, y = DIGITS[split]
    x = F.interpolate(x, size=size, mode="bilinear", align_corners=False).repeat(1, channels, 1, 1)
    if mapping is not None:
        y = mapping(y)
    return x, y


def kws_data(split):
    # 1x49x10 (49 MFCC frames x 10 coefficients): the digit resized; 12 classes (10 used).
    return image_data(split, (49, 10), 1)


def text_data(split):
    # Token ids: [CLS]=1, then pixel value + 3 (vocabulary 1000 in the model; ids 3..19 used), 64 pixels + CLS = 65
    # tokens, padded to 72 with [PAD]=0 and the attention mask 0 there.
    x, y = DIGITS[split]
    ids = torch.cat([torch.ones(len(y), 1, dtype=torch.long), (x.reshape(-1, 64) * 16).round().long() + 3,
                     torch.zeros(len(y), 7, dtype=torch.long)], dim=1)
    mask = torch.cat([torch.ones(len(y), 65, dtype=torch.long), torch.zeros(len(y), 7, dtype=torch.long)], dim=1)
    return (ids, mask), y


# ------------------------------------------------------------------------------------------------
# Models, written the way their reference implementations write them
# ------------------------------------------------------------------------------------------------

class JetTagger(nn.Module):
    """hls4ml's jet-tagging MLP (16-64-32-32-5, ReLU, softmax)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 64)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(64, 32)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(32, 32)
        self.relu3 = nn.ReLU()
        self.output = nn.Linear(32, 5)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x):
        x = self.relu1(self.fc1(x))
        x = self.relu2(self.fc2(x))
        x = self.relu3(self.fc3(x))
        return self.softmax(self.output(x))


class AnomalyAutoencoder(nn.Module):
    """MLPerf Tiny anomaly detection (ToyADMOS): 640-128-128-128-128-8-128-128-128-128-640, Dense + BN + ReLU."""

    def __init__(self):
        super().__init__()
        dims = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]
        layers = []
        for i in range(len(dims) - 1):
            layers += [nn.Linear(dims[i], dims[i + 1]), nn.BatchNorm1d(dims[i + 1]), nn.ReLU()]
        layers.append(nn.Linear(128, 640))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class ResNetBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=True)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=True)
        self.bn2 = nn.BatchNorm2d(cout)
        # The reference's shortcut: identity in the first stack, a strided 1x1 conv (no BN) in the others.
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0) if stride != 1 or cin != cout else None
        self.relu2 = nn.ReLU()

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return self.relu2(s + y)


class ResNet8(nn.Module):
    """MLPerf Tiny image classification ResNet-8 (CIFAR-10 shape 32x32x3): 16/32/64 stacks, AveragePooling(8), FC 10."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.stack1 = ResNetBlock(16, 16, 1)
        self.stack2 = ResNetBlock(16, 32, 2)
        self.stack3 = ResNetBlock(32, 64, 2)
        # Keras: AveragePooling2D(pool_size=8) over the 8x8 map, then Flatten and Dense(10, softmax).
        self.pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.relu(self.bn(self.conv(x)))
        x = self.stack3(self.stack2(self.stack1(x)))
        x = torch.flatten(self.pool(x), 1)
        return self.fc(x)


class DsCnn(nn.Module):
    """MLPerf Tiny keyword spotting DS-CNN (small): 1x49x10 MFCCs, 10x4 stride-2 conv 64, 4 DW-separable blocks."""

    def __init__(self):
        super().__init__()
        # Keras padding 'same' at stride 2 pads (4, 5) rows and (1, 1) columns: written as torch users port it,
        # symmetric padding (5, 1) keeps the 25x5 output.
        self.conv1 = nn.Conv2d(1, 64, (10, 4), 2, (5, 1))
        self.bn1 = nn.BatchNorm2d(64)
        self.relu1 = nn.ReLU()
        blocks = []
        for _ in range(4):
            blocks += [nn.Conv2d(64, 64, 3, 1, 1, groups=64), nn.BatchNorm2d(64), nn.ReLU(),
                       nn.Conv2d(64, 64, 1), nn.BatchNorm2d(64), nn.ReLU()]
        self.blocks = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(0.4)
        self.pool = nn.AvgPool2d((25, 5))
        self.fc = nn.Linear(64, 12)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.blocks(x)
        x = self.pool(self.dropout(x))
        return self.fc(torch.flatten(x, 1))


class MobileNetV1(nn.Module):
    """MLPerf Tiny visual wake words: MobileNetV1 alpha 0.25 at 96x96x3, 2 classes."""

    def __init__(self, alpha=0.25, classes=2):
        super().__init__()

        def c(n):
            return int(n * alpha)

        def conv_bn(cin, cout, stride):
            return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        def dw(cin, cout, stride):
            return [nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU(),
                    nn.Conv2d(cin, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
        layers = conv_bn(3, c(32), 2)
        cin = c(32)
        for cout, s in cfg:
            layers += dw(cin, c(cout), s)
            cin = c(cout)
        self.features = nn.Sequential(*layers)
        self.pool = nn.AvgPool2d(3)  # 96 / 32 = 3: the Keras reference's AveragePooling2D(pool_size=3)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.fc(torch.flatten(x, 1))


class TimmAttention(nn.Module):
    """timm's Attention: fused qkv, reshape/permute, unbind, scaled q @ k^T, softmax, @ v, proj."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.attn_drop = nn.Dropout(0.0)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(0.0)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        attn = self.attn_drop(attn)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class TimmMlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact erf GELU
        self.drop1 = nn.Dropout(0.0)
        self.fc2 = nn.Linear(hidden, dim)
        self.drop2 = nn.Dropout(0.0)

    def forward(self, x):
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class TimmBlock(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = TimmAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = TimmMlp(dim, mlp)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class DeiTTiny(nn.Module):
    """DeiT-Tiny as timm's VisionTransformer writes it: 224x224x3, patch 16, class token, 12 blocks of dim 192."""

    def __init__(self, img=224, patch=16, dim=192, depth=12, heads=3, mlp=768, classes=1000):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        n = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.pos_drop = nn.Dropout(0.0)
        self.blocks = nn.Sequential(*[TimmBlock(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)  # PatchEmbed: [B, 196, 192]
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        x = self.pos_drop(x + self.pos_embed)
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


class BertLayer(nn.Module):
    """A Hugging Face BertLayer: separate q/k/v, additive mask, post-LayerNorm, erf GELU intermediate."""

    def __init__(self, dim, heads, inter):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.query = nn.Linear(dim, dim)
        self.key = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.attn_out = nn.Linear(dim, dim)
        self.attn_norm = nn.LayerNorm(dim, eps=1e-12)
        self.intermediate = nn.Linear(dim, inter)
        self.output = nn.Linear(inter, dim)
        self.out_norm = nn.LayerNorm(dim, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def split(self, x):
        b, n, _ = x.size()
        return x.view(b, n, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, h, ext_mask):
        q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + ext_mask
        probs = self.dropout(F.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size(0), ctx.size(1), -1)
        h = self.attn_norm(self.dropout(self.attn_out(ctx)) + h)
        return self.out_norm(self.dropout(self.output(F.gelu(self.intermediate(h)))) + h)


class BertTiny(nn.Module):
    """BERT-tiny-like text classifier: int64 token ids + attention mask, word + position embeddings, 2 layers of
    dim 128 with 2 heads, tanh pooler on [CLS], classifier. Vocabulary 1000 (BERT-tiny's is 30522) keeps it small."""

    def __init__(self, vocab=1000, max_len=128, dim=128, layers=2, heads=2, inter=512, classes=10):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.position_embeddings = nn.Embedding(max_len, dim)
        self.register_buffer("position_ids", torch.arange(max_len).expand((1, -1)))
        self.emb_norm = nn.LayerNorm(dim, eps=1e-12)
        self.emb_drop = nn.Dropout(0.1)
        self.layers = nn.ModuleList([BertLayer(dim, heads, inter) for _ in range(layers)])
        self.pooler = nn.Linear(dim, dim)
        self.pooler_act = nn.Tanh()
        self.classifier = nn.Linear(dim, classes)

    def forward(self, input_ids, attention_mask):
        n = input_ids.size(1)
        pos = self.position_ids[:, :n]
        h = self.emb_drop(self.emb_norm(self.word_embeddings(input_ids) + self.position_embeddings(pos)))
        ext = attention_mask[:, None, None, :].to(torch.float32)
        ext = (1.0 - ext) * -10000.0
        for layer in self.layers:
            h = layer(h, ext)
        pooled = self.pooler_act(self.pooler(h[:, 0]))
        return self.classifier(pooled)


# name, constructor, input shape(s), data function, epochs, learning rate, what the score means
# MobileNetV1 trains 16 epochs (95.8 %); with 4 (90.9 %, the fixture until session 14) its W8A8 post-training quantization
# agreed with the float model on top-1 for only 348/360 test digits: too many inputs sat on the decision.
ZOO = [
    ("jet_tagger", JetTagger, [(1, 16)], jet_data, 60, 3e-3, "accuracy, digits 0-4 at 4x4"),
    ("ad_autoencoder", AnomalyAutoencoder, [(1, 640)], ad_data, 30, 1e-3, "reconstruction MSE (lower is better)"),
    ("resnet8", ResNet8, [(1, 3, 32, 32)], lambda s: image_data(s, (32, 32), 3), 6, 3e-3, "accuracy, digits at 32x32x3"),
    ("ds_cnn", DsCnn, [(1, 1, 49, 10)], kws_data, 10, 3e-3, "accuracy, digits at 49x10"),
    ("mobilenet_v1", MobileNetV1, [(1, 3, 96, 96)], lambda s: image_data(s, (96, 96), 3, mapping=lambda y: (y >= 5).long()), 16, 3e-3,
     "accuracy, digits >= 5 vs < 5 at 96x96x3"),
    ("deit_tiny", DeiTTiny, [(1, 3, 224, 224)], lambda s: image_data(s, (224, 224), 3), 0, 0,
     "accuracy, digits at 224x224x3: trained whole, 15 + 10 epochs from its random init (whole test split)"),
    ("bert_tiny", BertTiny, [(1, 72), (1, 72)], text_data, 4, 1e-3, "accuracy, digits as 72 pixel tokens"),
]

INPUT_NAMES = {"bert_tiny": ["input_ids", "attention_mask"]}


def example_inputs(name, shapes):
    if name == "bert_tiny":
        (ids, mask), _ = text_data("test")
        return (ids[:1], mask[:1])
    return tuple(torch.zeros(*s) for s in shapes)


def batches(x, y, size):
    n = len(y)
    perm = torch.randperm(n)
    for i in range(0, n, size):
        idx = perm[i:i + size]
        yield (tuple(t[idx] for t in x) if isinstance(x, tuple) else x[idx]), y[idx]


def call(model, x):
    return model(*x) if isinstance(x, tuple) else model(x)


def loss_of(name, out, y):
    return F.mse_loss(out, y) if name == "ad_autoencoder" else F.cross_entropy(out, y)


def train(name, model, data, epochs, lr):
    if data is None or epochs == 0:
        return
    x, y = data("train")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for xb, yb in batches(x, y, 32):
            opt.zero_grad()
            out = call(model, xb)
            if name == "jet_tagger":
                out = torch.log(out + 1e-9)  # the model ends in softmax
                loss = F.nll_loss(out, yb)
            else:
                loss = loss_of(name, out, yb)
            loss.backward()
            opt.step()
    model.eval()


# DeiT-Tiny until session 14 (opt-in since: QUANTGEN_DEIT_TRAIN_TAIL=probe): with the reference BLAS training the whole
# network was out of reach (~105 min per epoch on 2 cores), so the backbone kept its random init and only the final
# LayerNorm's affine and the head were trained, on the class token's pre-norm features cached once (torch.no_grad,
# batches of 16). A subset of the digits kept the feature pass to minutes: the first DEIT_TRAIN train digits, scored on
# the first DEIT_TEST test digits. Its decisions were fragile (ORT kept its own top-1 on 70/100 under +-1/2 LSB input
# noise), which capped any integer implementation's agreement with ORT; train_deit_full below replaced it.
DEIT_TRAIN = 384
DEIT_TEST = 200
DEIT_STEPS = 600
DEIT_UNUSED_LOGIT_PENALTY = 0.01
# The first 16 train digits calibrate its ortqdq export (samples/Zoo ZooCatalog.DeitCalibrationSamples).
DEIT_CALIBRATION = 16


def deit_prenorm_features(model, x, batch=16):
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            h = model.patch_embed(x[i:i + batch]).flatten(2).transpose(1, 2)
            h = torch.cat((model.cls_token.expand(h.shape[0], -1, -1), h), dim=1)
            h = model.blocks(model.pos_drop(h + model.pos_embed))
            out.append(h[:, 0].clone())
    return torch.cat(out)


def deit_cached_features(model, data, split, count):
    path = os.path.join("/tmp", f"deit_tiny_prenorm_{split}_{count}.pt")
    if os.path.exists(path):
        return torch.load(path)
    x, y = data(split)
    f = (deit_prenorm_features(model, x[:count]), y[:count])
    torch.save(f, path)
    return f


def train_deit_probe(model, data):
    """Trains DeiT-Tiny's final LayerNorm affine and head on cached class-token features; returns the float test accuracy."""
    ftr, ytr = deit_cached_features(model, data, "train", DEIT_TRAIN)
    fte, yte = deit_cached_features(model, data, "test", DEIT_TEST)
    params = list(model.norm.parameters()) + list(model.head.parameters())
    opt = torch.optim.Adam(params, lr=1e-2)
    model.train()
    for _ in range(DEIT_STEPS):
        opt.zero_grad()
        out = model.head(model.norm(ftr))
        # The head keeps the script's 1,000 classes; a small L2 penalty holds the 990 unused logits near 0, so they do not
        # widen the output's quantization range (on a held-out split of the test features: median top-2 gap 13.6 -> 20.7
        # output LSB, accuracy unchanged).
        loss = F.cross_entropy(out, ytr) + DEIT_UNUSED_LOGIT_PENALTY * out[:, 10:].pow(2).mean()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        out = model.head(model.norm(fte))
        top2 = out.topk(2, dim=1).values
        gap = top2[:, 0] - top2[:, 1]
        print(f"  deit probe: train loss {float(loss):.4f}, train acc {float((model.head(model.norm(ftr)).argmax(1) == ytr).float().mean()):.4f}, "
              f"test acc {float((out.argmax(1) == yte).float().mean()):.4f}, logits range [{float(out.min()):.2f}, {float(out.max()):.2f}], "
              f"top-2 gap median {float(gap.median()):.3f} min {float(gap.min()):.4f}", flush=True)
        return float((out.argmax(1) == yte).float().mean())


# Since session 15 (2026-12-07) the committed fixture is trained whole, from its random init, on all train digits:
# Debian's torch calls the system BLAS for every Linear, and with OpenBLAS installed (apt: libopenblas0-pthread; it takes
# over libblas.so.3) and told the CPU family (OPENBLAS_CORETYPE=SkylakeX: OpenBLAS 0.3.21 does not know this Xeon and
# falls back to its Prescott kernels) one forward + backward of 16 images takes ~2 s on one thread instead of ~30 s with
# the reference BLAS. The trained weights are cached in /tmp (DEIT_FULL_CACHE) so that a re-run only exports.
DEIT_FULL_EPOCHS = 15
DEIT_FULL_BATCH = 32
DEIT_FULL_LR = 5e-4
DEIT_FULL_WARMUP = 40
DEIT_FULL_SHIFT = 24
DEIT_FULL_CACHE = os.path.join("/tmp", f"deit_tiny_trained_{DEIT_FULL_EPOCHS}.pt")
# Session 16 (2026-12-07): the 15-epoch weights trained DEIT_MORE_EPOCHS further (a second cosine cycle at a lower peak
# rate, its own seed): the test accuracy still rose at epoch 15, and the post-training quantizer's agreement with ORT float
# follows the logit margins. QUANTGEN_DEIT_MORE_EPOCHS=0 gives the 15-epoch fixture.
DEIT_MORE_EPOCHS = int(os.environ.get("QUANTGEN_DEIT_MORE_EPOCHS", "10"))
DEIT_MORE_LR = 2.5e-4
DEIT_MORE_WARMUP = 10
DEIT_MORE_CACHE = os.path.join("/tmp", f"deit_tiny_trained_{DEIT_FULL_EPOCHS}+{DEIT_MORE_EPOCHS}.pt")


def deit_shift(x, limit):
    """Each image moved by a random whole number of pixels in [-limit, limit] per axis, zero (the digits' background) filled."""
    out = torch.zeros_like(x)
    h, w = x.shape[2], x.shape[3]
    for i in range(len(x)):
        dy, dx = (int(v) for v in torch.randint(-limit, limit + 1, (2,)))
        ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
        xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
        out[i, :, yd, xd] = x[i, :, ys, xs]
    return out


def deit_accuracy(model, x, y, batch=50):
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])
    top2 = out[:, :10].topk(2, dim=1).values
    return float((out.argmax(1) == y).float().mean()), float((top2[:, 0] - top2[:, 1]).median())


def deit_train_epochs(model, x, y, xte, yte, epochs, lr, warmup, label):
    """AdamW with a linear warmup then one cosine cycle over `epochs` passes of random-shifted train digits."""
    steps = epochs * ((len(y) + DEIT_FULL_BATCH - 1) // DEIT_FULL_BATCH)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(t, steps) / steps)))
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        total, right, n = 0.0, 0, 0
        for xb, yb in batches(x, y, DEIT_FULL_BATCH):
            out = model(deit_shift(xb, DEIT_FULL_SHIFT))
            loss = F.cross_entropy(out, yb) + DEIT_UNUSED_LOGIT_PENALTY * out[:, 10:].pow(2).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += float(loss) * len(yb)
            right += int((out.argmax(1) == yb).sum())
            n += len(yb)
        acc, gap = deit_accuracy(model, xte[:DEIT_TEST], yte[:DEIT_TEST])
        print(f"  deit {label} epoch {epoch + 1}/{epochs}: train loss {total / n:.4f}, train acc {right / n:.4f}, "
              f"test acc (first {DEIT_TEST}) {acc:.4f}, top-2 gap median {gap:.3f}, {time.time() - t0:.0f} s", flush=True)


def train_deit_full(model, data):
    """DeiT-Tiny trained whole (AdamW, linear warmup then cosine, random shifts, the 990 unused logits held near 0 as in
    train_deit_probe), then DEIT_MORE_EPOCHS more at a lower rate; returns the float accuracy on the whole test split."""
    xte, yte = data("test")
    if DEIT_MORE_EPOCHS > 0 and os.path.exists(DEIT_MORE_CACHE):
        model.load_state_dict(torch.load(DEIT_MORE_CACHE))
    else:
        x, y = data("train")
        if os.path.exists(DEIT_FULL_CACHE):
            model.load_state_dict(torch.load(DEIT_FULL_CACHE))
        else:
            deit_train_epochs(model, x, y, xte, yte, DEIT_FULL_EPOCHS, DEIT_FULL_LR, DEIT_FULL_WARMUP, "first")
            torch.save(model.state_dict(), DEIT_FULL_CACHE)
        if DEIT_MORE_EPOCHS > 0:
            torch.manual_seed(1600)
            deit_train_epochs(model, x, y, xte, yte, DEIT_MORE_EPOCHS, DEIT_MORE_LR, DEIT_MORE_WARMUP, "more")
            torch.save(model.state_dict(), DEIT_MORE_CACHE)
    acc, gap = deit_accuracy(model, xte, yte)
    print(f"  deit trained: test acc {acc:.4f} on {len(yte)} digits, top-2 gap median {gap:.3f}", flush=True)
    return acc


# Tried on 2026-12-06 (issue 13, deitfix) and NOT used for the committed fixture: training part of the backbone through a
# TWIN of the module. Debian's torch 1.13 runs nn.Linear and matmul through a generic BLAS (a 1024^3 product at
# 3.9 GFLOP/s), but its convolutions through oneDNN (the same product as a 1x1 conv: 168 GFLOP/s, 2 threads), so the twin
# (the deit_twin_* functions below) runs every Linear as a 1x1 convolution and both attention products as grouped 1x1
# convolutions, sharing the very same Parameters (max |twin - module| 2.7e-6 on random inputs); an export would still be
# the original module. Measured at load average ~20-36: full fwd+bwd 4.0-4.8 s per image with conv1d / bmm, 2.0 s with
# conv2d everywhere (bmm alone: 17 s for 12 blocks of B=8), i.e. ~45 min per epoch of the 1,347 train digits: out of
# reach. Instead (QUANTGEN_DEIT_TRAIN_TAIL=1) blocks 0-7 stay random, their output for the first DEIT_TRAIN / DEIT_TEST
# digits is cached (584 images in ~6 min), and blocks 8-11 + norm + head are trained on it with Gaussian feature noise:
# AdamW lr 1e-3, batch 16, from the random head: test accuracy 8.5 % / 13.5 % after epochs 1 / 2 (344 s, 546 s);
# from a linear-probe head (300 full-batch steps, train 89.8 %), lr 3e-4: 26.0 % / 34.5 % after epochs 1 / 2 (the
# probe's head is undone by the moving features). Both far below the probe's 88.0 %, so the fixture was not replaced.
DEIT_TRAIN_FROM = 8
DEIT_EPOCHS = 2
DEIT_BATCH = 16
DEIT_LR = 3e-4
DEIT_FEATURE_NOISE = 0.05
DEIT_PROBE_STEPS = 300


def deit_twin_linear(x, lin):
    # nn.Linear on [B, C, N, 1] as a 1x1 conv over the tokens, with lin's own Parameters
    return F.conv2d(x, lin.weight[:, :, None, None], lin.bias)


def deit_twin_layer_norm(x, norm):
    return F.layer_norm(x.permute(0, 2, 3, 1), norm.normalized_shape, norm.weight, norm.bias, norm.eps).permute(0, 3, 1, 2)


def deit_twin_attention(q, k, v, scale):
    # q, k, v: [G, d, N] (G = batch x heads); scores and (softmax @ v) as grouped 1x1 convs, one group per G
    g, d, n = q.shape
    s = F.conv2d(k.reshape(1, g * d, n, 1), q.transpose(1, 2).reshape(g * n, d, 1, 1), groups=g)  # [1, G*Nq, Nk, 1]
    p = (s.reshape(g, n, n) * scale).softmax(-1)
    o = F.conv2d(p.transpose(1, 2).reshape(1, g * n, n, 1), v.reshape(g * d, n, 1, 1), groups=g)  # [1, G*d, Nq, 1]
    return o.reshape(g, d, n)


def deit_twin_block(blk, h):
    b, c, n, _ = h.shape
    heads = blk.attn.num_heads
    qkv = deit_twin_linear(deit_twin_layer_norm(h, blk.norm1), blk.attn.qkv).reshape(b, 3, c, n)
    o = deit_twin_attention(*(qkv[:, i].reshape(b * heads, c // heads, n) for i in range(3)), blk.attn.scale)
    h = h + deit_twin_linear(o.reshape(b, c, n, 1), blk.attn.proj)
    return h + deit_twin_linear(F.gelu(deit_twin_linear(deit_twin_layer_norm(h, blk.norm2), blk.mlp.fc1)), blk.mlp.fc2)


def deit_twin_embed(model, x):
    h = model.patch_embed(x).flatten(2)
    cls = model.cls_token.transpose(1, 2).expand(h.shape[0], -1, -1)
    return (torch.cat((cls, h), dim=2) + model.pos_embed.transpose(1, 2)).unsqueeze(-1)  # [B, 192, 197, 1]


def deit_twin_head(model, h):
    return model.head(deit_twin_layer_norm(h, model.norm)[:, :, 0, 0])


def deit_block_inputs(model, x, batch=16):
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            h = deit_twin_embed(model, x[i:i + batch])
            for blk in model.blocks[:DEIT_TRAIN_FROM]:
                h = deit_twin_block(blk, h)
            out.append(h.clone())
            print(f"  deit cache: {i + len(h)}/{len(x)}", flush=True)
    return torch.cat(out)


def deit_cached_inputs(model, data, split, count):
    path = os.path.join("/tmp", f"deit_tiny_block{DEIT_TRAIN_FROM}_{split}_{count}.pt")
    if os.path.exists(path):
        return torch.load(path)
    x, y = data(split)
    f = (deit_block_inputs(model, x[:count]), y[:count])
    torch.save(f, path)
    return f


def deit_twin_tail_features(model, h):
    for blk in model.blocks[DEIT_TRAIN_FROM:]:
        h = deit_twin_block(blk, h)
    return h[:, :, 0, 0]


def deit_twin_tail(model, h):
    for blk in model.blocks[DEIT_TRAIN_FROM:]:
        h = deit_twin_block(blk, h)
    return deit_twin_head(model, h)


def train_deit_tail(model, data):
    """The experiment above (QUANTGEN_DEIT_TRAIN_TAIL=1): a linear probe, then blocks from DEIT_TRAIN_FROM, the final
    LayerNorm and the head fine-tuned on cached block inputs; returns the float test accuracy (first DEIT_TEST test digits,
    through the original module). Not what made the committed fixture (train_deit_probe did)."""
    import time
    htr, ytr = deit_cached_inputs(model, data, "train", DEIT_TRAIN)
    hte, yte = deit_cached_inputs(model, data, "test", DEIT_TEST)
    # First the final LayerNorm affine and the head alone on the (random) tail's class-token features, full batch (a
    # linear probe: ~88 % test accuracy), so that fine-tuning starts from a head that already separates the digits.
    with torch.no_grad():
        ftr = torch.cat([deit_twin_tail_features(model, htr[i:i + 32]) for i in range(0, len(ytr), 32)])
    probe = torch.optim.Adam(list(model.norm.parameters()) + list(model.head.parameters()), lr=1e-2)
    for _ in range(DEIT_PROBE_STEPS):
        probe.zero_grad()
        out = model.head(F.layer_norm(ftr, model.norm.normalized_shape, model.norm.weight, model.norm.bias, model.norm.eps))
        (F.cross_entropy(out, ytr) + DEIT_UNUSED_LOGIT_PENALTY * out[:, 10:].pow(2).mean()).backward()
        probe.step()
    print(f"  deit probe: train acc {float((out.argmax(1) == ytr).float().mean()):.4f}", flush=True)
    params = [p for blk in model.blocks[DEIT_TRAIN_FROM:] for p in blk.parameters()]
    params += list(model.norm.parameters()) + list(model.head.parameters())
    opt = torch.optim.AdamW(params, lr=DEIT_LR, weight_decay=0.05)
    sigma = float(htr.std())
    g = torch.Generator().manual_seed(13)
    model.train()
    start = time.time()
    for epoch in range(DEIT_EPOCHS):
        perm = torch.randperm(len(ytr), generator=g)
        for i in range(0, len(ytr), DEIT_BATCH):
            idx = perm[i:i + DEIT_BATCH]
            h = htr[idx] + DEIT_FEATURE_NOISE * sigma * torch.randn(htr[idx].shape, generator=g)
            opt.zero_grad()
            out = deit_twin_tail(model, h)
            loss = F.cross_entropy(out, ytr[idx]) + DEIT_UNUSED_LOGIT_PENALTY * out[:, 10:].pow(2).mean()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            out = torch.cat([deit_twin_tail(model, hte[i:i + 50]) for i in range(0, len(yte), 50)])
        model.train()
        top2 = out.topk(2, dim=1).values
        print(f"  deit epoch {epoch}: loss {float(loss):.4f}, test acc {float((out.argmax(1) == yte).float().mean()):.4f}, "
              f"top-2 gap median {float((top2[:, 0] - top2[:, 1]).median()):.3f}, {time.time() - start:.0f} s", flush=True)
    model.eval()
    x, y = data("test")
    with torch.no_grad():
        out = torch.cat([model(x[i:i + 25]) for i in range(0, DEIT_TEST, 25)])
    top2 = out.topk(2, dim=1).values
    acc = float((out.argmax(1) == y[:DEIT_TEST]).float().mean())
    print(f"  deit (original module) test acc {acc:.4f}, logits range [{float(out.min()):.2f}, {float(out.max()):.2f}], "
          f"top-2 gap median {float((top2[:, 0] - top2[:, 1]).median()):.3f} min {float((top2[:, 0] - top2[:, 1]).min()):.4f}", flush=True)
    torch.save(model.state_dict(), "/tmp/deit_tiny_trained.pt")
    return acc


def score(name, model, data):
    if data is None:
        return None
    x, y = data("test")
    with torch.no_grad():
        out = call(model, x)
    if name == "ad_autoencoder":
        return float(F.mse_loss(out, y))
    return float((out.argmax(1) == y).float().mean())


# ------------------------------------------------------------------------------------------------
# Exports
# ------------------------------------------------------------------------------------------------

def export(model, name, path, inputs, opset):
    torch.onnx.export(model, inputs, path, opset_version=opset, do_constant_folding=True,
                      input_names=INPUT_NAMES.get(name, ["input"]), output_names=["output"])


def qat_qconfig_mapping():
    # torch's default QAT mapping (get_default_qat_qconfig_mapping) uses FusedMovingAvgObsFakeQuantize, which torch 1.13
    # cannot export ("aten::fused_moving_avg_obs_fake_quant ... not supported"), and fbgemm's activations use
    # reduce_range [0, 127]. Users targeting ONNX swap in plain FakeQuantize: uint8 activations over [0, 255], int8
    # symmetric per-channel weights. Softmax, Sigmoid, Tanh keep the default mapping's fixed-qparams fake quants.
    from torch.ao.quantization import FakeQuantize, FusedMovingAvgObsFakeQuantize, MovingAverageMinMaxObserver, QConfig, default_per_channel_weight_fake_quant, get_default_qat_qconfig_mapping
    act = FakeQuantize.with_args(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255, dtype=torch.quint8, reduce_range=False)
    mine = QConfig(activation=act, weight=default_per_channel_weight_fake_quant)
    mapping = get_default_qat_qconfig_mapping("qnnpack").set_global(mine)
    for k, v in list(mapping.object_type_qconfigs.items()):
        if v is not None and getattr(v.activation, "p", None) is not None and v.activation.p.func is FusedMovingAvgObsFakeQuantize:
            mapping.set_object_type(k, mine)
    return mapping


def prepare_qat(name, model, data, inputs):
    from torch.ao.quantization.quantize_fx import prepare_qat_fx
    model.train()
    prepared = prepare_qat_fx(model, qat_qconfig_mapping(), example_inputs=inputs)
    # A few QAT steps (or observer passes for untrained models), then freeze the observers and BN statistics.
    if data is not None:
        x, y = data("train")
        opt = torch.optim.SGD(prepared.parameters(), lr=1e-4)
        for i, (xb, yb) in enumerate(batches(x, y, 32)):
            if i >= 20:
                break
            opt.zero_grad()
            out = call(prepared, xb)
            loss = F.nll_loss(torch.log(out + 1e-9), yb) if name == "jet_tagger" else loss_of(name, out, yb)
            loss.backward()
            opt.step()
    else:
        with torch.no_grad():
            for _ in range(2):
                call(prepared, tuple(torch.randn(*t.shape) for t in inputs))
    prepared.apply(torch.ao.quantization.disable_observer)
    prepared.eval()
    return prepared


# ------------------------------------------------------------------------------------------------
# A small ONNX evaluator (torch kernels) for calibration and pre-processing of the ORT-style QDQ path
# ------------------------------------------------------------------------------------------------

ONNX_TO_TORCH = {TensorProto.FLOAT: torch.float32, TensorProto.INT64: torch.int64, TensorProto.INT32: torch.int32,
                 TensorProto.BOOL: torch.bool, TensorProto.DOUBLE: torch.float64}


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def axes_arg(node, vals, a, idx):
    if "axes" in a:
        return list(a["axes"])
    if len(node.input) > idx and node.input[idx]:
        return [int(v) for v in vals[node.input[idx]].tolist()]
    return None


def run_node(node, vals):
    op, a = node.op_type, attrs(node)
    x = [vals[i] if i else None for i in node.input]
    if op == "Constant":
        return [torch.from_numpy(numpy_helper.to_array(a["value"]).copy())]
    if op in ("Identity", "Dropout"):
        return [x[0]]
    if op == "Add":
        return [x[0] + x[1]]
    if op == "Sub":
        return [x[0] - x[1]]
    if op == "Mul":
        return [x[0] * x[1]]
    if op == "Div":
        return [x[0] / x[1] if x[0].is_floating_point() else torch.div(x[0], x[1], rounding_mode="trunc")]
    if op == "Pow":
        return [torch.pow(x[0], x[1])]
    if op == "Sqrt":
        return [torch.sqrt(x[0])]
    if op == "Erf":
        return [torch.erf(x[0])]
    if op == "Tanh":
        return [torch.tanh(x[0])]
    if op == "Relu":
        return [torch.relu(x[0])]
    if op == "Equal":
        return [x[0] == x[1]]
    if op == "Where":
        return [torch.where(x[0], x[1], x[2])]
    if op == "Cast":
        return [x[0].to(ONNX_TO_TORCH[a["to"]])]
    if op == "Shape":
        return [torch.tensor(list(x[0].shape), dtype=torch.int64)]
    if op == "ConstantOfShape":
        v = torch.from_numpy(numpy_helper.to_array(a["value"]).copy()) if "value" in a else torch.zeros(1)
        return [v.reshape(()).expand(*x[0].tolist()).clone()]
    if op == "Gather":
        ax = a.get("axis", 0)
        idx = x[1]
        if idx.dim() == 0:
            return [x[0].select(ax, int(idx) % x[0].shape[ax])]
        return [torch.index_select(x[0], ax, (idx % x[0].shape[ax]).reshape(-1)).reshape(
            list(x[0].shape[:ax]) + list(idx.shape) + list(x[0].shape[ax + 1:]))]
    if op == "Unsqueeze":
        r = x[0]
        ax = sorted(v % (r.dim() + len(axes_arg(node, vals, a, 1))) for v in axes_arg(node, vals, a, 1))
        for v in ax:
            r = r.unsqueeze(v)
        return [r]
    if op == "Squeeze":
        ax = axes_arg(node, vals, a, 1)
        r = x[0]
        if ax is None:
            return [r.squeeze()]
        for v in sorted((v % r.dim() for v in ax), reverse=True):
            r = r.squeeze(v)
        return [r]
    if op == "Concat":
        return [torch.cat([t for t in x], dim=a["axis"])]
    if op == "Slice":
        starts, ends = x[1].tolist(), x[2].tolist()
        axes = x[3].tolist() if len(x) > 3 and x[3] is not None else list(range(len(starts)))
        steps = x[4].tolist() if len(x) > 4 and x[4] is not None else [1] * len(starts)
        r = x[0]
        for s, e, ax, st in zip(starts, ends, axes, steps):
            n = r.shape[ax]
            s = max(0, min(n, s + n if s < 0 else s))
            e = max(0, min(n, e + n if e < 0 else e))
            r = r.narrow(ax, s, max(0, e - s))[::st] if ax == 0 else r.narrow(ax, s, max(0, e - s))
            if st != 1 and ax != 0:
                r = r.index_select(ax, torch.arange(0, r.shape[ax], st))
        return [r]
    if op == "Expand":
        shape = x[1].tolist()
        return [x[0] * torch.ones(shape, dtype=x[0].dtype) if x[0].dtype != torch.bool else x[0].expand(*shape)]
    if op == "Reshape":
        shape = [int(v) for v in x[1].tolist()]
        shape = [x[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return [x[0].reshape(shape)]
    if op == "Flatten":
        ax = a.get("axis", 1)
        return [x[0].reshape(int(np.prod(x[0].shape[:ax])), -1)]
    if op == "Transpose":
        return [x[0].permute(*a["perm"])]
    if op == "Split":
        ax = a.get("axis", 0)
        sizes = x[1].tolist() if len(x) > 1 and x[1] is not None else a.get("split")
        if sizes is None:
            sizes = [x[0].shape[ax] // len(node.output)] * len(node.output)
        return list(torch.split(x[0], sizes, dim=ax))
    if op == "MatMul":
        return [torch.matmul(x[0], x[1])]
    if op == "Gemm":
        A = x[0].t() if a.get("transA", 0) else x[0]
        B = x[1].t() if a.get("transB", 0) else x[1]
        r = a.get("alpha", 1.0) * (A @ B)
        return [r + a.get("beta", 1.0) * x[2] if len(x) > 2 and x[2] is not None else r]
    if op == "Conv":
        p = a.get("pads", [0, 0, 0, 0])
        xin = F.pad(x[0], (p[1], p[3], p[0], p[2]))
        return [F.conv2d(xin, x[1], x[2] if len(x) > 2 else None, a.get("strides", [1, 1]), 0, 1, a.get("group", 1))]
    if op == "BatchNormalization":
        return [F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, a.get("epsilon", 1e-5))]
    if op == "Softmax":
        return [torch.softmax(x[0], a.get("axis", -1))]
    if op == "LayerNormalization":
        ax = a.get("axis", -1)
        return [F.layer_norm(x[0], x[0].shape[ax:], x[1], x[2] if len(x) > 2 else None, a.get("epsilon", 1e-5))]
    if op == "ReduceMean":
        ax = axes_arg(node, vals, a, 1)
        return [x[0].mean(dim=ax, keepdim=bool(a.get("keepdims", 1)))]
    if op == "Pad":
        p = x[1].tolist()
        h = len(p) // 2
        tp = []
        for i in reversed(range(h)):
            tp += [p[i], p[i + h]]
        return [F.pad(x[0], tp, value=float(x[2]) if len(x) > 2 and x[2] is not None else 0.0)]
    if op == "AveragePool":
        p = a.get("pads", [0, 0, 0, 0])
        if any(p):
            xin = F.pad(x[0], (p[1], p[3], p[0], p[2]))
            if a.get("count_include_pad", 0):
                return [F.avg_pool2d(xin, a["kernel_shape"], a.get("strides", a["kernel_shape"]), ceil_mode=bool(a.get("ceil_mode", 0)))]
            raise NotImplementedError("AveragePool with pads and count_include_pad=0")
        return [F.avg_pool2d(x[0], a["kernel_shape"], a.get("strides", [1, 1]), ceil_mode=bool(a.get("ceil_mode", 0)))]
    if op == "GlobalAveragePool":
        return [x[0].mean(dim=(2, 3), keepdim=True)]
    if op == "MaxPool":
        p = a.get("pads", [0, 0, 0, 0])
        return [F.max_pool2d(F.pad(x[0], (p[1], p[3], p[0], p[2]), value=-1e30), a["kernel_shape"], a.get("strides", [1, 1]))]
    if op == "Clip":
        lo = float(x[1]) if len(x) > 1 and x[1] is not None else None
        hi = float(x[2]) if len(x) > 2 and x[2] is not None else None
        return [torch.clamp(x[0], lo, hi)]
    if op == "Range":
        return [torch.arange(x[0].item(), x[1].item(), x[2].item(), dtype=x[0].dtype)]
    raise NotImplementedError(op)


def evaluate(graph, feeds, keep_all=True):
    vals = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    vals.update(feeds)
    for n in graph.node:
        for o, v in zip(n.output, run_node(n, vals)):
            vals[o] = v
    return vals


def preprocess(model, feeds):
    """quant_pre_process's effect on a float model: static values folded into initializers, BN folded into Conv/Gemm."""
    g = model.graph
    vals = evaluate(g, feeds)
    const = {t.name for t in g.initializer}
    nodes = []
    for n in g.node:
        if n.op_type == "Shape" or n.op_type == "Constant" or (all(i in const or not i for i in n.input) and n.op_type not in ("Dropout",)):
            const.update(n.output)
        else:
            nodes.append(n)
    used = {i for n in nodes for i in n.input}
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for name in used:
        if name in const and name not in inits:
            inits[name] = vals[name].numpy()
    # Fold BatchNormalization into the Conv/Gemm that feeds it alone.
    producer = {o: n for n in nodes for o in n.output}
    count = {}
    for n in nodes:
        for i in n.input:
            count[i] = count.get(i, 0) + 1
    out_nodes = []
    dropped = set()
    renamed = {}
    for n in nodes:
        if n.op_type == "BatchNormalization" and n.input[0] in producer and count.get(n.input[0]) == 1 and producer[n.input[0]].op_type in ("Conv", "Gemm"):
            p = producer[n.input[0]]
            gamma, beta, mean, var = (inits[i].astype(np.float64) for i in n.input[1:5])
            eps = attrs(n).get("epsilon", 1e-5)
            f = gamma / np.sqrt(var + eps)
            w = inits[p.input[1]].astype(np.float64)
            transposed = p.op_type == "Gemm" and not attrs(p).get("transB", 0)
            w = w * (f[None, :] if transposed else f.reshape([-1] + [1] * (w.ndim - 1)))
            b = inits[p.input[2]].astype(np.float64) if len(p.input) > 2 and p.input[2] else np.zeros(len(f))
            inits[p.input[1]] = w.astype(np.float32)
            bname = p.input[2] if len(p.input) > 2 and p.input[2] else p.input[1] + "_bias"
            inits[bname] = ((b - mean) * f + beta).astype(np.float32)
            if len(p.input) < 3:
                p.input.append(bname)
            renamed[n.output[0]] = p.output[0]
            continue
        out_nodes.append(n)
    for n in out_nodes:
        for k, i in enumerate(n.input):
            if i in renamed:
                n.input[k] = renamed[i]
    outs = [renamed.get(o.name, o.name) for o in g.output]
    for o, name in zip(g.output, outs):
        o.name = name
    used = {i for n in out_nodes for i in n.input}
    new_inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items() if k in used]
    del g.node[:]
    g.node.extend(out_nodes)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    del g.value_info[:]
    return model


QUANT_OPS = {"Conv", "Gemm", "MatMul", "Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool", "MaxPool", "Softmax",
             "Gather", "Split", "Slice", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze"}
SAME_SCALE = {"MaxPool", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Gather", "Slice", "Split"}


def ort_qdq(float_model, calib_feeds):
    """ORT quantize_static(QuantFormat.QDQ, per_channel=True, uint8 activations, int8 weights) written by hand."""
    m = onnx.ModelProto()
    m.CopyFrom(float_model)
    m = preprocess(m, calib_feeds[0])
    g = m.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    # min/max over the calibration batch (ORT's MinMax calibrator), range widened to include 0.
    lo, hi = {}, {}
    for feeds in calib_feeds:
        vals = evaluate(g, feeds)
        for k, v in vals.items():
            if k in inits or not v.is_floating_point():
                continue
            lo[k] = min(lo.get(k, 0.0), float(v.min()))
            hi[k] = max(hi.get(k, 0.0), float(v.max()))
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    graph_out = {o.name for o in g.output}
    float_inputs = {i.name for i in g.input if i.type.tensor_type.elem_type == TensorProto.FLOAT}

    def wants_qdq(t):
        if t in inits or t not in lo:
            return False
        cs = consumers.get(t, [])
        if any(c.op_type in QUANT_OPS for c in cs) or t in float_inputs:
            return True
        p = producer.get(t)
        # Outputs of quantized ops get their own QDQ unless only a Relu follows (ORT drops the pair and the Relu).
        return p is not None and p.op_type in QUANT_OPS and not (cs and all(c.op_type == "Relu" for c in cs))

    params = {}

    def act_params(t):
        if t in params:
            return params[t]
        p = producer.get(t)
        if p is not None and p.op_type in SAME_SCALE and p.input[0] in params:
            params[t] = params[p.input[0]]
            return params[t]
        a, b = lo[t], hi[t]
        s = (b - a) / 255.0 if b > a else 1.0
        zp = int(np.clip(round(-a / s), 0, 255))
        params[t] = (np.float32(s), np.uint8(zp))
        return params[t]

    new_nodes = []
    extra_inits = []
    rename = {}
    qdq_done = set()

    def add_qdq(t):
        if t in qdq_done:
            return
        qdq_done.add(t)
        s, zp = act_params(t)
        extra_inits.append(numpy_helper.from_array(np.array(s, dtype=np.float32), t + "_scale"))
        extra_inits.append(numpy_helper.from_array(np.array(zp, dtype=np.uint8), t + "_zero_point"))
        new_nodes.append(helper.make_node("QuantizeLinear", [t, t + "_scale", t + "_zero_point"], [t + "_QuantizeLinear_Output"], name=t + "_QuantizeLinear"))
        new_nodes.append(helper.make_node("DequantizeLinear", [t + "_QuantizeLinear_Output", t + "_scale", t + "_zero_point"], [t + "_DequantizeLinear_Output"], name=t + "_DequantizeLinear"))
        rename[t] = t + "_DequantizeLinear_Output"

    quantized_w = {}

    def weight(name, axis):
        if name in quantized_w:
            return quantized_w[name]
        w = inits[name].astype(np.float64)
        red = tuple(i for i in range(w.ndim) if i != axis)
        amax = np.maximum(np.abs(w).max(axis=red), 1e-8)
        s = (amax / 127.0).astype(np.float32)
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.clip(np.round(w / s.reshape(shape)), -127, 127).astype(np.int8)
        extra_inits.append(numpy_helper.from_array(q, name + "_quantized"))
        extra_inits.append(numpy_helper.from_array(s, name + "_scale"))
        extra_inits.append(numpy_helper.from_array(np.zeros(len(s), dtype=np.int8), name + "_zero_point"))
        new_nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"], [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear", axis=axis))
        quantized_w[name] = (name + "_DequantizeLinear_Output", s)
        return quantized_w[name]

    def bias(name, in_scale, w_scale):
        b = inits[name].astype(np.float64)
        s = (np.float32(in_scale) * w_scale).astype(np.float32)
        q = np.round(b / s).astype(np.int32)
        extra_inits.append(numpy_helper.from_array(q, name + "_quantized"))
        extra_inits.append(numpy_helper.from_array(s, name + "_quantized_scale"))
        extra_inits.append(numpy_helper.from_array(np.zeros(len(s), dtype=np.int32), name + "_quantized_zero_point"))
        new_nodes.append(helper.make_node("DequantizeLinear", [name + "_quantized", name + "_quantized_scale", name + "_quantized_zero_point"], [name + "_DequantizeLinear_Output"], name=name + "_DequantizeLinear", axis=0))
        return name + "_DequantizeLinear_Output"

    for t in list(float_inputs):
        add_qdq(t)
    for n in g.node:
        ins = list(n.input)
        for k, t in enumerate(ins):
            if t and wants_qdq(t) and n.op_type in QUANT_OPS:
                add_qdq(t)
        if n.op_type in ("Conv", "Gemm") or (n.op_type == "MatMul" and n.input[1] in inits):
            axis = 1 if n.op_type == "MatMul" or (n.op_type == "Gemm" and not attrs(n).get("transB", 0)) else 0
            wq, ws = weight(ins[1], axis)
            in_s = params[ins[0]][0] if ins[0] in params else None
            ins = [rename.get(ins[0], ins[0]), wq] + ins[2:]
            if len(ins) > 2 and ins[2] and ins[2] in inits and in_s is not None:
                ins[2] = bias(ins[2], in_s, ws)
        else:
            ins = [rename.get(t, t) if t not in inits else t for t in ins]
        n2 = onnx.NodeProto()
        n2.CopyFrom(n)
        del n2.input[:]
        n2.input.extend(ins)
        new_nodes.append(n2)
        for o in n.output:
            if wants_qdq(o) or o in graph_out:
                add_qdq(o)
    # Graph outputs read the last DequantizeLinear.
    for o in g.output:
        if o.name in rename:
            for nn_ in new_nodes:
                for k, i in enumerate(nn_.output):
                    if i == rename[o.name]:
                        nn_.output[k] = o.name + "_dq_out"
            rename_out = o.name + "_dq_out"
            for nn_ in new_nodes:
                for k, i in enumerate(nn_.input):
                    if i == rename[o.name]:
                        nn_.input[k] = rename_out
            o.name = rename_out
    used = {i for n in new_nodes for i in n.input}
    keep = [t for t in g.initializer if t.name in used]
    del g.node[:]
    g.node.extend(new_nodes)
    del g.initializer[:]
    g.initializer.extend(keep + [t for t in extra_inits if t.name in used])
    m.producer_name = "make_zoo.py (onnxruntime quantize_static-style QDQ, written with onnx.helper)"
    onnx.checker.check_model(m)
    return m


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------

# Files kept in the repository (<= ~30 MB together); the others are written, examined and deleted. DeiT-Tiny's float13 and
# float17 files (moved to /tmp) are committed as skeletons by make_deit_skeleton.py, run after this script: torch's graphs
# with the weights taken from deit_tiny_ortqdq.onnx (QuantGen.Onnx.OnnxSkeleton writes them in full at test time).
TOO_LARGE = {"deit_tiny": {"float13", "float17", "qat", "convert"}}


def calib_feeds(name, data, inputs, count=32):
    if data is None:
        g = torch.Generator().manual_seed(5)
        return [{("input"): torch.randn(*inputs[0].shape, generator=g)} for _ in range(4)]
    x, _ = data("train")
    names = INPUT_NAMES.get(name, ["input"])
    if isinstance(x, tuple):
        return [{names[k]: x[k][i:i + 1] for k in range(len(x))} for i in range(count)]
    return [{"input": x[i:i + 1]} for i in range(count)]


def main(only=None):
    os.makedirs(OUT, exist_ok=True)
    results = {}
    results_path = os.path.join(OUT, "results.json")
    if os.path.exists(results_path):
        with open(results_path) as f:
            results = json.load(f)
    for idx, (name, ctor, shapes, data, epochs, lr, what) in enumerate(ZOO):
        if only and name not in only:
            continue
        seed(100 + idx)
        model = ctor()
        train(name, model, data, epochs, lr)
        model.eval()
        deit_train = {"1": train_deit_tail, "probe": train_deit_probe}.get(os.environ.get("QUANTGEN_DEIT_TRAIN_TAIL", ""), train_deit_full)
        deit_score = deit_train(model, data) if name == "deit_tiny" else None
        inputs = example_inputs(name, shapes)
        r = {"params": sum(p.numel() for p in model.parameters()), "score": deit_score if name == "deit_tiny" else score(name, model, data), "score_is": what, "exports": {}}
        print(f"{name}: {r['params']} parameters, {what}: {r['score']}", flush=True)

        def attempt(path_kind, fn):
            path = os.path.join(OUT, f"{name}_{path_kind}.onnx")
            try:
                fn(path)
                size = os.path.getsize(path)
                kept = path_kind not in TOO_LARGE.get(name, ())
                r["exports"][path_kind] = {"file": os.path.basename(path), "bytes": size, "committed": kept}
                if not kept:
                    # Examined by the importer survey from a temporary copy, then not kept in the repository.
                    os.replace(path, os.path.join("/tmp", os.path.basename(path)))
                print(f"  {path_kind}: {size} bytes{'' if kept else ' (not committed: /tmp)'}", flush=True)
            except Exception as e:  # a torch export that torch itself cannot produce: noted, not hidden
                msg = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"
                r["exports"][path_kind] = {"error": msg[:400]}
                print(f"  {path_kind}: FAILED {msg[:300]}", flush=True)
                traceback.print_exc(limit=3, file=sys.stdout)
                if os.path.exists(path):
                    os.remove(path)

        attempt("float13", lambda p: export(model, name, p, inputs, 13))
        attempt("float17", lambda p: export(model, name, p, inputs, 17))
        seed(200 + idx)
        prepared = {}

        def qat(p):
            prepared["m"] = prepare_qat(name, ctor_copy(model, ctor), data, inputs)
            export(prepared["m"], name, p, inputs, 13)

        def convert(p):
            from torch.ao.quantization.quantize_fx import convert_fx
            if "m" not in prepared:
                raise RuntimeError("no prepared QAT model (prepare_qat_fx failed)")
            q = convert_fx(prepared["m"])
            export(q, name, p, inputs, 13)

        attempt("qat", qat)
        attempt("convert", convert)

        def ortqdq(p):
            src = os.path.join(OUT, f"{name}_float17.onnx")
            if not os.path.exists(src):
                src = os.path.join("/tmp", f"{name}_float17.onnx")
            fm = onnx.load(src)
            onnx.save(ort_qdq(fm, calib_feeds(name, data, inputs, DEIT_CALIBRATION if name == "deit_tiny" else 32)), p)

        attempt("ortqdq", ortqdq)
        results[name] = r
        with open(results_path, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)


def ctor_copy(model, ctor):
    m = ctor()
    m.load_state_dict(model.state_dict())
    return m


if __name__ == "__main__":
    main(set(sys.argv[1:]) or None)
