"""Shared feature code for the churn notebook (notebooks/churn_model.yaml).

Declared in `inputs` by the offline cells (`validate`, `train`, `evaluate`)
AND by the online `score` cell. Train/serve parity comes from importing the
same functions on both sides, never from re-typing them:

  validate(record)            -> list of error strings ([] = valid)
  raw_features(record)        -> list of floats, in FEATURE_NAMES order
  fit_scaler(raw_rows)        -> {"mean": [...], "std": [...]}   (offline only!)
  transform(record, scaler)   -> standardised feature vector
  predict_proba(model, record)-> churn probability

Anything learned from data (the scaler's means and standard deviations, the
weights) is fitted offline on the training split and shipped inside the
published model; the online side only *applies* it. Recomputing a mean from
a single request would be meaningless, and recomputing it from a different
data set would be skew.

Pure functions, standard library only: no clock, no randomness, no I/O.
"""

import json
import math

SCHEMA_VERSION = "churn-features/1"

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

FEATURE_NAMES = [
    "log_tenure",
    "monthly_charges",
    "charge_trend",
    "support_calls",
    "contract_month_to_month",
    "contract_one_year",
    "internet_fiber",
    "internet_none",
    "pays_electronic_check",
    "paperless_billing",
    "senior_citizen",
]


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


def raw_features(record):
    """Unscaled features. Assumes validate(record) == []."""
    tenure = _number(record["tenure_months"])
    monthly = _number(record["monthly_charges"])
    total = record.get("total_charges")
    # Missing-value policy, decided ONCE, here: a missing total (brand-new
    # customers) is imputed as tenure * monthly, i.e. "no price change".
    total = tenure * monthly if _missing(total) else _number(total)
    expected = tenure * monthly
    # > 0 when the customer now pays more per month than their average so far
    trend = 0.0 if expected <= 0 else (expected - total) / expected
    contract = str(record["contract"]).strip().lower()
    internet = str(record["internet_service"]).strip().lower()
    payment = str(record["payment_method"]).strip().lower()
    return [
        math.log1p(tenure),
        monthly,
        max(-1.0, min(1.0, trend)),
        min(_number(record["support_calls"]), 10.0),
        1.0 if contract == "month-to-month" else 0.0,
        1.0 if contract == "one-year" else 0.0,
        1.0 if internet == "fiber" else 0.0,
        1.0 if internet == "none" else 0.0,
        1.0 if payment == "electronic-check" else 0.0,
        1.0 if _flag(record["paperless_billing"]) else 0.0,
        1.0 if _flag(record["senior_citizen"]) else 0.0,
    ]


def fit_scaler(raw_rows):
    """Column means and standard deviations. Call on the TRAINING split only."""
    n = len(raw_rows)
    cols = list(zip(*raw_rows))
    mean = [sum(c) / n for c in cols]
    std = [math.sqrt(sum((x - m) ** 2 for x in c) / n) or 1.0 for c, m in zip(cols, mean)]
    return {"mean": [round(m, 10) for m in mean], "std": [round(s, 10) for s in std]}


def transform(record, scaler):
    """Standardised feature vector for one record (same code offline and online)."""
    return [(x - m) / s for x, m, s in zip(raw_features(record), scaler["mean"], scaler["std"])]


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def predict_proba(model, record):
    """P(churn) for one raw record under a published model."""
    x = transform(record, model["scaler"])
    return sigmoid(model["bias"] + sum(w * v for w, v in zip(model["weights"], x)))
