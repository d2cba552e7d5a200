#!/usr/bin/env python3
"""Tunebench test runner: answers a suite's cases with two models, one at a time, on the host that holds them.

Usage: python3 evaluate.py SPEC.json, with the test run directory as the working directory.

Python 3.8+ standard library at the top level; torch, transformers, peft and lm_eval are imported only by
the code that needs them, so the runner starts (and records what it can) on any host.

It computes, it never scores: outputs of greedy generation, log-likelihoods of options, token NLL of a
text, timings. The engine scores those records against each case's `expect`, so the gates can be
recomputed by anyone from cases.jsonl alone.

cases.jsonl (appended, one JSON object a line, `seq` increasing across restarts):
  env      once per start: runner version, python, torch, transformers, device, gpu, hostname
  model    once per model: the files that make it up, each with its sha256, and their root digest
  case     one per (model, case): output, generated tokens, ms, error, measures
  done     once per model, when all its cases (and harness tasks) are recorded
  harness-skipped / harness-task / harness-error / model-error / error: see the functions that write them
A restarted runner skips every (model, case) already recorded, so it never repeats a finished case; a
line cut short by a kill is removed first. SIGTERM: the line being written is finished, then exit 143.
"""
import gc
import hashlib
import json
import math
import os
import platform
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback

RUNNER = "tunebench-eval/1"
RECORDS = "cases.jsonl"
GENERATION_KINDS = frozenset(["exact", "contains", "not-contains", "regex", "json", "judge"])
HARNESS_INPUT_FIELDS = ("query", "question", "problem", "prompt", "text", "sentence", "ctx", "goal", "premise", "passage")
MAX_INPUT_CHARS = 2000

torch = None  # imported by load_torch(), only when a model needs it


class Terminated(BaseException):
    """SIGTERM arrived: unwinds everything (a BaseException, so no per-case handler records it as an error)."""


class CaseTimeout(Exception):
    """The case ran past caseTimeoutSeconds (raised from the SIGALRM handler)."""


# Signal state. A handler raises only when it is safe to: never while a record line is being written
# (the line would be cut or written twice), and SIGALRM only while a model call is armed.
_state = {"writing": False, "stop": False, "armed": False}


def _on_sigterm(_signum, _frame):
    _state["stop"] = True
    if not _state["writing"]:
        raise Terminated()


def _on_alarm(_signum, _frame):
    if _state["armed"]:
        _state["armed"] = False
        raise CaseTimeout("time limit")


