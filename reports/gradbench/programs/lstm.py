"""GradBench's `lstm` (from ADBench): an l-layer LSTM with diagonal weights run
over a sequence of c characters of b bits; the objective is the mean
cross-entropy-like loss -sum_t <x_{t+1}, ypred_t - log(sum exp(ypred_t) + 2)> /
((c - 1) b) (ADBench's normaliser, the "+ 2" included).

main_params has 2 l rows of 4 b: layer i's weights (row 2 i) and biases (row
2 i + 1) for the forget, input, output gates and the change, applied to
(input, hidden, input, hidden). extra_params: input weights, output weights,
output biases. state: layer i's hidden (row 2 i) and cell (row 2 i + 1).
`jacobian` is the gradient in main_params then extra_params, each row-major.
"""

import numpy as np

from . import Function, to_float, to_list


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_cell(weight, bias, hidden, cell, input):
    b = hidden.shape[0]
    gates = np.concatenate([input, hidden, input, hidden]) * weight + bias
    forget, ingate, outgate = (sigmoid(gates[i * b:(i + 1) * b]) for i in range(3))
    change = np.tanh(gates[3 * b:])
    cell = cell * forget + ingate * change
    return outgate * np.tanh(cell), cell


def predict(main_params, extra_params, state, input):
    x, new_state = input * extra_params[0], []
    for i in range(0, len(state), 2):
        hidden, cell = lstm_cell(main_params[i], main_params[i + 1], state[i], state[i + 1], x)
        new_state += [hidden, cell]
        x = hidden
    return x * extra_params[1] + extra_params[2], new_state


def lstm_objective(main_params, extra_params, state, sequence):
    state = list(state)
    total = 0.0
    for t in range(len(sequence) - 1):
        ypred, state = predict(main_params, extra_params, state, sequence[t])
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2)
        total = total + np.sum(sequence[t + 1] * ynorm)
    return -total / ((len(sequence) - 1) * sequence.shape[1])


def prepare(input):
    return tuple(np.asarray(input[key], dtype=float)
                 for key in ("main_params", "extra_params", "state", "sequence"))


def _concatenated(gradients):
    return to_list(np.concatenate([np.ravel(g) for g in gradients]))


def functions(d):
    return {"objective": Function(prepare, lstm_objective, to_float),
            "jacobian": Function(prepare, d.grad(lstm_objective, argnums=(0, 1)), _concatenated)}
