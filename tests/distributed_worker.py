"""Run by tests/test_distributed.py under ``mpiexec -n 2 ... worker.py OUT_DIR``: each
process exercises the collectives and DistributedDataParallel and writes what it saw
to OUT_DIR/rank<r>.json, for the test to check (a file each: the processes' printed
lines could interleave)."""
import json
import sys
from pathlib import Path

import numpy as np

import tinygrad_tutorial as tt
import tinygrad_tutorial.distributed as dist
import tinygrad_tutorial.nn.functional as F
from tinygrad_tutorial import nn
from tinygrad_tutorial.nn.parallel import DistributedDataParallel
from tinygrad_tutorial.utils.data import DistributedSampler

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
seen = {"rank": rank, "world": world}

for op in ("SUM", "PRODUCT", "MIN", "MAX", "AVG"):
    t = tt.tensor([rank + 1.0, 10.0 * (rank + 1), -1.0])
    dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
    seen[op] = t.tolist()
counts = tt.tensor([rank, 1])
dist.all_reduce(counts)
seen["int_sum"], seen["int_dtype"] = counts.tolist(), str(counts.dtype)

t = tt.full((2, 2), float(rank))
dist.broadcast(t, src=world - 1)
seen["broadcast"] = t.tolist()

parts = [tt.zeros(2) for _ in range(world)]
dist.all_gather(parts, tt.tensor([rank, -rank], dtype=tt.float32))
seen["all_gather"] = [p.tolist() for p in parts]

message = tt.zeros(3)
if rank == 0:
    dist.send(tt.tensor([1.0, 2.0, 3.0]), dst=1)
elif rank == 1:
    dist.recv(message, src=0)
seen["received"] = message.tolist()

seen["sampler"] = list(DistributedSampler(range(11), num_replicas=world, rank=rank,
                                          seed=3))

# DDP: different starting weights per process, each process a different shard.
rng = np.random.default_rng(0)  # the same data in every process
x = tt.tensor(rng.standard_normal((8 * world, 5)))
y = tt.tensor(rng.integers(0, 3, 8 * world))
tt.manual_seed(rank)
model = DistributedDataParallel(nn.Sequential(nn.Linear(5, 4), nn.Tanh(),
                                              nn.Linear(4, 3)).double())
reference = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3)).double()
reference.load_state_dict({k.removeprefix("module."): v
                           for k, v in model.state_dict().items()})
shard = slice(8 * rank, 8 * (rank + 1))
optimizer = tt.optim.SGD(model.parameters(), lr=0.5)
reference_optimizer = tt.optim.SGD(reference.parameters(), lr=0.5)
gaps = []
for step in range(5):
    optimizer.zero_grad()
    reference_optimizer.zero_grad()
    F.cross_entropy(model(x[shard]), y[shard]).backward()
    F.cross_entropy(reference(x), y).backward()  # the whole batch, in one process
    gaps.append(max((p.grad - q.grad).abs().max().item()
                    for p, q in zip(model.parameters(), reference.parameters())))
    optimizer.step()
    reference_optimizer.step()
seen["gradient_gaps"] = gaps
seen["weight_gap"] = max((p - q).abs().max().item()
                         for p, q in zip(model.parameters(), reference.parameters()))
seen["state_dict_keys"] = sorted(model.state_dict())
flat = tt.cat([p.detach().reshape(-1) for p in model.parameters()])
gathered = [tt.zeros_like(flat) for _ in range(world)]
dist.all_gather(gathered, flat)
seen["replica_gap"] = max((g - gathered[0]).abs().max().item() for g in gathered)

Path(sys.argv[1], f"rank{rank}.json").write_text(json.dumps(seen))
dist.destroy_process_group()
