"""``tinygrad_tutorial.nn``: Modules, layers, losses, initialisers and ``functional``."""
from . import functional, init
from .attention import MultiheadAttention
from .conv import Conv2d
from .embedding import Embedding
from .layers import (ELU, GELU, Dropout, Flatten, Hardtanh, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, ReLU6,
                     Sigmoid, SiLU, Softmax, Softplus, Tanh)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .losses import (CosineEmbeddingLoss, CosineSimilarity, GaussianNLLLoss,
                     HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                     MarginRankingLoss, PairwiseDistance, PoissonNLLLoss, SmoothL1Loss,
                     SoftMarginLoss, TripletMarginLoss)
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterDict, ParameterList, Sequential
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = ["functional", "init", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "Linear", "Identity", "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten",
           "Dropout", "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "Conv2d",
           "MaxPool2d", "Embedding", "LayerNorm", "MultiheadAttention", "AvgPool2d", "AdaptiveAvgPool2d",
           "BatchNorm1d", "BatchNorm2d", "GELU", "SiLU", "LeakyReLU", "ELU", "Softplus", "Hardtanh", "ReLU6",
           "TransformerEncoderLayer", "TransformerEncoder"]
__all__ += ["L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "SoftMarginLoss",
            "CosineSimilarity", "PairwiseDistance", "TripletMarginLoss",
            "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
            "PoissonNLLLoss", "GaussianNLLLoss"]
