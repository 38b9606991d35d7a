"""Graph export: structure, stable ids, node values and gradients, DOT and JSON output."""

import json
import re
import shutil
from collections import Counter, namedtuple

import numpy as np
import pytest

import diaphane.numpy as dnp
from diaphane.autodiff import (
    DiaphaneError,
    Graph,
    defvjp_all,
    flatten,
    grad,
    primitive,
    trace_graph,
)
from diaphane.examples import load, log_softmax, logistic_loss

LOGISTIC_ARGS = tuple(np.array(v) for v in (0.8, 1.5, -0.2, 1.0))


def label(node):
    """A readable name for a node: the input's name or the op with its signature."""
    return (
        node.name
        if node.kind == "input"
        else node.kind
        if node.op is None
        else node.op + (node.signature)
    )


def edge_set(g: Graph):
    return Counter((label(g.nodes[e.src]), label(g.nodes[e.dst]), e.arg) for e in g.edges)


def test_logistic_structure():
    g = trace_graph(logistic_loss, *LOGISTIC_ARGS)
    ops = Counter(n.op for n in g.nodes if n.op is not None)
    assert ops == {"multiply": 2, "add": 2, "negative": 1, "exp": 1, "divide": 1,
                   "subtract": 1, "power": 1}  # fmt: skip
    assert Counter(n.kind for n in g.nodes) == {"input": 4, "op": 8, "output": 1}
    assert [g.nodes[i].name for i in g.inputs] == ["w", "x", "b", "t"]
    assert g.inputs == [0, 1, 2, 3]
    (out,) = g.outputs
    assert g.nodes[out].kind == "output" and g.nodes[out].name == "out"
    assert g.nodes[out].op == "multiply" and g.nodes[out].signature == "(0.5, ·)"
    assert edge_set(g) == Counter(
        {
            ("w", "multiply", 0): 1,
            ("x", "multiply", 1): 1,
            ("multiply", "add", 0): 1,
            ("b", "add", 1): 1,
            ("add", "negative", 0): 1,
            ("negative", "exp", 0): 1,
            ("exp", "add(1.0, ·)", 1): 1,
            ("add(1.0, ·)", "divide(1.0, ·)", 1): 1,
            ("divide(1.0, ·)", "subtract", 0): 1,
            ("t", "subtract", 1): 1,
            ("subtract", "power(·, 2)", 0): 1,
            ("power(·, 2)", "multiply(0.5, ·)", 1): 1,
        }
    )
    assert all(n.shape == () and n.dtype == "float64" for n in g.nodes)
    assert all(n.value is None and n.grad is None for n in g.nodes)


def test_ids_are_forward_topological_and_stable():
    fun, args, _ = load("mlp")
    first = trace_graph(fun, *args, values=True, grads=True)
    second = trace_graph(fun, *load("mlp").args, values=True, grads=True)
    assert [n.id for n in first.nodes] == list(range(len(first.nodes)))
    assert all(e.src < e.dst for e in first.edges)
    assert first.to_dot() == second.to_dot()
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())


def test_gradients_on_nodes_match_grad():
    fun, args, _ = load("mlp")
    g = trace_graph(fun, *args, values=True, grads=True)
    want = flatten(grad(fun, argnums=(0, 1, 2))(*args))[0]
    for i, w in zip(g.inputs, want, strict=True):
        np.testing.assert_allclose(g.nodes[i].grad, w, rtol=1e-12, atol=1e-15)
    # The cotangent reaching the hidden layer is the gradient with respect to it.
    (tanh,) = [n for n in g.nodes if n.op == "tanh"]
    params, x, t = args

    def head(h):
        return -dnp.sum(t * log_softmax(h @ params["W2"] + params["b2"])) / x.shape[0]

    np.testing.assert_allclose(tanh.grad, grad(head)(tanh.value), rtol=1e-12, atol=1e-15)
    (out,) = g.outputs
    assert g.nodes[out].grad == 1.0
    np.testing.assert_allclose(g.nodes[out].value, fun(*args), rtol=1e-15)


def test_values_and_grads_of_logistic_against_closed_form():
    w, x, b, t = (float(v) for v in LOGISTIC_ARGS)
    g = trace_graph(logistic_loss, *LOGISTIC_ARGS, values=True, grads=True)
    s = 1 / (1 + np.exp(-(w * x + b)))
    (sig,) = [n for n in g.nodes if n.op == "divide"]
    assert sig.value == pytest.approx(s, rel=1e-15)
    assert sig.grad == pytest.approx(s - t, rel=1e-14)
    dz = (s - t) * s * (1 - s)
    got = [g.nodes[i].grad for i in g.inputs]
    np.testing.assert_allclose(got, [dz * x, dz * w, dz, t - s], rtol=1e-13)


