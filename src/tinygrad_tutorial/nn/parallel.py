"""``nn.parallel.DistributedDataParallel``: data parallelism across processes.

Each process holds a replica of the model and a different shard of every batch. The
replicas start equal (rank 0's weights are broadcast), and after ``backward()`` each
parameter's gradient is the average of the replicas' gradients, so every process takes
the same optimizer step and the replicas stay equal: training on N shards of size B
computes what one process would on the whole batch of N * B samples.
"""
from .. import distributed
from ..autograd import no_grad
from .module import Module


class DistributedDataParallel(Module):
    """Wrap ``module`` so that its gradients are averaged over the process group.

    The averaging is a gradient hook on every parameter: it runs once the parameter's
    gradient of this backward pass is complete, all-reduces it, and divides by the world
    size (PyTorch's DDP does the same, with the gradients packed into buckets so that
    communication overlaps the rest of backward). Every process must run the same
    backward passes, since each all-reduce waits for all of them.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, **unused):
        super().__init__()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.process_group = process_group
        self._world_size = distributed.get_world_size(process_group)
        self._sync_from_rank_0(module.parameters())
        self._sync_from_rank_0(module.buffers())
        self._hook_handles = [p.register_hook(self._average)
                              for p in module.parameters() if p.requires_grad]

    def _sync_from_rank_0(self, tensors):
        with no_grad():
            for t in tensors:
                distributed.broadcast(t, src=0, group=self.process_group)

    def _average(self, grad):
        total = grad.clone()
        distributed.all_reduce(total, group=self.process_group)
        return total / self._world_size

    def forward(self, *args, **kwargs):
        if self.broadcast_buffers and self.training:  # running stats follow rank 0's
            self._sync_from_rank_0(self.module.buffers())
        return self.module(*args, **kwargs)
