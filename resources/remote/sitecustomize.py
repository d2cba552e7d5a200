"""Tunebench's sitecustomize: put on PYTHONPATH by the supervisor for every run.

It chains any other sitecustomize on the path (the distribution's or the user's), then arranges
that when transformers.trainer is imported, every Trainer gets Tunebench's callback, so Hugging
Face Trainer, TRL, PEFT, axolotl and LLaMA-Factory runs log metrics with no change to their code.
Nothing here imports transformers itself: a run that never uses it pays nothing.
"""
import importlib.abc
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _chain_other_sitecustomize():
    for entry in sys.path:
        directory = os.path.abspath(entry or ".")
        if directory == _HERE:
            continue
        candidate = os.path.join(directory, "sitecustomize.py")
        if os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_tunebench_chained_sitecustomize", candidate)
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except Exception as e:  # a broken sitecustomize must not stop the run
                sys.stderr.write("tunebench: the chained sitecustomize %s failed: %s\n" % (candidate, e))
            return


class _TrainerHookFinder(importlib.abc.MetaPathFinder):
    """Wraps the loader of transformers.trainer so the module is patched right after it runs."""

    def find_spec(self, name, path=None, target=None):
        if name != "transformers.trainer":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        original = spec.loader.exec_module

        def exec_module(module):
            original(module)
            try:
                from tunebench.hf_hook import patch_trainer_module
                patch_trainer_module(module)
            except Exception as e:
                sys.stderr.write("tunebench: could not add the metrics callback to Trainer: %s\n" % e)

        spec.loader.exec_module = exec_module
        return spec


_chain_other_sitecustomize()
if os.environ.get("TUNEBENCH_DISABLE_HF_HOOK") != "1":
    sys.meta_path.insert(0, _TrainerHookFinder())
