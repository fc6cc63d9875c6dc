"""Datasets and the DataLoader: batch sizes, shuffling, drop_last, seeding, collation, devices."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_tutorial as tt
from tinygrad_tutorial.utils.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split


def test_tensor_dataset_items_and_length():
    x, y = tt.arange(10).reshape(5, 2), tt.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[3]
    assert xi.tolist() == [6, 7] and yi.item() == 3


def test_tensor_dataset_names_mismatched_sizes():
    with pytest.raises(ValueError, match=r"same first dimension.*\[5, 4\]"):
        TensorDataset(tt.zeros(5, 2), tt.zeros(4))


def test_batches_in_order_with_a_short_last_batch(device):
    x = tt.arange(10, dtype=tt.float32, device=device).reshape(10, 1)
    y = tt.arange(10, device=device)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert batches[0][1].tolist() == [0, 1, 2, 3] and batches[2][1].tolist() == [8, 9]
    assert batches[0][0].shape == (4, 1) and batches[0][0].dtype == tt.float32 and batches[0][1].dtype == tt.int64
    assert all(t.device == tt.device(device) for batch in batches for t in batch)


def test_drop_last_skips_the_short_batch():
    loader = DataLoader(TensorDataset(tt.arange(10)), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[0].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_covers_every_sample_once_and_changes_each_epoch(device):
    loader = DataLoader(TensorDataset(tt.arange(20, device=device)), batch_size=6, shuffle=True)
    epochs = [np.concatenate([b[0].cpu().numpy() for b in loader]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(20))
    assert epochs[0].tolist() != list(range(20)) and epochs[0].tolist() != epochs[1].tolist()


def test_shuffle_is_reproducible_with_a_generator_or_the_global_seed():
    ds = TensorDataset(tt.arange(50))

    def order(**kwargs):
        return [v for b in DataLoader(ds, batch_size=7, shuffle=True, **kwargs) for v in b[0].tolist()]

    assert order(generator=tt.Generator().manual_seed(4)) == order(generator=tt.Generator().manual_seed(4))
    assert order(generator=tt.Generator().manual_seed(4)) != order(generator=tt.Generator().manual_seed(5))
    tt.manual_seed(9)
    first = order()
    tt.manual_seed(9)
    assert order() == first


def test_features_and_labels_stay_paired_when_shuffled():
    x = tt.arange(30, dtype=tt.float32).reshape(15, 2)
    y = tt.arange(15)
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True):
        assert (xb[:, 0] == yb * 2).all()


class Squares(Dataset):
    """A map-style dataset computing its samples on demand."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return tt.tensor([float(i), float(i * i)]), i


def test_custom_dataset_is_collated_by_stacking():
    batches = list(DataLoader(Squares(), batch_size=3))
    assert len(batches) == 3
    features, labels = batches[1]
    assert features.tolist() == [[3.0, 9.0], [4.0, 16.0], [5.0, 25.0]]
    assert labels.tolist() == [3, 4, 5] and labels.dtype == tt.int64


def test_default_collate_follows_pytorch():
    assert default_collate([1.5, 2.5]).dtype == tt.float64  # as PyTorch: Python floats become float64
    batch = default_collate([{"x": tt.ones(2), "n": 1}, {"x": tt.zeros(2), "n": 2}])
    assert batch["x"].shape == (2, 2) and batch["n"].tolist() == [1, 2]
    assert default_collate([np.ones(3, np.float32), np.zeros(3, np.float32)]).dtype == tt.float32


def test_collation_matches_pytorch():
    torch = pytest.importorskip("torch")
    samples = [(np.float32(i) * np.ones(2, np.float32), i, float(i) / 2) for i in range(3)]
    ours = default_collate([(tt.tensor(a), b, c) for a, b, c in samples])
    theirs = torch.utils.data.default_collate([(torch.tensor(a), b, c) for a, b, c in samples])
    assert isinstance(ours, list) and isinstance(theirs, list)
    for o, t in zip(ours, theirs):
        assert str(o.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_custom_collate_fn_and_unshuffled_custom_dataset():
    loader = DataLoader(Squares(), batch_size=4, collate_fn=lambda samples: [label for _, label in samples])
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6]]


def test_bad_batch_size_is_explained():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        DataLoader(TensorDataset(tt.zeros(3)), batch_size=0)


def test_random_split_partitions_the_dataset():
    ds = TensorDataset(tt.arange(10))
    train, test = random_split(ds, [7, 3], generator=tt.Generator().manual_seed(0))
    assert isinstance(train, Subset) and len(train) == 7 and len(test) == 3
    values = sorted([train[i][0].item() for i in range(7)] + [test[i][0].item() for i in range(3)])
    assert values == list(range(10))
    assert [len(s) for s in random_split(ds, [0.5, 0.5])] == [5, 5]
    with pytest.raises(ValueError, match=r"Sum of input lengths \(9\) does not equal the length of the input "
                                         r"dataset \(10\)"):
        random_split(ds, [6, 3])


def test_pytorch_only_options_are_accepted_and_change_nothing():
    ds = TensorDataset(tt.arange(9))
    plain = [b[0].tolist() for b in DataLoader(ds, batch_size=4)]
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True)] == plain


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), shuffle=st.booleans(), drop_last=st.booleans())
def test_every_sample_is_served_once_per_epoch(n, batch_size, shuffle, drop_last):
    loader = DataLoader(TensorDataset(tt.arange(n)), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    sizes = [len(b[0]) for b in loader]
    served = [v for b in loader for v in b[0].tolist()]
    assert len(sizes) == len(loader)
    assert all(size == batch_size for size in sizes[:-1]) and (not sizes or 0 < sizes[-1] <= batch_size)
    if drop_last:
        assert len(served) == n - n % batch_size and (not sizes or sizes[-1] == batch_size)
    else:
        assert sorted(served) == list(range(n))
    assert len(set(served)) == len(served)
    if not shuffle:
        assert served == list(range(len(served)))
