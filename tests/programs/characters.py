"""A character-level language model on a few lines written here: token and position
embeddings, one causal self-attention step written out by hand, an MLP, and greedy
generation."""

import math

import numpy as np

from . import numpy_parameters

TEXT = (
    "the cat sat on the mat. the dog sat on the log. "
    "a cat and a dog met on the mat and sat by the log. "
    "the log was warm, the mat was soft, and the cat and the dog slept. "
)


def character_model(torch, print, steps=150, block=8, width=16):
    torch.set_default_dtype(torch.float64)
    nn, F = torch.nn, torch.nn.functional
    chars = sorted(set(TEXT))
    stoi = {c: i for i, c in enumerate(chars)}
    encoded = torch.tensor([stoi[c] for c in TEXT])
    starts = range(len(encoded) - block)
    inputs = torch.stack([encoded[i : i + block] for i in starts])
    targets = torch.stack([encoded[i + 1 : i + block + 1] for i in starts])
    print(
        len(chars),
        inputs.shape,
        targets.dtype,
        repr("".join(chars[i] for i in inputs[3].tolist())),
    )

    class TinyAttention(nn.Module):
        def __init__(self, vocabulary):
            super().__init__()
            self.token = nn.Embedding(vocabulary, width)
            self.position = nn.Embedding(block, width)
            self.query, self.key, self.value = (
                nn.Linear(width, width, bias=False) for _ in range(3)
            )
            self.register_buffer("causal", torch.tril(torch.ones(block, block)))
            self.norm = nn.LayerNorm(width)
            self.mlp = nn.Sequential(
                nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
            )
            self.head = nn.Linear(width, vocabulary)

        def forward(self, idx):
            length = idx.size(1)
            x = self.token(idx) + self.position(torch.arange(length))
            q, k, v = self.query(x), self.key(x), self.value(x)
            scores = q @ k.transpose(-2, -1) / math.sqrt(width)
            scores = scores.masked_fill(
                self.causal[:length, :length] == 0, float("-inf")
            )
            x = x + F.softmax(scores, dim=-1) @ v
            x = x + self.mlp(self.norm(x))
            return self.head(x)

    model = numpy_parameters(torch, TinyAttention(len(chars)))
    print(
        sum(p.numel() for p in model.parameters()),
        [name for name, _ in model.named_buffers()],
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    rows = np.random.default_rng(5)
    losses = []
    for step in range(steps):
        batch = torch.tensor(rows.integers(0, len(inputs), 32))
        logits = model(inputs[batch])
        loss = F.cross_entropy(logits.view(-1, len(chars)), targets[batch].view(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 25 == 0:
            print(step, f"{loss.item():.10f}")

    model.eval()
    context = encoded[:block].tolist()
    with torch.no_grad():
        for _ in range(40):
            logits = model(torch.tensor([context[-block:]]))
            context.append(logits[0, -1].argmax().item())
    print(repr("".join(chars[i] for i in context)))
    return losses
