"""``distributed`` and ``DistributedDataParallel`` with real processes
(``mpiexec -n 2``), and the single-process rules: errors before and after
``init_process_group``."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tinygrad_tutorial as tt
import tinygrad_tutorial.distributed as dist
from tinygrad_tutorial.utils.data import DataLoader, DistributedSampler, TensorDataset

pytest.importorskip("mpi4py", reason="distributed needs mpi4py and an MPI (pip install "
                                     "mpi4py mpich, as requirements.txt does)")
MPIEXEC = (shutil.which("mpiexec", path=os.path.dirname(sys.executable))
           or shutil.which("mpiexec"))
WORLD = 2


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """What each of two processes running tests/distributed_worker.py saw."""
    if MPIEXEC is None:
        pytest.fail("mpi4py is installed but no mpiexec was found (pip install mpich)")
    worker = Path(__file__).with_name("distributed_worker.py")
    out = tmp_path_factory.mktemp("ranks")
    command = [MPIEXEC, "-n", str(WORLD), sys.executable, str(worker), str(out)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seen = [json.loads((out / f"rank{r}.json").read_text()) for r in range(WORLD)]
    assert [s["rank"] for s in seen] == list(range(WORLD))
    return seen


def test_every_process_knows_its_rank_and_the_world_size(ranks):
    assert all(s["world"] == WORLD for s in ranks)


def test_all_reduce_combines_every_process_tensor(ranks):
    values = [[r + 1.0, 10.0 * (r + 1), -1.0] for r in range(WORLD)]
    expected = {
        "SUM": [sum(col) for col in zip(*values)],
        "PRODUCT": [float(tt.tensor(col).prod()) for col in zip(*values)],
        "MIN": [min(col) for col in zip(*values)],
        "MAX": [max(col) for col in zip(*values)],
        "AVG": [sum(col) / WORLD for col in zip(*values)],
    }
    for s in ranks:
        for op, result in expected.items():
            assert s[op] == pytest.approx(result), op
        assert s["int_sum"] == [sum(range(WORLD)), WORLD]
        assert s["int_dtype"] == str(tt.int64)


def test_broadcast_all_gather_send_and_recv(ranks):
    for s in ranks:
        assert s["broadcast"] == [[WORLD - 1.0] * 2] * 2
        assert s["all_gather"] == [[float(r), -float(r)] for r in range(WORLD)]
    assert ranks[1]["received"] == [1.0, 2.0, 3.0]


def test_the_distributed_samplers_shares_are_disjoint_equal_and_cover(ranks):
    shares = [s["sampler"] for s in ranks]
    assert len({len(share) for share in shares}) == 1
    together = sorted(i for share in shares for i in share)
    assert set(together) == set(range(11))  # 11 samples padded to 12 by a repeat
    assert len(together) == 12


def test_ddp_gradients_equal_the_full_batch_gradient_and_replicas_stay_equal(ranks):
    for s in ranks:
        assert max(s["gradient_gaps"]) < 1e-15  # float64: equal but for rounding
        assert s["weight_gap"] < 1e-14
        assert s["replica_gap"] == 0.0  # every replica took the very same steps
        assert s["state_dict_keys"][0].startswith("module.")  # as PyTorch's DDP


# ---------------------------------------------------------------- in one process
@pytest.fixture
def world_of_one():
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


def test_collectives_before_init_raise_pytorchs_error():
    assert not dist.is_initialized()
    calls = (dist.get_rank, dist.get_world_size, lambda: dist.all_reduce(tt.ones(2)))
    for call in calls:
        with pytest.raises(ValueError, match="process group has not been initialized"):
            call()


def test_init_refuses_other_backends_twice_and_a_wrong_world_size(world_of_one):
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")
    dist.destroy_process_group()
    with pytest.raises(ValueError, match="'gloo' is not available.*mpiexec"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="world_size=4 was given.*1"):
        dist.init_process_group("mpi", world_size=4)
    dist.init_process_group()  # for the fixture to destroy


def test_a_collective_writes_in_place_and_keeps_dtype_and_device(world_of_one, device):
    t = tt.tensor([1.5, -2.0], device=device)
    view = t[:]
    version = t._version
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert view.tolist() == [1.5, -2.0]  # the same memory, written
    assert t.device == tt.device(device) and t.dtype == tt.float32
    assert t._version == version + 1


def test_all_gather_names_a_wrong_output_list(world_of_one):
    with pytest.raises(ValueError, match="one output tensor per process: got 2"):
        dist.all_gather([tt.zeros(2), tt.zeros(2)], tt.ones(2))
    with pytest.raises(ValueError, match=r"float64 \[3\] for \S*float32 \[2\]"):
        dist.all_gather([tt.zeros(3, dtype=tt.float64)], tt.ones(2))


def test_distributed_sampler_matches_pytorchs_shares_without_shuffling():
    torch = pytest.importorskip("torch")
    cases = [(5, 2, False), (5, 2, True), (12, 3, False), (7, 4, True)]
    for n, replicas, drop_last in cases:
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, shuffle=False,
                                      drop_last=drop_last)
            theirs = torch.utils.data.DistributedSampler(
                range(n), replicas, rank, shuffle=False, drop_last=drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
    with pytest.raises(ValueError, match=r"Invalid rank 2, .*\[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_a_shuffled_sampler_changes_order_with_set_epoch_only():
    sampler = DistributedSampler(range(20), num_replicas=2, rank=0, seed=5)
    first, again = list(sampler), list(sampler)
    sampler.set_epoch(1)
    assert first == again and list(sampler) != first
    assert sorted(first) == sorted(set(first))


def test_dataloader_takes_a_sampler_or_a_batch_sampler_as_pytorch():
    ds = TensorDataset(tt.arange(6))
    batches = [b[0].tolist() for b in DataLoader(ds, batch_size=2, sampler=[5, 0, 3])]
    assert batches == [[5, 0], [3]]
    assert len(DataLoader(ds, batch_size=2, sampler=[5, 0, 3])) == 2
    batches = [b[0].tolist() for b in DataLoader(ds, batch_sampler=[[1, 2, 3], [0]])]
    assert batches == [[1, 2, 3], [0]]
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with"):
        DataLoader(ds, shuffle=True, sampler=[0])
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0]])
