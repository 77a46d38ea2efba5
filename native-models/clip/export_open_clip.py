"""Export an open_clip model (BiomedCLIP and the like) as a Candor model bundle.

usage:
  python3 export_open_clip.py export MODEL OUT_DIR [--context N]
      MODEL: an open_clip name, e.g. hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224
      (needs torch, open_clip_torch, transformers and onnx: pip install open_clip_torch transformers onnx;
      the first run downloads the weights, so use a machine with internet)
  python3 export_open_clip.py tiny OUT_DIR [--seed N] [--image 48] [--patch 8] [--width 48] [--layers 3]
      [--heads 4] [--text-width 40] [--text-layers 3] [--text-heads 2] [--embed 24] [--context 24]
      a tiny randomly initialised open_clip-like model (timm ViT with a fused qkv + a post-LN BERT text
      tower, module names as open_clip's) built in plain torch and exported by the same code path: the
      path is tested without open_clip or any download
  python3 export_open_clip.py nib OUT_DIR --pixels PX.bin --ids 2,17,3 --layer L --steps N
      (tiny bundles only) NIB reference numbers for the bundle's weights by PyTorch autograd in float64,
      the paper's nib_v / nib_t loop: JSON on stdout

OUT_DIR gets the bundle layout Candor loads:
  config.json, preprocessor_config.json, tokenizer.json, tokenizer_config.json,
  onnx/vision_model.onnx   pixel_values [batch, 3, S, S] -> image_embeds [batch, E]  (un-normalised)
  onnx/text_model.onnx     input_ids [batch, sequence]   -> text_embeds [batch, E]   (the attention mask is
                           computed in the graph from the pad id, as open_clip's HF text encoder does)
  nib.json                 the tensor entering each layer of both towers (read from the exported graph's
                           module scopes) and the number of leading non-patch vision tokens
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn

OPSET = 14
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


# ---------------------------------------------------------------------------------------------
# The export path (real open_clip models and the tiny one alike)
# ---------------------------------------------------------------------------------------------

class ImageTower(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.visual = model.visual

    def forward(self, pixel_values):
        return self.visual(pixel_values)


class TextTower(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.text = model.text

    def forward(self, input_ids):
        return self.text(input_ids)


def block_lists(module):
    """The longest nn.ModuleList under a tower: its transformer blocks, with their module paths."""
    best = ("", [])
    for name, m in module.named_modules():
        if isinstance(m, nn.ModuleList) and len(m) > len(best[1]):
            best = (name, list(m))
    return best


def layer_tensors(onnx_path, prefix, blocks_path, n_layers):
    """Tensor entering each layer, by the exporter's module scopes: block i's output is the last
    tensor produced inside /<prefix>/<blocks_path>.i/ that is read outside it; the input of block 0
    is the tensor from outside it that block 0 reads most (the residual stream: LayerNorm and
    residual add, or the Q/K/V projections and the residual add)."""
    import onnx
    g = onnx.load(onnx_path).graph
    scope = lambda i: f"/{prefix}/{blocks_path.replace('.', '/')}.{i}/"  # noqa: E731
    nodes = list(g.node)
    inits = {t.name for t in g.initializer}
    made = {o: n for n in nodes for o in n.output}
    names = {}
    inside0 = [n for n in nodes if n.name.startswith(scope(0))]
    reads = {}
    for n in inside0:
        for i in n.input:
            p = made.get(i)
            if i and i not in inits and (p is None or not p.name.startswith(scope(0))) and (p is None or p.op_type != "Constant"):
                reads[i] = reads.get(i, 0) + 1
    names["0"] = max(reads, key=reads.get)
    graph_outputs = {o.name for o in g.output}
    for i in range(n_layers):
        inside = [n for n in nodes if n.name.startswith(scope(i))]
        out = None
        for n in inside:
            for o in n.output:
                readers = [m for m in nodes if o in m.input]
                if o in graph_outputs or any(not m.name.startswith(scope(i)) for m in readers):
                    out = o
        names[str(i + 1)] = out
    return names


def export_bundle(model, out_dir, *, image_size, patch_size, prefix_tokens, context, vocab_size,
                  tokenizer_json, tokenizer_config, preprocessor, name, extra_config=None):
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    model = model.eval().float()
    vision, text = ImageTower(model), TextTower(model)
    vpath = os.path.join(out_dir, "onnx", "vision_model.onnx")
    tpath = os.path.join(out_dir, "onnx", "text_model.onnx")
    px = torch.randn(2, 3, image_size, image_size)
    ids = torch.tensor([[2, 5, 6, 3], [2, 7, 8, 3]], dtype=torch.long)
    with torch.no_grad():
        embed_dim = vision(px).shape[-1]
        torch.onnx.export(vision, (px,), vpath, input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True)
        torch.onnx.export(text, (ids,), tpath, input_names=["input_ids"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True)
    vblocks, vlist = block_lists(model.visual)
    tblocks, tlist = block_lists(model.text)
    nib = {
        "vision_prefix_tokens": prefix_tokens,
        "vision_layer_input_tensors": layer_tensors(vpath, "visual", vblocks, len(vlist)),
        "text_layer_input_tensors": layer_tensors(tpath, "text", tblocks, len(tlist)),
    }
    width = lambda blocks: next(p.shape[-1] for p in blocks[0].parameters() if p.dim() == 1)  # noqa: E731
    config = {
        "_name_or_path": name,
        "architectures": ["CustomTextCLIP"],
        "model_type": "open_clip",
        "projection_dim": embed_dim,
        "vision_config": {"image_size": image_size, "patch_size": patch_size, "hidden_size": width(vlist),
                          "num_hidden_layers": len(vlist), "class_token": prefix_tokens >= 1,
                          "num_register_tokens": max(0, prefix_tokens - 1)},
        "text_config": {"max_position_embeddings": context, "vocab_size": vocab_size, "hidden_size": width(tlist),
                        "num_hidden_layers": len(tlist)},
        **(extra_config or {}),
    }
    files = {"config.json": config, "preprocessor_config.json": preprocessor, "tokenizer_config.json": tokenizer_config, "nib.json": nib}
    for fname, obj in files.items():
        with open(os.path.join(out_dir, fname), "w") as f:
            json.dump(obj, f, indent=1)
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        f.write(tokenizer_json)


def preprocessor_config(size, mean, std, resample=3, squash=False):
    cfg = {"image_processor_type": "CLIPImageProcessor", "do_resize": True, "resample": resample, "do_rescale": True,
           "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": list(mean), "image_std": list(std), "do_convert_rgb": True}
    if squash:
        cfg.update({"size": {"height": size, "width": size}, "do_center_crop": False})
    else:
        cfg.update({"size": {"shortest_edge": size}, "do_center_crop": True, "crop_size": {"height": size, "width": size}})
    return cfg


def export_open_clip(model_name, out_dir, context=None):
    import open_clip  # noqa: F401  (pip install open_clip_torch)
    model, preprocess = open_clip.create_model_from_pretrained(model_name)
    tokenizer = open_clip.get_tokenizer(model_name)
    hf = getattr(tokenizer, "tokenizer", None)
    if hf is None or not hasattr(hf, "backend_tokenizer"):
        sys.exit(f"{model_name}: its tokenizer is not a Hugging Face fast tokenizer; export the text tower's tokenizer.json yourself")
    ctx = context or getattr(tokenizer, "context_length", None) or 77
    backend = hf.backend_tokenizer
    backend.no_padding()  # Candor feeds the real tokens only; the graph masks any padding by the pad id
    backend.enable_truncation(max_length=ctx)
    pcfg = getattr(model.visual, "preprocess_cfg", {}) or {}
    size = pcfg.get("size", model.visual.image_size if hasattr(model.visual, "image_size") else 224)
    size = size[0] if isinstance(size, (tuple, list)) else size
    trunk = getattr(model.visual, "trunk", None)
    patch = trunk.patch_embed.patch_size[0] if trunk is not None else model.visual.conv1.kernel_size[0]
    prefix = getattr(trunk, "num_prefix_tokens", 1) if trunk is not None else 1
    resample = {"bicubic": 3, "bilinear": 2, "nearest": 0}.get(pcfg.get("interpolation", "bicubic"), 3)
    export_bundle(
        model, out_dir, image_size=size, patch_size=patch, prefix_tokens=prefix, context=ctx, vocab_size=hf.vocab_size,
        tokenizer_json=backend.to_str(),
        tokenizer_config={"tokenizer_class": type(hf).__name__, "model_max_length": ctx, "do_lower_case": getattr(hf, "do_lower_case", True),
                          **{k: getattr(hf, k) for k in ("cls_token", "sep_token", "pad_token", "unk_token", "mask_token", "bos_token", "eos_token") if getattr(hf, k, None)}},
        preprocessor=preprocessor_config(size, pcfg.get("mean", CLIP_MEAN), pcfg.get("std", CLIP_STD), resample, pcfg.get("resize_mode") == "squash"),
        name=model_name,
    )


# ---------------------------------------------------------------------------------------------
# A tiny open_clip-like model in plain torch (timm ViT + HF BERT, open_clip's module names)
# ---------------------------------------------------------------------------------------------

class TimmAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3), nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class TimmMlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class TimmBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim, eps=1e-6), TimmAttention(dim, heads)
        self.norm2, self.mlp = nn.LayerNorm(dim, eps=1e-6), TimmMlp(dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimmTrunk(nn.Module):
    def __init__(self, c):
        super().__init__()
        W, n = c["width"], (c["image"] // c["patch"]) ** 2
        self.patch_embed = PatchEmbed(W, c["patch"])
        self.cls_token = nn.Parameter(torch.zeros(1, 1, W))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, W))
        self.blocks = nn.ModuleList(TimmBlock(W, c["heads"]) for _ in range(c["layers"]))
        self.norm = nn.LayerNorm(W, eps=1e-6)

    def embed(self, x):
        x = self.patch_embed(x)
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed

    def forward(self, px):
        x = self.embed(px)
        for b in self.blocks:
            x = b(x)
        return self.norm(x)[:, 0]


class TimmHead(nn.Module):
    def __init__(self, width, embed):
        super().__init__()
        self.proj = nn.Linear(width, embed, bias=False)

    def forward(self, x):
        return self.proj(x)


class TimmModel(nn.Module):
    """open_clip's TimmModel: trunk (a timm VisionTransformer, token pooling) then head.proj."""

    def __init__(self, c):
        super().__init__()
        self.trunk, self.head = TimmTrunk(c), TimmHead(c["width"], c["embed"])

    def from_layer(self, x, layer):
        for b in self.trunk.blocks[layer:]:
            x = b(x)
        return self.head(self.trunk.norm(x)[:, 0])

    def hidden_before(self, px, layer):
        x = self.trunk.embed(px)
        for b in self.trunk.blocks[:layer]:
            x = b(x)
        return x

    def forward(self, px):
        return self.head(self.trunk(px))


class BertSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, h, ext_mask):
        B, N, C = h.shape
        split = lambda t: t.view(B, N, self.heads, C // self.heads).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(self.query(h)), split(self.key(h)), split(self.value(h))
        scores = q @ k.transpose(-1, -2) / math.sqrt(C // self.heads) + ext_mask
        return (scores.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(B, N, C)


class BertDenseNorm(nn.Module):
    def __init__(self, dim_in, dim):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(dim_in, dim), nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.self, self.output = BertSelfAttention(dim, heads), BertDenseNorm(dim, dim)


class BertIntermediate(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dense = nn.Linear(dim, 4 * dim)


class BertLayer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.attention, self.intermediate, self.output = BertAttention(dim, heads), BertIntermediate(dim), BertDenseNorm(4 * dim, dim)

    def forward(self, h, ext_mask):
        a = self.attention.output(self.attention.self(h, ext_mask), h)
        return self.output(nn.functional.gelu(self.intermediate.dense(a)), a)


class BertEmbeddings(nn.Module):
    def __init__(self, vocab, dim, context):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)
        self.position_embeddings = nn.Embedding(context, dim)
        self.token_type_embeddings = nn.Embedding(2, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        return self.LayerNorm(self.word_embeddings(ids) + self.token_type_embeddings(torch.zeros_like(ids)) + self.position_embeddings(pos))


class BertEncoder(nn.Module):
    def __init__(self, dim, heads, layers):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(dim, heads) for _ in range(layers))

    def forward(self, h, ext_mask):
        for m in self.layer:
            h = m(h, ext_mask)
        return h


class BertModel(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.embeddings = BertEmbeddings(vocab, c["text_width"], c["context"])
        self.encoder = BertEncoder(c["text_width"], c["text_heads"], c["text_layers"])

    def forward(self, ids, ext_mask):
        return self.encoder(self.embeddings(ids), ext_mask)


class HFTextEncoder(nn.Module):
    """open_clip's HFTextEncoder with a BERT: mask from the pad id, [CLS] pooling, an MLP projection."""

    def __init__(self, c, vocab):
        super().__init__()
        W, E = c["text_width"], c["embed"]
        self.transformer = BertModel(c, vocab)
        self.proj = nn.Sequential(nn.Linear(W, (W + E) // 2, bias=False), nn.GELU(), nn.Linear((W + E) // 2, E, bias=False))
        self.pad_token_id = 0

    def ext_mask(self, ids):
        mask = (ids != self.pad_token_id).to(self.proj[0].weight.dtype)
        return (1.0 - mask[:, None, None, :]) * torch.finfo(mask.dtype).min

    def hidden_before(self, ids, layer):
        h = self.transformer.embeddings(ids)
        for m in self.transformer.encoder.layer[:layer]:
            h = m(h, self.ext_mask(ids))
        return h

    def from_layer(self, h, ids, layer):
        for m in self.transformer.encoder.layer[layer:]:
            h = m(h, self.ext_mask(ids))
        return self.proj(h[:, 0])

    def forward(self, ids):
        return self.proj(self.transformer(ids, self.ext_mask(ids))[:, 0])


class TinyOpenClip(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.visual, self.text = TimmModel(c), HFTextEncoder(c, vocab)


# A small radiology WordPiece vocabulary: whole words, first pieces and ## continuations.
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *".,;:-()/?!'%", "no", "normal", "nodule", "effusion", "pleural",
         "consolidation", "opacity", "edema", "left", "right", "bilateral", "upper", "lower", "lobe", "base", "lung", "lungs",
         "heart", "size", "small", "large", "mild", "moderate", "stable", "new", "is", "are", "the", "of", "in", "with", "and",
         "or", "since", "prior", "study", "clear", "acute", "focal", "likely", "seen", "mm", "cm", "pneumo", "cardio", "atel",
         "opac", "inter", "un", "bi", "1", "2", "5", "##s", "##es", "##ly", "##thorax", "##mega", "##ectasis", "##ities",
         "##stitial", "##changed", "##remarkable", "##basilar", "##nia"]


def wordpiece_tokenizer_json(context):
    vocab = {t: i for i, t in enumerate(VOCAB)}
    special = lambda i, t: {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}  # noqa: E731
    return json.dumps({
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": context, "strategy": "LongestFirst", "stride": 0},
        "padding": None,
        "added_tokens": [special(vocab[t], t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab},
    })


def random_init(*modules):
    """Seeded random weights of a useful scale (call torch.manual_seed first): LayerNorm scales near 1,
    small biases, other weights ~ 0.5/sqrt(fan-in), so activations neither vanish nor explode."""
    with torch.no_grad():
        for m in modules:
            for name, p in m.named_parameters():
                if "norm" in name.lower() and name.endswith("weight"):
                    p.copy_(1 + 0.1 * torch.randn_like(p))
                elif p.dim() == 1:
                    p.copy_(0.05 * torch.randn_like(p))
                else:
                    p.copy_(torch.randn_like(p) * (0.5 / math.sqrt(p.shape[-1] if p.dim() == 2 else p[0].numel())))


def tiny_model(c):
    torch.manual_seed(c["seed"])
    model = TinyOpenClip(c, len(VOCAB))
    random_init(model)
    return model.eval()


def export_tiny(out_dir, c):
    model = tiny_model(c)
    export_bundle(
        model, out_dir, image_size=c["image"], patch_size=c["patch"], prefix_tokens=1, context=c["context"], vocab_size=len(VOCAB),
        tokenizer_json=wordpiece_tokenizer_json(c["context"]),
        tokenizer_config={"tokenizer_class": "BertTokenizer", "model_max_length": c["context"], "do_lower_case": True,
                          "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"},
        preprocessor=preprocessor_config(c["image"], CLIP_MEAN, CLIP_STD),
        name="tiny-open-clip (random weights, NOT a trained model)",
        extra_config={"candor_tiny_open_clip": c},
    )


# ---------------------------------------------------------------------------------------------
# NIB reference (the paper's nib_v / nib_t loop, float64 autograd) for a tiny bundle
# ---------------------------------------------------------------------------------------------

def nib_loop(h, features_from, target, steps):
    """A = sum_i h * d cos(target, f(h*i/n)) / dx / n; per-token score and |A| sums over the hidden dimension."""
    cos = nn.CosineSimilarity(eps=1e-6)
    attribution, losses = torch.zeros_like(h), []
    for i in range(1, steps + 1):
        x = (h * i / steps).detach().requires_grad_(True)
        loss = cos(target, features_from(x)).mean()
        loss.backward()
        attribution += h * x.grad / steps
        losses.append(loss.item())
    return {"scores": attribution.sum(-1)[0].tolist(), "abs_sums": attribution.abs().sum(-1)[0].tolist(), "losses": losses}


def nib_reference(out_dir, pixels_file, ids, layer, steps):
    with open(os.path.join(out_dir, "config.json")) as f:
        c = json.load(f)["candor_tiny_open_clip"]
    model = tiny_model(c).double()
    S = c["image"]
    px = torch.frombuffer(bytearray(open(pixels_file, "rb").read()), dtype=torch.float32).reshape(1, 3, S, S).double()
    ids_t = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        image_embeds, text_embeds = model.visual(px), model.text(ids_t)
        hv, ht = model.visual.hidden_before(px, layer), model.text.hidden_before(ids_t, layer)
    vision = nib_loop(hv, lambda x: model.visual.from_layer(x, layer), text_embeds, steps)
    text = nib_loop(ht, lambda x: model.text.from_layer(x, ids_t, layer), image_embeds, steps)
    similarity = nn.functional.cosine_similarity(image_embeds, text_embeds, eps=1e-6).item()
    json.dump({"similarity": similarity, "image_embeds": image_embeds[0].tolist(), "text_embeds": text_embeds[0].tolist(),
               "vision": vision, "text": text}, sys.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("model")
    e.add_argument("out")
    e.add_argument("--context", type=int)
    t = sub.add_parser("tiny")
    t.add_argument("out")
    for k, v in {"seed": 0, "image": 48, "patch": 8, "width": 48, "layers": 3, "heads": 4, "text-width": 40, "text-layers": 3,
                 "text-heads": 2, "embed": 24, "context": 24}.items():
        t.add_argument(f"--{k}", type=int, default=v)
    n = sub.add_parser("nib")
    n.add_argument("out")
    n.add_argument("--pixels", required=True)
    n.add_argument("--ids", required=True)
    n.add_argument("--layer", type=int, required=True)
    n.add_argument("--steps", type=int, required=True)
    a = ap.parse_args()
    if a.cmd == "export":
        export_open_clip(a.model, a.out, a.context)
    elif a.cmd == "tiny":
        export_tiny(a.out, {k.replace("-", "_"): getattr(a, k.replace("-", "_")) for k in ("seed", "image", "patch", "width", "layers", "heads", "text-width",
                                                                                       "text-layers", "text-heads", "embed", "context")})
    else:
        nib_reference(a.out, a.pixels, [int(x) for x in a.ids.split(",")], a.layer, a.steps)


if __name__ == "__main__":
    main()
