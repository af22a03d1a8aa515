"""Graph example, step 3: the sum of method2's squares."""

jobs = ("pred",)


def synthesis(jobs):
    return sum(jobs.pred.load())
