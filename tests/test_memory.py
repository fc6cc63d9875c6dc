"""No leaks: a training loop keeps the number of live tensors flat, and backward frees the graph's arrays."""
import gc
import weakref

import tinygrad_tutorial as tt


def live_tensors():
    gc.collect()
    return sum(issubclass(type(obj), tt.Tensor) for obj in gc.get_objects())  # type(): no __class__ lookups


def test_a_1000_step_training_loop_keeps_live_tensors_flat(device):
    """Manual SGD on a small linear model: graphs of old steps must not survive."""
    x = tt.randn(32, 3, device=device)
    y = x @ tt.tensor([[1.0], [-2.0], [0.5]], device=device) + 0.3
    w = tt.zeros(3, 1, device=device, requires_grad=True)
    b = tt.zeros(1, device=device, requires_grad=True)

    for step in range(1010):
        if step == 10:  # after warming up (the first steps create the .grad tensors)
            before = live_tensors()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with tt.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad, b.grad = None, None
    assert live_tensors() <= before
    assert loss.item() < 1e-6 and w.is_leaf and w.grad_fn is None and w.dtype == tt.float32


def test_an_optimizer_style_update_records_nothing(device):
    w = tt.ones(4, device=device, requires_grad=True)
    (w * 2).sum().backward()
    with tt.no_grad():
        w.sub_(w.grad, alpha=0.5)
        w.mul_(2)
    assert w.grad_fn is None and w.is_leaf and w.tolist() == [0.0] * 4


def test_backward_releases_the_saved_arrays(device):
    x = tt.randn(100, device=device, requires_grad=True)
    y = (x * 2).exp().sum()  # the intermediates live only inside the graph
    exp_node = y.grad_fn.inputs[0].grad_fn
    saved = weakref.ref(exp_node.out)
    intermediate = weakref.ref(y.grad_fn.inputs[0])
    y.backward()
    assert saved() is None and intermediate() is None
    assert exp_node.freed and exp_node.inputs == () and y.grad_fn.freed
    assert x.grad is not None  # the leaf and its gradient stay


def test_retain_graph_keeps_the_saved_arrays(device):
    x = tt.randn(100, device=device, requires_grad=True)
    y = (x * 2).exp().sum()
    saved = weakref.ref(y.grad_fn.inputs[0].grad_fn.out)
    y.backward(retain_graph=True)
    assert saved() is not None
    y.backward()
    assert saved() is None


def test_a_dropped_graph_is_freed_without_backward(device):
    """Nodes point to their inputs only, never back to their outputs: no cycles, so nothing waits for gc."""
    x = tt.randn(100, device=device, requires_grad=True)
    h = (x * 2).tanh()
    node, array = weakref.ref(h.grad_fn), weakref.ref(h.array)
    del h
    assert node() is None and array() is None
