"""Graph example, step 5: the odd numbers from method1, tripled."""

jobs = ("pred",)


def synthesis(jobs):
    return [3 * n for n in jobs.pred.load() if n % 2 == 1]
