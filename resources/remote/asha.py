"""ASHA: asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
Tuning", MLSys 2020), in the form that stops trials instead of pausing them.

Python 3.8+ standard library only: the sweep scheduler that imports it runs beside the trials on the
GPU host (or as a small CPU job on a cluster), so a sweep goes on while the laptop is closed.

Rungs (the paper's arithmetic): with minimum resource r, maximum resource R, reduction factor eta and
minimum early-stopping rate s, rung k is reached after r * eta**(s + k) units of resource (steps or
tokens, read from the trial's own metrics), for k = 0 .. floor(log_eta(R / r)) - s. Training ends at
R: when R is not itself a rung (R / r is not a power of eta), it is added as the last one. Nothing is
decided at the last rung: a trial that reaches it has trained to the end.

Decisions are made when a trial reports at a rung, never on a timer. A trial reporting value v at
rung k joins the rung's results; it continues when v is among the top ceil(n / eta) of the n results
the rung has so far (itself included), and is stopped otherwise. Ties with the cut-off continue. The
paper promotes the top floor(n / eta) of a rung whose members wait, paused; trials here are running
processes that cannot wait, so each is judged against what the rung has seen when it arrives (the
first trial at a rung always continues: it is the top 1 of 1). A value that is not a number (NaN, an
infinity) ranks below every number. A trial that ended before a rung (failed, cancelled) has no result
there and does not move the rung's cut-off.
"""
import math


def rung_resources(min_resource, max_resource, eta, early_stop_rate=0):
    """The resource at which each rung is reached, lowest first: r * eta**(s + k) up to R.

    Integer arithmetic: no floating-point log decides whether R itself is a rung.
    """
    if eta < 2 or int(eta) != eta:
        raise ValueError("eta (the reduction factor) must be a whole number of at least 2")
    if min_resource <= 0 or max_resource < min_resource:
        raise ValueError("need 0 < min_resource <= max_resource")
    if early_stop_rate < 0 or int(early_stop_rate) != early_stop_rate:
        raise ValueError("early_stop_rate must be a whole number of at least 0")
    rungs = []
    resource = min_resource * eta ** early_stop_rate
    while resource <= max_resource:
        rungs.append(resource)
        resource *= eta
    if not rungs:
        raise ValueError("min_resource * eta**early_stop_rate is beyond max_resource: no rung")
    return rungs


def _sort_key(value, goal):
    """Smaller is better after this key; a non-number is worse than every number."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        return (1, 0.0)
    return (0, value if goal == "minimize" else -value)


def value_at(points, resource):
    """A trial's report for a rung from its objective's (step, value) points: the last value logged at or
    before the rung's resource; None when nothing was logged yet (the trial has not reported)."""
    best = None
    for step, value in points:
        if step <= resource and (best is None or step >= best[0]):
            best = (step, value)
    return None if best is None else best[1]


class Asha:
    """The rungs' results and the decision for each report. State is only the results, so a scheduler
    that restarts rebuilds it by replaying its decision file in order (`report` of each recorded
    decision gives the same answer again)."""

    def __init__(self, min_resource, max_resource, eta=3, goal="minimize", early_stop_rate=0):
        if goal not in ("minimize", "maximize"):
            raise ValueError("goal must be 'minimize' or 'maximize'")
        self.eta = int(eta)
        self.goal = goal
        self.rungs = rung_resources(min_resource, max_resource, self.eta, early_stop_rate)
        if self.rungs[-1] != max_resource:
            self.rungs.append(max_resource)
        self.results = [dict() for _ in self.rungs]  # rung index -> {trial: value}

    def next_rung(self, trial):
        """The index of the next rung the trial has not reported at (len(rungs) when none is left)."""
        for k in range(len(self.rungs)):
            if trial not in self.results[k]:
                return k
        return len(self.rungs)

    def cutoff(self, k):
        """The worst value that still continues at rung k: the ceil(n / eta)-th best of its n results."""
        values = sorted(self.results[k].values(), key=lambda v: _sort_key(v, self.goal))
        if not values:
            return None
        return values[max(1, math.ceil(len(values) / self.eta)) - 1]

    def report(self, trial, k, value):
        """Trial `trial` reached rung k with `value`. Returns a decision dict:
        {"action": "continue"|"stop"|"complete", "rung": k, "resource": r_k, "value": v,
         "cutoff": c, "rank": i, "results": n, "keep": m, "reason": "..."}.
        A second report of the same trial at the same rung returns the first decision's answer again
        (a replayed decision file must not count a trial twice)."""
        if not 0 <= k < len(self.rungs):
            raise ValueError("rung %r is not one of 0..%d" % (k, len(self.rungs) - 1))
        rung = self.results[k]
        if trial not in rung:
            rung[trial] = value
        value = rung[trial]
        resource = self.rungs[k]
        if k == len(self.rungs) - 1:
            return {"action": "complete", "rung": k, "resource": resource, "value": value, "cutoff": None, "rank": None,
                    "results": len(rung), "keep": None, "reason": "reached the last rung (%s): trained to the end" % _num(resource)}
        ordered = sorted(rung.items(), key=lambda item: (_sort_key(item[1], self.goal), str(item[0])))
        keep = max(1, math.ceil(len(ordered) / self.eta))
        cut = ordered[keep - 1][1]
        # Ties with the cut-off continue: rank by value only, not by the name used to break ties above.
        better = sum(1 for _, v in ordered if _sort_key(v, self.goal) < _sort_key(value, self.goal))
        rank = better + 1
        goes_on = _sort_key(value, self.goal) <= _sort_key(cut, self.goal)
        share = "1/%d" % self.eta
        if goes_on:
            reason = "continues at rung %d: %s in the top %s (%d of %d; cut-off %s)" % (k, _num(value), share, rank, len(ordered), _num(cut))
        else:
            reason = "stopped at rung %d: %s not in the top %s (%s)" % (k, _num(value), share, _num(cut))
        return {"action": "continue" if goes_on else "stop", "rung": k, "resource": resource, "value": value, "cutoff": cut,
                "rank": rank, "results": len(ordered), "keep": keep, "reason": reason}


def _num(value):
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "no value"
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return "%.4g" % value if abs(value) < 1e-3 or abs(value) >= 1e6 else ("%.3f" % value).rstrip("0").rstrip(".")
