"""The sales pipeline: ingest -> clean -> aggregate -> report, by region and by product.

Run it with `acbuild run` (build.py is the default script). Only the jobs
that are missing, or whose code, options or inputs changed, are built.
"""


def main(urd):
    raw = urd.build("ingest", src=urd.file("data/sales.csv"))
    clean = urd.build("clean", raw=raw, min_units=1, drop_regions=["Internal"])

    by_region = urd.build("aggregate", clean=clean, by="region")
    region_report = urd.build("report", totals=by_region, title="Revenue by region")

    by_product = urd.build("aggregate", clean=clean, by="product")
    urd.build("report", totals=by_product, title="Top 3 products", top=3)

    # A script can use a result to go on: acbuild builds what load() needs
    # first (here: everything up to region_report), then continues.
    best, revenue = region_report.load()[0]
    print(f"best region: {best} with {revenue:,.2f} in revenue")
