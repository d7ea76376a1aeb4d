"""Hyperparameter parsing: strings in, typed values out, every problem named in one error."""

from __future__ import annotations

from pathlib import Path

import pytest
from container_helpers import run_module, write_training_tree
from sm_training.errors import UserError
from sm_training.hyperparameters import parse


def test_parses_sagemaker_string_values() -> None:
    hps = parse(
        {
            "num_round": "50",
            "max_depth": "4.0",
            "eta": "0.1",
            "objective": '"binary:logistic"',  # the SDK JSON-quotes strings of framework jobs
            "eval_metric": "auc, logloss",
            "subsample": "0.5",
            "sagemaker_program": "ignored.py",
            "_tuning_objective_metric": "validation:auc",
        },
        num_cpus=2,
    )
    assert hps.num_round == 50
    assert hps.subsample == 0.5
    assert hps.objective == "binary:logistic"
    assert hps.booster["max_depth"] == 4
    assert isinstance(hps.booster["max_depth"], int)
    assert hps.booster["eta"] == 0.1
    assert hps.booster["eval_metric"] == ["auc", "logloss"]
    assert hps.booster["nthread"] == 2
    assert "subsample" not in hps.booster  # sampled by RoundSampler, not by xgboost
    assert hps.checkpoint_frequency == 10
    assert hps.model_format == "json"


def test_fails_naming_every_bad_parameter() -> None:
    with pytest.raises(UserError) as caught:
        parse({"num_round": "ten", "eta": "1.5", "max_depth": "3.5", "objective": "reg:linear"}, 2)
    message = str(caught.value)
    assert "num_round='ten' is invalid: must be an integer in [1, 100000]" in message
    assert "eta='1.5' is invalid: must be a number in [0, 1]" in message
    assert "max_depth='3.5' is invalid: must be an integer" in message
    assert "objective='reg:linear' is invalid: must be one of binary:logistic" in message


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, "hyperparameter num_round is required"),
        ({"num_round": "5", "colour": "red"}, "unknown hyperparameter 'colour'; allowed: alpha"),
        ({"num_round": "5", "objective": "multi:softprob"}, "num_class is required when objective=multi:softprob"),
        ({"num_round": "5", "num_class": "3"}, "num_class is only allowed with multi:* objectives"),
        ({"num_round": "5", "subsample": "0"}, "subsample='0' is invalid: must be a number in (0, 1]"),
        ({"num_round": "5", "eval_metric": "auc,bogus"}, "eval_metric='auc,bogus' is invalid"),
        ({"num_round": "5", "tree_method": "exact"}, "tree_method='exact' is invalid: must be one of hist"),
        ({"num_round": "nan"}, "num_round='nan' is invalid"),
    ],
)
def test_fails_on_invalid_hyperparameters(given: dict[str, str], expected: str) -> None:
    with pytest.raises(UserError, match="invalid hyperparameters") as caught:
        parse(given, 2)
    assert expected in str(caught.value)


def test_fails_when_hyperparameters_are_not_an_object() -> None:
    with pytest.raises(UserError, match="must hold a JSON object"):
        parse(["num_round", "5"], 2)


def test_bad_hyperparameters_fail_the_job_with_a_named_reason(base_dir: Path) -> None:
    write_training_tree(base_dir, {"num_round": "10", "max_depth": "-1"})
    result = run_module("sm_training", base_dir, "train")
    assert result.returncode == 1
    failure = (base_dir / "output" / "failure").read_text()
    assert failure.startswith("UserError: invalid hyperparameters: hyperparameter max_depth='-1'")
    assert "max_depth" in failure[:1024]
    assert "UserError: " in result.stderr
    assert not (base_dir / "model").exists()


def test_unreadable_hyperparameters_file_is_a_user_error(base_dir: Path) -> None:
    write_training_tree(base_dir, {})
    (base_dir / "input/config/hyperparameters.json").write_text("{not json")
    result = run_module("sm_training", base_dir, "train")
    assert result.returncode == 1
    assert "hyperparameters.json is not valid JSON" in (base_dir / "output/failure").read_text()
