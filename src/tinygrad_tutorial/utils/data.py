"""Datasets and the DataLoader that cuts them into (shuffled) batches.

A ``Dataset`` answers ``len(ds)`` and ``ds[i]``; the ``DataLoader`` picks indices,
fetches the samples and stacks them into batch tensors. A ``TensorDataset`` skips the
one-sample-at-a-time detour: each batch is one fancy-indexing of its tensors.
"""
import math

import numpy as np

from ..dtypes import float64
from ..random import Generator, randperm
from ..tensor import Tensor, stack, tensor


class Dataset:
    """Anything with ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are rows: ``ds[i]`` is ``(t[i] for each tensor t)``, e.g.
    ``(x_i, y_i)``."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [len(t) for t in tensors]
        if any(n != sizes[0] for n in sizes):
            raise ValueError("Size mismatch between tensors: TensorDataset needs the "
                             f"same first dimension in every tensor, got sizes {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random subsets of the given lengths (or
    fractions)."""
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * fraction)) for fraction in lengths]
        # hand out the remainder round-robin, as PyTorch
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the "
                         f"length of the input dataset ({n})")
    order = randperm(n, generator=generator).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets


def default_collate(samples):
    """A list of samples -> one batch, as PyTorch's: tensors and NumPy arrays are
    stacked, Python numbers become a tensor (floats as float64, ints as int64), and
    tuples, lists and dicts are collated field by field (tuples come back as lists)."""
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(samples)
    if isinstance(first, np.ndarray):
        return stack([tensor(s) for s in samples])
    if isinstance(first, (tuple, list)):
        return [default_collate(list(field)) for field in zip(*samples)]
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, float):
        return tensor(samples, dtype=float64)
    return tensor(samples)


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    ``shuffle=True`` draws a new order every epoch (from ``generator``, or the global
    seed); ``drop_last=True`` skips a final batch smaller than ``batch_size``. Batches
    stay on the device of the dataset's tensors. ``num_workers`` and ``pin_memory``
    are accepted so PyTorch code runs unchanged; batches are always made in this
    process.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None,
                 batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False,
                 drop_last=False, generator=None):
        if (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                or batch_size <= 0):
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle
                                          or sampler is not None or drop_last):
            raise ValueError("batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator
        self.sampler, self.batch_sampler = sampler, batch_sampler  # index iterables
        self.collate_fn = collate_fn or default_collate

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler if self.sampler is not None else self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)

    def _batches_of_indices(self):
        if self.batch_sampler is not None:
            for batch in self.batch_sampler:
                yield np.asarray(batch, dtype=np.int64)
            return
        if self.sampler is not None:  # a sampler decides the order (and which samples)
            order = np.fromiter(self.sampler, dtype=np.int64)
            n = len(order)
        else:
            n = len(self.dataset)
            order = (randperm(n, generator=self.generator).array if self.shuffle
                     else None)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            end = min(start + self.batch_size, n)
            # in the dataset's own order, a slice: a cheap view
            yield order[start:end] if order is not None else slice(start, end)

    def __iter__(self):
        fast = (isinstance(self.dataset, TensorDataset)
                and self.collate_fn is default_collate)
        for index in self._batches_of_indices():
            if fast:  # one indexing per tensor gives the whole batch
                yield [t[index] for t in self.dataset.tensors]
            else:
                indices = (range(index.start, index.stop) if isinstance(index, slice)
                           else index.tolist())
                yield self.collate_fn([self.dataset[i] for i in indices])


class DistributedSampler:
    """The share of ``dataset`` that one of ``num_replicas`` processes trains on.

    Every process shuffles the indices the same way (seeded by ``seed + epoch``: call
    ``set_epoch`` at each epoch for a new order), pads them by repeating from the start
    until they divide evenly (or, with ``drop_last``, drops the rest), and takes every
    ``num_replicas``-th index starting at its ``rank``: the shares are disjoint and
    equal in size, so averaged gradients weigh every sample alike.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from .. import distributed

            if num_replicas is None:
                num_replicas = distributed.get_world_size()
            if rank is None:
                rank = distributed.get_rank()
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            stream = Generator().manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=stream).array
        else:
            indices = np.arange(n)
        if self.drop_last:
            indices = indices[:self.total_size]
        else:
            indices = np.resize(indices, self.total_size)  # repeats from the start
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        self.epoch = epoch
