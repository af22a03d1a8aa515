"""Regenerate sales.csv: 200 rows of a hardware chain's sales, a few of them dirty.

The CSV is committed; this script only documents where it came from.
Run it from the project root: python3 data/make_sales.py
"""

import csv
import random
from datetime import date, timedelta

PRODUCTS = {
    "hammer": 14.90,
    "drill": 89.00,
    "saw": 24.50,
    "screws": 6.20,
    "nails": 4.80,
    "paint": 32.00,
    "ladder": 119.00,
}
REGIONS = ["North", "South", "East", "West"]

rng = random.Random(2024)
rows = []
for _ in range(197):
    product = rng.choice(list(PRODUCTS))
    rows.append(
        {
            "date": (date(2024, 1, 1) + timedelta(days=rng.randrange(182))).isoformat(),
            "region": rng.choice(REGIONS),
            "product": product,
            "units": str(rng.randint(1, 40)),
            "unit_price": f"{PRODUCTS[product] * rng.uniform(0.9, 1.1):.2f}",
        }
    )
rows.sort(key=lambda row: row["date"])

# The dirty ones: what real exports contain, and what `clean` is for.
dirty = [
    (17, {"units": ""}),  # blank units
    (58, {"units": ""}),
    (133, {"units": ""}),
    (41, {"unit_price": "-" + rows[41]["unit_price"]}),  # refunds booked as sales
    (121, {"unit_price": "-" + rows[121]["unit_price"]}),
    (76, {"date": "2024-02-30"}),  # bad dates
    (160, {"date": "04/11/2024"}),
    (95, {"units": "0"}),  # below min_units
    (150, {"units": "0"}),
]
for index, change in dirty:
    rows[index] = {**rows[index], **change}
for index in (30, 88, 170):  # test orders from the staff shop
    rows.insert(index, {**rows[index], "region": "Internal"})

with open("data/sales.csv", "w", newline="", encoding="utf-8") as f:
    writer = csv.DictWriter(
        f, fieldnames=["date", "region", "product", "units", "unit_price"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
