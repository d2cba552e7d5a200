#!/usr/bin/env python3
"""demo-lora-stdlib: a real (tiny) LoRA fine-tune in pure Python, for hosts without torch.

A character-level bigram language model is "pretrained" from counts on general text, then frozen;
a low-rank adapter (A: V x r, B: r x V, scaled by alpha/r) is trained with SGD on an instruct
dataset. Logs train loss, learning rate, grad norm and tokens seen every step and eval loss every
eval_every steps through tunebench.log; saves the adapter and the merged weights as safetensors;
stops cleanly on SIGTERM, saving what it has.
"""
import argparse
import json
import math
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_lite  # noqa: E402

try:
    import tunebench
except ImportError:  # running outside Tunebench: print metrics instead
    tunebench = None

stop_requested = False


def on_sigterm(*_):
    global stop_requested
    stop_requested = True


def load_examples(path):
    texts = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                ex = json.loads(line)
                texts.append("### Instruction:\n%s\n### Response:\n%s\n" % (ex["instruction"], ex["response"]))
    return texts


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", required=True)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--eval-every", type=int, default=20)
    p.add_argument("--save-every", type=int, default=0)
    p.add_argument("--lr", type=float, default=2.0)
    p.add_argument("--rank", type=int, default=4)
    p.add_argument("--alpha", type=float, default=8.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sleep-per-step", type=float, default=0.0)
    p.add_argument("--output-dir", default="outputs")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    rng = random.Random(a.seed)

    texts = load_examples(a.dataset)
    rng.shuffle(texts)
    n_eval = max(1, len(texts) // 5)
    eval_text, train_text = "".join(texts[:n_eval]), "".join(texts[n_eval:])
    vocab = sorted(set(eval_text + train_text))
    V, r, s = len(vocab), a.rank, a.alpha / a.rank
    idx = {c: i for i, c in enumerate(vocab)}
    train = [idx[c] for c in train_text]
    evals = [idx[c] for c in eval_text]

    # "Pretraining": bigram log-probabilities from a flattened, uniform-smoothed count of the training text.
    counts = [[1.0] * V for _ in range(V)]
    for x, y in zip(train, train[1:]):
        counts[x][y] += 0.05
    W = [[math.log(c / sum(row)) for c in row] for row in counts]
    A = [[rng.gauss(0, 0.01) for _ in range(r)] for _ in range(V)]
    B = [[0.0] * V for _ in range(r)]  # LoRA starts as the identity change

    def loss_and_grads(pairs, want_grads):
        total = 0.0
        gA = [[0.0] * r for _ in range(V)] if want_grads else None
        gB = [[0.0] * V for _ in range(r)] if want_grads else None
        for x, y in pairs:
            h = A[x]
            logits = [W[x][j] + s * sum(h[k] * B[k][j] for k in range(r)) for j in range(V)]
            mx = max(logits)
            exps = [math.exp(l - mx) for l in logits]
            z = sum(exps)
            total += -(logits[y] - mx - math.log(z))
            if want_grads:
                d = [e / z for e in exps]
                d[y] -= 1.0
                for k in range(r):
                    hk = h[k] * s
                    row = gB[k]
                    acc = 0.0
                    Bk = B[k]
                    for j in range(V):
                        row[j] += hk * d[j]
                        acc += Bk[j] * d[j]
                    gA[x][k] += s * acc
        n = len(pairs)
        return total / n, gA, gB, n

    def log(m, step, kind="train"):
        if tunebench:
            tunebench.log(m, step=step, kind=kind)
        else:
            print(json.dumps({"step": step, "kind": kind, **m}))

    os.makedirs(a.output_dir, exist_ok=True)

    def save(directory):
        os.makedirs(directory, exist_ok=True)
        safetensors_lite.save(os.path.join(directory, "adapter.safetensors"),
                              {"lora_A": ([V, r], [v for row in A for v in row]),
                               "lora_B": ([r, V], [v for row in B for v in row])},
                              {"rank": r, "alpha": a.alpha, "vocab": json.dumps(vocab)})

    tokens = 0
    eval_pairs = list(zip(evals, evals[1:]))
    print("training %d steps, vocab %d, rank %d, %d train / %d eval chars" % (a.steps, V, r, len(train), len(evals)), flush=True)
    step = 0
    for step in range(1, a.steps + 1):
        if stop_requested:
            print("SIGTERM received: saving and stopping at step %d" % step, flush=True)
            break
        lr = a.lr * (1 - (step - 1) / a.steps)  # linear decay
        starts = [rng.randrange(len(train) - 1) for _ in range(a.batch)]
        pairs = [(train[i], train[i + 1]) for i in starts]
        loss, gA, gB, n = loss_and_grads(pairs, True)
        norm = math.sqrt(sum(v * v for row in gA for v in row) + sum(v * v for row in gB for v in row)) / n
        for x in range(V):
            for k in range(r):
                A[x][k] -= lr * gA[x][k] / n
        for k in range(r):
            for j in range(V):
                B[k][j] -= lr * gB[k][j] / n
        tokens += n
        log({"loss": loss, "learning_rate": lr, "grad_norm": norm, "tokens": tokens, "epoch": tokens / len(train)}, step)
        sys.stdout.write("\rstep %d/%d loss %.4f" % (step, a.steps, loss))
        sys.stdout.flush()
        if step % a.eval_every == 0 or step == a.steps:
            eval_loss = loss_and_grads(eval_pairs[:2000], False)[0]
            log({"eval_loss": eval_loss}, step, kind="eval")
            print("\neval step %d eval_loss %.4f" % (step, eval_loss), flush=True)
        if a.save_every and step % a.save_every == 0:
            ckpt = os.path.join("checkpoints", "step-%d" % step)
            save(ckpt)
            if tunebench:
                tunebench.event("checkpoint_saved", step=step, path=ckpt)
        if a.sleep_per_step:
            time.sleep(a.sleep_per_step)

    save(a.output_dir)
    merged = [[W[x][j] + s * sum(A[x][k] * B[k][j] for k in range(r)) for j in range(V)] for x in range(V)]
    safetensors_lite.save(os.path.join(a.output_dir, "merged.safetensors"),
                          {"logits_table": ([V, V], [v for row in merged for v in row])}, {"vocab": json.dumps(vocab)})
    print("\nsaved adapter and merged weights to %s" % a.output_dir, flush=True)
    return 143 if stop_requested else 0


if __name__ == "__main__":
    sys.exit(main())
