"""A SigLIP-like model of any size in plain torch (Hugging Face SiglipModel's structure and names: no
CLS token, a MAP attention-pooling head, pre-LN text tower pooled at the last position, text padded to
a fixed length), exported in the transformers.js / Optimum bundle layout, and NIB reference numbers for
it by PyTorch autograd in float64 (the paper's loop, nib_loop from native-models/clip/export_open_clip.py).

usage: python3 siglip_like.py export OUT_DIR [--seed N] [--image 40] [--patch 8] [--width 32] [--layers 3]
                                  [--heads 2] [--text-width 24] [--text-layers 2] [--text-heads 3] [--pad-to 12]
       python3 siglip_like.py nib OUT_DIR --pixels PX.bin --ids 1,2,3 --layer L --steps N
"""
import argparse
import json
import os
import sys

import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "native-models", "clip"))
from export_open_clip import nib_loop, random_init  # noqa: E402

WORDS = [".", ",", ";", ":", "(", ")", "-", "no", "small", "large", "left", "right", "pleural", "effusion", "pneumothorax",
         "consolidation", "nodule", "lobe", "upper", "lower", "heart", "size", "is", "normal", "mild", "cardiomegaly", "and",
         "the", "lungs", "are", "clear", "edema", "acute", "findings", "stable"]


