#!/usr/bin/python3
"""Trains the Candor demo CLIP on phantom-report pairs and exports it in the Hugging Face /
transformers.js layout (torch 1.13, ONNX opset 14), the same module names and op patterns as
shared/fixtures/models/mini-clip.

Called by native-models/demo/train.ts, which renders the data set with the TypeScript phantom
generator (see dataset.ts for the file format). Deterministic for a given data set, seed and
thread count.

usage: train_clip.py --data DIR --heldout DIR --out BUNDLE_DIR --config CONFIG.json
                     [--epochs N] [--threads N] [--seed N] [--check-only]
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


# ---------------------------------------------------------------- model (HF CLIPModel naming)

class QuickGELUActivation(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class CLIPAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = self.head_dim ** -0.5
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.q_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x, mask=None):
        b, t, d = x.shape
        q = self.q_proj(x) * self.scale
        q = q.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        # Keys and values take their length from themselves (-1), queries from the input, as in
        # Hugging Face's CLIPAttention: the exported op pattern is then the same as a real CLIP's.
        k = self.k_proj(x).view(b, -1, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, -1, self.heads, self.head_dim).transpose(1, 2)
        w = torch.matmul(q, k.transpose(-1, -2))
        if mask is not None:
            w = w + mask
        w = torch.softmax(w, dim=-1)
        o = torch.matmul(w, v).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(o)


class CLIPMLP(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.activation_fn = QuickGELUActivation()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.activation_fn(self.fc1(x)))


class CLIPEncoderLayer(nn.Module):
    def __init__(self, dim, heads, hidden, eps):
        super().__init__()
        self.self_attn = CLIPAttention(dim, heads)
        self.layer_norm1 = nn.LayerNorm(dim, eps=eps)
        self.mlp = CLIPMLP(dim, hidden)
        self.layer_norm2 = nn.LayerNorm(dim, eps=eps)

    def forward(self, x, mask=None):
        residual = x
        x = self.self_attn(self.layer_norm1(x), mask)
        x = residual + x
        residual = x
        x = self.mlp(self.layer_norm2(x))
        return residual + x


class CLIPEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.ModuleList([
            CLIPEncoderLayer(cfg['hidden_size'], cfg['num_attention_heads'], cfg['intermediate_size'], cfg['layer_norm_eps'])
            for _ in range(cfg['num_hidden_layers'])
        ])

    def forward(self, x, mask=None, start=0):
        for layer in self.layers[start:]:
            x = layer(x, mask)
        return x


class CLIPVisionEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, p = cfg['hidden_size'], cfg['patch_size']
        n = (cfg['image_size'] // p) ** 2
        self.class_embedding = nn.Parameter(torch.randn(d) * 0.02)
        self.patch_embedding = nn.Conv2d(cfg['num_channels'], d, kernel_size=p, stride=p, bias=False)
        self.position_embedding = nn.Embedding(n + 1, d)
        self.register_buffer('position_ids', torch.arange(n + 1).expand((1, -1)), persistent=False)

    def forward(self, pixel_values):
        b = pixel_values.shape[0]
        patches = self.patch_embedding(pixel_values.to(dtype=self.patch_embedding.weight.dtype))
        patches = patches.flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(b, 1, -1)
        x = torch.cat([cls, patches], dim=1)
        return x + self.position_embedding(self.position_ids)


class CLIPVisionTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = CLIPVisionEmbeddings(cfg)
        self.pre_layrnorm = nn.LayerNorm(cfg['hidden_size'], eps=cfg['layer_norm_eps'])
        self.encoder = CLIPEncoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg['hidden_size'], eps=cfg['layer_norm_eps'])

    def stream(self, pixel_values, layer):
        """Residual stream entering encoder layer `layer`."""
        x = self.pre_layrnorm(self.embeddings(pixel_values))
        for l in self.encoder.layers[:layer]:
            x = l(x)
        return x

    def tail(self, h, layer):
        last = self.encoder(h, None, layer)
        return last, self.post_layernorm(last[:, 0, :])

    def forward(self, pixel_values):
        return self.tail(self.stream(pixel_values, 0), 0)


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.token_embedding = nn.Embedding(cfg['vocab_size'], cfg['hidden_size'])
        self.position_embedding = nn.Embedding(cfg['max_position_embeddings'], cfg['hidden_size'])
        self.register_buffer('position_ids', torch.arange(cfg['max_position_embeddings']).expand((1, -1)), persistent=False)

    def forward(self, input_ids):
        t = input_ids.shape[-1]
        return self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :t])


class CLIPTextTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = CLIPTextEmbeddings(cfg)
        self.encoder = CLIPEncoder(cfg)
        self.final_layer_norm = nn.LayerNorm(cfg['hidden_size'], eps=cfg['layer_norm_eps'])

    @staticmethod
    def causal_mask(t, dtype):
        r = torch.arange(t)
        zeros = torch.zeros((t, t), dtype=dtype)
        mask = torch.where(r[None, :] > r[:, None], torch.tensor(torch.finfo(dtype).min, dtype=dtype), zeros)
        return mask[None, None, :, :]

    def stream(self, input_ids, layer):
        x = self.embeddings(input_ids)
        mask = self.causal_mask(input_ids.shape[-1], x.dtype)
        for l in self.encoder.layers[:layer]:
            x = l(x, mask)
        return x

    def tail(self, h, input_ids, layer):
        mask = self.causal_mask(input_ids.shape[-1], h.dtype)
        x = self.final_layer_norm(self.encoder(h, mask, layer))
        pooled = x[torch.arange(x.shape[0]), input_ids.to(torch.int).argmax(dim=-1)]
        return x, pooled

    def forward(self, input_ids):
        x = self.embeddings(input_ids)
        return self.tail(x, input_ids, 0)


class CLIPModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.text_model = CLIPTextTransformer(config['text_config'])
        self.vision_model = CLIPVisionTransformer(config['vision_config'])
        p = config['projection_dim']
        self.visual_projection = nn.Linear(config['vision_config']['hidden_size'], p, bias=False)
        self.text_projection = nn.Linear(config['text_config']['hidden_size'], p, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(config['logit_scale_init_value']))

    def encode_image(self, pixel_values):
        return self.visual_projection(self.vision_model(pixel_values)[1])

    def encode_text(self, input_ids):
        return self.text_projection(self.text_model(input_ids)[1])


def init_weights(model, seed):
    """HF-CLIP-like scales: linear and conv weights ~ N(0, 1/fan_in) (residual outputs scaled down by
    depth), embeddings 0.02. Much smaller weights everywhere make a 6-layer tower learn very slowly."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, mod in model.named_modules():
            if isinstance(mod, nn.Linear):
                std = mod.in_features ** -0.5
                if name.endswith('out_proj') or name.endswith('fc2'):
                    std *= (2 * 6) ** -0.5
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * std)
                if mod.bias is not None:
                    mod.bias.zero_()
            elif isinstance(mod, nn.Conv2d):
                fan_in = mod.in_channels * mod.kernel_size[0] * mod.kernel_size[1]
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * fan_in ** -0.5)
            elif isinstance(mod, nn.Embedding):
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * 0.02)
            elif isinstance(mod, nn.LayerNorm):
                mod.weight.fill_(1.0)
                mod.bias.zero_()
        emb = model.vision_model.embeddings
        emb.class_embedding.copy_(torch.randn(emb.class_embedding.shape, generator=g) * emb.class_embedding.numel() ** -0.5)


