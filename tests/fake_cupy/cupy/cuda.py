"""``cupy.cuda`` of the fake: one device, streams that are already finished, no real memory."""
import types


class Device:
    """GPU ``id``; as a context manager it makes that GPU current (only GPU 0 exists here)."""

    def __init__(self, device=None):
        self.id = 0 if device is None else int(getattr(device, "id", device))

    def __enter__(self):
        if self.id >= runtime.getDeviceCount():
            raise RuntimeError(f"cudaErrorInvalidDevice: invalid device ordinal {self.id} (fake cupy has 1 GPU)")
        return self

    def __exit__(self, *exc):
        return False

    def use(self):
        return self.__enter__()

    def synchronize(self):
        pass

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class Stream:
    """Work is done when it is asked for: synchronizing has nothing to wait for."""
    null = None

    def __init__(self, non_blocking=False):
        self.ptr = 0

    def synchronize(self):
        pass

    def use(self):
        return self

    __enter__ = use

    def __exit__(self, *exc):
        return False


Stream.null = Stream()


def get_current_stream():
    return Stream.null


class MemoryPointer:
    def __init__(self, ptr):
        self.ptr = ptr
        self.device_id = 0


runtime = types.SimpleNamespace(
    getDeviceCount=lambda: 1,
    getDevice=lambda: 0,
    runtimeGetVersion=lambda: 12000,
    driverGetVersion=lambda: 12000,
    getDeviceProperties=lambda index: {"name": b"fake cupy (NumPy on the host)", "totalGlobalMem": 0,
                                       "multiProcessorCount": 0},
    deviceSynchronize=lambda: None,
)
