"""Planning is pure: decisions and reasons from specs, what is finished, and earlier jobs."""

from __future__ import annotations

from types import SimpleNamespace

from acbuild import canonical, graph, plan


def spec(method: str, force: bool = False, **options: object) -> graph.JobSpec:
    return graph.make_spec(method, "0" * 64, options, {}, None, force=force)


def test_cached_and_stale() -> None:
    a, b = spec("a"), spec("b")
    decisions = plan.plan_jobs([a, b], {a.hash: "somewhere"})
    assert [(d.spec.method, d.state, d.reason) for d in decisions] == [
        ("a", "cached", "cached"), ("b", "stale", "never built")]
    assert decisions[0].found == "somewhere"


def test_forced_is_built_once_per_run() -> None:
    a = spec("a", force=True)
    assert plan.plan_jobs([a], {a.hash: "x"})[0].reason == "forced"
    assert not plan.plan_jobs([a], {a.hash: "x"}, built_this_run=frozenset({a.hash}))[0].build


def test_differences_in_words() -> None:
    old = plan.identity_view(graph.make_spec("m", "0" * 64, {"n": 3, "src": canonical.InputFile(
        "data/raw.csv", "1" * 64)}, {}, None))
    new = plan.identity_view(graph.make_spec("m", "9" * 64, {"n": 4, "src": canonical.InputFile(
        "data/raw.csv", "2" * 64)}, {}, None))
    assert plan.differences(new, old) == [
        "code of m changed", "option n: 3 → 4", "input file data/raw.csv changed"]


def test_reason_names_the_closest_earlier_job() -> None:
    new = plan.identity_view(spec("m", n=4, k=1))
    near = (SimpleNamespace(id="m-near"), plan.identity_view(spec("m", n=3, k=1)))
    far = (SimpleNamespace(id="m-far"), plan.identity_view(spec("m", n=1, k=2)))
    assert plan.stale_reason(new, [far, near], {}) == "option n: 3 → 4 (since m-near)"
    assert plan.stale_reason(new, [], {}) == "never built"


def test_reason_for_an_input_that_is_rebuilt() -> None:
    up_old, up_new = spec("u", n=1), spec("u", n=2)
    old = plan.identity_view(graph.make_spec("d", "0" * 64, {}, {"pred": up_old}, None))
    new = plan.identity_view(graph.make_spec("d", "0" * 64, {}, {"pred": up_new}, None))
    reason = plan.stale_reason(new, [(SimpleNamespace(id="d-old"), old)],
                               {"pred": "option n: 1 → 2 (since u-x)"})
    assert reason == "input pred is new too (option n: 1 → 2) (since d-old)"