def timed(seconds, fn, *args):
    """fn(*args) under a wall-clock limit (SIGALRM on the main thread); CaseTimeout when it runs past it."""
    if not seconds or seconds <= 0:
        return fn(*args)
    _state["armed"] = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        # Disarm first: an alarm already pending when the timer is cleared must not raise later, in the writer.
        _state["armed"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def describe(exc):
    """'Type: message (file:line in function)' from the innermost frame: enough to find it, one line."""
    if isinstance(exc, CaseTimeout):
        return "time limit"
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        where = " (%s:%d in %s)" % (os.path.basename(last.filename), last.lineno, last.name)
    text = "%s: %s%s" % (type(exc).__name__, str(exc).strip() or "(no message)", where)
    return text if len(text) <= 1000 else text[:997] + "..."


def finite_measures(measures):
    """Numbers only, and finite: NaN and Infinity are not JSON, and the engine's records hold plain numbers."""
    out = {}
    for key, value in measures.items():
        if isinstance(value, bool):
            value = 1 if value else 0
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[key] = value
    return out


class Records:
    """cases.jsonl: recovers what an earlier start wrote, then appends one line per write with os.write.

    One os.write per line (no Python buffer that a kill could leave half-flushed); no fsync, which would
    cost more than a tiny model's case, and a line lost in a machine crash is only recomputed on restart.
    """

    def __init__(self, path):
        self.path = path
        self.seq = 0
        self.done = set()  # (model, case id)
        self.models = {}  # model role -> its model line
        self.finished = set()  # roles with a done line
        self.harness_tasks = set()  # (model, task) with a harness-task line
        self.skipped = set()  # harness-skipped lines: model role, or None for "not installed"
        self._recover()
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _recover(self):
        try:
            f = open(self.path, "rb+")
        except FileNotFoundError:
            return
        with f:
            data = f.read()
            end = data.rfind(b"\n") + 1
            if end < len(data):
                f.truncate(end)  # the runner was killed mid-line: that case is simply done again
                data = data[:end]
        for raw in data.splitlines():
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(rec, dict):
                continue
            if isinstance(rec.get("seq"), int):
                self.seq = max(self.seq, rec["seq"])
            self._note(rec)

    def _note(self, rec):
        kind = rec.get("type")
        if kind == "case":
            self.done.add((rec.get("model"), rec.get("case")))
        elif kind == "model":
            self.models[rec.get("model")] = rec
        elif kind == "done":
            self.finished.add(rec.get("model"))
        elif kind == "harness-task":
            self.harness_tasks.add((rec.get("model"), rec.get("task")))
        elif kind == "harness-skipped":
            self.skipped.add(rec.get("model"))

    def write(self, line_type, **fields):
        rec = {"seq": self.seq + 1, "type": line_type}
        rec.update(fields)
        data = (json.dumps(rec, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
        _state["writing"] = True
        try:
            while data:
                data = data[os.write(self.fd, data):]
        finally:
            _state["writing"] = False
        self.seq += 1
        self._note(rec)
        if _state["stop"]:
            raise Terminated()  # SIGTERM came while the line was being written: it is complete now

    def close(self):
        os.close(self.fd)


# ---------------------------------------------------------------------------------------------------------
# Files and digests


def sha256_file(path):
    """Streamed in 1 MiB blocks into one reused buffer: a 30 GB shard never sits in memory."""
    h = hashlib.sha256()
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


def describe_files(root, rel_paths):
    """[{path, size, sha256}] sorted by path, and the root digest over '<sha256>  <path>\\n' lines."""
    files = []
    for rel in sorted(set(rel_paths)):
        full = os.path.join(root, rel)
        files.append({"path": rel, "size": os.path.getsize(full), "sha256": sha256_file(full)})
    text = "".join("%s  %s\n" % (f["sha256"], f["path"]) for f in files)
    return files, hashlib.sha256(text.encode("utf-8")).hexdigest()


def regular_files(root):
    """Every regular file under root, relative, sorted. Hidden entries (.cache of a hub download, .git) and
    the Trainer's checkpoint-N folders inside a final output folder are not part of that model."""
    out = []
    for here, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here == root and d.startswith("checkpoint-")))
        for name in names:
            full = os.path.join(here, name)
            if not name.startswith(".") and os.path.isfile(full):
                out.append(os.path.relpath(full, root))
    return sorted(out)


# ---------------------------------------------------------------------------------------------------------
# Environment


def load_torch():
    global torch
    if torch is None:
        import torch as torch_module
        torch = torch_module
    return torch


def package_version(name):
    try:
        from importlib import metadata
        return metadata.version(name)
    except Exception:  # not installed, or no metadata: either way there is no version to report
        return None


def environment(spec):
    """The env line. Imports torch when a model loader will need it anyway, to say which device it gets."""
    env = {"ts": time.time(), "runner": RUNNER, "python": platform.python_version(), "torch": None,
           "transformers": package_version("transformers"), "device": "cpu", "gpu": None,
           "hostname": socket.gethostname()}
    try:
        t = load_torch()
        env["torch"] = t.__version__
        if t.cuda.is_available():
            env["device"] = "cuda:0"
            env["gpu"] = t.cuda.get_device_name(0)
    except ImportError:
        pass
    return env


# ---------------------------------------------------------------------------------------------------------
# demo-torch: the demo-lora-torch recipe's TinyLM, its safetensors and its char-level vocabulary

_tinylm = []


def tinylm_class():
    """The recipe's model, copied here (a run's train.py is never imported: it is the code under test)."""
    if _tinylm:
        return _tinylm[0]
    t = load_torch()
    nn = t.nn

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
            self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

        def forward(self, x):
            b, tt, d = x.shape
            h = self.ln1(x)
            split = lambda y: y.view(b, tt, self.heads, d // self.heads).transpose(1, 2)  # noqa: E731
            q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.heads)
            att = att.masked_fill(t.triu(t.ones(tt, tt, dtype=t.bool), 1), float("-inf")).softmax(-1)
            x = x + self.o((att @ v).transpose(1, 2).reshape(b, tt, d))
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
            x = self.tok(idx) + self.pos(t.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln(x))

    _tinylm.append(TinyLM)
    return TinyLM


def read_safetensors(path):
    """{name: float32 tensor}, metadata. The format by hand (8-byte header length, JSON header, raw data), so
    the host needs no safetensors package; little-endian F32/F16/BF16, what the demo and most exports use."""
    t = load_torch()
    dtypes = {"F32": t.float32, "F16": t.float16, "BF16": t.bfloat16}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in dtypes:
            raise ValueError("%s: tensor %s has dtype %s; this reader knows F32, F16 and BF16" % (path, name, info["dtype"]))
        start, end = info["data_offsets"]
        flat = t.frombuffer(bytearray(data[start:end]), dtype=dtypes[info["dtype"]]) if end > start else t.empty(0)
        tensors[name] = flat.reshape(info["shape"]).float()
    return tensors, meta


def score_spans(n, start, window):
    """Windows that score tokens start..n-1 of a sequence, each from up to `window` tokens before it.

    Returns (w0, a, b): feed ids[w0:b-1] (at most `window` tokens) and score targets a..b-1. Built from
    the end, so the last targets (a choice's option) get the longest context.
    """
    spans = []
    b = n
    while b > start:
        w0 = max(0, b - 1 - window)
        a = max(start, w0 + 1)
        spans.append((w0, a, b))
        b = a
    spans.reverse()
    return spans


class DemoModel:
    """TinyLM from <dir>/run.json and the weights the spec names; greedy, one prompt at a time, on the CPU
    (a 100k-parameter model is faster there than on a GPU, one token at a time)."""

    batched = False
    device = "cpu"

    def __init__(self, spec):
        t = load_torch()
        t.set_num_threads(1)  # tiny matrices: extra threads cost more than they give (as in the recipe)
        self.dir = os.path.abspath(spec["dir"])
        with open(os.path.join(self.dir, "run.json")) as f:
            run = json.load(f)
        params = run.get("params") or run
        self.seq_len = int(params.get("seq_len", 64))
        dims = (int(params.get("d_model", 64)), int(params.get("layers", 2)), int(params.get("heads", 4)))

        self.rel_files = ["run.json"]
        self.path, state, meta, adapter = self._weights(spec)
        if adapter is not None:
            ad_tensors, ad_meta = adapter
            scale = float(ad_meta["alpha"]) / float(ad_meta["rank"])
            merged = 0
            for name in list(ad_tensors):
                if name.endswith(".lora_A"):
                    prefix = name[: -len(".lora_A")]
                    a, b = ad_tensors[name], ad_tensors[prefix + ".lora_B"]
                    state[prefix + ".weight"] = state[prefix + ".weight"] + scale * (b @ a)
                    merged += 1
            if not merged:
                raise ValueError("the adapter holds no lora_A/lora_B pairs")
        self.vocab = json.loads(meta["vocab"])
        self.index = {c: i for i, c in enumerate(self.vocab)}
        self.model = tinylm_class()(len(self.vocab), dims[0], dims[1], dims[2], self.seq_len)
        self.model.load_state_dict(state, strict=True)
        self.model.eval()

    def _weights(self, spec):
        """(primary path, state, metadata, adapter or None) for merged / base / adapter / a checkpoint."""
        outputs = os.path.join(self.dir, "outputs")
        checkpoint = spec.get("checkpoint")
        weights = spec.get("weights") or "merged"
        if checkpoint:
            adapter_path = os.path.join(self.dir, checkpoint)
            if os.path.isdir(adapter_path):
                adapter_path = os.path.join(adapter_path, "adapter.safetensors")
        elif weights == "adapter":
            adapter_path = os.path.join(outputs, "adapter.safetensors")
        elif weights in ("merged", "base"):
            path = os.path.join(outputs, weights + ".safetensors")
            self.rel_files.append(os.path.relpath(path, self.dir))
            state, meta = read_safetensors(path)
            return path, state, meta, None
        else:
            raise ValueError("unknown weights %r for demo-torch (merged, base, adapter, or a checkpoint)" % weights)
        base = os.path.join(outputs, "base.safetensors")
        self.rel_files += [os.path.relpath(base, self.dir), os.path.relpath(adapter_path, self.dir)]
        state, meta = read_safetensors(base)
        return adapter_path, state, meta, read_safetensors(adapter_path)

    def encode(self, text):
        ids = [self.index[c] for c in text if c in self.index]
        return ids, len(text) - len(ids)

    def _logits_last(self, ids):
        return self.model(torch.tensor([ids[-self.seq_len:]]))[0, -1]

    def generate(self, prompts, max_new, stops_list):
        """[(text cut at the first stop string, generated tokens, measures)] by greedy argmax."""
        results = []
        with torch.no_grad():
            for prompt, stops in zip(prompts, stops_list):
                ids, unknown = self.encode(prompt)
                if not ids:
                    raise ValueError("the input has no character the model knows")
                text = ""
                generated = 0
                cut = None
                for _ in range(max_new):
                    nxt = int(self._logits_last(ids).argmax())  # argmax: the first of equal maxima
                    ids.append(nxt)
                    generated += 1
                    text += self.vocab[nxt]
                    # One character a step: a stop string first appears exactly when the text ends with it.
                    hit = [len(text) - len(s) for s in stops if s and text.endswith(s)]
                    if hit:
                        cut = min(hit)
                        break
                results.append((text if cut is None else text[:cut], generated, {"unknown_chars": unknown}))
        return results

    def _logprob(self, ids, start):
        """Sum of log p(ids[i] | up to seq_len before it) for i >= start, and how many were scored."""
        total = 0.0
        scored = 0
        for w0, a, b in score_spans(len(ids), start, self.seq_len):
            logp = self.model(torch.tensor([ids[w0:b - 1]]))[0].log_softmax(-1)
            rows = torch.arange(a - 1 - w0, b - 1 - w0)
            total += float(logp[rows, torch.tensor(ids[a:b])].double().sum())
            scored += b - a
        return total, scored

    def option_logprobs(self, context, options):
        """Total log-likelihood of each option's characters after the context (the context's first character
        has nothing before it, so with an empty context the option's first character is not scored)."""
        ctx, unknown = self.encode(context)
        out = []
        with torch.no_grad():
            for option in options:
                opt, unknown_opt = self.encode(option)
                unknown += unknown_opt
                out.append(self._logprob(ctx + opt, max(1, len(ctx)))[0])
        return out, {"unknown_chars": unknown}

    def nll(self, text):
        """(summed NLL in nats, predicted characters, measures): each character from those before it."""
        ids, unknown = self.encode(text)
        with torch.no_grad():
            logprob, scored = self._logprob(ids, 1)
        return -logprob, scored, {"unknown_chars": unknown}

    def files(self):
        return self.dir, sorted(self.rel_files)

    def close(self):
        self.model = None


# ---------------------------------------------------------------------------------------------------------
# hf: transformers causal LMs, with a PEFT adapter when the folder holds one


def hf_model_dir(spec):
    """The folder with the model or adapter: the checkpoint when one is named, else the run's outputs/ when
    it holds a model, else `dir` itself; None for a bare base model named by `model`."""
    d = spec.get("dir")
    if not d:
        return None
    d = os.path.abspath(d)
    if spec.get("checkpoint"):
        return os.path.join(d, spec["checkpoint"])
    outputs = os.path.join(d, "outputs")
    if any(os.path.exists(os.path.join(outputs, f)) for f in ("config.json", "adapter_config.json")):
        return outputs
    return d


def hf_plan(spec):
    """(base model, adapter dir or None, folder whose files make up the model or None) for the hf loader.

    weights "base" evaluates the base the adapter was trained on (or `model`), without the adapter.
    """
    model_dir = hf_model_dir(spec)
    adapter_cfg = os.path.join(model_dir, "adapter_config.json") if model_dir else None
    if adapter_cfg and os.path.exists(adapter_cfg):
        with open(adapter_cfg) as f:
            base = spec.get("model") or json.load(f).get("base_model_name_or_path")
        if not base:
            raise ValueError("%s names no base model (base_model_name_or_path) and the spec gives no `model`" % adapter_cfg)
        if spec.get("weights") == "base":
            return base, None, base if os.path.isdir(base) else None
        return base, model_dir, model_dir
    if model_dir:
        return model_dir, None, model_dir
    if not spec.get("model"):
        raise ValueError("an hf model needs `dir` or `model`")
    return spec["model"], None, spec["model"] if os.path.isdir(spec["model"]) else None


def hub_snapshot(name):
    """The local folder of a hub model already downloaded (to hash its files), or None."""
    try:
        from huggingface_hub import snapshot_download
        return snapshot_download(name, local_files_only=True)
    except Exception:  # no huggingface_hub, not downloaded, offline: the model line then names it only
        return None


class HFModel:
    """AutoModelForCausalLM (+ PeftModel), on cuda:0 when there is one (bf16 where supported), greedy."""

    batched = True

    def __init__(self, spec):
        t = load_torch()
        import transformers

        self.base, self.adapter, self.root = hf_plan(spec)
        self.device = "cuda:0" if t.cuda.is_available() else "cpu"
        if self.device.startswith("cuda"):
            dtype = t.bfloat16 if t.cuda.is_bf16_supported() else t.float16
        else:
            dtype = t.float32
        revision = spec.get("revision")
        model = transformers.AutoModelForCausalLM.from_pretrained(self.base, torch_dtype=dtype, revision=revision)
        tok_source = self.adapter if self.adapter and os.path.exists(os.path.join(self.adapter, "tokenizer_config.json")) else self.base
        self.tok = transformers.AutoTokenizer.from_pretrained(tok_source, revision=None if tok_source == self.adapter else revision)
        if self.adapter:
            from peft import PeftModel
            model = PeftModel.from_pretrained(model, self.adapter)
        self.model = model.to(self.device).eval()
        if self.tok.pad_token_id is None:
            self.tok.pad_token = self.tok.eos_token
        self.tok.padding_side = "left"  # generation continues from the prompt's end, so pad on the left
        self.tok.truncation_side = "left"  # a long prompt keeps its end, which the answer follows
        config = getattr(self.model, "config", None)
        self.max_len = int(getattr(config, "max_position_embeddings", 0) or 0) or 2048
        self.max_len = min(self.max_len, int(getattr(self.tok, "model_max_length", self.max_len) or self.max_len), 32768)
        eos = self.tok.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos]) - {None}
        gen_eos = getattr(getattr(self.model, "generation_config", None), "eos_token_id", None)
        self.eos_ids |= set(gen_eos if isinstance(gen_eos, list) else [gen_eos]) - {None}
        # The token before a text with nothing before it (as lm-evaluation-harness does): BOS, else EOS.
        self.prefix_id = self.tok.bos_token_id if self.tok.bos_token_id is not None else eos

    def generate(self, prompts, max_new, stops_list):
        """Left-padded batch, greedy; each row cut at its first end-of-sequence token, then at a stop string."""
        if max_new <= 0:
            return [("", 0, {}) for _ in prompts]
        enc = self.tok(prompts, return_tensors="pt", padding=True, truncation=True,
                       max_length=max(1, self.max_len - max_new)).to(self.device)
        with torch.no_grad():
            # input_ids and attention_mask only: some tokenizers add token_type_ids, which causal LMs refuse.
            out = self.model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                      max_new_tokens=max_new, do_sample=False, num_beams=1,
                                      pad_token_id=self.tok.pad_token_id)
        results = []
        width = enc["input_ids"].shape[1]
        for row, stops in zip(out[:, width:].tolist(), stops_list):
            n = 0
            for tok_id in row:
                n += 1
                if tok_id in self.eos_ids:
                    break
            text = self.tok.decode(row[:n], skip_special_tokens=True)
            hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
            results.append((text[:min(hits)] if hits else text, n, {"input_tokens": int(enc["attention_mask"][len(results)].sum())}))
        return results

    def _encode(self, text):
        ids = self.tok(text).input_ids
        return ids if ids else [self.prefix_id]

    def option_logprobs(self, context, options):
        """One forward pass over all options (right-padded): the continuation tokens are those of
        context+option past the context's own tokens, as lm-evaluation-harness splits them."""
        ctx = self._encode(context)
        seqs, cont_lens = [], []
        for option in options:
            whole = self.tok(context + option).input_ids
            if len(whole) > len(ctx) and whole[:len(ctx)] == ctx:
                seq, n = whole, len(whole) - len(ctx)
            else:  # the tokenizer merged across the boundary: score the option's own tokens after the context
                cont = self.tok(option, add_special_tokens=False).input_ids
                seq, n = ctx + cont, len(cont)
            seqs.append(seq[-self.max_len:])
            cont_lens.append(min(n, len(seqs[-1]) - 1))
        width = max(len(s) for s in seqs)
        pad = self.tok.pad_token_id
        ids = torch.tensor([s + [pad] * (width - len(s)) for s in seqs], device=self.device)
        mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in seqs], device=self.device)
        out = []
        with torch.no_grad():
            logits = self.model(input_ids=ids, attention_mask=mask).logits
            for i, (seq, n) in enumerate(zip(seqs, cont_lens)):
                if n <= 0:
                    out.append(0.0)
                    continue
                # Only the rows that predict the option, in float32: the whole (options x length x vocab)
                # in float32 would be gigabytes for a 150k vocabulary.
                logp = logits[i, len(seq) - n - 1:len(seq) - 1].float().log_softmax(-1)
                targets = torch.tensor(seq[len(seq) - n:], device=self.device)
                out.append(float(logp.gather(1, targets[:, None]).double().sum()))
        return out, {}

    def nll(self, text):
        """Every token of the text from those before it, in windows of the model's context, with BOS (or
        EOS) in front so the first token is scored too."""
        ids = self.tok(text, add_special_tokens=False).input_ids
        ids = [self.prefix_id] + ids if self.prefix_id is not None else ids
        total = 0.0
        scored = 0
        with torch.no_grad():
            for w0, a, b in score_spans(len(ids), 1, self.max_len):
                x = torch.tensor([ids[w0:b - 1]], device=self.device)
                logp = self.model(input_ids=x).logits[0, a - 1 - w0:b - 1 - w0].float().log_softmax(-1)
                targets = torch.tensor(ids[a:b], device=self.device)
                total += float(logp.gather(1, targets[:, None]).double().sum())
                scored += b - a
        return -total, scored, {}

    def files(self):
        root = self.root if self.root and os.path.isdir(self.root) else hub_snapshot(self.base)
        return (root, regular_files(root)) if root else (self.base, [])

    def close(self):
        self.model = None


