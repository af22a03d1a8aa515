"""Read the sales CSV into a list of raw rows (every value still a string)."""

import csv
import pickle
from pathlib import Path

options = {"src": Path}

COLUMNS = ["date", "region", "product", "units", "unit_price"]


def synthesis(job, options):
    with open(options.src, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{options.src}: columns {reader.fieldnames}, expected {COLUMNS}")
        rows = list(reader)
    with job.open("rows.pickle", "wb") as f:
        pickle.dump(rows, f)
    print(f"read {len(rows)} rows from {options.src.name}")
    return {"rows": len(rows)}
