#!/usr/bin/env python3
"""demo-lora-torch: a tiny character-level causal transformer, pretrained briefly on raw text, then
frozen and fine-tuned with a hand-written LoRA (on the attention query and value projections) on an
instruct dataset. Eval loss every N steps; saves the pretrained base, the adapter and the merged weights as safetensors;
stops cleanly on SIGTERM. Runs on a CPU with Debian's python3-torch in seconds.
"""
import argparse
import json
import math
import os
import random
import signal
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # two BLAS threads on two cores is ~10x slower
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_lite  # noqa: E402

try:
    import tunebench
except ImportError:
    tunebench = None

stop_requested = False


def on_sigterm(*_):
    global stop_requested
    stop_requested = True


class LoRALinear(nn.Module):
    """y = W x + (alpha / r) * B A x, with W frozen; B starts at zero so training starts from the base model."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.scale = alpha / r
        self.A = nn.Parameter(torch.randn(r, base.in_features) / math.sqrt(base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))

    def forward(self, x):
        return self.base(x) + (x @ self.A.t() @ self.B.t()) * self.scale

    def merged_weight(self):
        return self.base.weight + self.scale * (self.B @ self.A)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        b, t, d = x.shape
        h = self.ln1(x)
        split = lambda y: y.view(b, t, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
        att = att.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf")).softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class TinyLM(nn.Module):
    def __init__(self, vocab, d, layers, heads, seq_len):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq_len, d)
        self.blocks = nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def batches(data, seq_len, batch, rng):
    starts = [rng.randrange(len(data) - seq_len - 1) for _ in range(batch)]
    x = torch.tensor([data[s:s + seq_len] for s in starts])
    y = torch.tensor([data[s + 1:s + seq_len + 1] for s in starts])
    return x, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", required=True)
    p.add_argument("--pretrain-steps", type=int, default=150)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--eval-every", type=int, default=20)
    p.add_argument("--save-every", type=int, default=0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--rank", type=int, default=4)
    p.add_argument("--alpha", type=float, default=8.0)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sleep-per-step", type=float, default=0.0)
    p.add_argument("--output-dir", default="outputs")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    examples = [json.loads(line) for line in open(a.dataset) if line.strip()]
    rng.shuffle(examples)
    templated = ["### Instruction:\n%s\n### Response:\n%s\n" % (e["instruction"], e["response"]) for e in examples]
    raw = " ".join("%s %s" % (e["instruction"], e["response"]) for e in examples)
    n_eval = max(1, len(examples) // 5)
    train_text, eval_text = "".join(templated[n_eval:]), "".join(templated[:n_eval])
    vocab = sorted(set(raw + train_text + eval_text))
    idx = {c: i for i, c in enumerate(vocab)}
    enc = lambda s: [idx[c] for c in s]  # noqa: E731
    raw_ids, train_ids, eval_ids = enc(raw), enc(train_text), enc(eval_text)

    model = TinyLM(len(vocab), a.d_model, a.layers, a.heads, a.seq_len)

    def loss_on(ids, batch_rng, batches_n=4):
        total = 0.0
        with torch.no_grad():
            for _ in range(batches_n):
                x, y = batches(ids, a.seq_len, a.batch, batch_rng)
                total += F.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1)).item()
        return total / batches_n

    # 1. Pretrain the base model briefly on raw text (no template).
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for step in range(1, a.pretrain_steps + 1):
        x, y = batches(raw_ids, a.seq_len, a.batch, rng)
        loss = F.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0:
            print("pretrain step %d loss %.4f" % (step, loss.item()), flush=True)

    # Keep the pretrained base (same names and format as merged.safetensors), so a test run can evaluate the
    # model before fine-tuning, or a checkpoint's adapter merged onto it.
    os.makedirs(a.output_dir, exist_ok=True)
    safetensors_lite.save(os.path.join(a.output_dir, "base.safetensors"),
                          {k: (list(v.shape), v.float().flatten().tolist()) for k, v in model.state_dict().items()}, {"vocab": json.dumps(vocab)})

    # 2. Freeze it, wrap the attention query and value projections with LoRA, fine-tune on the instruct data.
    for param in model.parameters():
        param.requires_grad_(False)
    for block in model.blocks:
        block.q = LoRALinear(block.q, a.rank, a.alpha)
        block.v = LoRALinear(block.v, a.rank, a.alpha)
    lora = [prm for prm in model.parameters() if prm.requires_grad]
    print("fine-tuning %d LoRA parameters of %d" % (sum(x.numel() for x in lora), sum(x.numel() for x in model.parameters())), flush=True)
    opt = torch.optim.AdamW(lora, lr=a.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / a.steps)

    def log(m, step, kind="train"):
        if tunebench:
            tunebench.log(m, step=step, kind=kind)
        else:
            print(json.dumps(dict(m, step=step, kind=kind)))

    def save(directory):
        os.makedirs(directory, exist_ok=True)
        tensors = {}
        for i, block in enumerate(model.blocks):
            for name in ("q", "v"):
                layer = getattr(block, name)
                tensors["blocks.%d.%s.lora_A" % (i, name)] = (list(layer.A.shape), layer.A.detach().flatten().tolist())
                tensors["blocks.%d.%s.lora_B" % (i, name)] = (list(layer.B.shape), layer.B.detach().flatten().tolist())
        safetensors_lite.save(os.path.join(directory, "adapter.safetensors"), tensors, {"rank": a.rank, "alpha": a.alpha})

    eval_rng = random.Random(1234)
    log({"eval_loss": loss_on(eval_ids, random.Random(1234))}, 0, kind="eval")
    tokens = 0
    step = 0
    for step in range(1, a.steps + 1):
        if stop_requested:
            print("SIGTERM received: saving and stopping at step %d" % step, flush=True)
            break
        x, y = batches(train_ids, a.seq_len, a.batch, rng)
        loss = F.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(lora, 1.0).item()
        lr = sched.get_last_lr()[0]
        opt.step()
        sched.step()
        tokens += x.numel()
        log({"loss": loss.item(), "learning_rate": lr, "grad_norm": norm, "tokens": tokens, "epoch": tokens / len(train_ids)}, step)
        if step % a.eval_every == 0 or step == a.steps:
            eval_loss = loss_on(eval_ids, random.Random(1234))
            log({"eval_loss": eval_loss}, step, kind="eval")
            print("step %d loss %.4f eval_loss %.4f" % (step, loss.item(), eval_loss), flush=True)
        if a.save_every and step % a.save_every == 0:
            save(os.path.join("checkpoints", "step-%d" % step))
            if tunebench:
                tunebench.event("checkpoint_saved", step=step, path="checkpoints/step-%d" % step)
        if a.sleep_per_step:
            time.sleep(a.sleep_per_step)
    del eval_rng

    save(a.output_dir)
    merged = {}
    for name, tensor in model.state_dict().items():
        if ".A" in name or ".B" in name:
            continue
        merged[name.replace(".base.", ".")] = tensor
    for i, block in enumerate(model.blocks):
        for name in ("q", "v"):
            merged["blocks.%d.%s.weight" % (i, name)] = getattr(block, name).merged_weight().detach()
    safetensors_lite.save(os.path.join(a.output_dir, "merged.safetensors"),
                          {k: (list(v.shape), v.float().flatten().tolist()) for k, v in merged.items()}, {"vocab": json.dumps(vocab)})
    print("saved adapter and merged weights to %s" % a.output_dir, flush=True)
    return 143 if stop_requested else 0


if __name__ == "__main__":
    sys.exit(main())
