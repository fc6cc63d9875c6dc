"""``cupyx.scipy`` of the fake CuPy: only ``special.erf``."""
