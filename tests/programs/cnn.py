"""A small convolutional network on the 8x8 digits: its parts looked at one by one (the
printed model, a parameter's size, the loss's graph, a gradient), then trained, then
evaluated; and the same network again as an nn.Sequential."""

from . import NumpyDraws, digits, numpy_parameters


def small_cnn(torch, print, dtype="float64", epochs=2, batches=None):
    """``batches``: stop each epoch after so many batches (for a short float32 run)."""
    torch.set_default_dtype(getattr(torch, dtype))
    nn, F, optim = torch.nn, torch.nn.functional, torch.optim
    TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
    images, labels = digits()
    x = torch.tensor(images[:640], dtype=torch.get_default_dtype()).unsqueeze(1)
    x = (x - 0.5) / 0.5  # as Normalize((0.5,), (0.5,))
    y = torch.tensor(labels[:640])
    train, test = TensorDataset(x[:480], y[:480]), TensorDataset(x[480:], y[480:])
    print(len(train), train[0][0].shape, train[:4][1])

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 6, 3, padding=1)
            self.conv2 = nn.Conv2d(6, 12, kernel_size=3, stride=1, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(12 * 2 * 2, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))  # (N, 6, 4, 4)
            x = F.max_pool2d(F.relu(self.conv2(x)), (2, 2))  # (N, 12, 2, 2)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            return self.fc2(x)

    net = numpy_parameters(torch, Net())
    print(net)
    params = list(net.parameters())
    print(len(params), params[0].size(), sum(p.numel() for p in params))

    draws = NumpyDraws(torch)
    sample = draws.randn(1, 1, 8, 8)
    out = net(sample)
    print(out)
    net.zero_grad()
    out.backward(draws.randn(1, 10))
    criterion = nn.MSELoss()
    target = draws.randn(10).view(1, -1)
    loss = criterion(net(sample), target)
    print(loss, loss.grad_fn, loss.grad_fn.next_functions[0][0])
    net.zero_grad()
    print(net.conv1.bias.grad)
    loss.backward()
    print(net.conv1.bias.grad)
    for f in net.parameters():  # one step of gradient descent by hand
        f.data.sub_(f.grad.data * 0.01)

    loader = DataLoader(train, batch_size=16, shuffle=False)
    optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        running_loss = 0.0
        for i, (inputs, targets) in enumerate(loader, 0):
            if i == batches:
                break
            optimizer.zero_grad()
            loss = criterion(net(inputs), targets)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if i % 5 == 4:
                print(f"[{epoch + 1}, {i + 1:3d}] loss: {running_loss / 5:.10f}")
                running_loss = 0.0

    classes = ("zero", "one", "two", "three", "four",
               "five", "six", "seven", "eight", "nine")
    test_loader = DataLoader(test, batch_size=32, num_workers=2)
    _, first_labels = next(iter(test_loader))
    print("GroundTruth:", " ".join(f"{classes[first_labels[j]]:5s}" for j in range(4)))
    correct, total, per_class = 0, 0, {name: 0 for name in classes}
    with torch.no_grad():
        for inputs, targets in test_loader:
            _, predicted = torch.max(net(inputs), 1)
            total += targets.size(0)
            correct += (predicted == targets).sum().item()
            for label, prediction in zip(targets, predicted):
                per_class[classes[label]] += int(label == prediction)

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    sequential = nn.Sequential(
        Lambda(lambda x: x.view(-1, 1, 8, 8)),
        nn.Conv2d(1, 8, kernel_size=3, stride=1, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Conv2d(8, 10, kernel_size=3, stride=2, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        Lambda(lambda x: x.view(x.size(0), -1)),
    )
    numpy_parameters(torch, sequential, seed=1)
    optimizer = optim.SGD(sequential.parameters(), lr=0.2, momentum=0.9)
    for i, (inputs, targets) in enumerate(loader):
        if i == (batches or 15):
            break
        loss = F.cross_entropy(sequential(inputs.flatten(1)), targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if i % 5 == 0:
            print(i, f"{loss.item():.10f}", F.avg_pool2d(inputs, 4).shape)
    return correct / total, per_class
