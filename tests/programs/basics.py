"""Tensor basics and autograd basics, as a first lesson shows them: everything is
printed."""

import numpy as np

from . import accelerator_or_cpu


def tensor_basics(torch, print):
    # creation
    data = [[1, 2, 3], [4, 5, 6]]
    t = torch.tensor(data)
    print(t, t.dtype, t.shape, t.size(), t.size(1), t.ndim, t.numel())
    print(
        torch.zeros(2, 3), torch.ones((2,), dtype=torch.int64), torch.full((2, 2), 7.5)
    )
    print(
        torch.arange(5),
        torch.arange(1, 2, 0.25),
        torch.linspace(0, 1, 5),
        torch.eye(2, 3),
    )
    print(
        torch.zeros_like(t),
        torch.ones_like(t, dtype=torch.float),
        torch.empty(2, 0).shape,
    )
    noise = torch.rand_like(t, dtype=torch.float)
    print(noise.dtype, noise.shape, bool(((noise >= 0) & (noise < 1)).all()))
    print(
        torch.tensor(3.5),
        torch.tensor([True, False]),
        torch.tensor([1.5, 2], dtype=torch.float64),
    )
    print(
        torch.tensor(2.0).item(),
        type(torch.tensor(2).item()).__name__,
        t.tolist(),
        f"{torch.tensor(7)}",
    )
    print(
        torch.rand((2, 3)).shape,
        torch.rand(3, 4).dtype,
        torch.randn(2, 2, dtype=torch.float64).dtype,
    )
    index = torch.randint(10, size=(1,)).item()
    print(type(index).__name__, 0 <= index < 10, torch.randint(0, 5, (3,)).dtype)
    print(
        torch.full(
            (), 0.5, device=torch.device("cpu"), dtype=torch.float64, requires_grad=True
        ),
        torch.linspace(-1, 1, 3, device="cpu", dtype=torch.float64),
        torch.sin(torch.tensor([0.0, 1.0])),
    )
    print(
        torch.tensor([1.0, 2.0], device="cpu", requires_grad=True),
        torch.from_numpy(np.array(data)).dtype,
    )
    # NumPy bridge: from_numpy and numpy() share memory, torch.tensor copies
    array = np.arange(4.0)
    shared, copied = torch.from_numpy(array), torch.tensor(array)
    array[0] = 100
    print(shared, copied, shared.dtype)
    ones = torch.ones(3)
    view = ones.numpy()
    ones.add_(1)
    print(view, ones)
    # indexing and assignment
    m = torch.arange(12).reshape(3, 4)
    print(
        m[0],
        m[:, 1],
        m[..., -1],
        m[1:, ::2],
        m[-1, -1],
        m[m > 8],
        m[[0, 2]],
        m[range(3), [0, 1, 2]],
    )
    m[:, 0] = 0
    m[m % 5 == 0] = -1
    m[2] = torch.tensor([9, 8, 7, 6])
    print(m)
    # broadcasting and arithmetic
    column, row = torch.arange(3.0).reshape(3, 1), torch.tensor([10.0, 20.0])
    print(column + row, (column * row).shape, column - 1, 2**row / 4, row // 3, row % 3)
    print(
        torch.maximum(column, torch.tensor(1.0)),
        column.clamp(0.5, 1.5),
        -row,
        row.abs().sqrt(),
    )
    product = torch.empty(3, 3)
    torch.matmul(column, column.T, out=product)
    scaled = torch.empty(3, 1)
    torch.mul(column, 2, out=scaled)
    print(column @ column.T, product, scaled, column.matmul(column.T).sum())
    # reductions
    r = torch.tensor([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    print(
        r.sum(),
        r.sum(dim=0),
        r.mean(1, keepdim=True),
        r.max(),
        r.argmax(dim=1),
        r.min(0),
    )
    print(
        torch.argmax(r, dim=1),
        (r.argmax(1) == torch.tensor([1, 2])).float().mean(),
        r.min(),
        r.sum(-1),
    )
    print(r - r.exp().sum(-1).log().unsqueeze(-1))  # log_softmax written out
    values, indices = torch.max(r, 1)
    print(
        values,
        indices,
        r.std(),
        r.var(dim=1),
        r.cumsum(1),
        r.topk(2).indices,
        r.sort(dim=1).values,
    )
    # reshaping and joining
    s = torch.arange(6)
    print(
        s.view(2, 3),
        s.reshape(3, -1),
        s.view(2, 3).T,
        s.view(1, 2, 3).permute(2, 0, 1).shape,
    )
    print(
        s.unsqueeze(0).shape,
        s.view(1, 6, 1).squeeze().shape,
        s.view(2, 3).transpose(0, 1).flatten(),
    )
    print(
        torch.cat([s, s]),
        torch.stack([s, s], dim=1).shape,
        torch.cat([s.view(2, 3)] * 2, dim=1),
    )
    print(
        s.view(3, 2).chunk(3),
        s.split([2, 4]),
        s.flip(0),
        s.view(2, 3).expand(2, 2, 3).shape,
    )
    # dtypes and in place
    print(
        s.float(),
        s.double().dtype,
        (s / 2).dtype,
        (s > 2).int(),
        s.to(torch.float64).dtype,
        s.long().dtype,
    )
    w = torch.ones(2, 2)
    w.mul_(3).sub_(1)
    w[0, 0] += 10
    print(w, w.t().contiguous().is_contiguous())
    one_hot = torch.zeros(4).scatter_(0, torch.tensor([2]), 1.0)
    print(one_hot, torch.nn.functional.one_hot(torch.tensor([0, 2]), 3))
    # printing: summaries for large tensors, the dtype where it is not the default
    print(torch.arange(2000.0).reshape(40, 50) / 7)
    print(
        torch.tensor([1e-5, 1.0, 123456.0]),
        torch.tensor([0.1, 0.25], dtype=torch.float16),
    )
    print(torch.tensor([[1e10, 1.5], [-3.0, 0.0]]), torch.tensor([], dtype=torch.int64))
    torch.set_default_dtype(torch.float64)
    print(
        torch.tensor([1.0, 2.5]),
        torch.tensor([0.5], dtype=torch.float32),
        torch.zeros(2).dtype,
    )
    # devices
    device = accelerator_or_cpu(torch)
    print(f"Using {device} device")
    if torch.accelerator.is_available():
        r = r.to(torch.accelerator.current_accelerator())
    moved = r.to(device)
    print(
        moved.device.type == device,
        moved.cpu().device,
        (moved * 2).sum().item(),
        torch.device("cpu"),
    )


def autograd_basics(torch, print):
    x = torch.tensor([1.0, 2.0, 3.0])
    w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    b = torch.tensor(0.25, requires_grad=True)
    z = x * w + b
    loss = z.exp().sum()
    print(
        x.requires_grad, w.requires_grad, z.requires_grad, w.is_leaf, z.is_leaf, w.grad
    )
    print(z.grad_fn, loss.grad_fn, loss)
    # walking the graph from the loss back to the leaves
    node, path = loss.grad_fn, []
    while node is not None:
        path.append(str(node))
        children = [n for n, _ in node.next_functions if n is not None]
        node = children[0] if children else None
    print(" <- ".join(path))
    print(
        len(z.grad_fn.next_functions),
        hasattr(z.grad_fn.next_functions[1][0], "variable"),
    )
    z.retain_grad()
    seen = []
    w.register_hook(lambda grad: seen.append(grad.clone()))
    doubled = b.register_hook(lambda grad: grad * 2)
    loss.backward()
    print(w.grad, b.grad, z.grad, seen)
    doubled.remove()
    # gradients add up until zeroed
    w.grad.zero_()
    (x * w).sum().backward()
    (x * w).sum().backward()
    print(w.grad)
    w.grad = None
    # no_grad, detach, requires_grad_
    with torch.no_grad():
        inside = w * 2
    print(
        inside.requires_grad,
        inside.grad_fn,
        w.detach().requires_grad,
        torch.is_grad_enabled(),
    )
    frozen = torch.ones(3)
    frozen.requires_grad_()
    print(frozen.requires_grad, (frozen * 2).detach().requires_grad)
    u, v = torch.rand(2, 2), torch.rand((2, 2), requires_grad=True)
    print((u + u).requires_grad, (u + v).requires_grad)
    # a non-scalar output needs the vector of a vector-Jacobian product; the graph kept
    # for a second call
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    q = 3 * a**3 - a**2
    q.backward(gradient=torch.tensor([1.0, 0.5]), retain_graph=True)
    print(a.grad, a.grad == (9 * a**2 - 2 * a) * torch.tensor([1.0, 0.5]))
    q.backward(torch.ones_like(q))
    print(a.grad)
    e = torch.eye(3, 4, requires_grad=True)
    out = (e + 1).pow(2).t()
    out.backward(torch.ones_like(out))
    print(e.grad)
    # torch.autograd.grad returns gradients instead of storing them
    c = torch.tensor([1.0, -2.0], requires_grad=True)
    (grad,) = torch.autograd.grad((c**2).sum(), c)
    print(grad, c.grad)
    # a loss function's gradient: binary cross entropy on logits
    logits = torch.tensor([0.3, -1.2, 2.0], requires_grad=True)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, torch.tensor([1.0, 0.0, 1.0])
    )
    bce.backward()
    print(f"{bce.item():.6f}", logits.grad)
