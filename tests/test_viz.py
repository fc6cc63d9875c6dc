"""Drawing the graph behind a tensor: DOT text and a matplotlib figure, no Graphviz binary needed."""
import re
import subprocess
import sys

import pytest

import tinygrad_tutorial as tt
from tinygrad_tutorial.viz import draw_diagram, draw_graph, graph_of, layout, to_dot


def small_model():
    x = tt.randn(4, 3)
    w = tt.randn(3, 2, requires_grad=True)
    b = tt.zeros(2, requires_grad=True)
    loss = (x @ w + b).relu().mean()
    return loss, {"w": w, "b": b, "x": x}


def test_graph_lists_ops_and_tensors_with_shapes():
    loss, params = small_model()
    vertices, edges = graph_of(loss, params)
    labels = sorted(label for label, _ in vertices.values())
    assert labels == sorted(["()", "()", "8", "(4, 2)", "(4, 2)", "(4, 2)", "w\n(3, 2)", "b\n(2,)", "x\n(4, 3)",
                             "MatMulBackward", "AddBackward", "ReLUBackward", "SumBackward", "DivBackward"])
    kinds = {label: kind for label, kind in vertices.values()}
    assert kinds["w\n(3, 2)"] == kinds["b\n(2,)"] == "param" and kinds["x\n(4, 3)"] == "constant"
    assert kinds["MatMulBackward"] == "op" and vertices["t0"] == ("()", "output")
    names = {key: label.split("\n")[0] for key, (label, _) in vertices.items()}
    flow = {(names[a], names[b]) for a, b in edges}
    assert {("w", "MatMulBackward"), ("x", "MatMulBackward"), ("b", "AddBackward"), ("8", "DivBackward"),
            ("DivBackward", "()")} <= flow
    assert len(edges) == 13  # 5 ops: one edge out each, and 8 inputs in


def test_a_tensor_used_twice_gives_two_edges_and_one_vertex():
    a = tt.tensor(2.0, requires_grad=True)
    vertices, edges = graph_of(a * a, {"a": a})
    assert len(vertices) == 3 and edges.count(("t2", "op1")) == 2


def test_to_dot_is_valid_dot_text():
    loss, params = small_model()
    dot = to_dot(loss, params)
    assert dot.startswith("digraph {") and dot.rstrip().endswith("}")
    assert re.search(r'\w+ \[label="MatMulBackward" shape=box style="rounded,filled"', dot)
    assert re.search(r'\w+ \[label="w\\n\(3, 2\)" shape=box fillcolor="#cfe2f3"\]', dot)
    assert dot.count("->") == 13 and dot.count("[label=") == 14


def test_to_dot_walks_deep_graphs_without_recursion():
    x = tt.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    assert to_dot(y).count("MulBackward") == 5000


def test_a_leaf_and_a_freed_graph_can_be_drawn():
    x = tt.tensor([1.0], requires_grad=True)
    assert graph_of(x, {"x": x})[0] == {"t0": ("x\n(1,)", "output")}
    y = (x * 2).sum()
    y.backward()
    vertices, _ = graph_of(y)
    assert ("SumBackward (freed)", "op") in vertices.values()  # backward released the rest
    assert draw_graph(y) is not None


def test_layout_puts_leaves_above_their_ops_and_the_output_last():
    loss, params = small_model()
    vertices, edges = graph_of(loss, params)
    positions = layout(vertices, edges)
    for a, b in edges:
        assert positions[a][1] > positions[b][1]  # data flows downwards
    assert positions["t0"][1] == min(y for _, y in positions.values())
    assert len(set(positions.values())) == len(positions)  # no two vertices on the same spot


def test_draw_graph_returns_a_figure_with_a_box_per_vertex_and_an_arrow_per_edge():
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    loss, params = small_model()
    fig = draw_graph(loss, params)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(label for label, _ in graph_of(loss, params)[0].values())
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 13
    fig.canvas.draw()  # renders without a Graphviz binary


