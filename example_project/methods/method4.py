"""Graph example, step 4: the even numbers from method1."""

jobs = ("pred",)


def synthesis(jobs):
    return [n for n in jobs.pred.load() if n % 2 == 0]
