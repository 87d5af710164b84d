"""PyTorch's ``torch.nn.modules.rnn`` path: the recurrent layers and cells,
re-exported from where deltaprop keeps them."""

from ..recurrent import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
