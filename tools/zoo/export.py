#!/usr/bin/python3
"""Exports cort's model zoo to ONNX: torchvision CNNs plus small hand-written transformer, RNN and UNet
models, all with random (seeded) weights, batch 1 and fixed shapes.

Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14):
    /usr/bin/python3 tools/zoo/export.py [--out DIR] [--only NAME[,NAME...]] [--list]

Writes DIR/NAME.onnx and prints one line per model: name, inputs and how make_tests should feed them.
The weights are random, so outputs mean nothing; the point is to compare cort with ONNX Runtime on the
same graphs and inputs. BatchNorm statistics are randomised too, so folded or not they are not identity.
"""
import argparse
import math
import os
import sys
import time

import torch
from torch import nn
import torchvision

OPSET = 17
SEED = 1234


def randomise_batchnorm(model, example):
    """Default BatchNorm parameters (mean 0, var 1, weight 1, bias 0) hide mistakes, and statistics that
    do not fit the activations let deep nets' outputs grow to hundreds, where a fixed tolerance means
    little. So: random scales and shifts, and running statistics measured on a random batch, as a
    trained net's would be (activations stay near unit scale)."""
    g = torch.Generator().manual_seed(SEED + 1)
    norms = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))]
    if not norms:
        return model.eval()
    for m in norms:
        with torch.no_grad():
            if m.affine:
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)
        m.reset_running_stats()
        m.momentum = None  # a plain average over the calibration pass
    model.train()
    with torch.no_grad():
        model(torch.cat([example, torch.randn_like(example)]))
    model.eval()
    return model


def vision(ctor):
    def build():
        x = torch.randn(1, 3, 224, 224)
        return randomise_batchnorm(ctor(weights=None), x), (x,), ["input"], ["output"]
    return build


def vit():
    model, args, inputs, outputs = vision(torchvision.models.vit_b_16)()
    # torchvision zero-initialises the classifier, which would make every output 0
    nn.init.normal_(model.heads.head.weight, std=0.05)
    return model, args, inputs, outputs


# ---- BERT-base-like encoder: embeddings + 12 post-LayerNorm blocks with GELU, as in BERT.

class SelfAttention(nn.Module):
    def __init__(self, hidden, heads, causal=False, max_len=128):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.causal = causal
        if causal:
            self.register_buffer("mask", torch.tril(torch.ones(max_len, max_len, dtype=torch.bool)))

    def forward(self, x):
        b, s, h = x.shape
        q, k, v = self.qkv(x).split(h, dim=2)
        q = q.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = k.reshape(b, s, self.heads, self.head_dim).permute(0, 2, 3, 1)
        v = v.reshape(b, s, self.heads, self.head_dim).transpose(1, 2)
        scores = torch.matmul(q, k) / math.sqrt(self.head_dim)
        if self.causal:
            scores = torch.where(self.mask[:s, :s], scores, torch.tensor(-1e4))
        ctx = torch.matmul(scores.softmax(dim=-1), v)
        return self.proj(ctx.transpose(1, 2).reshape(b, s, h))


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.attn = SelfAttention(hidden, heads)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ff1 = nn.Linear(hidden, ffn)
        self.ff2 = nn.Linear(ffn, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)

    def forward(self, x):
        x = self.ln1(x + self.attn(x))
        return self.ln2(x + self.ff2(nn.functional.gelu(self.ff1(x))))


class Bert(nn.Module):
    def __init__(self, vocab=30522, hidden=768, layers=12, heads=12, ffn=3072, max_pos=512, seq=128):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([BertLayer(hidden, heads, ffn) for _ in range(layers)])
        self.register_buffer("positions", torch.arange(seq).unsqueeze(0))

    def forward(self, input_ids):
        s = input_ids.shape[1]
        x = self.word(input_ids) + self.pos(self.positions[:, :s]) + self.token_type.weight[0]
        x = self.ln(x)
        for layer in self.layers:
            x = layer(x)
        return x


# ---- GPT-2-like causal decoder: pre-LayerNorm blocks, tanh-approximated GELU, tied LM head.