LOADERS = {"demo-torch": DemoModel, "hf": HFModel}


def model_files(spec, model):
    """(path, [relative files]) of a model, loaded or not (a model line is written even when loading failed
    or nothing is left to load on a restart)."""
    if model is not None:
        return model.files()
    loader = spec.get("loader")
    if loader == "demo-torch":
        d = os.path.abspath(spec["dir"])
        if spec.get("checkpoint"):
            adapter = os.path.join(d, spec["checkpoint"])
            adapter = os.path.join(adapter, "adapter.safetensors") if os.path.isdir(adapter) else adapter
            rel = [os.path.relpath(adapter, d), "outputs/base.safetensors"]
        elif spec.get("weights") == "adapter":
            rel = ["outputs/adapter.safetensors", "outputs/base.safetensors"]
        else:
            rel = ["outputs/%s.safetensors" % (spec.get("weights") or "merged")]
        return d, sorted(rel + ["run.json"])
    if loader == "hf":
        base, _adapter, root = hf_plan(spec)
        root = root or hub_snapshot(base)
        return (root, regular_files(root)) if root else (base, [])
    raise ValueError("unknown loader %r" % loader)


def model_line(spec, model):
    """The model line's fields: what was evaluated, every file with its sha256, and the root digest."""
    root, rel = model_files(spec, model)
    present = [r for r in rel if os.path.isfile(os.path.join(root, r))]
    files, digest = describe_files(root, present)
    path = getattr(model, "path", None) or root
    if spec.get("loader") == "demo-torch" and model is None:
        path = os.path.join(root, [r for r in rel if r != "run.json"][0])
    fields = {"model": spec["role"], "loader": spec.get("loader"), "path": path, "files": files,
              "rootDigest": digest if len(present) == len(rel) and rel else None,
              "weights": spec.get("weights"), "checkpoint": spec.get("checkpoint")}
    if len(present) < len(rel):
        fields["missing"] = sorted(set(rel) - set(present))
    if model is not None:
        fields["device"] = model.device
    if spec.get("loader") == "hf" and isinstance(model, HFModel):
        fields["base"] = model.base
    return fields


