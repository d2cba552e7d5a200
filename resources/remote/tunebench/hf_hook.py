"""A Hugging Face TrainerCallback that writes the Trainer's logs to the run's metrics.jsonl, records saved
checkpoints (tunebench.checkpoint_saved) and, when the supervisor asks for a checkpoint (preemption, time
limit), makes the Trainer save one and stop."""
import os
import sys

import tunebench

_KEEP_AS_IS = {"loss", "grad_norm", "learning_rate", "epoch", "train_loss", "train_runtime",
               "train_samples_per_second", "train_steps_per_second", "total_flos"}


def _agreed(flag, args):
    """In a multi-process run, True on every rank when it is True on any (one tiny all_reduce a step), so all
    ranks save and stop at the same step; a lone rank stopping would leave the others hanging in a collective."""
    torch = sys.modules.get("torch")
    dist = getattr(torch, "distributed", None) if torch is not None else None
    try:
        if dist is None or not dist.is_available() or not dist.is_initialized() or dist.get_world_size() < 2:
            return flag
        device = "cpu"
        if "nccl" in str(dist.get_backend()).lower():
            device = getattr(args, "device", None) or torch.device("cuda", torch.cuda.current_device())
        t = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)
    except Exception as e:  # never break training over this
        sys.stderr.write("tunebench: could not agree on the checkpoint request across ranks: %s\n" % e)
        return flag


def _callback_class(TrainerCallback):
    class TunebenchCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or not getattr(state, "is_world_process_zero", True):
                return
            metrics = {}
            for key, value in logs.items():
                if key in _KEEP_AS_IS or key.startswith("eval_") or key.startswith("test_") or isinstance(value, (int, float)):
                    metrics[key] = value
            tokens = getattr(state, "num_input_tokens_seen", None)
            if tokens:
                metrics["tokens"] = tokens
            kind = "eval" if any(k.startswith("eval_") for k in metrics) else "train"
            tunebench.log(metrics, step=getattr(state, "global_step", None), kind=kind)

        def on_step_end(self, args, state, control, **kwargs):
            if control is None:
                return
            if _agreed(tunebench.checkpoint_requested(), args):
                control.should_save = True
                control.should_training_stop = True
                if getattr(state, "is_world_process_zero", True):
                    print("tunebench: checkpoint requested: saving step %s, stopping so the job can be requeued"
                          % getattr(state, "global_step", None), flush=True)

        def on_save(self, args, state, control, **kwargs):
            if not getattr(state, "is_world_process_zero", True):
                return
            step = getattr(state, "global_step", None)
            tunebench.checkpoint_saved(step, os.path.join(getattr(args, "output_dir", "."), "checkpoint-%s" % step))

    return TunebenchCallback


def patch_trainer_module(module):
    """Makes every new Trainer (and subclasses: TRL's SFTTrainer, ...) carry one TunebenchCallback."""
    Trainer = getattr(module, "Trainer", None)
    if Trainer is None or getattr(Trainer, "_tunebench_patched", False):
        return
    from transformers.trainer_callback import TrainerCallback
    callback_class = _callback_class(TrainerCallback)
    original_init = Trainer.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        callbacks = getattr(getattr(self, "callback_handler", None), "callbacks", [])
        if not any(type(c).__name__ == "TunebenchCallback" for c in callbacks):
            self.add_callback(callback_class())

    Trainer.__init__ = __init__
    Trainer._tunebench_patched = True
