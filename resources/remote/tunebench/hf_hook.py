"""A Hugging Face TrainerCallback that writes the Trainer's logs to the run's metrics.jsonl."""
import os

import tunebench

_KEEP_AS_IS = {"loss", "grad_norm", "learning_rate", "epoch", "train_loss", "train_runtime",
               "train_samples_per_second", "train_steps_per_second", "total_flos"}


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

        def on_save(self, args, state, control, **kwargs):
            if not getattr(state, "is_world_process_zero", True):
                return
            step = getattr(state, "global_step", None)
            tunebench.event("checkpoint_saved", step=step,
                            path=os.path.join(getattr(args, "output_dir", "."), "checkpoint-%s" % step))

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