# ---------------------------------------------------------------------------------------------------------
# Cases


def percentile(values, q):
    s = sorted(values)
    k = (len(s) - 1) * q
    f = int(math.floor(k))
    c = min(f + 1, len(s) - 1)
    return s[f] + (s[c] - s[f]) * (k - f)


def peak_memory_mb():
    if torch is not None and torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2 ** 20
    import resource
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2 ** 20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def run_judge(judge, case, output):
    """The suite's judge command: stdin {case, input, output, expect}, stdout {"score": 0..1, "pass": bool}."""
    payload = json.dumps({"case": case["id"], "input": case.get("input", ""), "output": output, "expect": case.get("expect", [])})
    limit = float(judge.get("timeoutSeconds") or 30)
    try:
        p = subprocess.run(judge["command"], input=payload, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=limit, universal_newlines=True)
    except subprocess.TimeoutExpired:
        raise RuntimeError("the judge ran past its time limit of %g s" % limit)
    if p.returncode != 0:
        raise RuntimeError("the judge exited with status %d: %s" % (p.returncode, (p.stderr.strip() or p.stdout.strip())[-300:]))
    lines = [line for line in p.stdout.splitlines() if line.strip()]
    try:
        verdict = json.loads(lines[-1])
        score = float(verdict["score"])
    except (IndexError, ValueError, KeyError, TypeError):
        raise RuntimeError("the judge printed no JSON {\"score\": 0..1, \"pass\": bool}: %r" % p.stdout[-200:])
    if not 0 <= score <= 1:
        raise RuntimeError("the judge's score %r is outside 0..1" % score)
    passed = verdict.get("pass")
    return {"judge_score": score, "judge_pass": 1 if (bool(passed) if passed is not None else score >= 0.5) else 0}


