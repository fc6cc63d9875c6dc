"""The seed tutorial's §3.2, §3.3 and §4 programs, verbatim except for the import lines, run on
this package and (when installed) on PyTorch: from the same initial weights and data they give
the same losses; with the package's own initialisation the loss goes down."""
import re

import numpy as np
import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.nn as tnn

# §3.2 "定义神经网络模型" (it uses `torch` from §3.1, so the import of §3.1 is prepended)
SECTION_3_2 = '''
import tinygrad_tutorial as torch
import tinygrad_tutorial.nn as nn

class SimpleNet(nn.Module):
    def __init__(self):
        super(SimpleNet, self).__init__()
        self.fc1 = nn.Linear(2, 5)
        self.fc2 = nn.Linear(5, 1)

    def forward(self, x):
        x = self.fc1(x)
        x = torch.relu(x)
        x = self.fc2(x)
        return x

model = SimpleNet()
'''

# §3.3 "训练神经网络" (x_train and y_train come from the caller, as the seed's comment says)
SECTION_3_3 = '''
import tinygrad_tutorial.optim as optim

criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

# 假设x_train和y_train是训练数据集
# 训练神经网络
for epoch in range(100):
    optimizer.zero_grad()
    outputs = model(x_train)
    loss = criterion(outputs, y_train)
    loss.backward()
    optimizer.step()
'''

# §4 "具体最佳实践：代码实例和详细解释说明"
SECTION_4 = '''
import tinygrad_tutorial as torch
import tinygrad_tutorial.nn as nn
import tinygrad_tutorial.optim as optim

# 创建训练数据集
x_train = torch.randn(100, 2)
y_train = torch.randn(100, 1)

# 定义神经网络模型
class SimpleNet(nn.Module):
    def __init__(self):
        super(SimpleNet, self).__init__()
        self.fc1 = nn.Linear(2, 5)
        self.fc2 = nn.Linear(5, 1)

    def forward(self, x):
        x = self.fc1(x)
        x = torch.relu(x)
        x = self.fc2(x)
        return x

# 创建模型实例
model = SimpleNet()

# 定义损失函数和优化器
criterion = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

# 训练神经网络
for epoch in range(100):
    optimizer.zero_grad()
    outputs = model(x_train)
    loss = criterion(outputs, y_train)
    loss.backward()
    optimizer.step()

# 评估模型性能
model.eval()
with torch.no_grad():
    y_pred = model(x_train)
    mse_loss = criterion(y_pred, y_train)
    print(f"训练完成，MSE损失：{mse_loss.item()}")
'''


def as_torch(source):
    """The same program for PyTorch: only the imports change back."""
    return source.replace("tinygrad_tutorial", "torch")


def printed_loss(text):
    return float(re.search(r"MSE损失：(\S+)", text).group(1))


def record_losses(monkeypatch, mse_loss_class):
    """Wrap MSELoss.forward so every loss the program computes is remembered."""
    losses = []
    forward = mse_loss_class.forward

    def recording_forward(self, input, target):
        loss = forward(self, input, target)
        losses.append(loss.item())
        return loss

    monkeypatch.setattr(mse_loss_class, "forward", recording_forward)
    return losses


def test_section_4_runs_and_the_loss_goes_down(monkeypatch, capsys):
    losses = record_losses(monkeypatch, tnn.MSELoss)
    namespace = {}
    exec(SECTION_4, namespace)
    final = printed_loss(capsys.readouterr().out)
    assert len(losses) == 101  # 100 epochs and the evaluation
    assert final == pytest.approx(losses[-1])
    assert final < losses[0]
    assert all(b <= a + 1e-7 for a, b in zip(losses, losses[1:]))  # full-batch GD with a small lr: monotone
    assert namespace["y_pred"].dtype == tt.float32 and namespace["y_pred"].shape == (100, 1)
    assert not namespace["model"].training
    assert all(p.dtype == tt.float32 for p in namespace["model"].parameters())


def test_sections_3_2_and_3_3_run_and_the_loss_goes_down():
    namespace = {"x_train": tt.randn(100, 2), "y_train": tt.randn(100, 1)}
    exec(SECTION_3_2, namespace)
    before = namespace["nn"].MSELoss()(namespace["model"](namespace["x_train"]), namespace["y_train"]).item()
    exec(SECTION_3_3, namespace)
    assert namespace["loss"].item() < before


def test_section_4_matches_pytorch_from_the_same_weights_and_data(monkeypatch, capsys):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    torch_losses = record_losses(monkeypatch, torch.nn.MSELoss)
    torch_namespace = {}
    exec(as_torch(SECTION_4), torch_namespace)
    torch_final = printed_loss(capsys.readouterr().out)

    # replay PyTorch's random draws (the data, then each Linear's init) to hand them to our run
    torch.manual_seed(0)
    data = [torch.randn(100, 2), torch.randn(100, 1)]
    layers = [torch.nn.Linear(2, 5), torch.nn.Linear(5, 1)]
    assert torch.equal(data[0], torch_namespace["x_train"])

    def randn_from_torch(*size, **kwargs):
        return tt.tensor(data.pop(0).numpy())

    def reset_parameters_from_torch(linear):
        linear.load_state_dict(layers.pop(0).state_dict())  # PyTorch tensors load through __array__

    monkeypatch.setattr(tt, "randn", randn_from_torch)
    monkeypatch.setattr(tnn.Linear, "reset_parameters", reset_parameters_from_torch)
    losses = record_losses(monkeypatch, tnn.MSELoss)
    namespace = {}
    exec(SECTION_4, namespace)
    final = printed_loss(capsys.readouterr().out)

    assert not data and not layers  # both programs drew the same things
    # float32 as the seed wrote it: full-batch gradient descent with a small step damps
    # rounding differences instead of growing them (at most 2e-7 apart on the OpenBLAS
    # kernels tried)
    assert final == pytest.approx(torch_final, abs=1e-4)
    np.testing.assert_allclose(losses, torch_losses, atol=1e-5)
    for (name, ours), (torch_name, theirs) in zip(namespace["model"].state_dict().items(),
                                                  torch_namespace["model"].state_dict().items()):
        assert name == torch_name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-5)


def test_sections_3_2_and_3_3_match_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    x_train, y_train = torch.randn(100, 2), torch.randn(100, 1)
    torch_namespace = {"x_train": x_train, "y_train": y_train}
    exec(as_torch(SECTION_3_2), torch_namespace)
    initial = {k: v.clone() for k, v in torch_namespace["model"].state_dict().items()}
    exec(as_torch(SECTION_3_3), torch_namespace)

    namespace = {"x_train": tt.tensor(x_train.numpy()), "y_train": tt.tensor(y_train.numpy())}
    exec(SECTION_3_2, namespace)
    namespace["model"].load_state_dict({k: v.numpy() for k, v in initial.items()})
    exec(SECTION_3_3, namespace)
    assert namespace["loss"].item() == pytest.approx(torch_namespace["loss"].item(), abs=1e-4)
    assert namespace["loss"].dtype == tt.float32
