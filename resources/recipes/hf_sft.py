#!/usr/bin/env python3
"""hf-sft: supervised fine-tuning with Hugging Face transformers + peft (and trl when present).

Methods: full, lora, qlora (4-bit NF4 base via bitsandbytes). Dataset: a JSONL file on the host
(fields "messages" in chat format, or "instruction"/"input"/"response" or "prompt"/"completion", or
"text") or a hub dataset id. Metrics reach Tunebench through its Trainer hook (sitecustomize), so
this script does nothing special for them. Multi-GPU: launched under torchrun by the recipe.

`--print-config` parses the arguments, prints them as JSON and exits without importing torch,
so argument handling can be checked anywhere.
"""
import argparse
import json
import os
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base-model", required=True)
    p.add_argument("--revision", default=None)
    p.add_argument("--dataset", required=True, help="A JSONL path on this host, or a hub dataset id")
    p.add_argument("--method", choices=["full", "lora", "qlora"], default="lora")
    p.add_argument("--chat-template", default=None, help="A Jinja chat template; default: the tokenizer's")
    p.add_argument("--max-seq-length", type=int, default=2048)
    p.add_argument("--packing", action="store_true")
    p.add_argument("--learning-rate", type=float, default=2e-4)
    p.add_argument("--lr-scheduler", default="cosine")
    p.add_argument("--warmup-ratio", type=float, default=0.03)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--max-steps", type=int, default=-1)
    p.add_argument("--per-device-batch", type=int, default=4)
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=int, default=32)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--target-modules", default="all-linear", help="Comma-separated module names, or all-linear")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--gradient-checkpointing", action="store_true")
    p.add_argument("--eval-split", type=float, default=0.05, help="Fraction held out for eval (0: none)")
    p.add_argument("--eval-steps", type=int, default=100)
    p.add_argument("--save-steps", type=int, default=500)
    p.add_argument("--logging-steps", type=int, default=10)
    p.add_argument("--output-dir", default="outputs")
    p.add_argument("--print-config", action="store_true")
    return p.parse_args(argv)


def to_text(example, tokenizer):
    """One training text from the common dataset shapes."""
    if "messages" in example:
        return tokenizer.apply_chat_template(example["messages"], tokenize=False)
    if "instruction" in example:
        user = example["instruction"] + ("\n\n" + example["input"] if example.get("input") else "")
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": example.get("response") or example.get("output", "")}]
        return tokenizer.apply_chat_template(messages, tokenize=False)
    if "prompt" in example and "completion" in example:
        return example["prompt"] + example["completion"]
    return example["text"]


def main():
    a = parse_args()
    if a.print_config:
        print(json.dumps(vars(a), sort_keys=True))
        return 0
    import torch
    from datasets import load_dataset
    from transformers import (AutoModelForCausalLM, AutoTokenizer, DataCollatorForLanguageModeling, Trainer,
                              TrainingArguments)

    tokenizer = AutoTokenizer.from_pretrained(a.base_model, revision=a.revision)
    if a.chat_template:
        tokenizer.chat_template = a.chat_template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    dtype = torch.bfloat16 if a.bf16 else torch.float32
    model_kwargs = {"revision": a.revision, "torch_dtype": dtype}
    if a.method == "qlora":
        from transformers import BitsAndBytesConfig
        model_kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16 if a.bf16 else torch.float16)
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            model_kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    model = AutoModelForCausalLM.from_pretrained(a.base_model, **model_kwargs)
    if a.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.config.use_cache = False
    if a.method in ("lora", "qlora"):
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
        if a.method == "qlora":
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=a.gradient_checkpointing)
        targets = a.target_modules if a.target_modules == "all-linear" else a.target_modules.split(",")
        model = get_peft_model(model, LoraConfig(r=a.lora_r, lora_alpha=a.lora_alpha, lora_dropout=a.lora_dropout,
                                                 target_modules=targets, task_type="CAUSAL_LM"))
        model.print_trainable_parameters()

    if os.path.exists(a.dataset):
        data = load_dataset("json", data_files=a.dataset, split="train")
    else:
        data = load_dataset(a.dataset, split="train")
    data = data.map(lambda ex: {"text": to_text(ex, tokenizer)}, remove_columns=data.column_names)
    splits = data.train_test_split(test_size=a.eval_split, seed=a.seed) if a.eval_split > 0 else {"train": data, "test": None}

    args = TrainingArguments(
        output_dir=a.output_dir, seed=a.seed, learning_rate=a.learning_rate, lr_scheduler_type=a.lr_scheduler,
        warmup_ratio=a.warmup_ratio, num_train_epochs=a.epochs, max_steps=a.max_steps,
        per_device_train_batch_size=a.per_device_batch, per_device_eval_batch_size=a.per_device_batch,
        gradient_accumulation_steps=a.grad_accum, bf16=a.bf16, logging_steps=a.logging_steps,
        eval_strategy="steps" if splits["test"] is not None else "no", eval_steps=a.eval_steps,
        save_steps=a.save_steps, report_to=[], include_num_input_tokens_seen=True,
        gradient_checkpointing=a.gradient_checkpointing)
    try:
        from trl import SFTConfig, SFTTrainer
        sft_args = SFTConfig(**{k: v for k, v in args.to_dict().items() if k in SFTConfig.__dataclass_fields__},
                             max_length=a.max_seq_length, packing=a.packing, dataset_text_field="text")
        trainer = SFTTrainer(model=model, args=sft_args, train_dataset=splits["train"], eval_dataset=splits["test"],
                             processing_class=tokenizer)
    except ImportError:
        def tokenize(batch):
            return tokenizer(batch["text"], truncation=True, max_length=a.max_seq_length)
        train = splits["train"].map(tokenize, batched=True, remove_columns=["text"])
        evals = splits["test"].map(tokenize, batched=True, remove_columns=["text"]) if splits["test"] is not None else None
        trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=evals,
                          data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False))
    # A requeued SLURM job starts again here: continue from the last checkpoint the hook recorded.
    try:
        import tunebench
    except ImportError:
        tunebench = None
    resume = tunebench.resume_checkpoint() if tunebench else None
    if resume:
        print("Resuming from checkpoint %s (attempt %d)" % (resume, tunebench.attempt()), flush=True)
    trainer.train(resume_from_checkpoint=resume)
    if tunebench and tunebench.checkpoint_requested():
        # The hook saved a checkpoint and stopped the Trainer: the job is requeued and finishes then.
        print("checkpoint requested: saved, stopping so the job can be requeued", flush=True)
        return 0
    trainer.save_model(a.output_dir)
    tokenizer.save_pretrained(a.output_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