class Runner:
    def __init__(self, spec, records):
        self.spec = spec
        self.records = records
        self.cases = spec.get("cases") or []
        self.seed = int(spec.get("seed") or 0)
        self.batch = max(1, int(spec.get("batchSize") or 1))
        self.limit = float(spec.get("caseTimeoutSeconds") or 0)
        self.judge = spec.get("judge")

    def write_case(self, role, case, output="", tokens=0, ms=0.0, error=None, measures=None, **extra):
        fields = {"model": role, "case": case["id"], "kind": case.get("kind"), "output": output, "tokens": tokens,
                  "ms": round(ms, 3), "error": error, "measures": finite_measures(measures or {})}
        fields.update(extra)
        self.records.write("case", **fields)

    # One case: the model calls under the time limit; the judge (its own timeout) after them.
    def compute(self, model, case):
        kind = case.get("kind")
        text = case.get("input", "")
        if kind in GENERATION_KINDS:
            max_new = int(case.get("maxNewTokens") or 0)
            output, tokens, measures = timed(self.limit, model.generate, [text], max_new, [case.get("stop") or []])[0]
            return output, tokens, measures
        if kind == "choice":
            options = case.get("options") or []
            if not options:
                raise ValueError("a choice case needs options")
            logprobs, measures = timed(self.limit, model.option_logprobs, text, options)
            chosen = max(range(len(logprobs)), key=lambda i: (logprobs[i], -i))  # ties: the lowest index
            measures = dict(measures, chosen=chosen)
            for i, lp in enumerate(logprobs):
                measures["logprob_%d" % i] = lp
            return options[chosen], 0, measures
        if kind == "perplexity":
            nll, tokens, measures = timed(self.limit, model.nll, text)
            if tokens <= 0:
                raise ValueError("the text has no token to predict")
            return "", 0, dict(measures, nll=nll, tokens=tokens, perplexity=math.exp(min(nll / tokens, 700)))
        if kind == "perf":
            return timed(self.limit, self.perf, model, case)
        raise ValueError("unknown case kind %r" % kind)

    def perf(self, model, case):
        repeats = max(1, int((case.get("perf") or {}).get("repeats") or 5))
        max_new = int(case.get("maxNewTokens") or 0)
        stops = [case.get("stop") or []]
        if torch is not None and torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        latencies, total, first = [], 0, None
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = model.generate([case.get("input", "")], max_new, stops)[0]
            latencies.append(time.perf_counter() - t0)
            total += result[1]
            first = first or result
        seconds = sum(latencies)
        measures = dict(first[2], tokens_per_second=total / seconds if seconds > 0 else 0.0, repeats=repeats,
                        latency_p50_ms=percentile(latencies, 0.5) * 1000, latency_p95_ms=percentile(latencies, 0.95) * 1000,
                        peak_memory_mb=peak_memory_mb())
        return first[0], total, measures

    def finish(self, role, case, output, tokens, ms, measures):
        """Judge (when enabled) and record one answered case."""
        error = None
        if case.get("kind") == "judge" and self.judge and self.judge.get("enabled"):
            try:
                measures = dict(measures, **run_judge(self.judge, case, output))
            except Exception as exc:
                error = describe(exc)
        self.write_case(role, case, output, tokens, ms, error, measures)

    def run_one(self, role, model, case):
        t0 = time.perf_counter()
        try:
            output, tokens, measures = self.compute(model, case)
        except Exception as exc:  # this case fails; the next one runs
            self.write_case(role, case, ms=(time.perf_counter() - t0) * 1000, error=describe(exc))
            return
        self.finish(role, case, output, tokens, (time.perf_counter() - t0) * 1000, measures)

    def run_batch(self, role, model, group):
        """Generation cases with the same maxNewTokens in one batch; on any failure, one at a time, so each
        case gets its own output or error."""
        max_new = int(group[0].get("maxNewTokens") or 0)
        t0 = time.perf_counter()
        try:
            results = timed(self.limit * len(group), model.generate, [c.get("input", "") for c in group], max_new,
                            [c.get("stop") or [] for c in group])
        except Exception:
            for case in group:
                self.run_one(role, model, case)
            return
        share = (time.perf_counter() - t0) * 1000 / len(group)
        for case, (output, tokens, measures) in zip(group, results):
            self.finish(role, case, output, tokens, share, dict(measures, batch=len(group)))

    def run_cases(self, role, model, pending):
        i = 0
        while i < len(pending):
            case = pending[i]
            if model.batched and self.batch > 1 and case.get("kind") in GENERATION_KINDS:
                j = i + 1
                while (j < len(pending) and j - i < self.batch and pending[j].get("kind") in GENERATION_KINDS
                       and pending[j].get("maxNewTokens") == case.get("maxNewTokens")):
                    j += 1
                if j - i > 1:
                    self.run_batch(role, model, pending[i:j])
                    i = j
                    continue
            self.run_one(role, model, case)
            i += 1

    def evaluate(self, spec):
        """One model: its model line, its cases, its harness tasks, its done line."""
        role = spec["role"]
        if role in self.records.finished:
            return 0
        pending = [c for c in self.cases if (role, c.get("id")) not in self.records.done]
        model, load_error = None, None
        if pending:
            try:
                load_torch()
                torch.manual_seed(self.seed)
                if torch.cuda.is_available():
                    torch.cuda.manual_seed_all(self.seed)
                loader = LOADERS.get(spec.get("loader"))
                if loader is None:
                    raise ValueError("unknown loader %r (known: %s)" % (spec.get("loader"), ", ".join(sorted(LOADERS))))
                model = loader(spec)
            except Exception as exc:
                load_error = describe(exc)
        try:
            fields = model_line(spec, model)
        except Exception as exc:
            fields = None
            self.records.write("model-error", model=role, error=describe(exc))
        if fields is not None:
            earlier = self.records.models.get(role)
            if earlier is None:
                self.records.write("model", **fields)
            elif earlier.get("rootDigest") != fields["rootDigest"]:
                # The records so far are of other files: going on would mix two models under one name.
                self.records.write("error", model=role, error="the model's files changed since an earlier start "
                                   "(root digest %s, now %s)" % (earlier.get("rootDigest"), fields["rootDigest"]))
                return 3
        if load_error:
            self.records.write("model-error", model=role, error=load_error)
            for case in pending:
                self.write_case(role, case, error="the model did not load: " + load_error)
        elif model is not None:
            try:
                self.run_cases(role, model, pending)
            finally:
                model.close()
                model = None
                gc.collect()
                if torch is not None and torch.cuda.is_available():
                    torch.cuda.empty_cache()  # the next model (or lm_eval) gets the whole GPU
        if self.spec.get("harness"):
            run_harness(self, spec)
        self.records.write("done", model=role)
        return 0