def test_pytree_inputs_are_named_by_path():
    Pair = namedtuple("Pair", "scale shift")
    params = {
        "layers": [{"W": np.ones((3, 2)), "b": np.zeros(2)}, {"W": np.ones((2, 1))}],
        "affine": Pair(np.array(2.0), np.array(0.5)),
    }

    def f(params, x):
        h = x
        for layer in params["layers"]:
            h = dnp.tanh(h @ layer["W"] + layer.get("b", 0.0))
        return dnp.sum(params["affine"].scale * h + params["affine"].shift)

    x = np.linspace(-1, 1, 12).reshape(4, 3)
    g = trace_graph(f, params, x, grads=True)
    names = [g.nodes[i].name for i in g.inputs]
    assert names == [
        "params['layers'][0]['W']",
        "params['layers'][0]['b']",
        "params['layers'][1]['W']",
        "params['affine'].scale",
        "params['affine'].shift",
        "x",
    ]
    want = flatten(grad(f, argnums=(0, 1))(params, x))[0]
    for i, w in zip(g.inputs, want, strict=True):
        np.testing.assert_allclose(g.nodes[i].grad, w, rtol=1e-12)
    assert g.nodes[g.inputs[0]].type_str == "float64[3,2]"


def test_repeated_use_of_one_input():
    def f(x):
        return dnp.sum(x * x + dnp.sin(x))

    x = np.array([0.3, -1.2, 2.0])
    g = trace_graph(f, x, grads=True)
    from_x = sorted((g.nodes[e.dst].op, e.arg) for e in g.edges if e.src == g.inputs[0])
    assert from_x == [("multiply", 0), ("multiply", 1), ("sin", 0)]
    np.testing.assert_allclose(g.nodes[0].grad, 2 * x + np.cos(x), rtol=1e-14)


def test_deep_chain_has_no_recursion_error():
    def f(x):
        for i in range(20_000):
            x = dnp.sin(x) if i % 2 else dnp.tanh(x)
        return x

    x = np.array(0.7)
    g = trace_graph(f, x, values=True, grads=True)
    assert len(g.nodes) == 20_001 and len(g.edges) == 20_000
    assert g.outputs == [20_000]
    assert g.nodes[0].grad == pytest.approx(grad(f)(x), rel=1e-12)
    assert g.to_dot().count("->") == 20_000
    assert len(g.to_dict()["nodes"]) == 20_001


def test_untraced_arrays_become_shared_const_nodes():
    c = np.arange(3.0)

    def f(x):
        return dnp.sum(x * c + c)

    g = trace_graph(f, np.ones(3), values=True)
    (const,) = [n for n in g.nodes if n.kind == "const"]
    assert const.type_str == "float64[3]" and const.op is None
    np.testing.assert_array_equal(const.value, c)
    assert sorted((g.nodes[e.dst].op, e.arg) for e in g.edges if e.src == const.id) == [
        ("add", 1),
        ("multiply", 1),
    ]


def test_signatures_show_untraced_arguments():
    def f(x):
        return dnp.sum(dnp.reshape(x, (2, 3))[:, :1] ** 2, axis=0, keepdims=True)

    g = trace_graph(f, np.ones(6))
    sigs = {n.op: n.signature for n in g.nodes if n.op}
    assert sigs == {
        "reshape": "(·, (2, 3))",
        "getitem": "(·, (:, :1))",
        "power": "(·, 2)",
        "sum": "(·, axis=0, keepdims=True)",
    }


def test_several_outputs_unused_input_and_float32():
    def f(x, unused):
        y = dnp.exp(x)
        return {"y": y, "z": dnp.sum(y)}

    x = np.array([0.0, 1.0], dtype=np.float32)
    g = trace_graph(f, x, np.zeros(2, np.float32), grads=True)
    assert [g.nodes[i].name for i in g.outputs] == ["out['y']", "out['z']"]
    assert all(n.dtype == "float32" for n in g.nodes)
    # Seeded with ones on every output: d/dx (sum(y) + sum(y)) = 2 exp(x).
    np.testing.assert_allclose(g.nodes[0].grad, 2 * np.exp(x), rtol=1e-6)
    assert g.nodes[0].grad.dtype == np.float32
    unused = g.nodes[1]
    assert unused.name == "unused" and not [e for e in g.edges if e.src == unused.id]
    np.testing.assert_array_equal(unused.grad, np.zeros(2, np.float32))


