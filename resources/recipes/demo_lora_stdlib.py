#!/usr/bin/env python3
"""demo-lora-stdlib: a real (tiny) LoRA fine-tune in pure Python, for hosts without torch.

A character-level bigram language model is "pretrained" from counts on general text, then frozen;
a low-rank adapter (A: V x r, B: r x V, scaled by alpha/r) is trained with SGD on an instruct
dataset. Logs train loss, learning rate, grad norm and tokens seen every step and eval loss every
eval_every steps through tunebench.log; saves the adapter and the merged weights as safetensors;
stops cleanly on SIGTERM, saving what it has.

Preemption (SLURM): when the supervisor asks for a checkpoint (tunebench.checkpoint_requested()), it
saves checkpoints/step-<k> (adapter.safetensors; state.safetensors: A and B exactly, as F64; state.json:
step, tokens, RNG state) at the end of step k and exits 0 without the final outputs. The requeued attempt
resumes from the newest complete checkpoint (tunebench.resume_checkpoint()) at step k+1, so its metrics
continue exactly as an uninterrupted run's would: no gap, no step twice.
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


def rng_state_to_json(state):
    version, internal, gauss_next = state
    return [version, list(internal), gauss_next]


def rng_state_from_json(value):
    version, internal, gauss_next = value
    return (version, tuple(internal), gauss_next)


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

    def save_checkpoint(step, tokens):
        """checkpoints/step-<step>: the adapter and state.json (the state at the end of that step), recorded."""
        ckpt = os.path.join("checkpoints", "step-%d" % step)
        try:
            os.remove(os.path.join(ckpt, ".complete"))  # a rewrite is incomplete until recorded again
        except OSError:
            pass
        save(ckpt)
        # adapter.safetensors is F32 (for evaluation); the resume needs A and B exactly as they are.
        safetensors_lite.save(os.path.join(ckpt, "state.safetensors"),
                              {"lora_A": ([V, r], [v for row in A for v in row]),
                               "lora_B": ([r, V], [v for row in B for v in row])}, dtype="F64")
        with open(os.path.join(ckpt, "state.json"), "w") as f:
            json.dump({"step": step, "tokens": tokens, "rng": rng_state_to_json(rng.getstate()),
                       "vocab_size": V, "rank": r}, f)
        if tunebench:
            tunebench.checkpoint_saved(step, ckpt)
        return ckpt

    tokens = 0
    eval_pairs = list(zip(evals, evals[1:]))
    print("training %d steps, vocab %d, rank %d, %d train / %d eval chars" % (a.steps, V, r, len(train), len(evals)), flush=True)
    start = 1
    ck = tunebench.resume_checkpoint() if tunebench else None
    if ck:
        with open(os.path.join(ck, "state.json")) as f:
            state = json.load(f)
        exact = os.path.join(ck, "state.safetensors")
        tensors = safetensors_lite.load(exact if os.path.exists(exact) else os.path.join(ck, "adapter.safetensors"))
        (shape_a, flat_a), (shape_b, flat_b) = tensors["lora_A"], tensors["lora_B"]
        if list(shape_a) != [V, r] or list(shape_b) != [r, V]:
            raise SystemExit("checkpoint %s does not fit this run: lora_A %s, lora_B %s, expected [%d, %d] and [%d, %d]"
                             % (ck, shape_a, shape_b, V, r, r, V))
        A[:] = [flat_a[x * r:(x + 1) * r] for x in range(V)]
        B[:] = [flat_b[k * V:(k + 1) * V] for k in range(r)]
        rng.setstate(rng_state_from_json(state["rng"]))
        tokens = state["tokens"]
        start = state["step"] + 1
        print("Resuming from checkpoint %s at step %d (attempt %d)" % (ck, state["step"], tunebench.attempt()), flush=True)
    step = 0
    for step in range(start, a.steps + 1):
        if stop_requested:
            print("SIGTERM received: saving and stopping at step %d" % step, flush=True)
            # SLURM sends TERM at preemption (with USR2, or alone): keep the last whole step resumable, so a
            # requeued attempt continues at this step with nothing repeated.
            if tunebench and step > start and not (a.save_every and (step - 1) % a.save_every == 0):
                save_checkpoint(step - 1, tokens)
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
        saved = a.save_every and step % a.save_every == 0
        if saved:
            save_checkpoint(step, tokens)
        if tunebench and tunebench.checkpoint_requested():
            if not saved:
                save_checkpoint(step, tokens)
            print("\ncheckpoint requested: saved step %d, stopping so the job can be requeued" % step, flush=True)
            return 0
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