# ---------------------------------------------------------------------------------------------------------
# lm-evaluation-harness


def lm_eval_available():
    import importlib.util
    try:
        return importlib.util.find_spec("lm_eval") is not None
    except (ImportError, ValueError):
        return False


def harness_model_args(spec):
    base, adapter, _root = hf_plan(spec)
    for value in (base, adapter):
        if value and ("," in value or "=" in value):
            raise ValueError("lm_eval's --model_args cannot carry %r (a comma or '=')" % value)
    return "pretrained=%s" % base + (",peft=%s" % adapter if adapter else "")


def samples_files(out_dir):
    """{task: newest samples file} under out_dir (lm_eval adds a folder named after the model); the task is
    the file name's middle: samples_<task>_<ISO time with '-' for ':'>.jsonl (groups write one per subtask)."""
    pattern = re.compile(r"^samples_(.+)_(\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.jsonl$")
    newest = {}
    for here, _dirs, names in os.walk(out_dir):
        for name in names:
            m = pattern.match(name)
            if m:
                task, stamp = m.group(1), m.group(2)
                if task not in newest or stamp > newest[task][0]:
                    newest[task] = (stamp, os.path.join(here, name))
    return {task: path for task, (_stamp, path) in sorted(newest.items())}


def sample_text(value):
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def sample_input(sample):
    """The document's own text where it has one, else the first request's prompt, else the document."""
    doc = sample.get("doc")
    if isinstance(doc, dict):
        for key in HARNESS_INPUT_FIELDS:
            if isinstance(doc.get(key), str) and doc[key]:
                return doc[key][:MAX_INPUT_CHARS]
    args = sample.get("arguments")
    first = None
    if isinstance(args, dict) and args:
        first = next(iter(args.values()))
        first = first.get("arg_0") if isinstance(first, dict) else first
    elif isinstance(args, list) and args:
        first = args[0][0] if isinstance(args[0], list) and args[0] else args[0]
    if isinstance(first, str):
        return first[:MAX_INPUT_CHARS]
    return sample_text(doc if doc is not None else "")[:MAX_INPUT_CHARS]


