"""The ``train`` entrypoint: XGBoost on tabular channels under the SageMaker training contract."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType

import numpy as np
import xgboost as xgb

from sm_training import checkpoints, contract, data, hyperparameters
from sm_training.errors import UserError, run_main
from sm_training.hyperparameters import Hyperparameters
from sm_training.sampling import RoundSampler

MAXIMIZED_METRICS = ("auc", "aucpr")
CHANNELS = ("train", "validation")


class Interrupted(Exception):
    """SIGTERM arrived before training started: there is nothing to checkpoint."""


class StopSignal:
    """Turns SIGTERM/SIGINT into a flag the training loop checks between rounds."""

    def __init__(self) -> None:
        self.received: int | None = None
        self.training = False

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum
        if not self.training:
            # Loading may block on a Pipe-mode FIFO forever; unwind instead of waiting.
            raise Interrupted(signal.Signals(signum).name)


def log(message: str) -> None:
    """Print a job-log line immediately (stdout is a pipe under SageMaker, so it is buffered)."""
    print(message, flush=True)


def format_metrics(line: str) -> tuple[str, list[tuple[str, float]]]:
    """Rewrite XGBoost's ``[3]\\ttrain-logloss:0.41`` as ``[3] train:logloss=0.410000``."""
    head, *fields = line.strip().split("\t")
    parsed = []
    for field in fields:
        name, _, value = field.rpartition(":")
        channel, _, metric = name.partition("-")
        parsed.append((f"{channel}:{metric}", float(value)))
    return " ".join([head] + [f"{name}={value:.6f}" for name, value in parsed]), parsed


def check_labels(y: np.ndarray, hps: Hyperparameters, channel: str) -> None:
    """Reject labels the objective cannot learn from, naming the first bad row."""
    objective, num_class = hps.objective, hps.num_class
    bad = ~np.isfinite(y)
    rule = "a finite number"
    if objective.startswith("binary:") or objective == "reg:logistic":
        bad |= (y < 0) | (y > 1)
        rule = "in [0, 1]"
    elif objective == "count:poisson":
        bad |= y < 0
        rule = "non-negative"
    elif num_class is not None:
        bad |= (y < 0) | (y >= num_class) | (np.floor(y) != y)
        rule = f"an integer class in [0, {num_class - 1}]"
    if bad.any():
        row = int(np.argmax(bad))
        raise UserError(
            f"channel {channel!r}: label {float(y[row])!r} in row {row + 1} must be {rule} for objective={objective}"
        )


def check_resources(raw: object) -> None:
    """This algorithm trains on a single instance; refuse a cluster rather than ignore it."""
    hosts = raw.get("hosts", []) if isinstance(raw, dict) else []
    if isinstance(hosts, list) and len(hosts) > 1:
        raise UserError(
            f"resourceconfig.json lists {len(hosts)} hosts; this algorithm trains on one instance (set InstanceCount=1)"
        )


def load_data(hps: Hyperparameters) -> dict[str, xgb.DMatrix]:
    """Read the train and (optional) validation channels into DMatrix objects."""
    configs = data.channels(contract.read_json(contract.inputdataconfig_path()))
    unknown = sorted(set(configs) - set(CHANNELS))
    if unknown:
        raise UserError(
            f"unexpected channel(s) {', '.join(unknown)}; this algorithm reads 'train' and optionally 'validation'"
        )
    if "train" not in configs:
        raise UserError("the 'train' channel is required")
    matrices: dict[str, xgb.DMatrix] = {}
    for name in (n for n in CHANNELS if n in configs):
        x, y = data.load(configs[name])
        if len(y) == 0:
            raise UserError(f"channel {name!r} has no rows")
        check_labels(y, hps, name)
        log(f"channel {name}: {x.shape[0]} rows, {x.shape[1]} features")
        if name == "train":
            # Cuts are computed here, once and without weights, so they never depend on
            # which round a run started from.
            matrices[name] = xgb.QuantileDMatrix(x, y, max_bin=hps.booster["max_bin"])
        else:
            if x.shape[1] != matrices["train"].num_col():
                raise UserError(
                    f"channel 'validation' has {x.shape[1]} features, 'train' has {matrices['train'].num_col()}"
                )
            matrices[name] = xgb.QuantileDMatrix(x, y, ref=matrices["train"])
    if hps.early_stopping_rounds and "validation" not in matrices:
        raise UserError("hyperparameter early_stopping_rounds needs a 'validation' channel")
    return matrices