def vocab():
    v = {"<|unk|>": 0}
    for w in WORDS:
        v[w] = len(v)
    v["<|startoftext|>"] = len(v)
    v["<|endoftext|>"] = len(v)
    return v


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.scale = heads, (d // heads) ** -0.5
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        B, T, D = x.shape
        split = lambda t: t.view(B, T, self.heads, D // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        w = ((q @ k.transpose(2, 3)) * self.scale).softmax(-1)
        return self.out_proj((w @ v).transpose(1, 2).reshape(B, T, D))


class Mlp(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        return self.fc2(nn.functional.gelu(self.fc1(x), approximate="tanh"))


class Layer(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.layer_norm1, self.self_attn = nn.LayerNorm(d, eps=1e-6), Attention(d, heads)
        self.layer_norm2, self.mlp = nn.LayerNorm(d, eps=1e-6), Mlp(d)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class Encoder(nn.Module):
    def __init__(self, d, heads, n):
        super().__init__()
        self.layers = nn.ModuleList(Layer(d, heads) for _ in range(n))

    def forward(self, x, start=0):
        for m in self.layers[start:]:
            x = m(x)
        return x


class MapHead(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.probe = nn.Parameter(torch.zeros(1, 1, d))
        self.attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.layernorm, self.mlp = nn.LayerNorm(d, eps=1e-6), Mlp(d)

    def forward(self, x):
        p = self.attention(self.probe.repeat(x.shape[0], 1, 1), x, x)[0]
        return (p + self.mlp(self.layernorm(p)))[:, 0]


class VisionEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        n = (c["image"] // c["patch"]) ** 2
        self.patch_embedding = nn.Conv2d(3, c["width"], c["patch"], c["patch"])
        self.position_embedding = nn.Embedding(n, c["width"])
        self.register_buffer("position_ids", torch.arange(n).unsqueeze(0), persistent=False)

    def forward(self, px):
        return self.patch_embedding(px).flatten(2).transpose(1, 2) + self.position_embedding(self.position_ids)


class VisionModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings, self.encoder = VisionEmbeddings(c), Encoder(c["width"], c["heads"], c["layers"])
        self.post_layernorm, self.head = nn.LayerNorm(c["width"], eps=1e-6), MapHead(c["width"], c["heads"])

    def forward(self, px, start=0, h=None):
        x = self.embeddings(px) if h is None else h
        return self.head(self.post_layernorm(self.encoder(x, start)))


class TextEmbeddings(nn.Module):
    def __init__(self, c, n_vocab):
        super().__init__()
        self.token_embedding = nn.Embedding(n_vocab, c["text_width"])
        self.position_embedding = nn.Embedding(c["pad_to"], c["text_width"])

    def forward(self, ids):
        return self.token_embedding(ids) + self.position_embedding(torch.arange(ids.shape[1]).unsqueeze(0))


class TextModel(nn.Module):
    def __init__(self, c, n_vocab):
        super().__init__()
        self.embeddings, self.encoder = TextEmbeddings(c, n_vocab), Encoder(c["text_width"], c["text_heads"], c["text_layers"])
        self.final_layer_norm = nn.LayerNorm(c["text_width"], eps=1e-6)
        self.head = nn.Linear(c["text_width"], c["width"])

    def forward(self, ids, start=0, h=None):
        x = self.embeddings(ids) if h is None else h
        return self.head(self.final_layer_norm(self.encoder(x, start))[:, -1])


class VisionTower(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.vision_model = VisionModel(c)

    def forward(self, pixel_values):
        return self.vision_model(pixel_values)


class TextTower(nn.Module):
    def __init__(self, c, n_vocab):
        super().__init__()
        self.text_model = TextModel(c, n_vocab)

    def forward(self, input_ids):
        return self.text_model(input_ids)


def build(c):
    torch.manual_seed(c["seed"])
    v, t = VisionTower(c), TextTower(c, len(vocab()))
    random_init(v, t)
    return v.eval(), t.eval()


def tokenizer_json(pad_to):
    v = vocab()
    special = lambda t: {"id": v[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}  # noqa: E731
    return {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": pad_to, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": pad_to}, "direction": "Right", "pad_to_multiple_of": None, "pad_id": v["<|endoftext|>"], "pad_type_id": 0, "pad_token": "<|endoftext|>"},
        "added_tokens": [special(t) for t in ("<|unk|>", "<|startoftext|>", "<|endoftext|>")],
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Split", "pattern": {"Regex": "[\\p{P}\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E]"}, "behavior": "Isolated", "invert": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 1}}],
                           "special_tokens": {t: {"id": t, "ids": [v[t]], "tokens": [t]} for t in ("<|startoftext|>", "<|endoftext|>")}},
        "decoder": None,
        "model": {"type": "WordLevel", "unk_token": "<|unk|>", "vocab": v},
    }


def export(out, c):
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    v, t = build(c)
    px = torch.randn(2, 3, c["image"], c["image"])
    ids = torch.zeros(2, c["pad_to"], dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(v, (px,), os.path.join(out, "onnx", "vision_model.onnx"), input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}, opset_version=14, do_constant_folding=True)
        torch.onnx.export(t, (ids,), os.path.join(out, "onnx", "text_model.onnx"), input_names=["input_ids"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}}, opset_version=14, do_constant_folding=True)
    V = vocab()
    files = {
        "config.json": {"architectures": ["SiglipModel"], "model_type": "siglip", "siglip_like": c,
                        "vision_config": {"image_size": c["image"], "patch_size": c["patch"], "hidden_size": c["width"], "num_hidden_layers": c["layers"], "vision_use_head": True},
                        "text_config": {"hidden_size": c["text_width"], "num_hidden_layers": c["text_layers"], "max_position_embeddings": c["pad_to"], "vocab_size": len(V)}},
        "preprocessor_config.json": {"image_processor_type": "SiglipImageProcessor", "do_resize": True, "size": {"height": c["image"], "width": c["image"]},
                                     "resample": 3, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5] * 3, "image_std": [0.5] * 3},
        "tokenizer.json": tokenizer_json(c["pad_to"]),
        "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": c["pad_to"], "bos_token": "<|startoftext|>",
                                  "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|unk|>", "padding_side": "right"},
    }
    for name, obj in files.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(obj, f, indent=1)


def nib(out, pixels, ids, layer, steps):
    with open(os.path.join(out, "config.json")) as f:
        c = json.load(f)["siglip_like"]
    v, t = build(c)
    vm, tm = v.vision_model.double(), t.text_model.double()
    S = c["image"]
    px = torch.frombuffer(bytearray(open(pixels, "rb").read()), dtype=torch.float32).reshape(1, 3, S, S).double()
    ids_t = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        image_embeds, text_embeds = vm(px), tm(ids_t)
        hv, ht = vm.embeddings(px), tm.embeddings(ids_t)
        for m in vm.encoder.layers[:layer]:
            hv = m(hv)
        for m in tm.encoder.layers[:layer]:
            ht = m(ht)
    result = {
        "similarity": nn.functional.cosine_similarity(image_embeds, text_embeds, eps=1e-6).item(),
        "vision": nib_loop(hv, lambda x: vm(None, layer, x), text_embeds, steps),
        "text": nib_loop(ht, lambda x: tm(None, layer, x), image_embeds, steps),
    }
    json.dump(result, sys.stdout)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("out")
    for k, d in {"seed": 0, "image": 40, "patch": 8, "width": 32, "layers": 3, "heads": 2, "text-width": 24, "text-layers": 2, "text-heads": 3, "pad-to": 12}.items():
        e.add_argument(f"--{k}", type=int, default=d)
    n = sub.add_parser("nib")
    n.add_argument("out")
    n.add_argument("--pixels", required=True)
    n.add_argument("--ids", required=True)
    n.add_argument("--layer", type=int, required=True)
    n.add_argument("--steps", type=int, required=True)
    a = ap.parse_args()
    if a.cmd == "export":
        export(a.out, {k: getattr(a, k) for k in ("seed", "image", "patch", "width", "layers", "heads", "text_width", "text_layers", "text_heads", "pad_to")})
    else:
        nib(a.out, a.pixels, [int(x) for x in a.ids.split(",")], a.layer, a.steps)


if __name__ == "__main__":
    main()
