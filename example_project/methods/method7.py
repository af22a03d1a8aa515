"""Graph example, step 7: combine both branches and write answer.txt."""

jobs = ("pred1", "pred2")


def synthesis(job, jobs):
    sum_of_squares = jobs.pred1.load()
    merged = jobs.pred2.load()
    result = {
        "sum_of_squares": sum_of_squares,
        "merged": merged,
        "total": sum_of_squares + sum(merged),
    }
    with job.open("answer.txt", "w") as f:
        f.write(f"{result}\n")
    print(result)
    return result
