"""Graph example, step 2: square each number from method1."""

jobs = ("pred",)


def synthesis(jobs):
    return [n * n for n in jobs.pred.load()]
