"""What the book shows: the graph behind a tensor, and the package's own source.

Tensors (boxes) flow into ops (rounded boxes, named like PyTorch's ``grad_fn``:
``MulBackward``), which produce new tensors, down to the output. ``to_dot`` writes
the graph as Graphviz DOT text; ``draw_graph`` draws it with matplotlib alone, so
no ``dot`` program is needed. Draw before ``backward()``: it frees the graph.
``draw_diagram`` draws any graph given as vertices and edges the same way.

``show_source`` returns a function's, class's or file's source as a listing that a
notebook (and the built site) shows highlighted, and a plain script prints as text.
"""
import importlib
import inspect
import textwrap
from collections import Counter
from pathlib import Path

from .autograd import topological_order

COLORS = {"param": "#cfe2f3", "constant": "#eeeeee", "tensor": "#ffffff",
          "output": "#d9ead3", "op": "#fff2cc"}


def graph_of(tensor, params=None):
    """The graph behind ``tensor`` as ``(vertices, edges)``.

    ``vertices`` maps a short id (``t0``, ``op1``, ...) to ``(label, kind)``, with kind
    one of ``COLORS``; ``edges`` lists ``(from_id, to_id)`` in the direction data flows.
    """
    names = {id(t): name for name, t in (params or {}).items()}
    ids, vertices, edges = {}, {}, []

    def vertex(obj, label, kind):
        if id(obj) not in ids:
            ids[id(obj)] = f"{'op' if kind == 'op' else 't'}{len(ids)}"
            vertices[ids[id(obj)]] = (label, kind)
        return ids[id(obj)]

    def tensor_vertex(t, kind=None):
        kind = kind or ("tensor" if t.grad_fn is not None
                        else "param" if t.requires_grad else "constant")
        return vertex(t, _tensor_label(t, names.get(id(t)), kind), kind)

    tensor_vertex(tensor, "output")
    if tensor.grad_fn is None:
        return vertices, edges
    # a node knows its inputs, not its output: find it from its consumers, which come
    # in topological order before the ops that feed them
    produced = {id(tensor.grad_fn): tensor}
    for node in topological_order(tensor.grad_fn):
        op = vertex(node, node.name() + (" (freed)" if node.freed else ""), "op")
        edges.append((op, ids[id(produced[id(node)])]))
        for x in node.inputs:
            edges.append((tensor_vertex(x), op))
            if x.grad_fn is not None:
                produced[id(x.grad_fn)] = x
    return vertices, edges


def _tensor_label(t, name, kind):
    shape = str(tuple(t.shape))
    if kind == "constant" and t.ndim == 0 and name is None:
        return f"{t.item():g}"  # a Python number in the graph, like the 2 in x * 2
    return shape if name is None else f"{name}\n{shape}"


def to_dot(tensor, params=None):
    """Graphviz DOT text for the graph behind ``tensor``; ``params`` ({name: tensor})
    labels leaves."""
    vertices, edges = graph_of(tensor, params)
    lines = ["digraph {", '  node [fontname="monospace" fontsize=10 style=filled]']
    for key, (label, kind) in vertices.items():
        shape = 'shape=box style="rounded,filled"' if kind == "op" else "shape=box"
        label = label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines.append(f'  {key} [label="{label}" {shape} fillcolor="{COLORS[kind]}"]')
    lines += [f"  {a} -> {b}" for a, b in edges]
    return "\n".join(lines + ["}"]) + "\n"


def layout(vertices, edges):
    """Positions ``{id: (x, y)}`` in layers: each vertex one layer below the deepest
    vertex feeding it, inputs just above the op that first uses them, the output at the
    bottom. Within a layer, vertices sit near the mean position of their neighbours,
    which keeps edges short and mostly uncrossed."""
    feeds = {key: [] for key in vertices}
    fed_by = {key: [] for key in vertices}
    for a, b in edges:
        feeds[a].append(b)
        fed_by[b].append(a)
    producers_first, waiting = [], {key: len(fed_by[key]) for key in vertices}
    ready = [key for key in vertices if not fed_by[key]]
    while ready:  # Kahn's algorithm: a vertex is ready once its feeders are placed
        key = ready.pop()
        producers_first.append(key)
        for consumer in feeds[key]:
            waiting[consumer] -= 1
            if not waiting[consumer]:
                ready.append(consumer)
    depth = {}
    for key in producers_first:
        depth[key] = max((depth[p] + 1 for p in fed_by[key]), default=0)
    for key in producers_first:  # sources move down next to their first consumer
        if not fed_by[key] and feeds[key]:
            depth[key] = min(depth[c] for c in feeds[key]) - 1
    rows = [[] for _ in range(max(depth.values()) + 1)]
    for key in producers_first:
        rows[depth[key]].append(key)

    x = {key: float(i) for row in rows for i, key in enumerate(row)}
    # alternate downward and upward passes, each ordering a row by its neighbours
    for sweep in range(4):
        downward = sweep % 2 == 0
        for row in rows if downward else reversed(rows):
            def mean_neighbour(key):
                neighbours = ((fed_by[key] if downward else feeds[key])
                              or fed_by[key] + feeds[key])
                if not neighbours:
                    return x[key]
                return sum(x[n] for n in neighbours) / len(neighbours)

            row.sort(key=mean_neighbour)
            for i, key in enumerate(row):
                x[key] = i - (len(row) - 1) / 2
    return {key: (x[key], -float(depth[key])) for key in vertices}


