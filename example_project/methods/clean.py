"""Drop the rows that cannot be used and give the rest proper types."""

import pickle
from collections import Counter

import _rows

options = {"min_units": 1, "drop_regions": [str]}
jobs = ("raw",)


def synthesis(job, options, jobs):
    with jobs.raw.open("rows.pickle", "rb") as f:
        raw_rows = pickle.load(f)
    drop_regions = set(options.drop_regions or ())
    kept = []
    dropped = Counter()
    for raw in raw_rows:
        try:
            row = _rows.parse_row(raw)
        except _rows.BadRow as why:
            dropped[str(why)] += 1
            continue
        if row["units"] < options.min_units:
            dropped["too few units"] += 1
        elif row["region"] in drop_regions:
            dropped[f"region {row['region']}"] += 1
        else:
            kept.append(row)
    with job.open("clean.pickle", "wb") as f:
        pickle.dump(kept, f)

    print(f"kept {len(kept)} of {len(raw_rows)} rows, dropped {sum(dropped.values())}")
    for reason, count in dropped.most_common():
        print(f"  {count:4}  {reason}")
    return {"kept": len(kept), "dropped": dict(dropped)}
