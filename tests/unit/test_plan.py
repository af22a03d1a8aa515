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


def test_a_decision_records_its_reason_and_the_job_it_was_said_against() -> None:
    new = spec("m", n=4)
    why = plan.why_stale(plan.identity_view(new),
                         [(SimpleNamespace(id="m-old"), plan.identity_view(spec("m", n=3)))], {})
    (decision,) = plan.plan_jobs([new], {}, {new.hash: why})
    assert decision.record() == {"reason": "option n: 3 → 4 (since m-old)", "cause": "option",
                                 "compared_with": "m-old"}
    (first,) = plan.plan_jobs([new], {})
    assert first.record() == {"reason": "never built", "cause": "never built",
                              "compared_with": None}


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


def test_reason_for_an_input_that_is_rebuilt_names_the_root_cause() -> None:
    up_old, up_new = spec("u", n=1), spec("u", n=2)
    old = plan.identity_view(graph.make_spec("d", "0" * 64, {}, {"pred": up_old}, None))
    new = plan.identity_view(graph.make_spec("d", "0" * 64, {}, {"pred": up_new}, None))
    up_why = plan.why_stale(plan.identity_view(up_new),
                            [(SimpleNamespace(id="u-x"), plan.identity_view(up_old))], {})
    assert up_why == plan.Why("option n: 1 → 2 (since u-x)", "option", ("u: option n: 1 → 2",),
                              "u-x")
    why = plan.why_stale(new, [(SimpleNamespace(id="d-old"), old)], {"pred": up_why})
    assert why.text == "input pred is rebuilt (u: option n: 1 → 2)"
    assert why.cause == "input rebuilt" and why.roots == ("u: option n: 1 → 2",)


def test_a_deep_chain_cites_roots_without_nesting() -> None:
    roots = plan.Why("x", "option", ("a: option n: 1 → 2", "b: code changed in methods/b.py"))
    old = plan.identity_view(graph.make_spec("d", "0" * 64, {"k": 1}, {"pred": spec("u")}, None))
    new = plan.identity_view(graph.make_spec("d", "0" * 64, {"k": 2}, {"pred": spec("v")}, None))
    why = plan.why_stale(new, [(SimpleNamespace(id="d-old"), old)], {"pred": roots})
    assert why.text == ("option k: 1 → 2 (since d-old); input pred is rebuilt "
                        "(a: option n: 1 → 2; b: code changed in methods/b.py)")
    assert why.roots == ("d: option k: 1 → 2", *roots.roots)
    many = plan.Why("x", "option", tuple(f"m{i}: forced" for i in range(5)))
    assert plan.why_stale(new, [(SimpleNamespace(id="d-old"), old)], {"pred": many}
                          ).text.endswith("m2: forced; and 2 more)")


def test_code_change_names_its_files() -> None:
    old = (SimpleNamespace(id="m-old"), plan.identity_view(graph.make_spec(
        "m", "0" * 64, {}, {}, None)))
    new = plan.identity_view(graph.make_spec("m", "1" * 64, {}, {}, None))
    why = plan.why_stale(new, [old], {}, lambda job: ["methods/_util.py", "methods/m.py"])
    assert why.text == "code of m changed in methods/_util.py, methods/m.py (since m-old)"
    assert why.roots == ("m: code changed in methods/_util.py, methods/m.py",)
    assert plan.changed_files({"a": b"1", "b": b"2"}, {"a": b"1", "b": b"3", "c": b""}) == [
        "b", "c"]


def test_peers_find_a_jobs_own_earlier_version_among_many() -> None:
    earlier = [(SimpleNamespace(id=f"m-{k}"), plan.identity_view(spec("m", k=k)))
               for k in reversed(range(500))]  # newest first: k=0 is the oldest
    new = plan.identity_view(graph.make_spec("m", "1" * 64, {"k": 0}, {}, None))
    assert plan.why_stale(new, plan.Peers(earlier), {}).text == \
        "code of m changed (since m-0)"
    assert plan.why_stale(new, earlier[:20], {}).text.startswith("code of m changed; option k")


def test_a_long_chain_keeps_a_bounded_number_of_roots() -> None:
    # Each job of a chain with its own change adds a root: thousands of them must not be
    # carried (and searched) by every job below.
    up = plan.Why("x", "option", ())
    for k in range(200):
        old = plan.identity_view(graph.make_spec("d", "0" * 64, {"k": 0}, {"pred": spec("u")},
                                                 None))
        new = plan.identity_view(graph.make_spec("d", "0" * 64, {"k": k + 1},
                                                 {"pred": spec("v")}, None))
        up = plan.why_stale(new, [(SimpleNamespace(id="d-old"), old)], {"pred": up})
    assert len(up.roots) == plan.ROOTS_KEPT + 1
    assert up.roots[0] == "d: option k: 0 → 200"
    assert plan.roots_text(up.roots).endswith(f"and more than {plan.ROOTS_KEPT - 3} more")
