"""A recurrent sequence classifier in the style of a course exercise: sequences of
varying length are padded and packed, an LSTM reads them, its last hidden state decides
whether a sequence holds more ones than zeros; gradients are clipped; then a GRU and an
RNNCell unrolled by hand read the same batch."""

import numpy as np

from . import numpy_parameters


def sequence_classifier(torch, print, steps=60, hidden=8):
    torch.set_default_dtype(torch.float64)
    nn = torch.nn
    pack, pad = nn.utils.rnn.pack_padded_sequence, nn.utils.rnn.pad_sequence
    rng = np.random.default_rng(7)
    lengths = rng.integers(2, 9, 24)
    sequences = [torch.tensor(rng.integers(0, 2, n)) for n in lengths]
    labels = torch.tensor([int(s.sum().item() * 2 > len(s)) for s in sequences])
    padded = pad(sequences, batch_first=True)  # (24, longest), zeros after each end
    print(padded.shape, padded.dtype, labels.float().mean().item())

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(2, 4)
            self.lstm = nn.LSTM(4, hidden, batch_first=True)
            self.out = nn.Linear(hidden, 2)

        def forward(self, tokens, lengths):
            packed = pack(self.embed(tokens), lengths, batch_first=True,
                          enforce_sorted=False)
            _, (h_n, _) = self.lstm(packed)  # h_n: each sequence at its own last step
            return self.out(h_n[-1])

    model = numpy_parameters(torch, Classifier())
    print(model)
    print([name for name, _ in model.lstm.named_parameters()])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    length_tensor = torch.tensor(lengths)
    losses = []
    for step in range(steps):
        loss = nn.functional.cross_entropy(model(padded, length_tensor), labels)
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        losses.append(loss.item())
        if step % 10 == 0:
            print(step, f"{loss.item():.10f}", f"{norm.item():.10f}")
    with torch.no_grad():
        predicted = model(padded, length_tensor).argmax(dim=1)
    accuracy = (predicted == labels).float().mean().item()

    gru = numpy_parameters(torch, nn.GRU(1, 3, num_layers=2, bidirectional=True), seed=1)
    series = padded.T.unsqueeze(-1).double()  # (time, batch, 1): sequence-first
    output, h_n = gru(series)
    print(output.shape, h_n.shape, f"{output.sum().item():.10f}")
    cell = numpy_parameters(torch, nn.RNNCell(1, 3), seed=2)
    h = torch.zeros(len(sequences), 3)
    for x_t in series:
        h = cell(x_t, h)
    print(f"{h.abs().sum().item():.10f}")
    return losses, accuracy
