#!/usr/bin/env python3
"""demo-lora-torch: a tiny character-level causal transformer, pretrained briefly on raw text, then
frozen and fine-tuned with a hand-written LoRA (on the attention query and value projections) on an
instruct dataset. Eval loss every N steps; saves the pretrained base, the adapter and the merged weights as safetensors;
stops cleanly on SIGTERM. Runs on a CPU with Debian's python3-torch in seconds.

Preemption (SLURM): when the supervisor asks for a checkpoint (tunebench.checkpoint_requested()), it saves
checkpoints/step-<k> (adapter.safetensors, optimizer.pt: AdamW and LR schedule, state.json: step, tokens,
RNG states) at the end of step k and exits 0 without the final outputs; the requeued attempt resumes
from the newest complete checkpoint (tunebench.resume_checkpoint()) at step k+1, on the base model kept
in <output-dir>/base.safetensors, so its metrics continue exactly as an uninterrupted run's would.

Data parallel under torchrun (WORLD_SIZE > 1): gloo process group; rank 0 pretrains the base and sends
it (and the LoRA init) to the others; each rank samples its own batches (seed + rank); gradients and the
loss are averaged with all_reduce; only rank 0 evaluates, logs, prints and saves. A checkpoint request
or SIGTERM seen by any rank is agreed by all (an all_reduce each step), so all stop at the same step.
"""
import argparse
import json
import math
import os
import random
import signal
import socket
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # two BLAS threads on two cores is ~10x slower
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torch.distributed as dist  # noqa: E402

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


def rng_state_to_json(state):
    version, internal, gauss_next = state
    return [version, list(internal), gauss_next]


