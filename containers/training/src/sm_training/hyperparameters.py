"""Parse and validate hyperparameters.json, whose values SageMaker always delivers as strings."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from sm_training.errors import UserError

INT32_MAX = 2**31 - 1
OBJECTIVES = (
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "reg:squarederror",
    "reg:logistic",
    "reg:absoluteerror",
    "reg:pseudohubererror",
    "count:poisson",
    "multi:softmax",
    "multi:softprob",
)
EVAL_METRICS = (
    "rmse",
    "rmsle",
    "mae",
    "mape",
    "mphe",
    "logloss",
    "error",
    "merror",
    "mlogloss",
    "auc",
    "aucpr",
    "poisson-nloglik",
)
CLASSIFICATION_OBJECTIVES = ("binary:logistic", "binary:logitraw", "binary:hinge", "reg:logistic")


@dataclass(frozen=True)
class Spec:
    """How one hyperparameter is parsed: type, allowed range or values, default."""

    kind: str  # "int", "float", "choice" or "metrics"
    default: Any = None
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """Human description of what is allowed, used verbatim in error messages."""
        if self.kind in ("choice", "metrics"):
            many = "a comma-separated list of " if self.kind == "metrics" else "one of "
            return many + ", ".join(self.choices)
        noun = "an integer" if self.kind == "int" else "a number"
        lo = "(" if self.low_open else "["
        hi = "inf)" if self.high == math.inf else f"{self.high:g}]"
        return f"{noun} in {lo}{self.low:g}, {hi}"


SPECS: dict[str, Spec] = {
    "num_round": Spec("int", None, 1, 100_000),
    "objective": Spec("choice", "reg:squarederror", choices=OBJECTIVES),
    "num_class": Spec("int", None, 2, 100_000),
    "eta": Spec("float", 0.3, 0, 1),
    "gamma": Spec("float", 0.0, 0),
    "max_depth": Spec("int", 6, 1, 64),
    "min_child_weight": Spec("float", 1.0, 0),
    "max_delta_step": Spec("float", 0.0, 0),
    "subsample": Spec("float", 1.0, 0, 1, low_open=True),
    "colsample_bytree": Spec("float", 1.0, 0, 1, low_open=True),
    "lambda": Spec("float", 1.0, 0),
    "alpha": Spec("float", 0.0, 0),
    "scale_pos_weight": Spec("float", 1.0, 0, low_open=True),
    # Only hist: its quantile cuts are computed once, unweighted, which keeps resume exact.
    "tree_method": Spec("choice", "hist", choices=("hist",)),
    "grow_policy": Spec("choice", "depthwise", choices=("depthwise", "lossguide")),
    "max_leaves": Spec("int", 0, 0, INT32_MAX),
    "max_bin": Spec("int", 256, 2, 65_535),
    "eval_metric": Spec("metrics", None, choices=EVAL_METRICS),
    "seed": Spec("int", 0, 0, INT32_MAX),
    "nthread": Spec("int", None, 1, 1024),
    "early_stopping_rounds": Spec("int", None, 1, 100_000),
    "checkpoint_frequency": Spec("int", 10, 1, 100_000),
    "model_format": Spec("choice", "json", choices=("json", "ubj")),
}
REQUIRED = ("num_round",)
#: Keys that are not booster parameters; everything else in SPECS goes to xgboost.
#: Row and column sampling are done by ``sampling.RoundSampler``, not by xgboost's own RNG.
CONTROL_KEYS = (
    "num_round",
    "early_stopping_rounds",
    "checkpoint_frequency",
    "model_format",
    "subsample",
    "colsample_bytree",
)


@dataclass(frozen=True)
class Hyperparameters:
    """Validated hyperparameters, split into loop control and booster parameters."""

    num_round: int
    seed: int
    subsample: float
    colsample_bytree: float
    checkpoint_frequency: int
    early_stopping_rounds: int | None
    model_format: str
    booster: dict[str, Any]

    @property
    def objective(self) -> str:
        """The XGBoost objective."""
        return str(self.booster["objective"])

    @property
    def num_class(self) -> int | None:
        """Number of classes of a multi:* objective."""
        value = self.booster.get("num_class")
        return int(value) if value is not None else None


def _unquote(raw: str) -> str:
    """Undo the JSON quoting the SageMaker Python SDK adds to string values of framework jobs."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return text
        return decoded if isinstance(decoded, str) else text
    return text


def _parse_one(spec: Spec, text: str) -> Any:
    """Parse one value per its spec, raising ValueError when it is not allowed."""
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ValueError
        return text
    if spec.kind == "metrics":
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items or any(item not in spec.choices for item in items):
            raise ValueError
        return items
    number = float(text)
    if spec.kind == "int":
        if not number.is_integer():
            raise ValueError
        number = int(number)
    if math.isnan(number) or number > spec.high or number < spec.low:
        raise ValueError
    if spec.low_open and number == spec.low:
        raise ValueError
    return number


def parse(raw: Any, num_cpus: int) -> Hyperparameters:
    """Validate a hyperparameters.json mapping, reporting every problem in one UserError."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UserError("hyperparameters.json must hold a JSON object of name -> string value")
    errors: list[str] = []
    values: dict[str, Any] = {name: spec.default for name, spec in SPECS.items()}
    for name, given in sorted(raw.items()):
        if name.startswith(("sagemaker_", "_")):
            continue  # SDK and tuning bookkeeping, e.g. _tuning_objective_metric
        spec = SPECS.get(name)
        if spec is None:
            errors.append(f"unknown hyperparameter {name!r}; allowed: {', '.join(sorted(SPECS))}")
            continue
        text = _unquote(str(given))
        try:
            values[name] = _parse_one(spec, text)
        except ValueError:
            errors.append(f"hyperparameter {name}={text!r} is invalid: must be {spec.describe()}")
    errors += [f"hyperparameter {name} is required" for name in REQUIRED if values[name] is None]
    objective = values["objective"]
    if str(objective).startswith("multi:") and values["num_class"] is None:
        errors.append(f"hyperparameter num_class is required when objective={objective}")
    if values["num_class"] is not None and not str(objective).startswith("multi:"):
        errors.append(f"hyperparameter num_class is only allowed with multi:* objectives, not objective={objective}")
    if errors:
        raise UserError("invalid hyperparameters: " + "; ".join(errors))
    booster = {k: v for k, v in values.items() if k not in CONTROL_KEYS and v is not None}
    booster.setdefault("nthread", num_cpus)
    return Hyperparameters(
        num_round=values["num_round"],
        seed=values["seed"],
        subsample=values["subsample"],
        colsample_bytree=values["colsample_bytree"],
        checkpoint_frequency=values["checkpoint_frequency"],
        early_stopping_rounds=values["early_stopping_rounds"],
        model_format=values["model_format"],
        booster=booster,
    )