def sample_measures(sample):
    """The sample's metric fields (those `metrics` lists, else every top-level number); a log-likelihood
    task also gets `chosen`, the option with the highest log-likelihood."""
    names = sample.get("metrics") if isinstance(sample.get("metrics"), list) else None
    skip = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics",
            "doc_hash", "prompt_hash", "target_hash"}
    keys = names if names is not None else [k for k in sample if k not in skip]
    measures = {}
    for key in keys:
        value = sample.get(key)
        if isinstance(value, (bool, int, float)):
            measures[key] = value
    resps = sample.get("filtered_resps")
    if isinstance(resps, list) and len(resps) > 1 and all(isinstance(r, list) and r for r in resps):
        try:
            lls = [float(r[0]) for r in resps]
            measures["chosen"] = max(range(len(lls)), key=lambda i: (lls[i], -i))
        except (TypeError, ValueError):
            pass
    return measures


def record_samples(runner, role, task, path):
    n = 0
    with open(path) as f:
        for line in f:
            try:
                sample = json.loads(line)
            except ValueError:
                continue  # a file cut short by a kill of lm_eval: its whole lines still count
            n += 1
            doc_hash = sample.get("doc_hash") or "doc-%s" % sample.get("doc_id")
            case = {"id": "harness/%s/%s" % (task, doc_hash), "kind": "harness"}
            if (role, case["id"]) in runner.records.done:
                continue
            resps = sample.get("filtered_resps")
            output = sample_text(resps[0]) if isinstance(resps, list) and resps else ""
            runner.write_case(role, case, output, measures=sample_measures(sample), input=sample_input(sample),
                              target=sample_text(sample.get("target", "")))
    return n


