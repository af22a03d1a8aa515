"""Graph example, step 1: the numbers 1 to 10."""


def synthesis():
    return list(range(1, 11))
