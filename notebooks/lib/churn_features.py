"""Shared feature code for the churn notebook (notebooks/churn_model.yaml).

Declared in `inputs` by the offline cells that read customer records
(`validate`, `train`, `evaluate`) AND by the online `score` cell. Train/serve
parity comes from importing the same functions on both sides, never from
re-typing them:

  validate(record)  -> list of error strings ([] = valid)
  features(record)  -> {feature name: number or category string}

What is a pure function of ONE record lives here: parsing, the missing-value
policy, derived features such as the price trend. What is learned from
MANY records (the one-hot columns, each column's mean and standard
deviation, the weights) is fitted offline by scikit-learn on the training
split and shipped inside the published model; the online side only applies
it. Recomputing a mean from a single request would be meaningless, and
recomputing it from a different data set would be skew.

Standard library only, no clock, no randomness, no I/O: both sides can
import it cheaply and a test can call it directly.
"""

import json
import math

SCHEMA_VERSION = "churn-features/2"

CONTRACTS = ("month-to-month", "one-year", "two-year")
INTERNET = ("dsl", "fiber", "none")
PAYMENTS = ("electronic-check", "mailed-check", "bank-transfer", "credit-card")

# field -> (kind, required, lower, upper)
FIELDS = {
    "tenure_months": ("int", True, 0, 120),
    "monthly_charges": ("number", True, 5.0, 250.0),
    "total_charges": ("number", False, 0.0, 30000.0),
    "contract": ("enum", True, CONTRACTS, None),
    "internet_service": ("enum", True, INTERNET, None),
    "payment_method": ("enum", True, PAYMENTS, None),
    "support_calls": ("int", True, 0, 50),
    "paperless_billing": ("flag", True, None, None),
    "senior_citizen": ("flag", True, None, None),
}


def _show(value):
    """A value as it would appear in the JSON request."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _missing(value):
    return value is None or (isinstance(value, str) and value.strip() == "")


def _number(value):
    """Accept JSON numbers and numeric strings (CSV cells are strings)."""
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, (int, float)):
        f = float(value)
    else:
        f = float(str(value).strip())
    if math.isnan(f) or math.isinf(f):
        raise ValueError("not finite")
    return f


def _flag(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
        return value.strip().lower() in ("1", "true")
    raise ValueError("expected true/false or 0/1")


def validate(record):
    """Every problem with a raw record, as human-readable strings."""
    if not isinstance(record, dict):
        return ["record must be a JSON object"]
    errors = []
    for name, (kind, required, lo, hi) in FIELDS.items():
        value = record.get(name)
        if _missing(value):
            if required:
                errors.append(f"{name}: required")
            continue
        try:
            if kind == "enum":
                if str(value).strip().lower() not in lo:
                    errors.append(f"{name}: {_show(value)} is not one of {', '.join(lo)}")
            elif kind == "flag":
                _flag(value)
            else:
                f = _number(value)
                if kind == "int" and f != int(f):
                    errors.append(f"{name}: must be a whole number, got {_show(value)}")
                elif not lo <= f <= hi:
                    errors.append(f"{name}: {_show(value)} outside [{lo}, {hi}]")
        except (TypeError, ValueError):
            errors.append(f"{name}: {_show(value)} is not a valid {kind}")
    return errors


def features(record):
    """The model's input for one valid record (assumes validate(record) == []).

    Numbers stay numbers; categories stay strings, which scikit-learn's
    DictVectorizer turns into one-hot columns such as "contract=two-year".
    The dict's keys are the model's input schema: add or rename one and
    SCHEMA_VERSION should change with it.
    """
    tenure = _number(record["tenure_months"])
    monthly = _number(record["monthly_charges"])
    total = record.get("total_charges")
    # Missing-value policy, decided ONCE, here: a missing total (brand-new
    # customers) is imputed as tenure * monthly, i.e. "no price change".
    total = tenure * monthly if _missing(total) else _number(total)
    expected = tenure * monthly
    # > 0 when the customer now pays more per month than their average so far
    trend = 0.0 if expected <= 0 else (expected - total) / expected
    return {
        "log_tenure": math.log1p(tenure),
        "monthly_charges": monthly,
        "charge_trend": max(-1.0, min(1.0, trend)),
        "support_calls": min(_number(record["support_calls"]), 10.0),
        "contract": str(record["contract"]).strip().lower(),
        "internet_service": str(record["internet_service"]).strip().lower(),
        "payment_method": str(record["payment_method"]).strip().lower(),
        "paperless_billing": 1.0 if _flag(record["paperless_billing"]) else 0.0,
        "senior_citizen": 1.0 if _flag(record["senior_citizen"]) else 0.0,
    }