def run_harness(runner, spec):
    """lm_eval per task (hf models), then one case line per logged sample. Output under harness/<role>/<task>/:
    a task whose samples are there already is read again, not run again, on a restart."""
    records = runner.records
    role = spec["role"]
    if not lm_eval_available():
        if None not in records.skipped:
            records.write("harness-skipped", reason="lm_eval is not installed on this host")
        return
    if spec.get("loader") != "hf":
        if role not in records.skipped:
            records.write("harness-skipped", model=role, reason="lm-evaluation-harness runs hf models; %s has none" % spec.get("loader"))
        return
    try:
        model_args = harness_model_args(spec)
    except Exception as exc:
        records.write("harness-error", model=role, task=None, error=describe(exc))
        return
    for entry in runner.spec["harness"].get("tasks") or []:
        task = entry["task"]
        if (role, task) in records.harness_tasks:
            continue
        out_dir = os.path.join("harness", role, task)
        found = samples_files(out_dir) if os.path.isdir(out_dir) else {}
        if not found:
            cmd = [sys.executable, "-m", "lm_eval", "--model", "hf", "--model_args", model_args, "--tasks", task,
                   "--log_samples", "--output_path", out_dir + "/", "--seed", str(runner.seed),
                   "--batch_size", str(runner.batch)]
            if entry.get("fewShot") is not None:
                cmd += ["--num_fewshot", str(entry["fewShot"])]
            if entry.get("limit") is not None:
                cmd += ["--limit", str(entry["limit"])]
            os.makedirs(out_dir, exist_ok=True)
            with open(os.path.join(out_dir, "lm_eval.log"), "w") as log:
                rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
            found = samples_files(out_dir)
            if rc != 0 or not found:
                with open(os.path.join(out_dir, "lm_eval.log"), errors="replace") as log:
                    tail = log.read()[-800:]
                records.write("harness-error", model=role, task=task, error="lm_eval exited with status %d: %s" % (rc, tail))
                continue
        counts = {}
        for sub, path in found.items():
            counts[sub] = record_samples(runner, role, sub, path)
        records.write("harness-task", model=role, task=task, samples=counts,
                      files=sorted(os.path.relpath(os.path.join(h, n)) for h, _d, ns in os.walk(out_dir) for n in ns))


# ---------------------------------------------------------------------------------------------------------


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: evaluate.py SPEC.json (run in the test run directory)\n")
        return 2
    with open(argv[1]) as f:
        spec = json.load(f)
    if spec.get("runner") != 1:
        sys.stderr.write("this runner reads spec version 1, not %r\n" % spec.get("runner"))
        return 2
    if all(m.get("loader") == "demo-torch" for m in spec.get("models") or []):
        # Read by OpenBLAS when torch loads: on a few cores, several BLAS threads make tiny matrices ~10x slower.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    records = Records(RECORDS)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        records.write("env", **environment(spec))
        runner = Runner(spec, records)
        for model_spec in spec.get("models") or []:
            rc = runner.evaluate(model_spec)
            if rc:
                return rc
        return 0
    except Terminated:
        return 143
    finally:
        records.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
