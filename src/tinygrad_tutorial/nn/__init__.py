"""``tinygrad_tutorial.nn``: Modules, layers, losses, initialisers, ``functional``."""
from . import functional, init, parallel, utils
from .attention import MultiheadAttention
from .conv import Conv2d
from .embedding import Embedding
from .layers import (ELU, GELU, Dropout, Flatten, Hardtanh, Identity, LeakyReLU, Linear,
                     LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Tanh)
from .losses import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CosineSimilarity,
                     CrossEntropyLoss, GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss,
                     KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, NLLLoss,
                     PairwiseDistance, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
                     TripletMarginLoss)
from .module import (Module, ModuleDict, ModuleList, Parameter, ParameterDict,
                     ParameterList, Sequential)
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .transformer import TransformerEncoder, TransformerEncoderLayer

__all__ = [
    "functional", "init", "parallel", "utils",
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "ParameterDict",
    "Linear", "Identity", "Flatten", "Dropout", "Conv2d", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "Embedding", "LayerNorm", "BatchNorm1d", "BatchNorm2d",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU", "SiLU", "LeakyReLU",
    "ELU", "Softplus", "Hardtanh", "ReLU6",
    "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "L1Loss",
    "SmoothL1Loss", "HuberLoss", "KLDivLoss", "SoftMarginLoss", "CosineSimilarity",
    "PairwiseDistance", "TripletMarginLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
    "CosineEmbeddingLoss", "PoissonNLLLoss", "GaussianNLLLoss",
]