def draw_graph(tensor, params=None, ax=None):
    """Draw the graph behind ``tensor`` with matplotlib and return the Figure.

    ``params`` ({name: tensor}) labels leaves; pass ``ax`` to draw into a subplot.
    Without ``ax`` the new figure is closed for pyplot, so a notebook shows it once, as
    the value of the cell.
    """
    return draw_diagram(*graph_of(tensor, params), ax=ax)


def draw_diagram(vertices, edges, ax=None):
    """Draw any graph given as :func:`graph_of` describes one (``{id: (label,
    kind)}`` and ``[(from_id, to_id)]``), as :func:`draw_graph` draws a tensor's;
    return the Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    positions = layout(vertices, edges)
    widest = max(len(line) for label, _ in vertices.values()
                 for line in label.split("\n"))
    fontsize = plt.rcParams["font.size"]  # the book's style sets a legible one
    spacing = max(1.0, 0.01 * fontsize * widest + 0.5)  # inches for the widest label
    positions = {key: (x * spacing, y) for key, (x, y) in positions.items()}
    xs, ys = [x for x, _ in positions.values()], [y for _, y in positions.values()]
    width, height = max(xs) - min(xs) + spacing, max(ys) - min(ys) + 1
    if ax is None:
        figsize = (max(width, 2.5), max(0.09 * fontsize * height, 1.2))
        fig, ax = plt.subplots(figsize=figsize)
        plt.close(fig)

    boxes = {}
    for key, (label, kind) in vertices.items():
        style = "round,pad=0.4" if kind == "op" else "square,pad=0.4"
        box = dict(boxstyle=style, facecolor=COLORS[kind], edgecolor="#555555")
        boxes[key] = ax.text(*positions[key], label, ha="center", va="center",
                             fontsize=fontsize, family="monospace", zorder=3, bbox=box)
    # edges are drawn after the boxes, and clipped to their outlines
    for (a, b), count in Counter(edges).items():
        for i in range(count):  # x * x uses x twice: one arc per use
            bend = 0.0 if count == 1 else 0.5 * (i - (count - 1) / 2)
            if count == 1 and positions[a][1] - positions[b][1] > 1.5:
                bend = 0.3  # an edge past a layer goes around its boxes, not through
            ax.add_patch(FancyArrowPatch(
                positions[a], positions[b], arrowstyle="-|>", mutation_scale=12,
                connectionstyle=f"arc3,rad={bend}", color="#555555", linewidth=1,
                shrinkA=1, shrinkB=1, zorder=4,
                patchA=boxes[a].get_bbox_patch(), patchB=boxes[b].get_bbox_patch()))
    ax.set_xlim(min(xs) - spacing / 2, max(xs) + spacing / 2)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
    ax.axis("off")
    return ax.figure


class Source:
    """A listing of Python source: highlighted HTML in a notebook, its text as repr."""

    STYLE = "a11y-high-contrast-light"  # the site's Pygments style (pydata theme)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text

    def _repr_html_(self):
        import html

        try:
            from pygments import highlight
            from pygments.formatters import HtmlFormatter
            from pygments.lexers import PythonLexer
            from pygments.util import ClassNotFound
        except ImportError:  # no Pygments: the listing, uncoloured
            return f'<div class="highlight"><pre>{html.escape(self.text)}</pre></div>'
        try:
            style = HtmlFormatter(style=self.STYLE).style
        except ClassNotFound:  # accessible-pygments (for the site theme) is absent
            style = "default"
        formatter = HtmlFormatter(style=style, noclasses=True, cssclass="highlight")
        # Inline colours, for Jupyter has no stylesheet; classes for the site's frame.
        listing = highlight(self.text, PythonLexer(), formatter)
        return f'<div class="highlight-python notranslate">{listing}</div>'


def show_source(obj, dedent=True, start_at=None, end_before=None):
    """The source of ``obj`` as a listing. ``obj`` is a function, class or method,
    or its dotted name (``"tinygrad_tutorial.nn.module.Module.__call__"``), or a
    file's path (with a ``/`` or ending in ``.py``; relative to the working
    directory, which is ``book/`` for the book's chapters).

    ``dedent`` removes the indentation a method has in its class. ``start_at``
    starts the listing at the first line containing that text; ``end_before`` ends
    it before the first line after that containing its text (as the options of
    ``literalinclude`` do).
    """
    is_path = isinstance(obj, str) and ("/" in obj or obj.endswith(".py"))
    if is_path or isinstance(obj, Path):
        text, name = Path(obj).read_text(encoding="utf8"), str(obj)
    elif isinstance(obj, str):
        text, name = inspect.getsource(_named_object(obj)), obj
    else:
        text, name = inspect.getsource(obj), getattr(obj, "__qualname__", repr(obj))
    lines = text.splitlines()
    for marker, keep_marker in ((start_at, True), (end_before, False)):
        if marker is None:
            continue
        found = [i for i, line in enumerate(lines) if marker in line]
        if not found:
            raise ValueError(f"show_source: no line of {name} contains {marker!r}")
        lines = lines[found[0]:] if keep_marker else lines[:found[0]]
    text = "\n".join(lines).rstrip() + "\n"
    return Source(textwrap.dedent(text) if dedent else text)


def _named_object(name):
    """What a dotted name names: its longest importable prefix, then attributes."""
    parts = name.split(".")
    for split in range(len(parts), 0, -1):
        module = ".".join(parts[:split])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as error:
            if not f"{module}.".startswith(f"{error.name}."):  # its import failed
                raise
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ValueError(f"show_source: no module to import in {name!r}")
