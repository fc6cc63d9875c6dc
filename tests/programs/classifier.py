"""A digits classifier as a first training lesson writes it: a custom Dataset,
DataLoaders, train and test loops, accuracy, and the weights saved and loaded as a
state_dict; and before it, logistic regression from scratch."""

import math

import numpy as np

from . import accelerator_or_cpu, digits, numpy_parameters

N_TRAIN = 1200  # of the 1797 digits; the other 597 are the test set


def digits_classifier(torch, print, directory, shuffle=False, epochs=3):
    torch.set_default_dtype(torch.float64)
    nn = torch.nn
    Dataset, DataLoader = torch.utils.data.Dataset, torch.utils.data.DataLoader
    images, labels = digits()

    class DigitsDataset(Dataset):
        def __init__(self, images, labels, transform=None, target_transform=None):
            self.images, self.labels = images, labels
            self.transform, self.target_transform = transform, target_transform

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, index):
            image, label = torch.tensor(self.images[index]), int(self.labels[index])
            if self.transform:
                image = self.transform(image)
            if self.target_transform:
                label = self.target_transform(label)
            return image, label

    def centre(image):  # the mean pixel of the digits is about 0.3
        return image - 0.3

    training_data = DigitsDataset(images[:N_TRAIN], labels[:N_TRAIN], transform=centre)
    test_data = DigitsDataset(images[N_TRAIN:], labels[N_TRAIN:], transform=centre)
    train_loader = DataLoader(training_data, batch_size=32, shuffle=shuffle)
    test_loader = DataLoader(test_data, batch_size=100)
    X, y = next(iter(test_loader))
    print(
        f"Shape of X [N, H, W]: {X.shape}",
        f"Shape of y: {y.shape} {y.dtype}",
        len(test_loader),
    )
    one_hot = DigitsDataset(
        images[:100],
        labels[:100],
        target_transform=lambda y: torch.zeros(10, dtype=torch.float).scatter_(
            0, torch.tensor(y), value=1
        ),
    )
    for features, targets in DataLoader(one_hot, batch_size=64):
        print(
            features.shape,
            targets.shape,
            targets.dtype,
            targets.sum(1).unique(),
            targets[0].tolist(),
        )

    device = accelerator_or_cpu(torch)
    print(f"Using {device} device")

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.layers = nn.Sequential(
                nn.Linear(in_features=8 * 8, out_features=48),
                nn.ReLU(),
                nn.Linear(48, 10),
            )

        def forward(self, x):
            return self.layers(self.flatten(x))

    model = numpy_parameters(torch, Classifier().to(device))
    print(model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def train_loop(loader):
        size = len(loader.dataset)
        model.train()
        for batch, (X, y) in enumerate(loader):
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if batch % 10 == 0:
                print(
                    f"loss: {loss.item():.10f}  [{batch * 32 + len(X):>4d}/{size:>4d}]"
                )

    def test_loop(loader):
        model.eval()
        test_loss, correct = 0.0, 0
        with torch.no_grad():
            for X, y in loader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        print(f"Test: avg loss {test_loss / len(loader):.10f}")
        return correct / len(loader.dataset)

    for epoch in range(epochs):
        print(f"Epoch {epoch + 1}\n-------------------------------")
        train_loop(train_loader)
        accuracy = test_loop(test_loader)

    path = directory / "digits.pth"
    torch.save(model.state_dict(), path)
    restored = Classifier().to(device)
    restored.load_state_dict(torch.load(path, weights_only=True))
    restored.eval()
    X = X.to(device)
    with torch.no_grad():
        print(list(restored.state_dict()), torch.equal(restored(X), model(X)))
        image, label = test_data[0]
        pred = restored(image.unsqueeze(0).to(device))
        probabilities = nn.Softmax(dim=1)(pred)
        print(
            f"{probabilities.sum().item():.10f}",
            probabilities.shape,
            probabilities.argmax(1),
        )
    for name, param in restored.named_parameters():
        values = param.detach()[:2, :3] if param.ndim > 1 else param.detach()[:2]
        print(f"Layer: {name} | Size: {param.size()} | Values : {values}")
    classes = [str(digit) for digit in range(10)]
    print(f'Predicted: "{classes[pred[0].argmax(0)]}", Actual: "{classes[label]}"')
    return accuracy


def from_scratch(torch, print, epochs=2, lr=0.5, batch_size=64):
    """Logistic regression with no torch.nn: weights as plain tensors, log_softmax and
    the negative log-likelihood written out, the update by hand; then the same loss
    from torch.nn.functional."""
    torch.set_default_dtype(torch.float64)
    images, labels = digits()
    x_train, y_train = map(
        torch.tensor, (images[:N_TRAIN].reshape(-1, 64), labels[:N_TRAIN])
    )
    n, c = x_train.shape
    print(x_train, y_train, x_train.shape, y_train.min(), y_train.max())
    weights = torch.tensor(
        np.random.default_rng(0).standard_normal((64, 10))
    ) / math.sqrt(64)
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def log_softmax(x):
        return x - x.exp().sum(-1).log().unsqueeze(-1)

    def model(xb):
        return log_softmax(xb @ weights + bias)

    def nll(input, target):
        return -input[range(target.shape[0]), target].mean()

    def accuracy(out, yb):
        return (torch.argmax(out, dim=1) == yb).float().mean()

    xb, yb = x_train[0:batch_size], y_train[0:batch_size]
    preds = model(xb)
    print(preds[0].detach(), preds.shape, nll(preds, yb), accuracy(preds, yb))
    for epoch in range(epochs):
        for i in range((n - 1) // batch_size + 1):
            xb = x_train[i * batch_size : (i + 1) * batch_size]
            yb = y_train[i * batch_size : (i + 1) * batch_size]
            loss = nll(model(xb), yb)
            loss.backward()
            with torch.no_grad():
                weights -= weights.grad * lr
                bias -= bias.grad * lr
                weights.grad.zero_()
                bias.grad.zero_()
        print(epoch, f"{loss.item():.10f}")
    logits = xb @ weights + bias
    cross_entropy = torch.nn.functional.cross_entropy(logits, yb)
    print(
        f"{cross_entropy.item():.10f}",
        f"{nll(model(xb), yb).item():.10f}",
        cross_entropy.grad_fn,
    )
    return accuracy(model(x_train), y_train).item()
