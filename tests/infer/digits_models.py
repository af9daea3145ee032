"""The small models the inference tests compare with PyTorch: an MLP and a
CNN trained on sklearn's 8x8 digits (seed 0, one thread), and their ONNX
export as Basin reads it (opset 13, input x, output y, batch axis N)."""
import torch
from sklearn.datasets import load_digits


def train(model, x, y, steps=150):
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model.eval()


def trained_digits_models(cnn_dropout):
    """Returns (labels, [(name, model, sample shape, samples)]); with
    cnn_dropout the CNN carries a Dropout layer (exported as an ONNX Dropout)."""
    torch.manual_seed(0)
    torch.set_num_threads(1)
    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target)
    mlp = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10),
                              torch.nn.LogSoftmax(dim=1))
    cnn = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.BatchNorm2d(8),
                              torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 16, 3),
                              torch.nn.Tanh(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                              *([torch.nn.Dropout(0.1)] if cnn_dropout else []),
                              torch.nn.Linear(16, 10), torch.nn.Softmax(dim=1))
    out = []
    for name, model, shape in (("mlp", mlp, [64]), ("cnn", cnn, [1, 8, 8])):
        xs = x.reshape([-1] + shape)
        out.append((name, train(model, xs, y), shape, xs))
    return y, out


def export_onnx(model, xs, path):
    torch.onnx.export(model, xs[:1], path, opset_version=13, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
