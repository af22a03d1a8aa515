"""Rank the totals of an aggregate job and write the top ones to report.txt as a table."""

options = {"title": "Revenue", "top": 5}
jobs = ("totals",)


def synthesis(job, options, jobs):
    if options.top < 1:
        raise ValueError(f"top={options.top}: must be at least 1")
    totals = jobs.totals.load()
    revenue = totals["revenue"]
    ranked = sorted(revenue.items(), key=lambda item: (-item[1], item[0]))
    top = ranked[: options.top]
    table = format_table(options.title, totals["by"], top, sum(revenue.values()))
    with job.open("report.txt", "w") as f:
        f.write(table)
    print(table, end="")
    return top


def format_table(title, by, top, grand_total):
    """An aligned text table of the top rows, with each one's share of the grand total."""
    rows = [
        (str(key), f"{amount:,.2f}", f"{share(amount, grand_total):.1%}") for key, amount in top
    ]
    footer = (f"all {by}s", f"{grand_total:,.2f}", "100.0%")
    key_width = max(len(row[0]) for row in [(by,), *rows, footer])
    amount_width = max(len(row[1]) for row in [("", "revenue"), *rows, footer])

    def line(key, amount, percent):
        return f"{key:<{key_width}}  {amount:>{amount_width}}  {percent:>6}"

    rule = "-" * len(line("", "", ""))
    lines = [title, "=" * len(title), line(by, "revenue", "share"), rule]
    lines += [line(*row) for row in rows]
    lines += [rule, line(*footer)]
    return "\n".join(lines) + "\n"


def share(amount, total):
    return amount / total if total else 0.0