def save_model(booster: xgb.Booster, hps: Hyperparameters) -> Path:
    """Write the final model as XGBoost JSON or UBJ (never pickle), atomically."""
    best = booster.attr("best_iteration")
    if best is not None:
        booster = booster[: int(best) + 1]
    directory = contract.model_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"xgboost-model.{hps.model_format}"
    tmp = directory / f".tmp-{path.name}"
    booster.save_model(str(tmp))  # XGBoost picks the format from the extension...
    os.replace(tmp, path)  # ...so the temporary name keeps it, then moves into place.
    return path


def update_early_stopping(booster: xgb.Booster, metrics: list[tuple[str, float]], i: int, patience: int) -> bool:
    """Track the last validation metric in booster attributes (so checkpoints carry it)."""
    name, value = metrics[-1]
    maximize = name.split(":")[1] in MAXIMIZED_METRICS
    best = booster.attr("best_score")
    if best is None or (value > float(best) if maximize else value < float(best)):
        booster.set_attr(best_score=repr(value), best_iteration=str(i))
        return False
    return i - int(booster.attr("best_iteration") or 0) >= patience


def train(stop: StopSignal) -> int:
    """Run one training job; returns the exit code."""
    hps = hyperparameters.parse(contract.read_json(contract.hyperparameters_path()), contract.num_cpus())
    check_resources(contract.read_json(contract.resourceconfig_path()))
    matrices = load_data(hps)
    dtrain = matrices["train"]
    sampler = RoundSampler(hps.seed, hps.subsample, hps.colsample_bytree, dtrain.num_row(), dtrain.num_col())
    params = {**hps.booster, **sampler.booster_params()}
    evals = list(matrices.items())
    ckpt_dir = contract.checkpoint_dir()
    found = checkpoints.latest(ckpt_dir)
    booster = xgb.Booster(params, list(matrices.values()), model_file=found[1] if found else None)
    start = booster.num_boosted_rounds()
    if found:
        log(f"resuming from checkpoint {found[0].name} at round {start}")
    stop.training = True
    if stop.received is not None:
        raise Interrupted(signal.Signals(stop.received).name)
    for i in range(start, hps.num_round):
        sampler.before_round(dtrain, i)
        booster.update(dtrain, i)
        sampler.after_round(dtrain)
        line, metrics = format_metrics(booster.eval_set([(m, n) for n, m in evals], i))
        log(line)
        done = i + 1 == hps.num_round
        if hps.early_stopping_rounds and update_early_stopping(booster, metrics, i, hps.early_stopping_rounds):
            log(f"early stopping at round {i}; best round {booster.attr('best_iteration')}")
            done = True
        if stop.received is not None and not done:
            path = checkpoints.save(ckpt_dir, booster)
            log(f"{signal.Signals(stop.received).name}: saved checkpoint {path.name}, exiting")
            return 0
        if done:
            break
        if (i + 1) % hps.checkpoint_frequency == 0:
            checkpoints.save(ckpt_dir, booster)
    log(f"saved model to {save_model(booster, hps)}")
    return 0


def _main() -> int:
    stop = StopSignal()
    stop.install()
    try:
        return train(stop)
    except Interrupted as exc:
        log(f"{exc} before training started; nothing to checkpoint, exiting")
        return 0


def main() -> int:
    """Console entry point: run under the failure contract and return the exit code."""
    return run_main(_main, contract.failure_path)


if __name__ == "__main__":
    sys.exit(main())
