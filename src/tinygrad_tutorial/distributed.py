"""``torch.distributed`` on MPI: one process per model replica, talking by collectives.

Launch a program with ``mpiexec -n 2 python train.py``: every process runs the same
code and learns its place from :func:`get_rank` and :func:`get_world_size`. The
collectives (:func:`all_reduce`, :func:`broadcast`, :func:`all_gather`, ...) write
their result into the tensor they are given, as PyTorch's do. The engine is MPI,
through ``mpi4py`` (the ``mpi4py`` and ``mpich`` wheels; no system MPI needed): the
same engine as PyTorch's ``mpi`` backend and Horovod. mpi4py is imported only when a
process group starts, so ``import tinygrad_tutorial`` stays cheap.
"""
import enum
import importlib.util

import numpy as np

from . import backend

_world = None  # the communicator of the default process group, once initialised


class ReduceOp(enum.Enum):
    """How :func:`all_reduce` and :func:`reduce` combine the processes' tensors."""

    SUM = "SUM"
    PRODUCT = "PROD"
    MIN = "MIN"
    MAX = "MAX"
    AVG = "AVG"  # the sum divided by the number of processes


class Work:
    """What a collective returns with ``async_op=True``. MPI's blocking calls here
    have finished by the time it is returned, so ``wait()`` has nothing to wait for."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True


def is_available():
    """Whether process groups can start: mpi4py is installed."""
    return importlib.util.find_spec("mpi4py") is not None


def is_initialized():
    return _world is not None


def is_mpi_available():
    return is_available()


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1,
                       rank=-1, **unused):
    """Join the default process group: every process that ``mpiexec`` started.

    ``backend`` may be ``"mpi"`` or left out. ``world_size`` and ``rank``, if given,
    must be what MPI says: here MPI assigns them, so they are checked, not chosen.
    """
    global _world
    if _world is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend not in (None, "mpi"):
        raise ValueError(
            f"backend {backend!r} is not available in tinygrad_tutorial: its process "
            "groups run on MPI (backend='mpi'); launch the program with "
            "`mpiexec -n N python program.py`")
    if not is_available():
        raise RuntimeError("torch.distributed here needs mpi4py: "
                           "pip install mpi4py mpich")
    from mpi4py import MPI

    world = MPI.COMM_WORLD
    for name, given, actual in (("world_size", world_size, world.Get_size()),
                                ("rank", rank, world.Get_rank())):
        if given != -1 and given != actual:
            raise ValueError(f"{name}={given} was given, but MPI started this process "
                             f"with {name} {actual} (mpiexec -n sets the world size)")
    _world = world.Dup()  # a communicator of our own: no clash with other MPI users


def destroy_process_group(group=None):
    global _world
    _communicator(group).Free()
    _world = None


def get_rank(group=None):
    return _communicator(group).Get_rank()


def get_world_size(group=None):
    return _communicator(group).Get_size()


def get_backend(group=None):
    _communicator(group)
    return "mpi"


def barrier(group=None, async_op=False, device_ids=None):
    _communicator(group).Barrier()
    return Work() if async_op else None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Every process's ``tensor`` becomes the combination (the sum by default) of
    all processes' tensors."""
    comm = _communicator(group)
    send = _host_copy(tensor)
    result = np.empty_like(send)
    comm.Allreduce(send, result, op=_mpi_op(op))
    if op is ReduceOp.AVG:
        result /= comm.Get_size()
    _write(tensor, result)
    return Work() if async_op else None


def reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False):
    """Like :func:`all_reduce`, but only process ``dst`` receives the result."""
    comm = _communicator(group)
    send = _host_copy(tensor)
    result = np.empty_like(send)
    comm.Reduce(send, result, op=_mpi_op(op), root=dst)
    if comm.Get_rank() == dst:
        if op is ReduceOp.AVG:
            result /= comm.Get_size()
        _write(tensor, result)
    return Work() if async_op else None


def broadcast(tensor, src, group=None, async_op=False):
    """Every process's ``tensor`` becomes process ``src``'s."""
    buffer = _host_copy(tensor)
    _communicator(group).Bcast(buffer, root=src)
    _write(tensor, buffer)
    return Work() if async_op else None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[i]`` becomes process ``i``'s ``tensor``, on every process."""
    comm = _communicator(group)
    size = comm.Get_size()
    if len(tensor_list) != size:
        raise ValueError(f"all_gather needs one output tensor per process: got "
                         f"{len(tensor_list)} for a world of {size}")
    for out in tensor_list:
        if tuple(out.shape) != tuple(tensor.shape) or out.dtype != tensor.dtype:
            raise ValueError(f"all_gather's output tensors must match the input: got "
                             f"{out.dtype} {list(out.shape)} for {tensor.dtype} "
                             f"{list(tensor.shape)}")
    send = _host_copy(tensor)
    gathered = np.empty((size,) + send.shape, dtype=send.dtype)
    comm.Allgather(send, gathered)
    for out, part in zip(tensor_list, gathered):
        _write(out, part)
    return Work() if async_op else None


def send(tensor, dst, group=None, tag=0):
    _communicator(group).Send(_host_copy(tensor), dest=dst, tag=tag)


def recv(tensor, src, group=None, tag=0):
    """Receive into ``tensor`` what process ``src`` sent; returns ``src``."""
    buffer = _host_copy(tensor)
    _communicator(group).Recv(buffer, source=src, tag=tag)
    _write(tensor, buffer)
    return src


# ---------------------------------------------------------------- helpers
def _communicator(group):
    if _world is None:
        raise ValueError("Default process group has not been initialized, please make "
                         "sure to call init_process_group.")
    if group is not None:
        raise NotImplementedError("only the default process group (group=None) exists "
                                  "here: new_group is not implemented")
    return _world


def _mpi_op(op):
    from mpi4py import MPI

    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a ReduceOp, got {type(op).__name__}")
    return MPI.SUM if op is ReduceOp.AVG else getattr(MPI, op.value)


def _host_copy(tensor):
    """The tensor's values as a contiguous host array that MPI can send from and
    receive into (a GPU tensor goes through the host: the MPI wheels are not
    CUDA-aware)."""
    host = backend.to_device(tensor.array, backend.device("cpu"))
    return np.array(host, copy=True, order="C")


def _write(tensor, values):
    """Write received values into ``tensor``'s memory, as an in-place op would. A
    collective is not an autograd op: like PyTorch's, it writes past the graph."""
    tensor.array[...] = backend.to_device(values, tensor.device)
    tensor._bump_version()
