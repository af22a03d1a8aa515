"""Graph example, step 6: merge method4's and method5's numbers, sorted."""

jobs = ("pred1", "pred2")


def synthesis(jobs):
    return sorted(jobs.pred1.load() + jobs.pred2.load())
