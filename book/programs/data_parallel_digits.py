"""Data-parallel training on the digits, one process per replica.

Run with ``mpiexec -n 2 python data_parallel_digits.py``. Every process trains its
replica on its own shard of each batch; DistributedDataParallel averages the gradients.
Process 0 also trains a single model on the whole batches, as one process would, and
prints, as one line of JSON, how far the two are apart, and how long all-reduces of
different sizes take.
"""
import json
import time

import numpy as np
from sklearn.datasets import load_digits

import tinygrad_tutorial as torch
import tinygrad_tutorial.distributed as dist
import tinygrad_tutorial.nn.functional as F
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn.parallel import DistributedDataParallel
from tinygrad_tutorial.utils.data import DataLoader, DistributedSampler, TensorDataset

BATCH, EPOCHS, LR = 64, 3, 0.1  # BATCH: samples per step, over all processes
SAMPLES = 1792  # of the 1797 digits: 28 whole batches, so every shard is equal

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()

digits = load_digits()
features = torch.tensor(digits.data[:SAMPLES] / 16.0, dtype=torch.float64)
labels = torch.tensor(digits.target[:SAMPLES])
dataset = TensorDataset(features, labels)


def make_model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10)).double()


# Each process starts from other weights; the wrapper broadcasts process 0's.
model = DistributedDataParallel(make_model(seed=rank))
optimizer = torch.optim.SGD(model.parameters(), lr=LR)
sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, seed=0)
loader = DataLoader(dataset, batch_size=BATCH // world, sampler=sampler)

# The reference, on process 0: one model, the whole batch of each step. The
# shards of step k are every world-th sample of a block of BATCH samples of the
# shuffled order, so the block itself is the whole batch.
reference = make_model(seed=0) if rank == 0 else None
reference_optimizer = (torch.optim.SGD(reference.parameters(), lr=LR) if rank == 0
                       else None)

first_step_gradient_gap = None
for epoch in range(EPOCHS):
    sampler.set_epoch(epoch)
    whole = DistributedSampler(dataset, num_replicas=1, rank=0, seed=0)
    whole.set_epoch(epoch)
    order = list(whole)
    for step, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        if rank == 0:
            block = torch.tensor(order[step * BATCH:(step + 1) * BATCH])
            reference_optimizer.zero_grad()
            F.cross_entropy(reference(features[block]), labels[block]).backward()
            if first_step_gradient_gap is None:
                first_step_gradient_gap = max(
                    (p.grad - q.grad).abs().max().item()
                    for p, q in zip(model.parameters(), reference.parameters()))
            reference_optimizer.step()
        optimizer.step()

# Are the replicas still equal? Gather every process's weights on every process.
flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
gathered = [torch.zeros_like(flat) for _ in range(world)]
dist.all_gather(gathered, flat)
replica_gap = max((g - gathered[0]).abs().max().item() for g in gathered)

# How long does an all-reduce of n float32 numbers take?
timings = []
for n in [2**k for k in range(8, 23, 2)]:
    buffer = torch.ones(n)
    dist.barrier()
    seconds = []
    for _ in range(5):
        start = time.perf_counter()
        dist.all_reduce(buffer)
        seconds.append(time.perf_counter() - start)
    dist.barrier()
    timings.append([n * 4, float(np.median(seconds))])

with torch.no_grad():
    accuracy = (model(features).argmax(dim=1) == labels).double().mean().item()
if rank == 0:
    weight_gap = max((p - q).abs().max().item()
                     for p, q in zip(model.parameters(), reference.parameters()))
    print(json.dumps({
        "world_size": world,
        "steps": EPOCHS * len(loader),
        "first_step_gradient_gap": first_step_gradient_gap,
        "replica_gap": replica_gap,
        "weight_gap": weight_gap,
        "accuracy": accuracy,
        "all_reduce_seconds": timings,
    }))
dist.destroy_process_group()