def test_draw_diagram_draws_any_graph_and_bends_an_edge_past_a_layer():
    from matplotlib.patches import FancyArrowPatch

    # u feeds a product twice and, past it, an addition (chapter 3's u * u + u)
    vertices = {"u": ("u = 6", "tensor"), "mul": ("*", "op"), "p": ("36", "tensor"),
                "add": ("+", "op"), "y": ("42", "output")}
    edges = [("u", "mul"), ("u", "mul"), ("mul", "p"), ("p", "add"), ("u", "add"),
             ("add", "y")]
    ax = draw_diagram(vertices, edges).axes[0]
    labels = sorted(label for label, _ in vertices.values())
    assert sorted(t.get_text() for t in ax.texts) == labels
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    bends = sorted(float(a.get_connectionstyle().rad) for a in arrows)
    assert len(arrows) == 6 and bends == [-0.25, 0.0, 0.0, 0.0, 0.25, 0.3]


def test_draw_graph_into_subplots_side_by_side():
    import matplotlib.pyplot as plt

    a = tt.tensor(2.0, requires_grad=True)
    fig, (left, right) = plt.subplots(1, 2)
    try:
        assert draw_graph(a * a + a.exp(), {"a": a}, ax=left) is fig
        assert draw_graph((a * 3).sum(), ax=right) is fig
        assert any(t.get_text() == "ExpBackward" for t in left.texts)
        assert any(t.get_text() == "3" for t in right.texts) and not any(t.get_text() == "3" for t in left.texts)
        fig.canvas.draw()
    finally:
        plt.close(fig)


def test_importing_the_package_does_not_load_matplotlib():
    code = "import sys, tinygrad_tutorial, tinygrad_tutorial.viz; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert tt.viz.draw_graph is draw_graph and tt.viz.to_dot is to_dot  # reachable as an attribute, lazily


@pytest.mark.parametrize("fn", [lambda x: x.sum(), lambda x: (x @ x.T).softmax(-1)[0]])
def test_graphs_of_common_expressions_draw(fn, device):
    x = tt.randn(3, 3, device=device, requires_grad=True)
    fig = draw_graph(fn(x), {"x": x})
    assert any(t.get_text() == "x\n(3, 3)" for t in fig.axes[0].texts)


class Shown:
    def method(self):
        return "<b>a method</b>, indented in its class"


def test_show_source_lists_objects_names_and_files(tmp_path):
    from tinygrad_tutorial.viz import show_source

    method = 'def method(self):\n    return "<b>a method</b>, indented in its class"\n'
    assert repr(show_source(Shown.method)) == method
    indented = repr(show_source(Shown.method, dedent=False))
    assert indented.startswith("    def method(self):")
    by_name = show_source("tinygrad_tutorial.autograd.Function.apply")  # a classmethod
    assert repr(by_name).startswith("@classmethod\ndef apply(cls, ")
    listed = repr(show_source("tinygrad_tutorial.viz.show_source"))
    assert listed.startswith("def show_source(")

    program = tmp_path / "program.py"
    lines = ["import os", "", "STEPS = 3", "for step in range(STEPS):", "    pass", "",
             "# Timing", "x = 1"]
    program.write_text("\n".join(lines) + "\n")
    part = show_source(str(program), start_at="STEPS =", end_before="# Timing")
    assert repr(part) == "\n".join(lines[2:5]) + "\n"  # without the trailing blank line
    assert repr(show_source(program, end_before="STEPS")) == "import os\n"

    with pytest.raises(ValueError, match=r"no line of .*program.py contains '# No'"):
        show_source(program, end_before="# No")
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        show_source("tinygrad_tutorial.ops.Nope")


def test_show_source_html_is_highlighted_with_inline_colours():
    pytest.importorskip("pygments")
    from tinygrad_tutorial.viz import show_source

    html = show_source(Shown.method)._repr_html_()
    assert html.startswith('<div class="highlight-python notranslate">')
    assert 'style="color: #' in html  # coloured without a stylesheet (Jupyter has none)
    assert "&lt;b&gt;a method&lt;/b&gt;" in html  # the source's text, escaped: not bold