def test_output_that_is_an_input():
    g = trace_graph(lambda x: x, np.ones(2))
    assert g.outputs == g.inputs == [0] and g.nodes[0].kind == "input"
    assert "peripheries=2" in g.to_dot()


_sincos = primitive(lambda x: (np.sin(x), np.cos(x)), "sincos")
defvjp_all(
    _sincos,
    lambda argnums, g, ans, x: [
        (0 if g[0] is None else g[0] * dnp.cos(x)) - (0 if g[1] is None else g[1] * dnp.sin(x))
    ],
)


def test_tuple_valued_node_with_a_zero_cotangent_entry():
    x = np.array([0.2, 0.4])
    g = trace_graph(lambda x: dnp.sum(_sincos(x)[0]), x, values=True, grads=True)
    (node,) = [n for n in g.nodes if n.op == "sincos"]
    assert node.shape is None and node.dtype == "(float64[2], float64[2])"
    np.testing.assert_allclose(node.grad[0], [1.0, 1.0])
    assert node.grad[1] is None  # the cosines do not reach the output
    np.testing.assert_allclose(g.nodes[0].grad, np.cos(x), rtol=1e-15)
    assert "(float64[2], float64[2])\\nvalue ([0.1987, 0.3894], [0.9801, 0.9211])" in g.to_dot()
    assert json.loads(json.dumps(g.to_dict()))["nodes"][1]["grad"] == [[1.0, 1.0], None]


def test_to_dict_is_strict_json_with_complex_and_nonfinite_values():
    def f(z, x):
        return dnp.sum(z * z), dnp.log(x)

    z = np.array([1 + 2j, -0.5j])
    with np.errstate(invalid="ignore", divide="ignore"):
        g = trace_graph(f, z, np.array([-1.0, 0.0, 2.0]), values=True, grads=True)
    data = json.loads(json.dumps(g.to_dict(), allow_nan=False))
    assert data["nodes"][0]["value"] == [[1.0, 2.0], [0.0, -0.5]]
    (log,) = [n for n in data["nodes"] if n["op"] == "log"]
    assert log["value"] == ["NaN", "-Infinity", pytest.approx(np.log(2.0))]
    assert data["nodes"][0]["grad"] == [[2.0, 4.0], [0.0, -1.0]]  # 2 z, seeded with 1
    assert data["format"] == "diaphane.graph" and data["outputs"] == g.outputs


def test_dot_text():
    g = trace_graph(logistic_loss, *LOGISTIC_ARGS, values=True, grads=True)
    dot = g.to_dot()
    assert dot.startswith("digraph diaphane {\n  rankdir=LR;")
    assert dot.endswith("}\n")
    assert 'n0 [label="w\\nfloat64[]\\nvalue 0.8\\ngrad -0.07932", shape=ellipse' in dot
    assert re.search(r'n12 \[label="multiply\(0\.5, ·\)\\n→ out.*peripheries=2\];', dot)
    assert 'n0 -> n4 [label="0"];' in dot and "n5 -> n6;" in dot
    assert len(dot.splitlines()) == 4 + 13 + 12 + 1


def test_dot_labels_are_escaped():
    params = {'a"b\\c\nd': np.ones(2)}
    g = trace_graph(lambda p: dnp.sum(p['a"b\\c\nd']), params)
    line = next(s for s in g.to_dot().splitlines() if s.startswith("  n0 "))
    # repr() of the key, then DOT escaping: backslashes doubled, quotes escaped.
    assert line.startswith('  n0 [label="p[\'a\\"b\\\\\\\\c\\\\nd\']\\nfloat64[2]"')
    if shutil.which("dot"):
        assert b"<svg" in g.render("svg")


def test_labels_summarise_large_values():
    g = trace_graph(lambda x: dnp.tanh(x), np.linspace(-1.0, 2.0, 7), values=True)
    assert "value -0.7616 … 0.964" in g.to_dot()


def test_render_without_graphviz(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    g = trace_graph(dnp.sin, np.ones(2))
    with pytest.raises(DiaphaneError, match="Debian/Ubuntu package `graphviz`"):
        g.render("svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_svg_and_png():
    g = trace_graph(logistic_loss, *LOGISTIC_ARGS, grads=True)
    svg = g.render("svg").decode()
    assert "<svg" in svg and "multiply(0.5, ·)" in svg
    assert g.render("png").startswith(b"\x89PNG")
    with pytest.raises(DiaphaneError, match="dot` failed"):
        g.render("no-such-format")
