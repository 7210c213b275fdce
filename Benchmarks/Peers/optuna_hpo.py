"""Optuna's samplers on Branin and Hartmann6 (the peer of `temper bench --workload hpo`).

For each function and sampler (random, TPE, GP), runs 50-trial studies with seeds 1..10 and
prints one JSON line per (function, sampler): the median simple regret (best value found minus
the known optimum) and the median seconds per study.

    .venv-peers/bin/python optuna_hpo.py [--trials 50] [--seeds 10]
"""
import argparse
import json
import math
import time

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                     [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(trial):
    x = trial.suggest_float("x", -5, 10)
    y = trial.suggest_float("y", 0, 15)
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def hartmann6(trial):
    x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(6)])
    return float(-np.sum(ALPHA * np.exp(-np.sum(A * (x - P) ** 2, axis=1))))


FUNCTIONS = {"branin": (branin, 0.397887), "hartmann6": (hartmann6, -3.32237)}


def sampler(name, seed):
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    return optuna.samplers.GPSampler(seed=seed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    try:
        import torch  # noqa: F401  (Optuna's GPSampler needs it)
        names = ["random", "tpe", "gp"]
    except ImportError:
        names = ["random", "tpe"]
        print(json.dumps({"note": "GPSampler skipped: PyTorch is not installed"}), flush=True)
    for function, (objective, optimum) in FUNCTIONS.items():
        for name in names:
            regrets, seconds = [], []
            for seed in range(1, args.seeds + 1):
                study = optuna.create_study(sampler=sampler(name, seed))
                start = time.perf_counter()
                study.optimize(objective, n_trials=args.trials)
                seconds.append(time.perf_counter() - start)
                regrets.append(study.best_value - optimum)
            print(json.dumps({"function": function, "sampler": name, "median_regret": float(np.median(regrets)),
                              "median_seconds": float(np.median(seconds)), "regrets": regrets}), flush=True)


if __name__ == "__main__":
    main()
