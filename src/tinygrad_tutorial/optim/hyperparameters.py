"""Checks of optimizer hyper-parameters, with PyTorch's messages
("Invalid learning rate: -1.0")."""


def check_non_negative(*named_values):
    """Each ``(name, value)`` pair must have value ≥ 0."""
    for name, value in named_values:
        if not 0.0 <= value:
            raise ValueError(f"Invalid {name}: {value}")


def check_betas(betas):
    """Both running-mean coefficients in [0, 1)."""
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def check_adam_options(lr, betas, eps, weight_decay):
    """The checks Adam and its variants share, in PyTorch's order."""
    check_non_negative(("learning rate", lr), ("epsilon value", eps))
    check_betas(betas)
    check_non_negative(("weight_decay value", weight_decay))