class VisionExport(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.vision_model = model.vision_model
        self.visual_projection = model.visual_projection

    def forward(self, pixel_values):
        last, pooled = self.vision_model(pixel_values)
        return self.visual_projection(pooled), last


class TextExport(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.text_model = model.text_model
        self.text_projection = model.text_projection

    def forward(self, input_ids):
        last, pooled = self.text_model(input_ids)
        return self.text_projection(pooled), last


# ---------------------------------------------------------------- data

class Dataset:
    def __init__(self, folder):
        with open(os.path.join(folder, 'meta.json')) as f:
            self.meta = json.load(f)
        m = self.meta
        self.n, self.size, self.variants, self.ctx = m['count'], m['size'], m['variants'], m['contextLength']
        self.images = torch.from_numpy(np.fromfile(os.path.join(folder, 'images.u8'), dtype=np.uint8).reshape(self.n, self.size, self.size).copy())
        self.ids = torch.from_numpy(np.fromfile(os.path.join(folder, 'ids.i32'), dtype='<i4').reshape(self.n, self.variants, self.ctx).astype(np.int64))
        types_path = os.path.join(folder, 'types.u8')
        self.types = None
        if os.path.exists(types_path):
            self.types = torch.from_numpy(np.fromfile(types_path, dtype=np.uint8).reshape(self.n, self.size, self.size).copy())
        self.type_names = m.get('findingTypes', [])
        # Per phantom: (type bit, sentence token ids, token span in report variant 0) of each finding sentence.
        self.sentences = [[] for _ in range(self.n)]
        for rec in m['findings']:
            i = rec['phantom']
            ids = self.ids[i, 0, rec['tokenStart']:rec['tokenEnd']].tolist()
            bit = self.type_names.index(rec['type']) if rec['type'] in self.type_names else -1
            self.sentences[i].append((bit, ids, rec['tokenStart'], rec['tokenEnd']))
        mask_path = os.path.join(folder, 'masks.u8')
        self.labels = content_labels(m['contentKeys'])
        self.masks = None
        if os.path.exists(mask_path):
            self.masks = torch.from_numpy(np.fromfile(mask_path, dtype=np.uint8).reshape(-1, self.size, self.size).copy())


SLOTS = ([f'{t}:{s}:{z}' for t in ('nodule', 'mass', 'consolidation') for s in ('left', 'right') for z in ('upper', 'middle', 'lower')]
         + ['effusion:left', 'effusion:right', 'pneumothorax:left', 'pneumothorax:right', 'cardiomegaly'])


def content_labels(keys):
    """Multi-hot finding slots from dataset.ts contentKey strings ('type:side:zone|...')."""
    y = torch.zeros(len(keys), len(SLOTS))
    for i, key in enumerate(keys):
        if key == 'normal':
            continue
        for part in key.split('|'):
            t, side, zone = part.split(':')
            if t in ('nodule', 'mass', 'consolidation'):
                names = [f'{t}:{side}:{zone}']
            elif t == 'cardiomegaly':
                names = ['cardiomegaly']
            else:
                names = [f'{t}:{s}' for s in (('left', 'right') if side == 'bilateral' else (side,))]
            for n in names:
                y[i, SLOTS.index(n)] = 1
    return y


def to_pixel_values(gray_u8):
    """uint8 [B, H, W] -> CLIP-normalized float32 [B, 3, H, W], as CLIPImageProcessor does."""
    x = (gray_u8.to(torch.float32) * (1.0 / 255.0))
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x.unsqueeze(1).expand(-1, 3, -1, -1) - mean) / std


def augment(gray_u8, g, types=None):
    """Small shifts and exposure changes; never flips (sides matter). `types` (the finding bitmap)
    moves with the image."""
    b, h, w = gray_u8.shape
    pad = 4
    x = F.pad(gray_u8.to(torch.float32).unsqueeze(1), (pad, pad, pad, pad), mode='replicate').squeeze(1)
    tp = F.pad(types, (pad, pad, pad, pad)) if types is not None else None
    shifts = torch.randint(0, 2 * pad + 1, (b, 2), generator=g)
    out = torch.empty(b, h, w)
    tout = torch.empty(b, h, w, dtype=torch.uint8) if types is not None else None
    for i in range(b):
        dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
        out[i] = x[i, dy:dy + h, dx:dx + w]
        if tout is not None:
            tout[i] = tp[i, dy:dy + h, dx:dx + w]
    gain = 1.0 + 0.08 * (torch.rand(b, 1, 1, generator=g) * 2 - 1)
    bias = 10.0 * (torch.rand(b, 1, 1, generator=g) * 2 - 1)
    return torch.clamp(torch.round(out * gain + bias), 0, 255).to(torch.uint8), tout


def patch_weights(types_u8, bits, patch):
    """Finding bitmap [B, H, W] and one type bit per item -> [B, patches] weights: each patch's
    coverage by that finding relative to the best-covered patch (1 there, small for slivers)."""
    sel = ((types_u8.to(torch.int64) >> bits.view(-1, 1, 1)) & 1).to(torch.float32)
    cov = F.avg_pool2d(sel.unsqueeze(1), patch).flatten(1)
    return cov / cov.amax(dim=1, keepdim=True).clamp_min(1e-6)


def nib_scores_train(h, embed_tail, other_embed, alphas):
    """NIB's per-token scores [B, T], differentiable in the weights (double backward): `h` is the
    stream entering layer L (still in the graph), `embed_tail(x)` the embeddings from scaled streams,
    and `alphas` [B, k] steps drawn from NIB's grid i/n, a Monte-Carlo estimate of its sum."""
    b, k = alphas.shape
    t, d = h.shape[1], h.shape[2]
    x = (h.unsqueeze(1) * alphas.view(b, k, 1, 1)).reshape(b * k, t, d)
    f = embed_tail(x)
    cos = F.cosine_similarity(f, other_embed.repeat_interleave(k, dim=0), dim=-1, eps=1e-6)
    g, = torch.autograd.grad(cos.sum(), x, create_graph=True)
    return (h.unsqueeze(1) * g.view(b, k, t, d)).mean(1).sum(-1)


def nib_patch_scores_train(model, pixel_values, text_embed, layer, alphas):
    vm = model.vision_model
    h = vm.stream(pixel_values, layer)
    return nib_scores_train(h, lambda x: model.visual_projection(vm.tail(x, layer)[1]), text_embed, alphas)[:, 1:]


def nib_token_scores_train(model, input_ids, image_embed, layer, alphas):
    tm = model.text_model
    h = tm.stream(input_ids, layer)
    ids = input_ids.repeat_interleave(alphas.shape[1], dim=0)
    return nib_scores_train(h, lambda x: model.text_projection(tm.tail(x, ids, layer)[1]), image_embed, alphas)


def explanation_loss(scores, weights, sharpness, valid=None):
    """-log of the softmax mass (scores standardized per map over the `valid` positions) on the
    finding's positions, weighted by their coverage: small when the map's maximum lies on the finding."""
    if valid is None:
        valid = torch.ones_like(scores, dtype=torch.bool)
    v = valid.to(scores.dtype)
    count = v.sum(1, keepdim=True)
    mean = (scores * v).sum(1, keepdim=True) / count
    std = ((((scores - mean) * v) ** 2).sum(1, keepdim=True) / (count - 1).clamp_min(1)).sqrt().clamp_min(1e-8)
    z = ((scores - mean) / std).masked_fill(~valid, float('-inf'))
    p = torch.softmax(sharpness * z, dim=1)
    return -torch.log((p * weights).sum(1).clamp_min(1e-8)).mean()


NIB_STEPS = 10


def explanation_batch(data, idx, g, limit):
    """Up to `limit` (batch row, phantom, (type bit, sentence ids, token span)) picks, one random
    finding sentence from each of the first phantoms in the batch that have one."""
    picks = []
    for row, i in enumerate(idx.tolist()):
        options = [s for s in data.sentences[i] if s[0] >= 0]
        if not options:
            continue
        picks.append((row, i, options[int(torch.randint(0, len(options), (1,), generator=g))]))
        if len(picks) == limit:
            break
    return picks


def pad_sentences(sentences, text_cfg):
    """One sentence alone as the app explains it: BOS + its tokens + EOS, padded with EOS."""
    bos, eos = text_cfg['bos_token_id'], text_cfg['eos_token_id']
    width = max(len(ids) for ids in sentences) + 2
    out = torch.full((len(sentences), width), eos, dtype=torch.int64)
    for r, ids in enumerate(sentences):
        out[r, :len(ids) + 2] = torch.tensor([bos] + ids + [eos])
    return out


def trim_ids(ids, eos):
    """Cuts the batch's padding to its longest report (pads are EOS; pooling finds the first)."""
    lengths = (ids != eos).sum(dim=1) + 1
    return ids[:, : int(lengths.max())]


# ---------------------------------------------------------------- evaluation (development check)

@torch.no_grad()
def embed_all(model, data, eos, batch=256):
    imgs, txts = [], []
    for s in range(0, data.n, batch):
        imgs.append(F.normalize(model.encode_image(to_pixel_values(data.images[s:s + batch])), dim=-1))
        txts.append(F.normalize(model.encode_text(trim_ids(data.ids[s:s + batch, 0], eos)), dim=-1))
    return torch.cat(imgs), torch.cat(txts)


def retrieval_top1(img, txt, keys, candidates=10, seed=123):
    """For each image: its report among `candidates` reports of phantoms with different content."""
    rng = np.random.RandomState(seed)
    n = img.shape[0]
    hits = 0
    for i in range(n):
        pool = [j for j in range(n) if keys[j] != keys[i]]
        others = rng.choice(pool, candidates - 1, replace=False)
        cand = [i] + list(others)
        sims = (txt[cand] @ img[i]).numpy()
        hits += int(np.argmax(sims) == 0)
    return hits / n


def nib_image_map(model, pixel_values, text_embed, layer, steps):
    vm = model.vision_model
    with torch.no_grad():
        h = vm.stream(pixel_values, layer)
    scales = torch.arange(1, steps + 1, dtype=torch.float32).view(-1, 1, 1) / steps
    x = (h * scales).detach().requires_grad_(True)
    _, pooled = vm.tail(x, layer)
    f = model.visual_projection(pooled)
    loss = F.cosine_similarity(f, text_embed.expand_as(f), dim=-1, eps=1e-6).sum()
    g, = torch.autograd.grad(loss, x)
    a = (h * g).sum(0) / steps  # [tokens, dim]
    s = a.sum(-1)[1:]
    grid = int(round(math.sqrt(s.numel())))
    return s.view(grid, grid)


def nib_text_scores(model, input_ids, image_embed, layer, steps):
    tm = model.text_model
    with torch.no_grad():
        h = tm.stream(input_ids, layer)
    scales = torch.arange(1, steps + 1, dtype=torch.float32).view(-1, 1, 1) / steps
    x = (h * scales).detach().requires_grad_(True)
    ids = input_ids.expand(steps, -1)
    _, pooled = tm.tail(x, ids, layer)
    f = model.text_projection(pooled)
    loss = F.cosine_similarity(f, image_embed.expand_as(f), dim=-1, eps=1e-6).sum()
    g, = torch.autograd.grad(loss, x)
    return ((h * g).sum(0) / steps).sum(-1)


def attribution_check(model, data, eos, layer, steps=10, limit=200):
    """Pointing game of a python NIB per finding type, and whether the top word lies in the sentence."""
    size = data.size
    per_type = {}
    for rec in data.meta['findings'][:limit]:
        i = rec['phantom']
        pv = to_pixel_values(data.images[i:i + 1])
        sent_ids = [data.ids[i, 0, 0].item()] + data.ids[i, 0, rec['tokenStart']:rec['tokenEnd']].tolist() + [eos]
        sent = torch.tensor([sent_ids])
        with torch.no_grad():
            t_emb = model.encode_text(sent)
            i_emb = model.encode_image(pv)
        grid = nib_image_map(model, pv, t_emb, layer, steps)
        up = F.interpolate(grid[None, None], size=(size, size), mode='bilinear', align_corners=False)[0, 0]
        mask = data.masks[rec['mask']].to(torch.bool)
        idx = int(torch.argmax(up))
        hit = bool(mask.view(-1)[idx])
        ys, xs = torch.nonzero(mask, as_tuple=True)
        cy, cx = divmod(idx, size)
        near = bool(((ys - cy) ** 2 + (xs - cx) ** 2).min() <= (size / grid.shape[0] / 2) ** 2) if len(ys) else False
        pos = up - up.min()
        energy = float((pos * mask).sum() / pos.sum().clamp_min(1e-12))
        full = trim_ids(data.ids[i:i + 1, 0], eos)
        ts = nib_text_scores(model, full, i_emb, layer, steps)
        words = ts[1:-1]
        top = int(torch.argmax(words)) + 1
        in_sentence = rec['tokenStart'] <= top < rec['tokenEnd']
        d = per_type.setdefault(rec['type'], {'n': 0, 'hit': 0, 'near': 0, 'energy': 0.0, 'text': 0, 'area': 0.0})
        d['n'] += 1
        d['hit'] += int(hit)
        d['near'] += int(near)
        d['energy'] += energy
        d['text'] += int(in_sentence)
        d['area'] += float(mask.float().mean())
    return {k: {'n': v['n'], 'pointing': v['hit'] / v['n'], 'pointing_tol': v['near'] / v['n'], 'energy': v['energy'] / v['n'], 'mask_area': v['area'] / v['n'],
                'text_top_in_sentence': v['text'] / v['n']} for k, v in sorted(per_type.items())}


# ---------------------------------------------------------------- export

def export_bundle(model, config, out_dir):
    os.makedirs(os.path.join(out_dir, 'onnx'), exist_ok=True)
    model.eval()
    vc, tc = config['vision_config'], config['text_config']
    pv = torch.zeros(1, 3, vc['image_size'], vc['image_size'])
    torch.onnx.export(
        VisionExport(model), (pv,), os.path.join(out_dir, 'onnx', 'vision_model.onnx'),
        input_names=['pixel_values'], output_names=['image_embeds', 'last_hidden_state'],
        dynamic_axes={'pixel_values': {0: 'batch_size'}, 'image_embeds': {0: 'batch_size'}, 'last_hidden_state': {0: 'batch_size'}},
        opset_version=14, do_constant_folding=True)
    ids = torch.tensor([[tc['bos_token_id'], 5, 6, 7, tc['eos_token_id']]], dtype=torch.int64)
    torch.onnx.export(
        TextExport(model), (ids,), os.path.join(out_dir, 'onnx', 'text_model.onnx'),
        input_names=['input_ids'], output_names=['text_embeds', 'last_hidden_state'],
        dynamic_axes={'input_ids': {0: 'batch_size', 1: 'sequence_length'}, 'text_embeds': {0: 'batch_size'},
                      'last_hidden_state': {0: 'batch_size', 1: 'sequence_length'}},
        opset_version=14, do_constant_folding=True)
    size = vc['image_size']
    pre = {
        'crop_size': {'height': size, 'width': size}, 'do_center_crop': True, 'do_convert_rgb': True,
        'do_normalize': True, 'do_rescale': True, 'do_resize': True,
        'feature_extractor_type': 'CLIPFeatureExtractor', 'image_processor_type': 'CLIPImageProcessor',
        'image_mean': CLIP_MEAN, 'image_std': CLIP_STD, 'resample': 3,
        'rescale_factor': 0.00392156862745098, 'size': {'shortest_edge': size},
    }
    with open(os.path.join(out_dir, 'preprocessor_config.json'), 'w') as f:
        json.dump(pre, f, indent=1)
    with open(os.path.join(out_dir, 'config.json'), 'w') as f:
        json.dump(config, f, indent=1)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--heldout', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--config', required=True)
    ap.add_argument('--epochs', type=int, default=12)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--checkpoint', default='')
    ap.add_argument('--aux-weight', type=float, default=2.0)
    ap.add_argument('--explain-weight', type=float, default=1.0)
    ap.add_argument('--explain-text-weight', type=float, default=0.5)
    ap.add_argument('--explain-items', type=int, default=16)
    ap.add_argument('--explain-alphas', type=int, default=2)
    ap.add_argument('--explain-sharpness', type=float, default=2.0)
    ap.add_argument('--check-only', action='store_true')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    with open(args.config) as f:
        config = json.load(f)
    eos = config['text_config']['eos_token_id']
    layer = (3 * config['vision_config']['num_hidden_layers']) // 4
    layer_text = (3 * config['text_config']['num_hidden_layers']) // 4
    model = CLIPModel(config)
    init_weights(model, args.seed)
    train = Dataset(args.data)
    held = Dataset(args.heldout)
    print(f'train {train.n} phantoms x {train.variants} reports, held-out {held.n}; {sum(p.numel() for p in model.parameters())} parameters', flush=True)

    if args.check_only:
        model.load_state_dict(torch.load(args.checkpoint))
    else:
        g = torch.Generator().manual_seed(args.seed + 1)
        # Auxiliary finding classifiers on both embeddings (training only, not exported): the
        # generator knows every phantom's findings, and this supervision makes the towers learn
        # finding type, side and zone in far fewer steps than the contrastive loss alone.
        proj = config['projection_dim']
        aux_image = nn.Linear(proj, len(SLOTS))
        aux_text = nn.Linear(proj, len(SLOTS))
        with torch.no_grad():
            for head in (aux_image, aux_text):
                head.weight.copy_(torch.randn(head.weight.shape, generator=g) * proj ** -0.5)
                head.bias.zero_()
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and 'embedding' not in n]
        no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and 'embedding' not in n)]
        aux_params = list(aux_image.parameters()) + list(aux_text.parameters())
        opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.05}, {'params': no_decay + aux_params, 'weight_decay': 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
        steps_per_epoch = train.n // args.batch
        total = steps_per_epoch * args.epochs
        warmup = min(100, max(1, total // 10))
        step = 0
        t0 = time.time()
        for epoch in range(args.epochs):
            model.train()
            perm = torch.randperm(train.n, generator=g)
            running = 0.0
            for b in range(steps_per_epoch):
                idx = perm[b * args.batch:(b + 1) * args.batch]
                lr = args.lr * (step + 1) / warmup if step < warmup else args.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
                for group in opt.param_groups:
                    group['lr'] = lr
                variant = torch.randint(0, train.variants, (len(idx),), generator=g)
                ids = trim_ids(train.ids[idx, variant], eos)
                gray, types = augment(train.images[idx], g, train.types[idx] if train.types is not None else None)
                pv = to_pixel_values(gray)
                img_raw = model.encode_image(pv)
                txt_raw = model.encode_text(ids)
                img = F.normalize(img_raw, dim=-1)
                txt = F.normalize(txt_raw, dim=-1)
                y = train.labels[idx]
                aux = F.binary_cross_entropy_with_logits(aux_image(img_raw), y) + F.binary_cross_entropy_with_logits(aux_text(txt_raw), y)
                scale = model.logit_scale.exp().clamp(max=100)
                logits = scale * img @ txt.t()
                labels = torch.arange(len(idx))
                loss = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) + args.aux_weight * aux
                expl = torch.zeros(())
                expl_text = torch.zeros(())
                if args.explain_weight > 0 and types is not None:
                    picks = explanation_batch(train, idx, g, args.explain_items)
                    if picks:
                        rows = torch.tensor([r for r, _, _ in picks])
                        bits = torch.tensor([s[0] for _, _, s in picks])
                        sent = pad_sentences([s[1] for _, _, s in picks], config['text_config'])
                        t_emb = model.encode_text(sent).detach()
                        alphas = torch.randint(1, NIB_STEPS + 1, (len(picks), args.explain_alphas), generator=g).to(torch.float32) / NIB_STEPS
                        scores = nib_patch_scores_train(model, pv[rows], t_emb, layer, alphas)
                        weights = patch_weights(types[rows], bits, config['vision_config']['patch_size'])
                        expl = explanation_loss(scores, weights, args.explain_sharpness)
                        loss = loss + args.explain_weight * expl
                        if args.explain_text_weight > 0:
                            # Text side: the whole report (variant 0, where the spans are known)
                            # against this image; the finding's sentence should carry the top score.
                            reports = trim_ids(train.ids[torch.tensor([i for _, i, _ in picks]), 0], eos)
                            span = torch.zeros(reports.shape, dtype=torch.float32)
                            for r, (_, _, s) in enumerate(picks):
                                span[r, s[2]:s[3]] = 1
                            valid = reports != eos
                            valid[:, 0] = False  # BOS
                            tscores = nib_token_scores_train(model, reports, img_raw[rows].detach(), layer_text, alphas)
                            expl_text = explanation_loss(tscores, span, args.explain_sharpness, valid)
                            loss = loss + args.explain_text_weight * expl_text
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                running += loss.item()
                running_aux = aux.item()
                step += 1
                if step % 10 == 0:
                    print(f'epoch {epoch} step {step}/{total} loss {running / (b + 1):.4f} aux {running_aux:.3f} explain {expl.item():.3f} text {expl_text.item():.3f} scale {scale.item():.1f} {time.time() - t0:.0f}s', flush=True)
            model.eval()
            img, txt = embed_all(model, held, eos)
            r1 = retrieval_top1(img, txt, held.meta['contentKeys'])
            print(f'epoch {epoch} done: loss {running / steps_per_epoch:.4f} held-out retrieval@1/10 {r1:.3f} {time.time() - t0:.0f}s', flush=True)
            if held.masks is not None:
                check = attribution_check(model, held, eos, layer, limit=90)
                print('  python NIB pointing (strict / within half a patch): ' + ', '.join(f"{k} {v['pointing']:.2f}/{v['pointing_tol']:.2f}" for k, v in check.items()), flush=True)
            if args.checkpoint:
                torch.save(model.state_dict(), args.checkpoint)

    model.eval()
    img, txt = embed_all(model, held, eos)
    print(f'held-out retrieval top-1 among 10: {retrieval_top1(img, txt, held.meta["contentKeys"]):.3f}', flush=True)
    if held.masks is not None:
        print(f'python NIB check at layer {layer}:', json.dumps(attribution_check(model, held, eos, layer), indent=1), flush=True)
    export_bundle(model, config, args.out)
    print('exported to', args.out, flush=True)


if __name__ == '__main__':
    sys.exit(main())
