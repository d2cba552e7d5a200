#!/usr/bin/env python3
"""The floor for the test runner's speed: the same models, loaded the same way, making the same calls on
the same SPEC's cases as resources/testing/evaluate.py, in a plain loop that records nothing.

Usage: python3 bench/bare_eval_loop.py SPEC.json  ->  prints {"seconds": x, "cases": n}
`seconds` runs from this script's first line, so it includes Python's start and torch's import, as the
runner's wall time does. The runner's overhead is then (runner wall time) / seconds.
"""
import time

STARTED = time.time()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ left in resources/testing (it ships with the app)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "testing"))
import evaluate  # noqa: E402  (its model code only: loaders and their generate / log-likelihood calls)


def main(path):
    with open(path) as f:
        spec = json.load(f)
    if all(m.get("loader") == "demo-torch" for m in spec["models"]):
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the runner does, before torch loads
    torch = evaluate.load_torch()
    n = 0
    for model_spec in spec["models"]:
        torch.manual_seed(int(spec.get("seed") or 0))
        model = evaluate.LOADERS[model_spec["loader"]](model_spec)
        for case in spec["cases"]:
            kind, text = case["kind"], case.get("input", "")
            max_new, stops = int(case.get("maxNewTokens") or 0), [case.get("stop") or []]
            if kind in evaluate.GENERATION_KINDS:
                model.generate([text], max_new, stops)
            elif kind == "choice":
                model.option_logprobs(text, case["options"])
            elif kind == "perplexity":
                model.nll(text)
            elif kind == "perf":
                for _ in range(int((case.get("perf") or {}).get("repeats") or 5)):
                    model.generate([text], max_new, stops)
            n += 1
        model.close()
    print(json.dumps({"seconds": round(time.time() - STARTED, 3), "cases": n}))


if __name__ == "__main__":
    main(sys.argv[1])
