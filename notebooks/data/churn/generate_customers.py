"""One-off generator for customers.csv (synthetic, seeded). NOT a notebook cell.

The churn notebook reads the committed CSV, exactly as a real pipeline would
read an export it did not create. This script only documents how the data
was made; rerunning it reproduces the file byte for byte:

    python3 notebooks/data/churn/generate_customers.py > notebooks/data/churn/customers.csv

Every customer is invented. The churn probability follows a hand-written
logistic rule (month-to-month contracts, short tenure, support calls, fiber,
electronic cheques and recent price rises raise it) plus noise, so a model
can learn something real but not everything. A handful of deliberately
broken rows exercise the validation step.
"""
import csv
import math
import random
import sys

rng = random.Random(20240611)
N = 500

def pick(weights):
    r, acc = rng.random(), 0.0
    for value, w in weights:
        acc += w
        if r < acc:
            return value
    return weights[-1][0]

rows = []
for i in range(N):
    contract = pick([("month-to-month", 0.52), ("one-year", 0.24), ("two-year", 0.24)])
    mean_tenure = {"month-to-month": 16, "one-year": 34, "two-year": 48}[contract]
    tenure = min(72, int(rng.expovariate(1 / mean_tenure)))
    internet = pick([("dsl", 0.36), ("fiber", 0.44), ("none", 0.20)])
    base = {"dsl": 55.0, "fiber": 88.0, "none": 22.0}[internet]
    monthly = round(max(18.0, rng.gauss(base, 9.0 if internet != "none" else 2.5)), 2)
    payment = pick([("electronic-check", 0.33), ("mailed-check", 0.22),
                    ("bank-transfer", 0.23), ("credit-card", 0.22)])
    support = min(12, int(rng.expovariate(1 / (2.2 if internet == "fiber" else 1.2))))
    paperless = 1 if rng.random() < 0.6 else 0
    senior = 1 if rng.random() < 0.16 else 0
    # some customers saw a price rise: they paid less on average than they pay now
    rise = rng.uniform(0.05, 0.35) if rng.random() < 0.3 and tenure > 3 else 0.0
    total = round(tenure * monthly * (1 - rise / 2), 2)
    z = (-1.5 + 1.35 * (contract == "month-to-month") - 1.1 * (contract == "two-year")
         - 0.5 * math.log1p(tenure) + 0.32 * support + 0.55 * (internet == "fiber")
         - 0.4 * (internet == "none") + 0.5 * (payment == "electronic-check")
         + 0.25 * paperless + 0.35 * senior + 3.0 * rise + 0.008 * (monthly - 65)
         + rng.gauss(0, 0.6))
    churned = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
    rows.append({
        "customer_id": f"C{10001 + i}",
        "tenure_months": tenure,
        "monthly_charges": f"{monthly:.2f}",
        "total_charges": "" if tenure == 0 else f"{total:.2f}",
        "contract": contract,
        "internet_service": internet,
        "payment_method": payment,
        "support_calls": support,
        "paperless_billing": paperless,
        "senior_citizen": senior,
        "churned": churned,
    })

# deliberately broken rows, as found in real exports
rows[37]["tenure_months"] = -3
rows[88]["contract"] = "monthly"
rows[141]["monthly_charges"] = ""
rows[203]["support_calls"] = "many"
rows[266]["tenure_months"] = "2.5"
rows[371]["monthly_charges"] = "999.00"

w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
w.writerows(rows)