class GptBlock(nn.Module):
    def __init__(self, hidden, heads, seq):
        super().__init__()
        self.ln1 = nn.LayerNorm(hidden)
        self.attn = SelfAttention(hidden, heads, causal=True, max_len=seq)
        self.ln2 = nn.LayerNorm(hidden)
        self.fc = nn.Linear(hidden, 4 * hidden)
        self.out = nn.Linear(4 * hidden, hidden)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.out(nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt2(nn.Module):
    def __init__(self, vocab=50257, hidden=768, layers=4, heads=12, seq=128):
        super().__init__()
        self.wte = nn.Embedding(vocab, hidden)
        self.wpe = nn.Embedding(1024, hidden)
        self.blocks = nn.ModuleList([GptBlock(hidden, heads, seq) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(hidden)
        self.register_buffer("positions", torch.arange(seq).unsqueeze(0))
        # GPT-2's own initialisation: with N(0, 1) embeddings the tied head's logits reach hundreds
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)

    def forward(self, input_ids):
        s = input_ids.shape[1]
        x = self.wte(input_ids) + self.wpe(self.positions[:, :s])
        for block in self.blocks:
            x = block(x)
        return torch.matmul(self.ln_f(x), self.wte.weight.t())


def token_model(ctor, vocab):
    def build():
        ids = torch.randint(0, 1000, (1, 128), dtype=torch.int64)
        return ctor(vocab=vocab), (ids,), ["input_ids"], ["output"]
    return build


# ---- recurrent models: sequence-first layout, which is ONNX's own.

def recurrent(cls):
    def build():
        return cls(input_size=128, hidden_size=256, num_layers=2), (torch.randn(64, 1, 128),), \
            ["input"], (["output", "h_n", "c_n"] if cls is nn.LSTM else ["output", "h_n"])
    return build


# ---- UNet-like segmentation net: ConvTranspose on two decoder levels, Resize (nn.Upsample) on the others.

def double_conv(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, base=32, classes=2):
        super().__init__()
        ch = [base, base * 2, base * 4, base * 8, base * 16]
        self.down = nn.ModuleList([double_conv(3, ch[0])] + [double_conv(ch[i], ch[i + 1]) for i in range(4)])
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList([
            nn.ConvTranspose2d(ch[4], ch[3], 2, stride=2),
            nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                          nn.Conv2d(ch[3], ch[2], 1)),
            nn.ConvTranspose2d(ch[2], ch[1], 2, stride=2),
            nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ch[1], ch[0], 1)),
        ])
        self.merge = nn.ModuleList([double_conv(ch[i] * 2, ch[i]) for i in (3, 2, 1, 0)])
        self.head = nn.Conv2d(ch[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for up, merge in zip(self.up, self.merge):
            x = merge(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


def unet():
    x = torch.randn(1, 3, 256, 256)
    return randomise_batchnorm(UNet(), x), (x,), ["input"], ["output"]


# ---- YOLOv3-tiny's layout (darknet's yolov3-tiny.cfg): conv-BN-LeakyReLU, max pools (one of stride 1
# after padding), an upsampled route and two 1x1 detection heads; the boxes are not decoded.

def conv_bn_leaky(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.1))


class YoloTiny(nn.Module):
    def __init__(self, classes=80):
        super().__init__()
        heads = 3 * (5 + classes)
        layers, cin = [], 3
        for cout in (16, 32, 64, 128):
            layers += [conv_bn_leaky(cin, cout, 3), nn.MaxPool2d(2, 2)]
            cin = cout
        self.stem = nn.Sequential(*layers)
        self.route = conv_bn_leaky(128, 256, 3)
        self.deep = nn.Sequential(nn.MaxPool2d(2, 2), conv_bn_leaky(256, 512, 3), nn.ZeroPad2d((0, 1, 0, 1)),
                                  nn.MaxPool2d(2, 1), conv_bn_leaky(512, 1024, 3), conv_bn_leaky(1024, 256, 1))
        self.head1 = nn.Sequential(conv_bn_leaky(256, 512, 3), nn.Conv2d(512, heads, 1))
        self.lateral = nn.Sequential(conv_bn_leaky(256, 128, 1), nn.Upsample(scale_factor=2, mode="nearest"))
        self.head2 = nn.Sequential(conv_bn_leaky(384, 256, 3), nn.Conv2d(256, heads, 1))

    def forward(self, x):
        skip = self.route(self.stem(x))
        deep = self.deep(skip)
        return self.head1(deep), self.head2(torch.cat([self.lateral(deep), skip], dim=1))


def yolo_tiny():
    x = torch.randn(1, 3, 416, 416)
    return randomise_batchnorm(YoloTiny(), x), (x,), ["input"], ["boxes_13", "boxes_26"]


# name -> (builder, extra options for make_tests' maketest.js)
MODELS = {
    "resnet50": (vision(torchvision.models.resnet50), ""),
    "resnet18": (vision(torchvision.models.resnet18), ""),
    "mobilenet_v2": (vision(torchvision.models.mobilenet_v2), ""),
    "mobilenet_v3_small": (vision(torchvision.models.mobilenet_v3_small), ""),
    "squeezenet1_1": (vision(torchvision.models.squeezenet1_1), ""),
    "shufflenet_v2_x1_0": (vision(torchvision.models.shufflenet_v2_x1_0), ""),
    "efficientnet_b0": (vision(torchvision.models.efficientnet_b0), ""),
    "densenet121": (vision(torchvision.models.densenet121), ""),
    "bert_base": (token_model(Bert, 30522), "--int-range input_ids=0:1000"),
    "gpt2_4l": (token_model(Gpt2, 50257), "--int-range input_ids=0:1000"),
    "lstm": (recurrent(nn.LSTM), ""),
    "gru": (recurrent(nn.GRU), ""),
    "unet_small": (unet, ""),
    # ONNX Runtime 1.30's optimizer folds the zero Pad before the stride-1 MaxPool into the pool's own
    # padding, which pads with -inf, not 0: its outputs then differ from PyTorch's by ~1e-3 at the
    # borders. The unoptimised graph matches PyTorch.
    "yolo_tiny": (yolo_tiny, "--opt disabled"),
    "vit_b_16": (vit, ""),
}


def export(name, out_dir):
    torch.manual_seed(SEED)
    builder, _ = MODELS[name]
    model, args, inputs, outputs = builder()
    model.eval()
    path = os.path.join(out_dir, name + ".onnx")
    tmp = path + ".tmp"
    t0 = time.time()
    # Not under torch.no_grad(): there nn.MultiheadAttention (vit_b_16) takes a fused fast path that
    # has no ONNX export.
    torch.onnx.export(model, args, tmp, opset_version=OPSET, input_names=inputs, output_names=outputs,
                      do_constant_folding=True)
    os.replace(tmp, path)
    print(f"{name}: {path} ({os.path.getsize(path) / 1e6:.1f} MB, {time.time() - t0:.1f} s)", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out", "models"))
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--list", action="store_true", help="print 'name<TAB>maketest options' lines and exit")
    a = ap.parse_args()
    if a.list:
        for name, (_, opts) in MODELS.items():
            print(f"{name}\t{opts}")
        return 0
    names = a.only.split(",") if a.only else list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s): {', '.join(unknown)}; known: {', '.join(MODELS)}", file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in names:
        export(name, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
