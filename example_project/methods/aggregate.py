"""Sum revenue (units * unit_price) per region, product or any other column."""

import pickle
from collections import defaultdict

options = {"by": "region"}
jobs = ("clean",)


def prepare(options, jobs):
    with jobs.clean.open("clean.pickle", "rb") as f:
        rows = pickle.load(f)
    if rows and options.by not in rows[0]:
        raise ValueError(f"by={options.by!r}: no such column; the columns are {sorted(rows[0])}")
    return rows


def analysis(sliceno, slices, options, prepare_res):
    # Each slice sums every slices-th row; synthesis adds the slices up.
    revenue = defaultdict(float)
    for row in prepare_res[sliceno::slices]:
        revenue[row[options.by]] += row["units"] * row["unit_price"]
    return dict(revenue)


def synthesis(options, analysis_res):
    revenue = defaultdict(float)
    for part in analysis_res:
        for key, amount in part.items():
            revenue[key] += amount
    return {"by": options.by, "revenue": {key: round(revenue[key], 2) for key in sorted(revenue)}}