def rng_state_from_json(value):
    version, internal, gauss_next = value
    return (version, tuple(internal), gauss_next)


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
    world = int(os.environ.get("WORLD_SIZE") or 1)
    rank = int(os.environ.get("RANK") or 0)
    distributed = world > 1
    if distributed:
        dist.init_process_group("gloo")  # env:// (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE from torchrun)
        print("rank %d/%d on %s ready" % (rank, world, socket.gethostname()), flush=True)
    main_process = tunebench.is_main_process() if tunebench else rank == 0

    def say(text):
        if main_process:
            print(text, flush=True)

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
    base_path = os.path.join(a.output_dir, "base.safetensors")

    # What to resume from: rank 0 reads it and sends it to the others (their disks may not have it).
    resume = None
    if main_process and tunebench:
        ck = tunebench.resume_checkpoint()
        if ck:
            with open(os.path.join(ck, "state.json")) as f:
                state = json.load(f)
            adapter = {k: torch.tensor(v, dtype=torch.float32).view(shape)
                       for k, (shape, v) in safetensors_lite.load(os.path.join(ck, "adapter.safetensors")).items()}
            resume = {"path": ck, "state": state, "adapter": adapter,
                      "optim": torch.load(os.path.join(ck, "optimizer.pt"), map_location="cpu")}
    if distributed:
        box = [resume]
        dist.broadcast_object_list(box, src=0)
        resume = box[0]

    def load_base():
        """The base this run pretrained (attempt 0 kept it), so a resumed run fine-tunes exactly the same model."""
        try:
            tensors = safetensors_lite.load(base_path)
            state = {k: torch.tensor(v, dtype=torch.float32).view(shape) for k, (shape, v) in tensors.items()}
            model.load_state_dict(state)
            return True
        except (OSError, ValueError, KeyError, RuntimeError) as e:
            say("could not load the pretrained base %s (%s): pretraining it again" % (base_path, e))
            return False

    def loss_on(ids, batch_rng, batches_n=4):
        total = 0.0
        with torch.no_grad():
            for _ in range(batches_n):
                x, y = batches(ids, a.seq_len, a.batch, batch_rng)
                total += F.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1)).item()
        return total / batches_n

    # 1. Pretrain the base model briefly on raw text (no template). Only rank 0: the others get its weights.
    if main_process and not (resume and load_base()):
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
        safetensors_lite.save(base_path,
                              {k: (list(v.shape), v.float().flatten().tolist()) for k, v in model.state_dict().items()}, {"vocab": json.dumps(vocab)})
    if distributed and rank != 0:
        rng = random.Random(a.seed + rank)  # each rank its own batches

    # 2. Freeze it, wrap the attention query and value projections with LoRA, fine-tune on the instruct data.
    for param in model.parameters():
        param.requires_grad_(False)
    for block in model.blocks:
        block.q = LoRALinear(block.q, a.rank, a.alpha)
        block.v = LoRALinear(block.v, a.rank, a.alpha)
    lora = [prm for prm in model.parameters() if prm.requires_grad]
    say("fine-tuning %d LoRA parameters of %d" % (sum(x.numel() for x in lora), sum(x.numel() for x in model.parameters())))
    opt = torch.optim.AdamW(lora, lr=a.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / a.steps)
    tokens = 0
    start = 1
    if resume:
        state = resume["state"]
        with torch.no_grad():
            for i, block in enumerate(model.blocks):
                for name in ("q", "v"):
                    layer = getattr(block, name)
                    layer.A.copy_(resume["adapter"]["blocks.%d.%s.lora_A" % (i, name)])
                    layer.B.copy_(resume["adapter"]["blocks.%d.%s.lora_B" % (i, name)])
        opt.load_state_dict(resume["optim"]["optimizer"])
        sched.load_state_dict(resume["optim"]["scheduler"])
        rngs = state.get("rank_rngs") or [state["rng"]]
        if rank < len(rngs) and (world == len(rngs) or rank == 0):
            rng.setstate(rng_state_from_json(rngs[rank]))
        else:  # a different number of ranks than when it was saved: a fresh stream for this rank
            rng = random.Random(a.seed + rank + 1000003 * state["step"])
        tokens = state["tokens"]
        start = state["step"] + 1
        say("Resuming from checkpoint %s at step %d (attempt %d)" % (resume["path"], state["step"], tunebench.attempt()))
    if distributed:  # every rank starts from rank 0's weights (base and LoRA)
        with torch.no_grad():
            for tensor in model.state_dict().values():
                dist.broadcast(tensor, 0)

    def log(m, step, kind="train"):
        if not main_process:
            return
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

    def save_checkpoint(step, tokens):
        """checkpoints/step-<step> with what resuming needs, recorded once complete. Every rank calls it (their RNG states)."""
        rngs = [rng_state_to_json(rng.getstate())]
        if distributed:
            rngs = [None] * world
            dist.all_gather_object(rngs, rng_state_to_json(rng.getstate()))
        if not main_process:
            return
        ckpt = os.path.join("checkpoints", "step-%d" % step)
        try:
            os.remove(os.path.join(ckpt, ".complete"))  # a rewrite is incomplete until recorded again
        except OSError:
            pass
        save(ckpt)
        torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, os.path.join(ckpt, "optimizer.pt"))
        state = {"step": step, "tokens": tokens, "rng": rngs[0], "world_size": world}
        if distributed:
            state["rank_rngs"] = rngs
        with open(os.path.join(ckpt, "state.json"), "w") as f:
            json.dump(state, f)
        if tunebench:
            tunebench.checkpoint_saved(step, ckpt)

    def finish(code):
        if distributed:
            dist.barrier()  # rank 0 is done writing before any rank exits
            dist.destroy_process_group()
        return code

    def average(tensors):
        """Sums over the ranks in one all_reduce, divided by the number of ranks; written back in place."""
        flat = torch.cat([t.reshape(-1) for t in tensors])
        dist.all_reduce(flat)
        flat /= world
        offset = 0
        for t in tensors:
            t.copy_(flat[offset:offset + t.numel()].view_as(t))
            offset += t.numel()

    eval_rng = random.Random(1234)
    if start == 1 and main_process:
        log({"eval_loss": loss_on(eval_ids, random.Random(1234))}, 0, kind="eval")
    step = 0
    stopping = False  # SIGTERM, agreed by all ranks at the end of the previous step
    for step in range(start, a.steps + 1):
        if (stopping if distributed else stop_requested):
            say("SIGTERM received: saving and stopping at step %d" % step)
            # SLURM sends TERM at preemption (with USR2, or alone): keep the last whole step resumable.
            if tunebench and step > start and not (a.save_every and (step - 1) % a.save_every == 0):
                save_checkpoint(step - 1, tokens)
            break
        x, y = batches(train_ids, a.seq_len, a.batch, rng)
        loss = F.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        if distributed:
            loss_value = loss.detach().reshape(1).clone()
            average([prm.grad for prm in lora] + [loss_value])
            loss_value = loss_value.item()
        else:
            loss_value = loss.item()
        norm = torch.nn.utils.clip_grad_norm_(lora, 1.0).item()
        lr = sched.get_last_lr()[0]
        opt.step()
        sched.step()
        tokens += x.numel() * world
        log({"loss": loss_value, "learning_rate": lr, "grad_norm": norm, "tokens": tokens, "epoch": tokens / len(train_ids)}, step)
        if main_process and (step % a.eval_every == 0 or step == a.steps):
            eval_loss = loss_on(eval_ids, random.Random(1234))
            log({"eval_loss": eval_loss}, step, kind="eval")
            print("step %d loss %.4f eval_loss %.4f" % (step, loss_value, eval_loss), flush=True)
        saved = a.save_every and step % a.save_every == 0
        if saved:
            save_checkpoint(step, tokens)
        requested = bool(tunebench and tunebench.checkpoint_requested())
        if distributed:  # all ranks stop at the same step, or one would wait for the others forever
            flags = torch.tensor([float(requested), float(stop_requested)])
            dist.all_reduce(flags, op=dist.ReduceOp.MAX)
            requested, stopping = bool(flags[0] > 0), bool(flags[1] > 0)
        if requested:
            if not saved:
                save_checkpoint(step, tokens)
            say("checkpoint requested: saved step %d, stopping so the job can be requeued" % step)
            return finish(0)
        if a.sleep_per_step:
            time.sleep(a.sleep_per_step)
    del eval_rng

    if not main_process:
        return finish(143 if stop_requested or stopping else 0)
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
    return finish(143 if stop_requested or stopping else 0)


if __name__ == "__main__":
    sys.exit(main())
